// Flattening a ruleset into the fixed-height rows of the virtualized list:
// table header, chain header, then the chain's rules with its disabled (`#`)
// rules where they sit. Plain data, built once per parse.
import { canonicalRule, targetAction, type Chain, type DisabledRule, type Finding, type ParseResult, type Rule, type Ruleset, type Severity, type Table, type TableName } from '../../../src-main/core/index.js';
import { lazyRules, type LazyRules } from './lazy-model.js';

export type RuleRow =
  | { kind: 'table'; table: Table; ruleCount: number }
  | { kind: 'chain'; table: TableName; chain: Chain }
  | { kind: 'rule'; table: TableName; chain: Chain; rule: Rule; index: number; line: number }
  | { kind: 'disabled'; table: TableName; chain: Chain; disabled: DisabledRule; line: number }
  /** a rule line the parser could not read: shown where it sits, with its error */
  | { kind: 'unreadable'; table: TableName; chain: Chain; line: number; text: string }
  | { kind: 'empty'; table: TableName; chain: Chain }
  /** a builtin chain's policy, pinned under its rules: what happens to packets no rule decided */
  | { kind: 'policy'; table: TableName; chain: Chain };

/** source line → the first row shown for it: a typed array, not a Map (100,000 Map entries cost the page tens of ms) */
class RowOfLine {
  private at = new Int32Array(256).fill(-1);
  /** a copy taken over from another row list: the lines marked since (their first row) override what it says */
  private marked: Uint8Array | null = null;
  /** a copy, whose marks override (see `marked`) */
  copy(): RowOfLine {
    const c = new RowOfLine();
    c.at = this.at.slice();
    c.marked = new Uint8Array(c.at.length);
    return c;
  }
  get(line: number): number | undefined {
    const r = line >= 0 && line < this.at.length ? this.at[line] : -1;
    return r >= 0 ? r : undefined;
  }
  /** the first row given for a line stays */
  mark(line: number, row: number): void {
    if (line >= this.at.length) {
      const grown = new Int32Array(Math.max(line + 1, this.at.length * 2)).fill(-1);
      grown.set(this.at);
      this.at = grown;
      if (this.marked) {
        const m = new Uint8Array(grown.length);
        m.set(this.marked);
        this.marked = m;
      }
    }
    if (this.marked) {
      if (this.marked[line]) return;
      this.marked[line] = 1;
      this.at[line] = row;
    } else if (this.at[line] < 0) this.at[line] = row;
  }
}

export interface RuleRows {
  rows: RuleRow[];
  /** source line → row index, for "go to the rule of this finding" */
  rowOfLine: RowOfLine;
  /** the table and chain rows' indexes, in order (the chain list walks these, not 100,000 rule rows) */
  heads: number[];
  ruleCount: number;
  chainCount: number;
}

/** A rule line with an error finding that did not become a rule, and where it belongs. */
interface Unreadable {
  table: Table;
  chain: Chain;
  line: number;
  text: string;
  /** it sits before the chain's rule with this 0-based index */
  before: number;
}

const APPEND_RE = /^(?:-[46]\s+)?(?:-A|--append|-I|--insert)\s+(\S+)/;

/**
 * Error lines that name a chain (`-A INPUT -m multiports …`) but made no rule:
 * an admin expects to see them among the chain's rules, not only in the source.
 */
export function findUnreadable(rs: Ruleset, findings: readonly Finding[], lines: readonly string[]): Unreadable[] {
  // most files have no error at all: skip the pass over every rule
  if (!findings.some((f) => f.severity === 'error' && f.line > 0)) return [];
  const ruleLines = new Set<number>();
  for (const t of rs.tables) for (const c of t.chains) for (let k = 0; k < c.rules.length; k++) ruleLines.add(lineOfRule(c, k));
  const out: Unreadable[] = [];
  const seen = new Set<number>();
  for (const f of findings) {
    if (f.severity !== 'error' || f.line <= 0 || ruleLines.has(f.line) || seen.has(f.line)) continue;
    const text = lines[f.line - 1] ?? '';
    const name = APPEND_RE.exec(text)?.[1];
    if (!name) continue;
    // the table the line is in: the last one that starts before it
    let table: Table | undefined;
    for (const t of rs.tables) if ((t.source?.line ?? 0) < f.line && (!table || (t.source?.line ?? 0) > (table.source?.line ?? 0))) table = t;
    const chain = table?.chains.find((c) => c.name === name);
    if (!table || !chain) continue;
    let before = 0;
    while (before < chain.rules.length && lineOfRule(chain, before) < f.line) before++;
    seen.add(f.line);
    out.push({ table, chain, line: f.line, text, before });
  }
  return out;
}

