// The `portcullis` bin (dist/cli.cjs). It answers --help, --version and an
// unknown command from the command table alone, and for a command loads only
// that command's bundle (dist/cli/FILE.cjs, with its code cache: load-bundle.ts),
// so each command pays for reading and compiling its own code and no other's.
import { tuneForInput } from './v8-tuning.js'; // first: before anything allocates, and the code caches are valid only for these flags
import { join } from 'node:path';
import { answerTopLevel } from './dispatch.js';
import { commandEntry } from './commands/table.js';
import { nodeStreams } from './node-streams.js';
import { loadBundle } from './load-bundle.js';
import type { CliIO } from './io.js';

/** dist/cli/FILE.cjs beside this bin */
const bundleOf = (file: string) => join(__dirname, 'cli', `${file}.cjs`);

const argv = process.argv.slice(2);
let streams: Pick<CliIO, 'out' | 'err'> | undefined;
const io = { out: (t: string) => (streams ??= nodeStreams()).out(t), err: (t: string) => (streams ??= nodeStreams()).err(t) };
const answered = answerTopLevel(argv, io, (name) => commandEntry(name) !== undefined);
if (answered !== null) process.exitCode = answered;
else {
  const bundle = loadBundle(bundleOf(commandEntry(argv[0])!.file));
  tuneForInput(argv[0], argv.slice(1)); // after the code cache was read: V8 checks the flags then
  bundle.main(argv[0], argv.slice(1));
}
