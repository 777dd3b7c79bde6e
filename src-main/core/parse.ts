// Reading a ruleset file the way iptables-restore does (iptables 1.8, legacy):
// `*table`, `:chain policy [p:b]`, command lines, `COMMIT`, `#` comments. Every
// problem becomes a finding on the line iptables-restore names; unlike
// iptables-restore we go on after an error, so one run shows every problem.
import { clipTokens } from './clip.js';
import './extensions/index.js';
import type { Chain, Counters, DisabledRule, Family, Rule, Ruleset, Table, TableName } from './model.js';
import { isTableName, newTable } from './model.js';
import type { Finding, FindingCode } from './findings.js';
import { splitWords, tokenizeLine } from './tokenize.js';
import { checkChainName, parseCommandRecorded, parseCommandTexts, parseCommandWords, RuleError, RuleTemplates, type Command, type CommandEnv } from './rule-parser.js';
import { appendedAlike, appendedAlikeAs, appendedJump, appendedKind, checkAppended, Kept, lastAlikeOf, newAppendedChecks, validateTable, type AppendedChecks } from './validate.js';
import { canonicalRuleAddresses, canonicalRuleBody, canonicalRuleInterfaces, canonicalRuleRest } from './canonical.js';
import { CanonLines, flat, LineBytes, ownCopy, rulesetTexts, type ChainTexts, type RulesetTexts } from './ruleset-texts.js';
import { FamilyScan, type FamilyGuess } from './family.js';
import { ModelInterner, exactRules } from './model-intern.js';
import { OldChain, OldLines, OldSource, type LineCheck } from './diff-reuse.js';
import { TakenLines } from './diff-taken.js';
import type { CanonOf, LineTemplate, ValueWords } from './line-templates.js';

export interface ParseOptions {
  family?: Family;
  /**
   * false: `lines` holds only the lines that mention nth (the lint's fix for
   * -m nth reads them), each at its place in an array as long as the file —
   * for a caller that writes nothing back (the CLI's lint), so the file's
   * lines and text need not be kept as long as the model.
   */
  keepLines?: boolean;
  /**
   * Called every few thousand lines of a file read whole: throw from it to give
   * the parse up there (the app's analysis worker: the page cancelled the job,
   * its thread is free for the next one instead of reading on for seconds).
   */
  stop?: () => void;
}

export interface ParseResult {
  ruleset: Ruleset;
  findings: Finding[];
  /** the file's lines without their line ends, for the preserving writer */
  lines: string[];
  /** the file ends with a line end (the last COMMIT needs one) */
  finalNewline: boolean;
}

interface TableState {
  table: Table;
  chains: Map<string, Chain>;
  /** line of the `*table` header */
  line: number;
  /** what the rule parser needs of the table, one per table rather than per line */
  env: CommandEnv;
  /** the commit checks done as rules were appended; null once a command did more than append */
  checks: AppendedChecks | null;
  /** lines that differ only in their addresses, parsed once (cleared whenever the table's chains change) */
  templates: RuleTemplates;
}

const COUNTERS_RE = /^\[(\d+):(\d+)\]$/;
const NO_RULES: never[] = [];
Object.freeze(NO_RULES);
const BUILTIN_NAMES: ReadonlySet<string> = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * The first three words of a `:NAME POLICY [p:b]` line (after the colon) into
 * `out`, '' for those it lacks: what split(/[ \t]+/) gives, without an array
 * and a regular expression per line (a kube-proxy table declares 37,000 chains).
 */
function declarationWords(raw: string, out: string[]): void {
  let i = 1;
  const n = raw.length;
  for (let k = 0; k < 3; k++) {
    while (i < n && (raw.charCodeAt(i) === 32 || raw.charCodeAt(i) === 9)) i++;
    const start = i;
    while (i < n && raw.charCodeAt(i) !== 32 && raw.charCodeAt(i) !== 9) i++;
    out[k] = raw.slice(start, i);
  }
}

export function parseRuleset(text: string, opts: ParseOptions = {}): ParseResult {
  if (opts.keepLines === false) {
    // no array of the file's lines (nor the text they would keep alive)
    const reader = new RulesetReader(opts.family ?? 'ipv4', false, false, undefined, true);
    const count = reader.readText(text);
    const findings = reader.finish(count);
    exactRules(reader.ruleset);
    return { ruleset: reader.ruleset, findings, lines: nthLines(text, count), finalNewline: text === '' || text.endsWith('\n') };
  }
  const lines = text.split('\n');
  const finalNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  const reader = new RulesetReader(opts.family ?? 'ipv4', false);
  reader.readLines(lines, finalNewline, opts.stop);
  return { ruleset: reader.ruleset, findings: reader.finish(lines.length), lines, finalNewline };
}

/** The lines of the text that contain `nth`, at their places (own copies, not views into the text); the rest are holes. */
function nthLines(text: string, count: number): string[] {
  const out: string[] = [];
  out.length = count;
  let lineNo = 0;
  let from = 0;
  for (let at = text.indexOf('nth'); at >= 0; at = text.indexOf('nth', at + 3)) {
    const start = text.lastIndexOf('\n', at) + 1;
    if (start < from) continue; // the line is already kept
    for (let k = text.indexOf('\n', from); k >= 0 && k < start; k = text.indexOf('\n', k + 1)) lineNo++;
    from = start;
    const end = text.indexOf('\n', at);
    out[lineNo] = ownCopy(text.slice(start, end < 0 ? text.length : end));
  }
  return out;
}

/**
 * parseRuleset(text, { keepLines: false }) over a file read in pieces, as
 * parseRulesetPieces reads them (the family inferred the same way): the model
 * without the file's bytes or whole text ever held (lint: 5 MB of text for a
 * 100,000-rule blocklist lived in the old generation until the lint's full GC).
 */
export function parseRulesetModelPieces(read: () => Iterable<string>, opts: { family?: Family; fileName?: string } = {}): { result: ParseResult; guess: FamilyGuess | null } {
  const name = opts.fileName;
  const first = opts.family ?? FamilyScan.byName(name);
  const scan = opts.family ? null : new FamilyScan();
  const asFirst = scan && (() => (scan.guess(name)?.family ?? 'ipv4') === first);
  const r = readModelPieces(read(), first, scan, asFirst);
  const guess = scan ? scan.guess(name) : null;
  const family = opts.family ?? guess?.family ?? 'ipv4';
  return { result: r !== null && family === first ? r : readModelPieces(read(), family, null, null)!, guess };
}

/** readPieces for the model (see parseRulesetModelPieces); null when `asFirst` said no at some point. */
function readModelPieces(pieces: Iterable<string>, family: Family, scan: FamilyScan | null, asFirst: (() => boolean) | null): ParseResult | null {
  const reader = new RulesetReader(family, false, false, undefined, true);
  const lines: string[] = []; // the lines with `nth` (see nthLines)
  let reading = true;
  let count = 0;
  let finalNewline = true;
  const part = (text: string, end: boolean) => {
    scan?.add(text);
    if (reading && asFirst && !asFirst()) reading = false;
    if (!reading) return;
    const from = count;
    count = reader.readPart(text, count, end);
    if (text.includes('nth')) nthLines(text, count - from).forEach((l, k) => { lines[from + k] = l; });
  };
  inRuleParts(pieces, part, (piece) => {
    if (piece !== '') finalNewline = piece.endsWith('\n');
  });
  if (!reading) return null;
  const findings = reader.finish(count);
  exactRules(reader.ruleset);
  lines.length = count;
  return { ruleset: reader.ruleset, findings, lines, finalNewline };
}

