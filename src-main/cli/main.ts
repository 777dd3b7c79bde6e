#!/usr/bin/env node
// The `portcullis` command line. Commands live in ./commands/, one file each,
// and are registered in ./commands/all.ts.
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { runParseWorkerJob } from './parse-worker.js';
import { allCommands, findCommand } from './commands/index.js';
import './commands/all.js';
import { UsageError } from './args.js';
import { escapeControls, type CliIO } from './io.js';

export function helpText(): string {
  const lines = ['portcullis — check, diff and safely apply iptables rulesets', '', 'Commands:'];
  for (const c of allCommands()) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `portcullis COMMAND --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
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
      io.err(`portcullis ${name}: ${e.message}\n\n${cmd.usage}\n`);
      return 2;
    }
    throw e;
  }
}

export function nodeIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readFile: (p) => (p === '-' ? readFileSync(0, 'utf8') : readFileSync(p, 'utf8')),
    tty: Boolean(process.stdout.isTTY),
  };
}

// Run when bundled as the bin (dist/cli.cjs) or executed directly with tsx. The
// same bundle also serves as the parse worker of `portcullis diff`.
const isMain = typeof require !== 'undefined' ? require.main === module : process.argv[1]?.endsWith('main.ts');
if (isMainThread && isMain) {
  // `portcullis canon big.rules | head`: a reader that goes away is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  runCli(process.argv.slice(2), nodeIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`portcullis: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

runParseWorkerJob();
