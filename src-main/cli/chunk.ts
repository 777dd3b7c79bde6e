// What a command's bundle (dist/cli/FILE.cjs, see build/build.mjs) gives the
// bin (dist/cli.cjs, start.ts) that loaded it: run a command. A bundle holds
// one command file of ./commands and what it imports; the bin has already
// answered --help, --version and unknown names.
import { runCommand, internalError } from './run-command.js';
import { nodeIO } from './node-io.js';

/** Runs command `name` of this bundle on the process; its exit status becomes the process's. */
export function main(name: string, rest: string[]): void {
  const io = nodeIO();
  runCommand(name, rest, io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      io.err(internalError(name, e));
      process.exitCode = 2;
    },
  );
}