export interface TextsResult {
  findings: Finding[];
  family: Family;
  /** each chain's rules as canonical `-A CHAIN …` lines (what `canon` and `diff` print) */
  texts: RulesetTexts;
  /** with `reuse.record`: the lines a diff's other file can take from this one (none from a file with errors) */
  old?: OldLines | null;
  /** with `reuse.from`: how many lines were taken from there */
  reused?: number;
}

/**
 * The diff's two files (see diff-reuse.ts): `record` keeps what the reader
 * learnt of each line for another file's reader; `from` is what one kept.
 */
export interface ReuseOptions {
  record?: boolean;
  from?: OldLines | null;
}

/**
 * The file read for its canonical texts only: the same findings as
 * parseRuleset, but each rule is turned into its canonical line as it is read
 * and not kept, so 100,000 rules cost their text rather than their model
 * (`portcullis canon` and `diff` need nothing else). A file that does more than
 * append rules (-I, -D, -R, -E, -X, -F …, lines iptables skips) is read again
 * with parseRuleset, whose model those commands work on.
 */
export function parseRulesetTexts(text: string, opts: ParseOptions & { reuse?: ReuseOptions } = {}): TextsResult {
  const family = opts.family ?? 'ipv4';
  const reader = new RulesetReader(family, true, false, opts.reuse);
  try {
    const count = reader.readText(text);
    return reader.textsResult(count);
  } catch (e) {
    if (e !== NEEDS_MODEL) throw e;
    const r = parseRuleset(text, opts);
    return { findings: r.findings, family, texts: rulesetTexts(r.ruleset) };
  }
}

/**
 * null when the file does more than append rules: then read it whole and use
 * parseRulesetTexts (which reads it with parseRuleset), as inferFamily says.
 */
type PiecesResult = {
  result: TextsResult;
  /** without a family given: what the name and content say (inferFamily); the family read is guess?.family ?? 'ipv4' */
  guess: FamilyGuess | null;
} | null;

interface PiecesOptions {
  family?: Family;
  fileName?: string;
  /**
   * Asked after each piece is given: are the pieces so far the file's bytes one
   * for one (all ASCII, no byte order mark)? While it says so, a rule line that
   * is its own canonical text is kept as where it is in the file (start and end
   * of its bytes, ChainTexts.parts) instead of as text: `canon` copies those
   * bytes from the file to its output. Without it, texts only.
   */
  spans?: () => boolean;
  reuse?: ReuseOptions;
}

/**
 * parseRulesetTexts over a file read in pieces of any size (`read()` gives them
 * from the start; the file's text is their concatenation), so that a file of
 * 100,000 rules is never held whole: only its canonical texts are kept. The
 * same findings and texts as parseRulesetTexts of the whole text. Without
 * `family` it is inferred as inferFamily does, on the same pieces: the file is
 * read as its name suggests until the content so far says otherwise, then only
 * scanned, and read again as the family its whole content gives.
 */
export function parseRulesetPieces(read: () => Iterable<string>, opts: PiecesOptions = {}): PiecesResult {
  const name = opts.fileName;
  const first = opts.family ?? FamilyScan.byName(name);
  const scan = opts.family ? null : new FamilyScan();
  // would the file be read as `first` if it ended here?
  const asFirst = scan && (() => (scan.guess(name)?.family ?? 'ipv4') === first);
  const spans = opts.spans ?? null;
  const r = readPieces(read(), first, scan, asFirst, spans, opts.reuse);
  if (r === NEEDS_MODEL) return null;
  const guess = scan ? scan.guess(name) : null;
  const family = opts.family ?? guess?.family ?? 'ipv4';
  const result = r !== null && family === first ? r : readPieces(read(), family, null, null, spans, opts.reuse);
  return result === NEEDS_MODEL || result === null ? null : { result, guess };
}

/** The pieces read as `family`; null when `asFirst` said no at some point (the rest was only scanned). */
function readPieces(pieces: Iterable<string>, family: Family, scan: FamilyScan | null, asFirst: (() => boolean) | null,
  spans: (() => boolean) | null, reuse?: ReuseOptions): TextsResult | typeof NEEDS_MODEL | null {
  const reader = new RulesetReader(family, true, spans !== null, reuse);
  let reading = true;
  let count = 0;
  // characters of the file before `carry`: its offset while the pieces are its bytes
  let offset = 0;
  const part = (text: string, end: boolean) => {
    scan?.add(text);
    if (reading && asFirst && !asFirst()) reading = false;
    if (reading) count = reader.readPart(text, count, end, spans?.() ? offset : -1);
    offset += text.length;
  };
  try {
    inRuleParts(pieces, part);
  } catch (e) {
    if (e !== NEEDS_MODEL) throw e;
    return NEEDS_MODEL;
  }
  return reading ? reader.textsResult(count) : null;
}

/**
 * text.lastIndexOf('\n-A ') for text = carry + piece, where the carry (of
 * carryLength characters, the last 3 of them `tail`) holds none: it is what
 * followed the last one. The piece and the seam are searched, not the carry
 * again: a file's chain declarations (37,000 in a kube-proxy nat table, 1 MB
 * without a rule) were a carry flattened and searched again for every 16 KB
 * piece, quadratic (40 MB of copies).
 */
/**
 * The pieces handed on as parts of whole lines: each part ends with the last
 * line before an `-A ` line (the rest waits for the next piece, see
 * FamilyScan), `part(text, false)`; what is left at the end, `part(rest, true)`.
 * `each` sees every piece as it comes.
 */
function inRuleParts(pieces: Iterable<string>, part: (text: string, end: boolean) => void, each?: (piece: string) => void): void {
  let carry = '';
  /** carry's last 3 characters (carry may be a long concatenation: reading it would flatten it) */
  let tail = '';
  for (const piece of pieces) {
    each?.(piece);
    const text = carry === '' ? piece : carry + piece;
    const cut = lastRuleStart(carry.length, tail, piece);
    if (cut < 0) {
      carry = text;
      tail = piece.length >= 3 ? piece.slice(-3) : (tail + piece).slice(-3);
      continue;
    }
    carry = text.slice(cut + 1);
    tail = carry.slice(-3);
    part(text.slice(0, cut + 1), false);
  }
  part(carry, true);
}

function lastRuleStart(carryLength: number, tail: string, piece: string): number {
  const at = piece.lastIndexOf('\n-A ');
  if (at >= 0 || carryLength === 0) return at < 0 ? -1 : carryLength + at;
  const s = (tail + piece.slice(0, 3)).lastIndexOf('\n-A ');
  return s < 0 ? -1 : carryLength - tail.length + s;
}

/** Texts mode: a chain's canonical lines so far (`parts` with spans, see ChainTexts), and how many rules they are. */
interface ChainSink {
  head: string;
  texts: string[];
  parts: CanonLines | null;
  count: number;
  /** with reuse.record: what the diff's new file may take of these lines (diff-reuse.ts); `texts` stays empty */
  old: OldChain | null;
  /** with reuse.from: the lines taken from the old file (`texts` has the others) */
  taken: TakenLines | null;
}

/** a span's end is an Int32 (CanonLines): a line past 2 GB is kept as text */
const SPAN_MAX = 0x7fffffff;

/** Thrown by a texts-only reader at a command that needs the model (see parseRulesetTexts). */
const NEEDS_MODEL: unique symbol = Symbol('needs the model');

/**
 * The reader of one file, line by line: each kind of line (table header, chain
 * declaration, command, comment, COMMIT) is one method. A class rather than
 * closures in parseRuleset: the state is shared by every step, and the steps
 * stay small and named.
 */
