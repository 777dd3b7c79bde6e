// Reading a ruleset file for a command: I/O problems are reported as such
// (exit 2), parse problems as findings in the FILE:LINE:COL format.
import { parseRuleset, formatFinding, type Finding, type ParseResult } from '../../core/index.js';
import { escapeControls, type CliIO } from '../io.js';

export type Loaded = { ok: true; file: string; result: ParseResult } | { ok: false; exit: number };

export function loadRuleset(io: CliIO, file: string): Loaded {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    io.err(`${escapeControls(file)}: error: cannot read the file: ${readProblem(e)}\n`);
    return { ok: false, exit: 2 };
  }
  return { ok: true, file, result: parseRuleset(text) };
}

/** Why a file could not be read, in words (every command says it the same way). */
export function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : escapeControls(String((e as Error).message));
}

export function printFindings(io: CliIO, file: string, findings: readonly Finding[], verbose = false): void {
  for (const f of findings) {
    if (f.severity === 'info' && !verbose) continue;
    io.err(escapeControls(formatFinding(file === '-' ? '<stdin>' : file, f)) + '\n');
  }
}
