// Running one registered command: its --help, its run, and what the user sees
// when it throws.
import { findCommand } from './commands/index.js';
import { UsageError } from './args.js';
import { escapeControls, type CliIO } from './io.js';

/** Runs the registered command `name` (the caller has checked that it exists) on the arguments after its name. */
export async function runCommand(name: string, rest: string[], io: CliIO): Promise<number> {
  const cmd = findCommand(name);
  if (!cmd) throw new Error(`no command "${name}" is registered`);
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
export function internalError(command: string | undefined, e: unknown): string {
  const what = e instanceof Error ? e.message || e.name : String(e);
  const stack = process.env.PORTCULLIS_DEBUG && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  return (
    `portcullis${command ? ' ' + command : ''}: internal error: ${escapeControls(what.split('\n')[0])}\n` +
    `This is a bug in portcullis; please report it with the command line you ran. PORTCULLIS_DEBUG=1 shows where it happened.${escapeControls(stack)}\n`
  );
}