class RulesetReader {
  readonly findings: Finding[] = [];
  readonly ruleset: Ruleset;
  /** the table being read (null between COMMIT and the next *table) */
  private cur: TableState | null = null;
  private crlfReported = false;
  /** a run of lines outside any table gets one finding */
  private outside: { finding: Finding; last: number } | null = null;
  private lastContentLine = 0;
  // each command line's words, reused from line to line
  private readonly texts: string[] = [];
  private readonly starts: number[] = [];
  /** a declaration's name, policy and counters, reused from line to line */
  private readonly declared: string[] = ['', '', ''];

  /** texts-only mode (parseRulesetTexts): each chain's canonical rule lines, instead of its rules */
  private readonly sink: Map<Chain, ChainSink> | null;
  /** texts mode with spans (PiecesOptions.spans): lines that are their own canonical text are kept as spans of the file */
  private readonly spans: boolean;
  /** with spans: the canonical lines that are not the file's, as bytes (see LineBytes) */
  private readonly lineBytes: LineBytes | null;
  /** the file offset of the line being read and of its end (after its line end); -1 when not known */
  private lineAt = -1;
  private lineEnd = -1;
  /** the line commandLine has now was scanned for a LineTemplate (one can be learnt from it) */
  private scanned = false;
  /** readPart scanned the line for a LineTemplate already (fastLine): commandLine does not again */
  private triedFast = false;
  private lastRest: Pick<Rule, 'matches' | 'target' | 'proto' | 'fragment'> & { text: string } | null = null;
  /** model mode: equal matches and targets of different rules become one object (see model-intern.ts) */
  private readonly interner: ModelInterner | null;
  /** texts mode, reuse.record: each rule line is recorded for another file's reader, with the file's text */
  private readonly recording: boolean;
  private readonly source: OldSource | null;
  /** with recording: where the line being read is in `source` */
  private recAt = 0;
  private recEnd = 0;
  /** texts mode, reuse.from: the lines of another file this one may take (see diff-reuse.ts) */
  private readonly oldLines: OldLines | null;
  /** lines taken from oldLines; -1 when none were offered */
  private reused: number;
  /** after fromOld took several lines: where the last of them is in the part (readPart goes on after its line end) */
  private takenEnd = 0;
  /** the line being parsed asked for a chain the table does not have (its reading depends on that) */
  private askedAbsent = false;

  /** own: model mode, the file's text is not kept with the model (keepLines false): no view into it is kept either (see ModelInterner) */
  constructor(family: Family, textsOnly: boolean, spans = false, reuse?: ReuseOptions, private readonly own = false) {
    this.ruleset = { family, tables: [] };
    this.sink = textsOnly ? new Map() : null;
    this.spans = textsOnly && spans;
    this.lineBytes = this.spans ? new LineBytes() : null;
    this.interner = textsOnly ? null : new ModelInterner(own);
    // the diff keeps texts, never spans (canon's)
    this.recording = textsOnly && !spans && reuse?.record === true;
    this.source = this.recording ? new OldSource() : null;
    const from = textsOnly && !spans ? reuse?.from : null;
    this.oldLines = from && from.family === family ? from : null;
    this.reused = textsOnly && reuse?.from !== undefined ? 0 : -1;
  }

  readLines(lines: readonly string[], finalNewline: boolean, stop?: () => void): void {
    for (let ln = 0; ln < lines.length; ln++) {
      if (stop && (ln & 2047) === 2047) stop();
      const lineNo = ln + 1;
      const raw = this.cleanLine(lines[ln], lineNo);
      if (raw === '') continue;
      this.readLine(raw, lineNo, ln === lines.length - 1 && !finalNewline);
    }
  }

  /** The lines of `text` (as text.split('\n') without a last empty one), without an array of them; returns how many. */
  readText(text: string): number {
    return this.readPart(text, 0, true);
  }

  /**
   * readText for one part of a file: its lines are numbered from lineNo + 1, and
   * a part that is not the file's end (`end` false) ends with a line end. Returns
   * the number of the part's last line.
   */
  readPart(text: string, lineNo: number, end: boolean, base = -1): number {
    const len = text.length;
    const fast = this.sink !== null;
    const partAt = this.source ? this.source.add(text) : 0;
    let start = 0;
    while (start < len) {
      const nl = text.indexOf('\n', start);
      const stop = nl < 0 ? len : nl;
      ++lineNo;
      this.recAt = partAt + start;
      this.recEnd = partAt + stop;
      // a rule line the diff's old file has (see diff-reuse.ts), or like an earlier one: its canonical
      // text from there, or from a LineTemplate, without a slice of it
      if (fast && text.charCodeAt(start) === 45 /* - */) {
        const taken = this.oldLines !== null ? this.fromOld(text, start, stop, lineNo) : 0;
        if (taken > 1) {
          // the rest of an old chain's lines at once (OldChain.restAt): on after the last of them
          lineNo += taken - 1;
          start = this.takenEnd;
          continue;
        }
        if (taken === 1 || this.fastLine(text, start, stop, lineNo, nl >= 0 ? base : -1)) {
          start = stop + 1;
          continue;
        }
      }
      this.lineAt = base >= 0 && nl >= 0 ? base + start : -1;
      this.lineEnd = base + stop + 1;
      const raw = this.cleanLine(text.slice(start, stop), lineNo);
      if (raw !== '') this.readLine(raw, lineNo, nl < 0 && end);
      start = stop + 1;
    }
    this.lineAt = -1;
    return lineNo;
  }

  /** Texts-only mode: the tables read, each chain with its canonical rule lines. */
  textsOf(): RulesetTexts {
    const sink = this.sink!;
    return {
      tables: this.ruleset.tables.map((t) => ({
        name: t.name,
        chains: t.chains.map((c) => {
          const to = sink.get(c);
          const policy = c.builtin ? (c.policy ?? 'ACCEPT') : null;
          const lines = to?.texts ?? [];
          // one literal per case, not a spread of one into another: V8 gave each spread copy a
          // hidden class of its own (37,000 kube-proxy chains: ~9 MB of maps and descriptors)
          const texts: ChainTexts = this.spans
            ? { name: c.name, builtin: c.builtin, policy, texts: lines, parts: to?.parts ?? new CanonLines() }
            : { name: c.name, builtin: c.builtin, policy, texts: lines };
          if (to?.taken) texts.taken = { lines: to.taken, count: to.count };
          return texts;
        }),
      })),
    };
  }

  /** Texts-only mode, after the last line: findings, texts and what reuse asked for. */
  textsResult(lineCount: number): TextsResult {
    const findings = this.finish(lineCount);
    // the diff keeps both files' texts: arrays of their length (a push leaves room; 36,000 small kube-proxy chains)
    // a file with errors offers nothing: its lines' texts then are made as without recording
    const offer = this.recording && !findings.some((f) => f.severity === 'error');
    if (this.recording || this.oldLines) {
      for (const to of this.sink!.values()) {
        if (to.old && offer) to.old.seal();
        else if (to.old) to.texts = to.old.texts();
        else to.texts = to.texts.slice();
      }
    }
    const r: TextsResult = { findings, family: this.ruleset.family, texts: this.textsOf() };
    if (this.recording) r.old = offer ? this.oldLinesOf() : null;
    if (this.reused >= 0) r.reused = this.reused;
    return r;
  }

