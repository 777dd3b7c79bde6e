// Reading a ruleset file for a command: I/O problems are reported as such
// (exit 2), parse problems as findings in the FILE:LINE:COL format.
import { inferFamily, parseFamily, parseRuleset, parseRulesetModelPieces, parseRulesetPieces, parseRulesetTexts, formatFinding, type Family, type Finding, type ParseResult, type ReuseOptions, type TextsResult } from '../../core/index.js';
import { str, UsageError, type OptionDef, type ParsedArgs } from '../args.js';
import { escapeControls, type CliIO } from '../io.js';
import { ReadFailure, type PieceState } from '../read-pieces.js';
import { clipTokens } from '../../core/clip.js';

type Loaded = { ok: true; file: string; result: ParseResult } | { ok: false; exit: number };

/** `--family 4|6` as every ruleset command takes it. */
export const FAMILY_OPTION: Record<'family', OptionDef> = { family: { type: 'string' } };

/** The family given with --family; undefined when not given (then it is inferred per file). */
export function familyArg(args: ParsedArgs): Family | undefined {
  const v = str(args, 'family');
  if (v === undefined) return undefined;
  const f = parseFamily(v);
  if (!f) throw new UsageError(`--family is 4 (iptables) or 6 (ip6tables), not "${v}"`);
  return f;
}

/**
 * The family to read a file as: the one given, else the one its name or content
 * leaves no doubt about (IPv6 is said on stderr, with how to override it), else IPv4.
 */
export function resolveFamily(io: CliIO, file: string, text: string, given: Family | undefined): Family {
  if (given) return given;
  const guess = inferFamily(text, file);
  if (guess?.family === 'ipv6') noteIPv6(io, file, guess.reason);
  return guess?.family ?? 'ipv4';
}

function noteIPv6(io: CliIO, file: string, reason: string): void {
  io.err(`${escapeControls(file === '-' ? '<stdin>' : file)}: note: read as an IPv6 (ip6tables) ruleset: ${reason} (--family 4 reads it as IPv4)\n`);
}

/**
 * The file read into the model. `keepLines` false for a command that writes
 * nothing back (lint): the result's `lines` then hold only what the lint reads
 * of them (see ParseOptions), and the file is read in pieces (never its whole
 * text or bytes at once) when it can be.
 */
export function loadRuleset(io: CliIO, file: string, family?: Family, keepLines = true): Loaded {
  if (!keepLines && io.readPieces && file !== '-') {
    let r;
    try {
      r = parseRulesetModelPieces(() => io.readPieces!(file), { family, fileName: file });
    } catch (e) {
      if (!(e instanceof ReadFailure)) throw e;
      io.err(`${escapeControls(file)}: error: cannot read the file: ${readProblem(e.reason)}\n`);
      return { ok: false, exit: 2 };
    }
    if (r.guess?.family === 'ipv6' && !family) noteIPv6(io, file, r.guess.reason);
    return { ok: true, file, result: r.result };
  }
  const text = readText(io, file);
  if (text === null) return { ok: false, exit: 2 };
  return { ok: true, file, result: parseRuleset(text, { family: resolveFamily(io, file, text, family), keepLines }) };
}

/**
 * loadRuleset for commands that print or compare canonical text only (canon, diff): no model is kept, nor the file's whole text.
 * With `spans` (canon), lines that are their own canonical text may be kept as
 * where they are in the file (ChainTexts.parts): `spans` then says of which file.
 * `reuse`: the diff's two files (see diff-reuse.ts); `again`: the file was
 * loaded before (the family note is not said twice).
 */
export function loadRulesetTexts(io: CliIO, file: string, family?: Family, spans?: PieceState, { reuse, again = false }: { reuse?: ReuseOptions; again?: boolean } = {}):
  { ok: true; result: TextsResult } | { ok: false; exit: number } {
  const quietIO = again ? { ...io, err: () => {} } : io;
  if (io.readPieces && file !== '-') {
    let r;
    try {
      r = parseRulesetPieces(() => io.readPieces!(file, spans), { family, fileName: file, spans: spans && (() => spans.bytes), reuse });
    } catch (e) {
      if (!(e instanceof ReadFailure)) throw e;
      io.err(`${escapeControls(file)}: error: cannot read the file: ${readProblem(e.reason)}\n`);
      return { ok: false, exit: 2 };
    }
    if (r) {
      if (r.guess?.family === 'ipv6' && !family) noteIPv6(quietIO, file, r.guess.reason);
      return { ok: true, result: r.result };
    }
    // commands that need the model: the whole text, as below
  }
  const text = readText(io, file);
  if (text === null) return { ok: false, exit: 2 };
  return { ok: true, result: parseRulesetTexts(text, { family: resolveFamily(quietIO, file, text, family), reuse }) };
}

/** The file's text, or null after saying why it could not be read. */
function readText(io: CliIO, file: string): string | null {
  try {
    return io.readFile(file);
  } catch (e) {
    io.err(`${escapeControls(file)}: error: cannot read the file: ${readProblem(e)}\n`);
    return null;
  }
}

/** Why a file could not be read, in words (every command says it the same way). */
export function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : escapeControls(String((e as Error).message));
}

/**
 * Findings on stderr, one per line. The same warning on many lines (an ipset
 * named by 5,000 Calico rules, a user looked up by every owner match) is shown
 * on its first REPEATS_SHOWN lines and then folded into one line saying how
 * many more there are; verbose (`check --verbose`) lists every one.
 */
export function printFindings(io: CliIO, file: string, findings: readonly Finding[], verbose = false): void {
  const name = file === '-' ? '<stdin>' : file;
  const seen = new Map<string, { count: number; lines: number[] }>();
  for (const f of findings) {
    if (f.severity === 'info' && !verbose) continue;
    if (!verbose && f.severity === 'warning') {
      const key = `${f.code}\0${f.message}`;
      const s = seen.get(key) ?? { count: 0, lines: [] };
      seen.set(key, s);
      if (++s.count > REPEATS_SHOWN) {
        s.lines.push(f.line);
        continue;
      }
    }
    io.err(escapeControls(formatFinding(name, f)) + '\n');
  }
  for (const [key, s] of seen) {
    if (s.lines.length === 0) continue;
    const first = s.lines.slice(0, 3).join(', ');
    const message = key.slice(key.indexOf('\0') + 1);
    io.err(escapeControls(`${name}: warning: the same warning on ${s.lines.length} more line${s.lines.length === 1 ? '' : 's'} (${first}${s.lines.length > 3 ? ', …' : ''}): ${clipTokens(message)}`) + '\n');
  }
}

const REPEATS_SHOWN = 3;
