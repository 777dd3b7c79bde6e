#!/usr/bin/env node
// The `portcullis` command line with every command in one process: what the
// tests run (runCli) and `node --import tsx src-main/cli/main.ts`. Commands
// live in ./commands/, one file each, registered in ./commands/all.ts and
// listed in ./commands/table.ts. The built bin (dist/cli.cjs, ./start.ts)
// answers the same way but loads only the bundle of the command it runs.
import { isMainThread } from 'node:worker_threads';
import { findCommand } from './commands/index.js';
import './commands/all.js';
import type { CliIO } from './io.js';
import { answerTopLevel } from './dispatch.js';
import { internalError, runCommand } from './run-command.js';
import { nodeIO } from './node-io.js';

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const answered = answerTopLevel(argv, io, (name) => findCommand(name) !== undefined);
  return answered ?? runCommand(argv[0], argv.slice(1), io);
}

// Run when executed directly with tsx.
if (isMainThread && process.argv[1]?.endsWith('main.ts')) {
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