  /** With reuse.record: the lines of each table's chains for another file's reader. */
  private oldLinesOf(): OldLines {
    const tables = new Map<TableName, Map<string, OldChain>>();
    for (const t of this.ruleset.tables) {
      const chains = new Map<string, OldChain>();
      for (const c of t.chains) {
        const old = this.sink!.get(c)?.old;
        if (old) chains.set(c.name, old);
      }
      tables.set(t.name, chains);
    }
    return new OldLines(this.ruleset.family, tables);
  }

  /** After the last line: close an open table, drop scratch tables, findings in line order. */
  finish(lineCount: number): Finding[] {
    const cur = this.cur;
    if (cur) {
      this.err(lineCount + 1, `COMMIT expected at line ${lineCount + 1}`, 'missing-commit', `end the *${cur.table.name} table with a COMMIT line`);
      this.commitTable(cur, lineCount + 1);
      this.cur = null;
    }
    // Tables opened on a bad header line were only there to check the rest.
    this.ruleset.tables = this.ruleset.tables.filter((t) => !scratch.has(t));
    return this.findings.sort((a, b) => a.line - b.line || (a.col ?? 0) - (b.col ?? 0));
  }

  private err(line: number, message: string, code: FindingCode = 'syntax', fix?: string, col?: number): void {
    this.findings.push({ code, severity: 'error', line, col, message: clipTokens(message), fix: fix === undefined ? undefined : clipTokens(fix), table: this.cur?.table.name });
  }

  /** The line as iptables-restore reads it: cut at a NUL, without a CR (each said once, as findings). */
  private cleanLine(raw: string, lineNo: number): string {
    const nul = raw.indexOf('\0');
    if (nul >= 0) {
      // iptables-restore reads lines with fgets and C strings: a NUL ends the
      // line there and what follows is silently dropped. Refuse it (a file
      // written back would keep the NUL), and check the line as iptables reads it.
      const rest = raw.slice(nul + 1).replace(/\0/g, '\\0').trim();
      this.err(lineNo, `a NUL byte at column ${nul + 1}: iptables-restore stops reading the line there${rest ? `, so \`${rest}' after it is ignored` : ''}`,
        'nul-byte', 'remove the NUL byte (tr -d \'\\000\' < FILE) and check what the line should say', nul + 1);
      raw = raw.slice(0, nul);
    }
    if (raw.endsWith('\r')) {
      if (!this.crlfReported) {
        this.crlfReported = true;
        this.err(lineNo, 'the file has Windows line endings (CRLF); iptables-restore reads the \\r as part of each line and fails',
          'crlf', "convert the file to Unix line endings (dos2unix FILE, or sed -i 's/\\r$//' FILE)", raw.length);
      }
      // said once: the rest is checked as it reads after dos2unix, so that the
      // file's own mistakes show instead of the same \r error on every line
      raw = raw.slice(0, -1);
    }
    return raw;
  }

  /** One non-empty line. `isLast`: the file's last line, without a line end after it. */
  private readLine(raw: string, lineNo: number, isLast: boolean): void {
    const cur = this.cur;
    if (raw[0] === '#') {
      if (cur) this.maybeDisabledRule(cur, raw, lineNo);
      return;
    }
    if (raw === 'COMMIT' && cur && !isLast) {
      this.commitTable(cur, lineNo);
      this.cur = null;
      return;
    }
    if (raw[0] === '*' && !isLast && cur) return this.tableWithoutCommit(cur, raw, lineNo);
    if (raw[0] === '*' && !cur) return this.tableHeader(raw, lineNo);
    if (!cur) return this.outsideTable(raw, lineNo, isLast);
    this.lastContentLine = lineNo;
    if (raw[0] === ':') return this.declareChain(cur, raw, lineNo);
    if (raw === 'COMMIT' && isLast) {
      this.err(lineNo, "Bad argument `COMMIT'", 'missing-newline', 'end the file with a newline after the last COMMIT', 1);
      this.commitTable(cur, lineNo);
      this.cur = null;
      return;
    }
    this.commandLine(cur, raw, lineNo);
  }

  /** `*table` while another table is open. */
  private tableWithoutCommit(cur: TableState, raw: string, lineNo: number): void {
    // iptables-restore stops here ("Bad argument `*nat'"); we say why, close
    // the open table as if COMMIT had been there and go on in the new one,
    // so the rest of the file is checked in the right table
    const name = raw.slice(1).split(/[ \t]/).find((x) => x !== '') ?? '';
    this.err(lineNo, `Bad argument \`${raw.split(/[ \t]/)[0]}': the *${cur.table.name} table (line ${cur.line}) has no COMMIT before this table starts`,
      'missing-commit', `add a COMMIT line before line ${lineNo}`, 1);
    this.commitTable(cur, lineNo);
    this.cur = null;
    this.cur = isTableName(name) ? this.openTable(name, lineNo, false) : this.openTable('filter', lineNo, true);
  }

  /** `*table` between tables. */
  private tableHeader(raw: string, lineNo: number): void {
    const name = raw.slice(1).split(/[ \t]/).find((x) => x !== '') ?? '';
    if (!name) return this.err(lineNo, 'table name invalid', 'syntax', 'write the table as *filter, *nat, *mangle, *raw or *security');
    if (!isTableName(name)) {
      const cr = name.endsWith('\r');
      this.err(lineNo, `unable to initialize table '${name.replace(/\r/g, '\\r')}'`, cr ? 'crlf' : 'unknown-table',
        cr ? "convert the file to Unix line endings (dos2unix FILE)" : 'the tables are filter, nat, mangle, raw and security', 2);
      // keep going in a scratch table so the rest of the file is still checked
      this.cur = this.openTable('filter', lineNo, true);
      return;
    }
    this.cur = this.openTable(name, lineNo, false);
  }

  /** A line that is neither a comment nor a table header, with no table open. */
  private outsideTable(raw: string, lineNo: number, isLast: boolean): void {
    const outside = this.outside;
    if (raw === 'COMMIT' && isLast) {
      this.err(lineNo, "Bad argument `COMMIT'", 'missing-newline', 'end the file with a newline after the last COMMIT', 1);
    } else if (outside && outside.last === this.lastContentLine) {
      // one finding for a whole run of lines outside any table
      outside.last = lineNo;
      outside.finding.message = `lines ${outside.finding.line}–${lineNo} are outside a table: iptables-restore fails at line ${outside.finding.line}`;
    } else {
      this.err(lineNo, `line ${lineNo} failed: ${raw[0] === '*' ? 'table' : 'rule'} outside a table`, 'syntax',
        'start the table with a *filter (or *nat, *mangle, *raw, *security) line and end it with COMMIT', 1);
      this.outside = { finding: this.findings[this.findings.length - 1], last: lineNo };
    }
    this.lastContentLine = lineNo;
  }

  private openTable(name: TableName, line: number, isScratch: boolean): TableState {
    const rs = this.ruleset;
    const table = newTable(name, { line });
    if (isScratch) scratch.add(table);
    else {
      // A second *filter replaces the first: iptables-restore flushes the table.
      const at = rs.tables.findIndex((t) => t.name === name);
      if (at >= 0) rs.tables.splice(at, 1, table);
      else rs.tables.push(table);
    }
    const chains = new Map(table.chains.map((c) => [c.name, c]));
    const isChain = (n: string) => {
      if (chains.has(n)) return true;
      this.askedAbsent = true;
      return false;
    };
    return { table, chains, line, env: { table: name, isChain, family: rs.family }, checks: newAppendedChecks(), templates: new RuleTemplates() };
  }