/** rule k's source line (0: none), without making a lazy rule */
function lineOfRule(chain: Chain, k: number): number {
  const lazy = lazyRules(chain.rules);
  return lazy ? lazy.lineOf(k) : (chain.rules[k].source?.line ?? 0);
}

/**
 * A rule row of a large file: its Rule is made when the row is read (shown,
 * selected), not when the rows are built. Three fields (the rest is read
 * through the chain's lazy rules): 100,000 of these are the page's largest
 * allocation while a file opens, and what the garbage collector copies.
 */
class LazyRuleRow {
  constructor(
    readonly chain: Chain,
    private readonly lazy: LazyRules,
    /** 1-based position in the chain */
    readonly index: number,
  ) {}
  get kind(): 'rule' {
    return 'rule';
  }
  get table(): TableName {
    return this.lazy.table;
  }
  get line(): number {
    return this.lazy.lineOf(this.index - 1);
  }
  get rule(): Rule {
    return this.lazy.at(this.index - 1)!;
  }
}

export function buildRuleRows(rs: Ruleset, unreadable: readonly Unreadable[] = []): RuleRows {
  const out = newRuleRows();
  const steps = rowSteps(rs, unreadable, out);
  while (!steps.next().done);
  return known(out);
}

/** each row list built here and its header rows (a look-up of a chain's header walks these, not 100,000 rows) */
const headsOfRows = new WeakMap<readonly RuleRow[], readonly number[]>();

function known(r: RuleRows): RuleRows {
  headsOfRows.set(r.rows, r.heads);
  return r;
}

/** the table and chain header rows of a row list built here (undefined: another list) */
export function headsOf(rows: readonly RuleRow[]): readonly number[] | undefined {
  return headsOfRows.get(rows);
}

/**
 * The same rows built a slice at a time: each slice at most about `sliceMs`
 * on the page's thread, with the page's input and frames in between (a
 * kube-proxy file's 20,000 chains and 100,000 rules are some 300 ms of work).
 */
