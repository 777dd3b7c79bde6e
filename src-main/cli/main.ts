#!/usr/bin/env node
// The `portcullis` command line. Commands live in ./commands/, one file each,
// and are registered in ./commands/all.ts.
import './v8-tuning.js'; // first: before the other modules allocate
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { runParseWorkerJob } from './parse-worker.js';
import { allCommands, findCommand } from './commands/index.js';
import './commands/all.js';
import { UsageError } from './args.js';
import { readFilePieces } from './read-pieces.js';
import { escapeControls, type CliIO } from './io.js';
import { decodeRulesetBytes } from '../core/index.js';

function helpText(): string {
  const lines = ['portcullis — check, diff and safely apply iptables rulesets', '', 'Commands:'];
  for (const c of allCommands()) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `portcullis COMMAND --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // no command is a usage error: the help goes where errors go
    io.err(helpText());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return 0;
  }
  if (name === '--version') {
    io.out('portcullis 0.1.0\n');
    return 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    io.err(`portcullis: unknown command "${escapeControls(name)}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const text = cmd.help ? cmd.help(rest) : cmd.usage;
    io.out(text.endsWith('\n') ? text : text + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      // the mistake, then the synopsis: the whole help would push the mistake off the screen
      const synopsis = cmd.usage.split(/\n\s*\n/)[0];
      io.err(`portcullis ${name}: ${escapeControls(e.message)}\n\n${synopsis}\nRun \`portcullis ${name} --help\` for every option.\n`);
      return 2;
    }
    io.err(internalError(name, e));
    return 2;
  }
}

/**
 * What reaches the user when a command fails in a way it did not foresee: one
 * line naming it a bug, never a stack trace (PORTCULLIS_DEBUG=1 adds the stack).
 */
function internalError(command: string | undefined, e: unknown): string {
  const what = e instanceof Error ? e.message || e.name : String(e);
  const stack = process.env.PORTCULLIS_DEBUG && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  return (
    `portcullis${command ? ' ' + command : ''}: internal error: ${escapeControls(what.split('\n')[0])}\n` +
    `This is a bug in portcullis; please report it with the command line you ran. PORTCULLIS_DEBUG=1 shows where it happened.${escapeControls(stack)}\n`
  );
}

function nodeIO(): CliIO {
  // `portcullis lint big.rules | head`, `… 2>&1 | head`: a reader that goes away is
  // not an error. The rest of the output is dropped; the command still finishes
  // and exits with its own status (what `set -o pipefail` scripts see).
  const gone = { out: false, err: false };
  const quiet = (which: 'out' | 'err') => (e: NodeJS.ErrnoException) => {
    // EPIPE, then (for writes already under way) "write after destroy"
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    gone[which] = true;
  };
  process.stdout.on('error', quiet('out'));
  process.stderr.on('error', quiet('err'));
  return {
    out: (t) => void (gone.out || process.stdout.write(t)),
    err: (t) => void (gone.err || process.stderr.write(t)),
    readFile: (p) => decodeOrThrow(readFileSync(p === '-' ? 0 : p)),
    readPieces: readFilePieces,
    tty: Boolean(process.stdout.isTTY),
  };
}

// Run when bundled as the bin (dist/cli.cjs) or executed directly with tsx. The
// same bundle also serves as the parse worker of `portcullis diff`.
const isMain = typeof require !== 'undefined' ? require.main === module : process.argv[1]?.endsWith('main.ts');
if (isMainThread && isMain) {
  const io = nodeIO();
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      io.err(internalError(undefined, e));
      process.exitCode = 2;
    },
  );
}

runParseWorkerJob();

/** A file's bytes as text, or an error naming the first byte that is not UTF-8 (never replacement characters). */
function decodeOrThrow(bytes: Uint8Array): string {
  const d = decodeRulesetBytes(bytes);
  if (!d.ok) throw new Error(d.problem.message);
  return d.text;
}
