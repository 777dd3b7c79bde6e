// Every `portcullis` command, one file each. A command returns its exit code.
// Its name and summary for `portcullis --help` are in ./table.ts.
import type { CliIO } from '../io.js';

interface Command {
  name: string;
  usage: string;
  /** help that depends on the arguments (`recipe NAME --help`); defaults to usage */
  help?(argv: string[]): string;
  run(argv: string[], io: CliIO): Promise<number> | number;
}

const commands: Command[] = [];

export function registerCommand(c: Command): void {
  commands.push(c);
}
export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
export function allCommands(): readonly Command[] {
  return commands;
}