  /** `:NAME POLICY [packets:bytes]` */
  private declareChain(st: TableState, raw: string, line: number): void {
    const parts = this.declared;
    declarationWords(raw, parts);
    const name = parts[0];
    const policy = parts[1];
    const ctrs = parts[2];
    if (!name) return this.err(line, 'chain name invalid', 'syntax', 'write :NAME POLICY [0:0]', 1);
    if (name.length >= 29) return this.err(line, `Invalid chain name \`${name}' (28 chars max)`, 'invalid-argument', undefined, 2);
    st.templates.clear();
    const chain = this.declaredChain(st, name, line);
    if (!chain) return;
    if (!policy) return this.err(line, `policy invalid for chain '${name}'`, 'missing-argument', `write :${name} ${chain.builtin ? 'ACCEPT' : '-'} [0:0]`);
    if (ctrs !== '') {
      // texts mode prints no counters (`canon --counters` reads the model): there they are checked, not kept
      const m = this.sink ? (ctrs === '[0:0]' || COUNTERS_RE.test(ctrs)) : COUNTERS_RE.exec(ctrs);
      if (m && m !== true) chain.counters = { packets: BigInt(m[1]), bytes: BigInt(m[2]) };
      else if (!m)
        this.findings.push({ code: 'invalid-argument', severity: 'warning', line, message: `invalid policy counters for chain '${name}': ${ctrs}`,
          fix: 'write counters as [packets:bytes], e.g. [0:0]', table: st.table.name, chain: name });
    }
    if (policy !== '-') this.setDeclaredPolicy(chain, policy, raw, line);
  }

  /** The chain a `:NAME` line declares: a new user chain, or the builtin one it names (undefined after an error). */
  private declaredChain(st: TableState, name: string, line: number): Chain | undefined {
    let chain = st.chains.get(name);
    if (!chain) {
      try {
        if (!BUILTIN_NAMES.has(name)) checkChainName(name, 0);
      } catch (e) {
        if (e instanceof RuleError) return void this.err(line, `error creating chain '${name}': ${e.message}`, e.code, undefined, 2);
        throw e;
      }
      // the name outlives the file's text (see ownCopy); the map's key is the same string
      // texts mode keeps no rules in chains (the sink has their lines): one frozen empty array, not two per chain (57,000 in a deep tree)
      const none = this.sink ? NO_RULES : null;
      chain = { name: ownCopy(name), builtin: false, policy: null, counters: null, rules: none ?? [], disabled: none ?? [], source: { line } };
      st.chains.set(chain.name, chain);
      st.table.chains.push(chain);
    } else if (!chain.builtin) {
      return void this.err(line, `error creating chain '${name}': Chain already exists`, 'duplicate-chain', 'remove the second declaration', 2);
    } else {
      chain.source = { line };
    }
    return chain;
  }

  private setDeclaredPolicy(chain: Chain, policy: string, raw: string, line: number): void {
    const name = chain.name;
    if (!chain.builtin) {
      return this.err(line, `Can't set policy \`${policy}' on \`${name}' line ${line}: Bad built-in chain name`, 'invalid-argument',
        `user chains have no policy: write :${name} - [0:0]`, raw.indexOf(policy, 1 + name.length) + 1);
    }
    if (policy !== 'ACCEPT' && policy !== 'DROP') {
      return this.err(line, `Can't set policy \`${policy}' on \`${name}' line ${line}: Bad policy name`, 'invalid-argument',
        'a policy is ACCEPT or DROP', raw.indexOf(policy, 1 + name.length) + 1);
    }
    chain.policy = policy;
  }

  /** `[packets:bytes] -A CHAIN …` and every other command. */
  private commandLine(st: TableState, raw: string, line: number): void {
    // texts mode: a line like an earlier one but for its addresses (the scan is kept for learning one)
    this.scanned = false;
    if (this.triedFast) {
      // fastLine scanned this very line and found no template that makes it (or one that cannot)
      this.triedFast = false;
      this.scanned = st.templates.lineTemplates.scan.count > 0;
    } else if (this.sink && templatesOn(st) && raw.charCodeAt(0) !== 91 /* [ */ && this.fromTemplate(st, raw, line)) return;
    let from = 0;
    let counters: Counters | null = null;
    if (raw[0] === '[') {
      const close = raw.indexOf(']');
      const m = close > 0 ? /^\[(\d+):(\d+)\]$/.exec(raw.slice(0, close + 1)) : null;
      if (close < 0) return this.err(line, `Bad line ${line}: need ]`, 'syntax', 'counters are written [packets:bytes]', 1);
      if (!raw.slice(1, close).includes(':')) return this.err(line, `Bad line ${line}: need :`, 'syntax', 'counters are written [packets:bytes]', 1);
      if (m) counters = { packets: BigInt(m[1]), bytes: BigInt(m[2]) };
      from = close + 1;
    }
    const { texts, starts } = this;
    const n = splitWords(raw, from, texts, starts);
    this.askedAbsent = false;
    let parsed;
    try {
      parsed = parseCommandTexts(texts, n, st.env, st.templates);
    } catch (e) {
      if (e instanceof RuleError) return this.err(line, e.message, e.code, e.fix, colOf(starts, n, e.word, from));
      throw e;
    }
    for (const note of parsed.notes) {
      this.findings.push({ code: note.code, severity: note.severity, line, col: colOf(starts, n, note.word, from), message: note.message, fix: note.fix, table: st.table.name });
    }
    const c = parsed.command;
    if (this.interner && 'rules' in c) {
      for (const r of c.rules) {
        // a jump names its chain by the chain's own string (an own copy already, see ownCopy)
        if (this.own && r.target?.chain) r.target.name = st.chains.get(r.target.name)?.name ?? r.target.name;
        this.interner.internRule(r);
      }
    }
    // the common case, -A with one rule, without runCommand's generality
    if (c.kind === 'append' && c.rules.length === 1) {
      const ch = st.chains.get(c.chain);
      if (ch) {
        const r = c.rules[0];
        if (counters && !r.counters) r.counters = counters;
        r.source = { line };
        if (this.sink) {
          this.appendText(st, ch, r, raw);
          if (this.scanned) {
            // a template that swaps its option values too, or (else) its addresses only
            const values = st.templates.lineTemplates.scan.values > 0 && parsed.notes.length === 0 && this.learnValues(st, ch, r, raw, n);
            if (!values && st.templates.templated) this.learnLine(st, ch, r, raw);
          }
          return;
        }
        const index = ch.rules.push(r) - 1;
        if (st.checks) checkAppended(st.checks, st.table, ch, r, index);
        return;
      }
    }
    if (this.sink) throw NEEDS_MODEL;
    new CommandRunner(this, st, line, counters).run(c);
  }