export async function buildRuleRowsSliced(rs: Ruleset, unreadable: readonly Unreadable[] = [], sliceMs = 12, reuse?: RuleRows, sameLines = false): Promise<RuleRows> {
  const out = newRuleRows();
  const ranges = reuse && chainRanges(reuse);
  // no line moved: the line index is the old one, where the rows did not move either
  if (ranges && sameLines) {
    out.rowOfLine = reuse!.rowOfLine.copy();
    ranges.linesKept = true;
  }
  const steps = rowSteps(rs, unreadable, out, ranges);
  for (;;) {
    const t0 = performance.now();
    let done = false;
    while (!(done = !!steps.next().done) && performance.now() - t0 < sliceMs);
    if (done) return known(out);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

function newRuleRows(): RuleRows {
  return { rows: [], rowOfLine: new RowOfLine(), heads: [], ruleCount: 0, chainCount: 0 };
}

const NONE_BETWEEN: never[] = [];

/** each chain's rows in a row list (its header to the next header), by the chain object */
type ChainRanges = { rows: readonly RuleRow[]; at: Map<Chain, [number, number]>; linesKept?: boolean };

function chainRanges(r: RuleRows): ChainRanges {
  const at = new Map<Chain, [number, number]>();
  const { rows, heads } = r;
  for (let k = 0; k < heads.length; k++) {
    const h = rows[heads[k]];
    if (h.kind === 'chain') at.set(h.chain, [heads[k], k + 1 < heads.length ? heads[k + 1] : rows.length]);
  }
  return { rows, at };
}

/** rows after which the builder offers to pause */
const STEP_ROWS = 1024;

// one pass over tables, chains, rules and the disabled or unreadable lines between them: its length is the model's shape
function* rowSteps(rs: Ruleset, unreadable: readonly Unreadable[], out: RuleRows, reuse?: ChainRanges): Generator<void, void, void> {
  const rows = out.rows;
  const mark = (line: number | undefined) => {
    if (line) out.rowOfLine.mark(line, rows.length);
  };
  let pause = STEP_ROWS;
  for (const table of rs.tables) {
    let n = 0;
    for (const c of table.chains) n += c.rules.length;
    mark(table.source?.line);
    out.heads.push(rows.length);
    rows.push({ kind: 'table', table, ruleCount: n });
    out.ruleCount += n;
    for (const chain of table.chains) {
      out.chainCount++;
      const same = reuse?.at.get(chain);
      if (same && reuse!.linesKept && rows.length === same[0]) {
        // …at the same rows, in the line index taken over: one copy of pointers
        out.heads.push(rows.length);
        const from = reuse!.rows;
        for (let k = same[0]; k < same[1]; k++) rows.push(from[k]);
        if (rows.length >= pause) {
          pause = rows.length + STEP_ROWS * 8;
          yield;
        }
        continue;
      }
      if (same) {
        // a chain an edit did not touch is the same object: its rows (the same lines) are taken as they are
        out.heads.push(rows.length);
        for (let k = same[0]; k < same[1]; k++) {
          const r = reuse!.rows[k];
          mark(r.kind === 'chain' ? chain.source?.line : 'line' in r ? r.line : undefined);
          rows.push(r);
          if (rows.length >= pause) {
            pause = rows.length + STEP_ROWS * 8;
            yield;
          }
        }
        continue;
      }
      yield* chainRowSteps(table, chain, unreadable, out);
      if (rows.length >= pause) {
        pause = rows.length + STEP_ROWS;
        yield;
      }
    }
  }
}

/** one chain's rows (header, rules with the disabled or unreadable lines between them, policy), offering to pause every STEP_ROWS rows */
function* chainRowSteps(table: Table, chain: Chain, unreadable: readonly Unreadable[], out: RuleRows): Generator<void, void, void> {
  const rows = out.rows;
  const mark = (line: number | undefined) => {
    if (line) out.rowOfLine.mark(line, rows.length);
  };
  let pause = rows.length + STEP_ROWS;
  mark(chain.source?.line);
  out.heads.push(rows.length);
  rows.push({ kind: 'chain', table: table.name, chain });
  // disabled and unreadable lines sit between rules; in file order among themselves (most chains have none: no array for them)
  const between: { before: number; line: number; row: RuleRow }[] = chain.disabled.length || unreadable.length ? [] : NONE_BETWEEN;
  for (const dr of chain.disabled) {
    const line = dr.rule.source?.line ?? 0;
    between.push({ before: dr.before, line, row: { kind: 'disabled', table: table.name, chain, disabled: dr, line } });
  }
  for (const u of unreadable) {
    if (u.chain === chain) between.push({ before: u.before, line: u.line, row: { kind: 'unreadable', table: table.name, chain, line: u.line, text: u.text } });
  }
  if (between.length > 1) between.sort((a, b) => a.before - b.before || a.line - b.line);
  let d = 0;
  const pushDisabledBefore = (k: number) => {
    while (d < between.length && between[d].before <= k) {
      mark(between[d].line);
      rows.push(between[d].row);
      d++;
    }
  };
  const lazy = lazyRules(chain.rules);
  const count = lazy ? lazy.length : chain.rules.length;
  for (let k = 0; k < count; k++) {
    pushDisabledBefore(k);
    if (lazy) {
      const line = lazy.lineOf(k);
      mark(line);
      rows.push(new LazyRuleRow(chain, lazy, k + 1));
    } else {
      const rule = chain.rules[k];
      const line = rule.source?.line ?? 0;
      mark(line);
      rows.push({ kind: 'rule', table: table.name, chain, rule, index: k + 1, line });
    }
    if (rows.length >= pause) {
      pause = rows.length + STEP_ROWS;
      yield;
    }
  }
  pushDisabledBefore(Number.MAX_SAFE_INTEGER);
  if (count === 0 && between.length === 0) rows.push({ kind: 'empty', table: table.name, chain });
  if (chain.builtin && chain.policy) rows.push({ kind: 'policy', table: table.name, chain });
}

/**
 * The rows after an edit that changed only the rules of `changed` chains
 * (their places in the model) and moved no line: the rows before with those
 * chains' rows made again in place and their tables' headers anew — no walk
 * over the other chains (20,000 kube-proxy chains, 100,000 rows), the line
 * index a copy. Null where that does not hold (a chain's row count changed,
 * a table or chain not where it was, unreadable lines): build them whole.
 */
export async function patchRuleRows(before: RuleRows, from: Ruleset, to: Ruleset, changed: readonly { t: number; c: number }[], sliceMs = 12): Promise<RuleRows | null> {
  if (from.tables.length !== to.tables.length) return null;
  const old = new Map<Chain, { t: number; c: number }>();
  for (const p of changed) {
    const a = from.tables[p.t]?.chains[p.c];
    const b = to.tables[p.t]?.chains[p.c];
    if (!a || !b || a.name !== b.name) return null;
    old.set(a, p);
  }
  const rows = before.rows.slice();
  const out: RuleRows = { rows, rowOfLine: before.rowOfLine.copy(), heads: before.heads, ruleCount: 0, chainCount: before.chainCount };
  // the tables' headers: their rule counts moved by the changed chains' (no count over 20,000 chains)
  const delta = new Map<number, number>();
  for (const p of changed) delta.set(p.t, (delta.get(p.t) ?? 0) + to.tables[p.t].chains[p.c].rules.length - from.tables[p.t].chains[p.c].rules.length);
  for (const h of before.heads) {
    const r = before.rows[h];
    if (r.kind !== 'table') continue;
    const ti = from.tables.indexOf(r.table);
    const t = to.tables[ti];
    if (!t || t.name !== r.table.name || t.chains.length !== r.table.chains.length) return null;
    const n = r.ruleCount + (delta.get(ti) ?? 0);
    out.ruleCount += n;
    rows[h] = t === r.table ? r : { kind: 'table', table: t, ruleCount: n };
  }
  for (let k = 0; k < before.heads.length; k++) {
    const r = before.rows[before.heads[k]];
    const p = r.kind === 'chain' ? old.get(r.chain) : undefined;
    if (!p) continue;
    const start = before.heads[k];
    const end = k + 1 < before.heads.length ? before.heads[k + 1] : before.rows.length;
    // the chain's rows made alone, then put where its old rows were (the same number of them, or no patch)
    const mine: RuleRows = { rows: [], rowOfLine: new RowOfLine(), heads: [], ruleCount: 0, chainCount: 0 };
    const steps = chainRowSteps(to.tables[p.t], to.tables[p.t].chains[p.c], [], mine);
    for (let t0 = performance.now(); !steps.next().done; ) {
      if (performance.now() - t0 < sliceMs) continue;
      await new Promise((resolve) => setTimeout(resolve, 0));
      t0 = performance.now();
    }
    if (mine.rows.length !== end - start) return null;
    for (let i = 0; i < mine.rows.length; i++) {
      const row = mine.rows[i];
      rows[start + i] = row;
      const line = row.kind === 'chain' ? row.chain.source?.line : 'line' in row ? row.line : undefined;
      if (line) out.rowOfLine.mark(line, start + i);
    }
  }
  return known(out);
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** The worst finding on each line, for the markers in the rule and source lists. */
export function severityByLine(findings: readonly Finding[]): Map<number, Severity> {
  const m = new Map<number, Severity>();
  for (const f of findings) {
    const cur = m.get(f.line);
    if (!cur || RANK[f.severity] > RANK[cur]) m.set(f.line, f.severity);
  }
  return m;
}

export function sortFindings(fs: readonly Finding[]): Finding[] {
  return [...fs].sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.line - b.line || (a.col ?? 0) - (b.col ?? 0));
}

/** A rule's text as the admin wrote it, without the `-4`/`-A CHAIN` lead-in the row already shows. */
export function ruleBodyText(lineText: string): string {
  return lineText
    .replace(/^\s*#?\s*/, '')
    // counters have their own column: never a [packets:bytes] prefix on the rule
    .replace(/^\[\d+:\d+\]\s*/, '')
    .replace(/^-[46]\s+/, '')
    .replace(/^(-A|--append|-I|--insert)\s+\S+\s*/, '')
    .trim();
}

/** Text for a rule row: what the admin wrote, or the canonical body when one line made several rules. */
export function rowText(row: RuleRow, lines: readonly string[]): string {
  switch (row.kind) {
    case 'rule':
      if (row.rule.source?.part || !row.line) return canonicalRule(row.chain.name, row.rule).replace(/^-A \S+ /, '');
      return ruleBodyText(lines[row.line - 1] ?? '');
    case 'disabled':
      return ruleBodyText(row.disabled.text);
    case 'unreadable':
      return ruleBodyText(row.text);
    default:
      return '';
  }
}

/** The rows of a parse, as the rule list shows them (the page and the analysis worker build the same ones). */
export function rowsOfParse(p: ParseResult): RuleRows {
  return buildRuleRows(p.ruleset, findUnreadable(p.ruleset, p.findings, p.lines));
}

/**
 * rowsOfParse a slice at a time (the page's thread: a large file's rows).
 * With `reuse` (the rows of the model before an edit), the rows of each
 * chain that is the very object it was there are taken over, not made again.
 */
export function rowsOfParseSliced(p: ParseResult, reuse?: RuleRows, sameLines = false): Promise<RuleRows> {
  const unreadable = findUnreadable(p.ruleset, p.findings, p.lines);
  return buildRuleRowsSliced(p.ruleset, unreadable, 12, unreadable.length ? undefined : reuse, sameLines);
}

/** CSS class for a target, by what it does: verdicts get colours, jumps to user chains look like links. */
export function targetClass(rule: Rule): string {
  const a = targetAction(rule);
  switch (a.kind) {
    case 'none': return 'none';
    case 'jump': case 'goto': return 'jump';
    case 'accept': case 'drop': case 'reject': case 'return': return a.kind;
    case 'continue': return a.log ? 'log' : 'other';
    default: return 'other';
  }
}
