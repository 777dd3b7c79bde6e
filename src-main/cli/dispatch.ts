// The command line's first word: help, the version, or a command to run. Needs
// only the command table, so the bin answers these without loading a command.
import { COMMAND_TABLE } from './commands/table.js';
import { escapeControls, type CliIO } from './io.js';

function helpText(): string {
  const lines = ['portcullis — check, diff and safely apply iptables rulesets', '', 'Commands:'];
  for (const c of COMMAND_TABLE) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `portcullis COMMAND --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

/**
 * Answers argv when its first word is not a command to run: no word, --help,
 * --version, or a name `isCommand` does not know. Returns the exit status, or
 * null when argv[0] names a command (the caller runs it).
 */
export function answerTopLevel(argv: readonly string[], io: Pick<CliIO, 'out' | 'err'>, isCommand: (name: string) => boolean): number | null {
  const name = argv[0];
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
  if (!isCommand(name)) {
    io.err(`portcullis: unknown command "${escapeControls(name)}"\n\n${helpText()}`);
    return 2;
  }
  return null;
}