  /** Texts-only mode: rule r appended to ch as its canonical line (the rule itself is not kept). */
  private appendText(st: TableState, ch: Chain, r: Rule, raw: string): void {
    const to = this.sinkOf(ch);
    // the part after the addresses is all the commit checks read of a rule: rules alike in it are checked once
    const rest = this.restOf(r);
    // a jump is kept for the commit's jump checks: by the chain's own name, not the line's word (see ownCopy)
    const tg = r.target;
    if (tg?.chain) tg.name = st.chains.get(tg.name)?.name ?? ownCopy(tg.name);
    const index = to.count++;
    if (to.parts && !to.old) {
      this.partsLine(to.parts, to.head, canonicalRuleAddresses(r), rest, raw);
      if (st.checks) checkAppended(st.checks, st.table, ch, r, index, rest);
      return;
    }
    const text = to.head + canonicalRuleAddresses(r) + rest;
    if (to.old) {
      // recorded: kept by where the line is, and its text only when not the line itself
    } else if (!to.parts) to.texts.push(flat(text));
    // a line of the file that is its own canonical text: kept as where it is (the file's text need not be cleaned: lineEnd says so)
    else if (this.lineAt >= 0 && this.lineEnd <= SPAN_MAX && this.lineEnd - this.lineAt === raw.length + 1 && text === raw) to.parts.span(this.lineAt, this.lineEnd);
    else to.parts.text(flat(text));
    const kept = st.checks ? checkAppended(st.checks, st.table, ch, r, index, rest) : Kept.OTHER;
    // (the line as read is the span less a CR or what followed a NUL: not its text then)
    if (to.old) to.old.record(this.recAt, this.recEnd, text === raw && this.recEnd - this.recAt === raw.length ? null : flat(text), this.askedAbsent ? undefined : this.checkOf(st, to.old, ch, kept, tg));
  }

  /**
   * canon (spans): the canonical line head + addrs + rest into parts without
   * joining it first: a line of the file that is its own canonical text (most
   * of a saved ruleset) is compared piece by piece and kept as where it is,
   * another is written piece by piece (CanonLines.text3). Joined, each line
   * was two concatenations and a flat copy of ~100 bytes for nothing.
   */
  private partsLine(parts: CanonLines, head: string, addrs: string, rest: string, raw: string): void {
    const n = head.length + addrs.length + rest.length;
    // (the file's text need not be cleaned: lineEnd says so)
    if (this.lineAt >= 0 && this.lineEnd <= SPAN_MAX && this.lineEnd - this.lineAt === raw.length + 1 && raw.length === n &&
      raw.startsWith(head) && raw.startsWith(addrs, head.length) && raw.startsWith(rest, n - rest.length)) {
      parts.span(this.lineAt, this.lineEnd);
    } else parts.text3(head, addrs, rest);
  }

  /** Texts mode: where chain ch's canonical lines go. */
  private sinkOf(ch: Chain): ChainSink {
    let to = this.sink!.get(ch);
    if (!to) {
      // with spans every line goes to `parts`: one frozen empty array for all chains' texts (57,000 in a deep tree)
      const texts: string[] = this.spans ? NO_RULES : [];
      const old = this.source ? new OldChain(ch.name, this.source) : null;
      this.sink!.set(ch, (to = { head: `-A ${ch.name}`, texts, parts: this.spans ? new CanonLines(this.lineBytes) : null, count: 0, old, taken: null }));
    }
    return to;
  }

  /** With reuse.record: what the new file's reader does again for a line (diff-reuse.ts); undefined: it cannot. */
  private checkOf(st: TableState, old: OldChain, ch: Chain, kept: Kept, tg: Rule['target']): LineCheck | undefined {
    if (kept === Kept.NOTHING) return null;
    if (kept === Kept.JUMP) return tg!;
    if (kept === Kept.ALIKE) return old.alike(lastAlikeOf(st.checks!, ch)!);
    return undefined;
  }

  /**
   * Texts mode, reuse.from: the line text[from, to) taken from the other
   * file (see diff-reuse.ts) — its canonical text and its commit checks; false
   * when that has no such line, or the line cannot be taken here.
   */
  private fromOld(text: string, from: number, to: number, line: number): number {
    const st = this.cur;
    const checks = st?.checks;
    if (!st || !checks) return 0;
    const old = this.oldLines!.chainOf(st.table.name, text, from, to);
    if (!old) return 0;
    // the first line the new file gives the chain: are all the old chain's lines next, as they were?
    const ch = st.chains.get(old.name);
    const sink = ch && this.sink!.get(ch);
    if (ch && (sink === undefined || sink.count === 0)) {
      const len = old.restAt(text, from);
      const rest = old.length - old.next;
      if (len >= 0 && this.takeRest(st, checks, ch, old, line)) {
        this.takenEnd = from + len + 1;
        return rest;
      }
    }
    const k = old.find(text, from, to);
    if (k < 0 || !ch) return 0;
    if (!this.takeLine(st, checks, ch, old, k, line)) return 0;
    return 1;
  }

  /** Old line k taken as the new file's line `line` of chain ch: false when it cannot be (a jump to a chain this table lacks). */
  private takeLine(st: TableState, checks: AppendedChecks, ch: Chain, old: OldChain, k: number, line: number): boolean {
    const c = old.checkOf(k);
    // a jump to a chain this table does not have reads otherwise (an error)
    const jump = c !== null && 'kind' in c ? c : null;
    if (jump && !st.chains.has(jump.name)) return false;
    const sink = this.sinkOf(ch);
    if (jump) appendedJump(checks, ch, jump, line);
    else if (c !== null && 'key' in c) {
      if (!appendedAlike(checks, ch, sink.count, line, c.key)) appendedAlikeAs(checks, ch, sink.count, line, c.key, c.rule);
    }
    (sink.taken ??= new TakenLines(old)).take(sink.count++, k);
    this.lastContentLine = line;
    this.reused++;
    return true;
  }

  /**
   * The old chain's lines from old.next to its last, equal to the new file's next
   * lines from `line` (OldChain.restAt), taken as takeLine takes each (find
   * would give each in turn); false, with nothing taken, when one of them
   * cannot be (then each goes its own way).
   */
  private takeRest(st: TableState, checks: AppendedChecks, ch: Chain, old: OldChain, line: number): boolean {
    const k0 = old.next;
    const count = old.length - k0;
    for (let x = 0; x < count; x++) {
      const c = old.checkOf(k0 + x);
      if (c !== null && 'kind' in c && !st.chains.has(c.name)) return false;
    }
    for (let x = 0; x < count; x++) this.takeLine(st, checks, ch, old, k0 + x, line + x);
    old.tookRest();
    return true;
  }

  /**
   * Texts mode: a line of a part (text[from, to), `at` its offset in the file
   * or -1) made by a LineTemplate, as fromTemplate does but without a slice of
   * it; false when it goes the usual way (as a command line). After a scan,
   * triedFast tells commandLine that the scan it would do is done.
   */
  private fastLine(text: string, from: number, to: number, line: number, base: number): boolean {
    const st = this.cur;
    if (!st || !templatesOn(st) || !st.checks) return false;
    const lt = st.templates.lineTemplates;
    if (lt.empty) return false;
    const found = lt.find(text, from, to, this.ruleset.family === 'ipv6');
    // a line with a CR or NUL is cleaned first and scanned again
    this.triedFast = !lt.scan.odd;
    const t = found && lt.get(found, text, from, to);
    if (!t || t.checks === 'other') return false;
    const ch = st.chains.get(t.chain);
    const sink = ch && this.sink!.get(ch);
    if (!sink) return false;
    if (t.checks === 'alike' && !this.alikeLine(st.checks, ch, sink.count, line, t)) return false;
    if (t.checks === 'jump') appendedJump(st.checks, ch, t.rule.target!, line);
    this.triedFast = false;
    this.lastContentLine = line;
    sink.count++;
    const parts = sink.parts;
    if (parts && !sink.old) {
      // canon: the line's bytes where they are, or its canonical line written as bytes (no string: LineBytes)
      if (lt.verbatim && base >= 0 && base + to < SPAN_MAX) parts.span(base + from, base + to + 1);
      else if (lt.verbatim) parts.text(text.slice(from, to));
      else {
        const at = parts.bytes ? lt.writeLine(parts.bytes) : -1;
        if (at >= 0) parts.kept(at);
        else parts.text(lt.text);
      }
    } else {
      const made = lt.verbatim ? null : lt.text;
      // the diff's new file: a line of its own is a copy (a slice would keep the part of the file it is in)
      if (sink.old) sink.old.record(this.recAt, this.recEnd, made, this.templateCheck(t, sink.old, ch));
      else sink.texts.push(made ?? (this.oldLines !== null ? ownCopy(text.slice(from, to)) : text.slice(from, to)));
    }
    // RuleTemplates' tally is of its own templates (value templates keep one of their own)
    if (!t.values) st.templates.countHit();
    return true;
  }

  /**
   * Texts mode: the line's canonical text by a LineTemplate (see
   * line-templates.ts), without a rule or its words; false when the line goes
   * the long way (no template, checks that need the rule, an address not read there).
   */
  private fromTemplate(st: TableState, raw: string, line: number): boolean {
    // words split at spaces only (tokenize.ts's plain lines)
    if (raw.indexOf('"') >= 0 || raw.indexOf('\t') >= 0) return false;
    const lt = st.templates.lineTemplates;
    const found = lt.find(raw, 0, raw.length, this.ruleset.family === 'ipv6');
    this.scanned = lt.scan.count > 0;
    const t = found && st.checks && lt.get(found, raw, 0, raw.length);
    if (!t || t.checks === 'other' || !st.checks) return false;
    const ch = st.chains.get(t.chain);
    const to = ch && this.sink!.get(ch);
    if (!to) return false;
    if (t.checks === 'alike' && !this.alikeLine(st.checks, ch, to.count, line, t)) return false;
    if (t.checks === 'jump') appendedJump(st.checks, ch, t.rule.target!, line);
    to.count++;
    if (to.old) {
      const made = !lt.verbatim ? lt.text : this.recEnd - this.recAt === raw.length ? null : ownCopy(raw);
      to.old.record(this.recAt, this.recEnd, made, this.templateCheck(t, to.old, ch));
    } else {
      const made = lt.verbatim ? (this.oldLines !== null ? ownCopy(raw) : raw) : lt.text;
      if (to.parts) to.parts.text(made);
      else to.texts.push(made);
    }
    // RuleTemplates' tally is of its own templates (value templates keep one of their own)
    if (!t.values) st.templates.countHit();
    return true;
  }

  /**
   * The commit checks of a line of an 'alike' template: on its chain's last
   * run of the same key, or (a template with values, whose lines' keys differ
   * in what no check reads: see line-templates.ts) a run of its own from the
   * template's rule; false when the line goes the long way.
   */
  private alikeLine(checks: AppendedChecks, ch: Chain, index: number, line: number, t: LineTemplate): boolean {
    if (appendedAlike(checks, ch, index, line, t.rest)) return true;
    if (!t.values) return false;
    appendedAlikeAs(checks, ch, index, line, t.rest, t.rule);
    return true;
  }

  /** With reuse.record: checkOf for a line a LineTemplate made. */
  private templateCheck(t: LineTemplate, old: OldChain, ch: Chain): LineCheck {
    if (t.checks === 'alike') return old.alike(lastAlikeOf(this.cur!.checks!, ch)!);
    if (t.checks === 'jump') return t.rule.target!;
    return null;
  }

  /** Texts mode: rule r, made by a RuleTemplates template from raw (just scanned), becomes a LineTemplate. */
  private learnLine(st: TableState, ch: Chain, r: Rule, raw: string): void {
    const to = this.sink!.get(ch)!;
    st.templates.lineTemplates.learn(raw, this.ruleset.family === 'ipv6', r, ch.name, to.head, canonicalRuleInterfaces(r), this.restOf(r), appendedKind(st.table, ch, r));
  }

  /**
   * Texts mode: rule r, parsed from raw (just scanned, with option values in
   * its slots; its words this.texts[0, n)), may become a LineTemplate that
   * swaps those values (LineTemplates.learnValues), learnt by parsing the line
   * again with other values.
   */
  private learnValues(st: TableState, ch: Chain, r: Rule, raw: string, n: number): boolean {
    const head = this.sink!.get(ch)!.head;
    const canonOf: CanonOf = (words, m, record) => {
      let parsed;
      try {
        parsed = parseCommandRecorded(words, m, st.env, record ?? PROBE_RECORD);
      } catch (e) {
        if (e instanceof RuleError) return null;
        throw e;
      }
      const c = parsed?.command;
      if (!c || parsed!.notes.length > 0 || c.kind !== 'append' || c.rules.length !== 1 || c.chain !== ch.name) return null;
      return head + canonicalRuleBody(c.rules[0]);
    };
    return st.templates.lineTemplates.learnValues(raw, this.texts, n, this.ruleset.family === 'ipv6', r, ch.name, this.restOf(r), appendedKind(st.table, ch, r), canonOf);
  }

  /**
   * canonicalRuleRest, said again for a rule whose matches and target are the
   * very objects of the rule before it (a template copy, see RuleTemplates).
   */
  private restOf(r: Rule): string {
    const last = this.lastRest;
    if (last && last.matches === r.matches && last.target === r.target && last.proto === r.proto && last.fragment === r.fragment) return last.text;
    const text = canonicalRuleRest(r);
    this.lastRest = { matches: r.matches, target: r.target, proto: r.proto, fragment: r.fragment, text };
    return text;
  }

  /** `#-A INPUT …`: a rule an admin commented out, kept with its chain so it can be toggled back on. */
  private maybeDisabledRule(st: TableState, raw: string, line: number): void {
    if (this.sink) return; // only the model keeps them; they change no finding
    const m = /^#[ \t]*(?=(?:-A|--append)[ \t])/.exec(raw);
    if (!m) return;
    const { words } = tokenizeLine(raw, m[0].length);
    let parsed;
    try {
      parsed = parseCommandWords(words, { table: st.table.name, isChain: (n) => st.chains.has(n), family: st.env.family });
    } catch {
      return; // an ordinary comment that happens to start like a rule
    }
    if (parsed.command.kind !== 'append' || parsed.command.rules.length !== 1) return;
    const ch = st.chains.get(parsed.command.chain);
    if (!ch) return;
    const rule = parsed.command.rules[0];
    rule.source = { line };
    if (this.own) this.interner?.internRule(rule);
    const d: DisabledRule = { rule, before: ch.rules.length, text: this.own ? ownCopy(raw) : raw };
    ch.disabled.push(d);
  }

  private commitTable(st: TableState, commitLine: number): void {
    for (const f of validateTable(st.table, commitLine, st.checks ?? undefined)) this.findings.push(f);
  }

  /** For CommandRunner: a command's error, at column 1 of its line. */
  commandError(line: number, message: string, code: FindingCode, fix?: string): void {
    this.err(line, message, code, fix, 1);
  }

  /** For CommandRunner: a note about a line, not an error. */
  info(line: number, message: string, table: TableName): void {
    this.findings.push({ code: 'ignored-line', severity: 'info', line, message, table });
  }
}

/**
 * One command line other than the common `-A CHAIN` with one rule: -I -R -D -C,
 * chain commands (-N -X -F -Z -P -E), several rules from one line, and lines
 * iptables-restore skips. Each kind of command is one method.
 */
class CommandRunner {
  constructor(
    private readonly reader: RulesetReader,
    private readonly st: TableState,
    private readonly line: number,
    private readonly counters: Counters | null,
  ) {}

  run(c: Command): void {
    const st = this.st;
    st.templates.clear();
    // commands that change or remove rules: the commit checks start over from the table
    if (c.kind !== 'skip' && c.kind !== 'append' && c.kind !== 'check' && c.kind !== 'new-chain' && c.kind !== 'zero' && c.kind !== 'policy') st.checks = null;
    switch (c.kind) {
      case 'skip':
        return this.reader.info(this.line, c.reason, st.table.name);
      case 'append':
        return this.append(c.chain, c.rules);
      case 'insert':
        return this.insert(c.chain, c.num, c.rules);
      case 'replace':
        return this.replace(c.chain, c.num, c.rules);
      case 'delete':
      case 'check':
        return this.deleteOrCheck(c.kind, c.chain, c.kind === 'delete' ? c.num : null, c.rules);
      case 'new-chain':
        return this.newChain(c.chain);
      case 'delete-chain':
        return this.deleteChains(c.chain);
      case 'flush':
        for (const ch of c.chain ? [this.chainOf(c.chain)] : st.table.chains) if (ch) ch.rules = [];
        return;
      case 'zero':
        return this.zero(c.chain);
      case 'policy':
        return this.policy(c.chain, c.policy);
      case 'rename-chain':
        return this.rename(c.chain, c.to);
    }
  }

  private fail(message: string, code: FindingCode = 'invalid-argument', fix?: string): void {
    this.reader.commandError(this.line, message, code, fix);
  }

  private chainOf(name: string): Chain | undefined {
    const ch = this.st.chains.get(name);
    if (!ch) this.fail(`iptables: No chain/target/match by that name: ${name} (in table ${this.st.table.name})`, 'undefined-chain',
      `declare it first with :${name} - [0:0]`);
    return ch;
  }

  /** The rules of this line with its counters and source line. */
  private stamp(rules: Rule[]): Rule[] {
    const { line, counters } = this;
    return rules.map((r, k) => {
      if (counters && !r.counters) r.counters = counters;
      r.source = rules.length > 1 ? { line, part: k } : { line };
      return r;
    });
  }

  private append(chain: string, rules: Rule[]): void {
    const ch = this.chainOf(chain);
    if (!ch) return;
    const from = ch.rules.length;
    ch.rules.push(...this.stamp(rules));
    const checks = this.st.checks;
    if (checks) for (let k = from; k < ch.rules.length; k++) checkAppended(checks, this.st.table, ch, ch.rules[k], k);
  }

  private insert(chain: string, num: number, rules: Rule[]): void {
    const ch = this.chainOf(chain);
    if (!ch) return;
    if (num > ch.rules.length + 1) return this.fail(`iptables: Index of insertion too big (chain ${chain} has ${ch.rules.length} rules)`);
    ch.rules.splice(num - 1, 0, ...this.stamp(rules));
    shiftDisabled(ch, num - 1, rules.length);
  }

  private replace(chain: string, num: number, rules: Rule[]): void {
    const ch = this.chainOf(chain);
    if (!ch) return;
    if (rules.length !== 1) return this.fail('-R works on one rule: give one source and one destination address');
    if (num > ch.rules.length) return this.fail(`iptables: Index of replacement too big (chain ${chain} has ${ch.rules.length} rules)`);
    ch.rules[num - 1] = this.stamp(rules)[0];
  }

  private deleteOrCheck(kind: 'delete' | 'check', chain: string, num: number | null, rules: Rule[]): void {
    const ch = this.chainOf(chain);
    if (!ch) return;
    if (kind === 'delete' && num !== null) {
      if (num > ch.rules.length) return this.fail(`iptables: Index of deletion too big (chain ${chain} has ${ch.rules.length} rules)`);
      ch.rules.splice(num - 1, 1);
      shiftDisabled(ch, num - 1, -1);
      return;
    }
    for (const r of rules) {
      const body = canonicalRuleBody(r);
      const at = ch.rules.findIndex((x) => canonicalRuleBody(x) === body);
      if (at < 0) return this.fail('iptables: Bad rule (does a matching rule exist in that chain?)', 'invalid-argument');
      if (kind === 'delete') {
        ch.rules.splice(at, 1);
        shiftDisabled(ch, at, -1);
      }
    }
  }

  private newChain(name: string): void {
    const st = this.st;
    if (st.chains.has(name)) return this.fail(`iptables: Chain already exists: ${name}`, 'duplicate-chain');
    const ch: Chain = { name, builtin: false, policy: null, counters: null, rules: [], disabled: [], source: { line: this.line } };
    st.chains.set(name, ch);
    st.table.chains.push(ch);
  }

  private deleteChains(chain: string | null): void {
    const st = this.st;
    const victims = chain ? [chain] : st.table.chains.filter((x) => !x.builtin).map((x) => x.name);
    for (const name of victims) {
      const ch = this.chainOf(name);
      if (!ch) return;
      if (ch.builtin) return this.fail(`iptables: Can't delete built-in chain ${name}`);
      if (ch.rules.length) return this.fail(`iptables: Directory not empty: chain ${name} still has rules`, 'invalid-argument', `flush it first with -F ${name}`);
      if (referenced(st.table, name)) return this.fail(`iptables: Too many links: chain ${name} is still the target of a rule`);
      st.chains.delete(name);
      st.table.chains.splice(st.table.chains.indexOf(ch), 1);
    }
  }

  private zero(chain: string | null): void {
    for (const ch of chain ? [this.chainOf(chain)] : this.st.table.chains) {
      if (!ch) continue;
      if (ch.counters) ch.counters = { packets: 0n, bytes: 0n };
      for (const r of ch.rules) if (r.counters) r.counters = { packets: 0n, bytes: 0n };
    }
  }

  private policy(chain: string, policy: string): void {
    const ch = this.chainOf(chain);
    if (!ch) return;
    if (!ch.builtin) return this.fail(`iptables: Bad built-in chain name: ${chain} is a user chain and has no policy`);
    if (policy !== 'ACCEPT' && policy !== 'DROP') return this.fail(`iptables: Bad policy name: ${policy}`, 'invalid-argument', 'a policy is ACCEPT or DROP');
    ch.policy = policy;
  }

  private rename(chain: string, to: string): void {
    const st = this.st;
    const ch = this.chainOf(chain);
    if (!ch) return;
    if (ch.builtin) return this.fail(`iptables: Can't rename built-in chain ${chain}`);
    if (st.chains.has(to)) return this.fail(`iptables: File exists: chain ${to} already exists`, 'duplicate-chain');
    st.chains.delete(chain);
    ch.name = to;
    st.chains.set(to, ch);
    for (const x of st.table.chains) for (const r of x.rules) if (r.target?.chain && r.target.name === chain) r.target.name = to;
  }
}

const scratch = new WeakSet<Table>();

/** Lines are tried against LineTemplates: RuleTemplates pay off in this table, or templates with values do. */
function templatesOn(st: TableState): boolean {
  return st.templates.on || st.templates.lineTemplates.valuesOn;
}

/** what parseCommandRecorded notes of a probe line (not read) */
const PROBE_RECORD: ValueWords = { words: [], srcWord: -1, dstWord: -1 };

/** 1-based column of word w of n (the start of the command when there is no such word). */
function colOf(starts: readonly number[], n: number, w: number, from: number): number {
  return w >= 0 && w < n ? starts[w] + 1 : from + 1;
}

function shiftDisabled(ch: Chain, from: number, by: number): void {
  for (const d of ch.disabled) if (d.before > from || (by > 0 && d.before === from)) d.before = Math.max(0, d.before + by);
}

function referenced(t: Table, name: string): boolean {
  return t.chains.some((c) => c.rules.some((r) => r.target?.chain && r.target.name === name));
}
