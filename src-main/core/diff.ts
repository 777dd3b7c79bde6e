// The semantic diff: two rulesets compared table by table and chain by chain on
// canonical rule text, so counters, `#` lines, option spelling, whitespace and
// table order never show up as differences. A change set is plain data (rule
// text, not parsed objects) so it can cross IPC, be stored, and be applied back.
import type { Chain, Rule, Ruleset, Table, TableName } from './model.js';
import { BUILTIN_CHAINS, TABLE_NAMES, newTable } from './model.js';
import { canonicalRuleBody } from './canonical.js';
import { tokenizeLine } from './tokenize.js';
import { parseCommandWords, RuleError } from './rule-parser.js';
import { pairBySimilarity } from './diff-pairing.js';

export type ChangeOp = 'add' | 'delete' | 'replace' | 'move' | 'policy' | 'chain-add' | 'chain-delete';

/**
 * One difference. Indexes are 1-based, as `iptables -L --line-numbers`: `index`
 * is the position in the NEW chain (for `delete`, in the old one), `fromIndex`
 * the position in the old chain. Rule texts are canonical (`-A CHAIN …`).
 */
export type Change =
  | { op: 'add'; table: TableName; chain: string; index: number; rule: string }
  | { op: 'delete'; table: TableName; chain: string; index: number; rule: string }
  | { op: 'replace'; table: TableName; chain: string; index: number; fromIndex: number; from: string; to: string }
  | { op: 'move'; table: TableName; chain: string; index: number; fromIndex: number; rule: string }
  | { op: 'policy'; table: TableName; chain: string; from: string; to: string }
  | { op: 'chain-add'; table: TableName; chain: string }
  | { op: 'chain-delete'; table: TableName; chain: string };

export interface ChangeSet {
  changes: Change[];
}

// ---- per-chain alignment --------------------------------------------------------

export type RowKind = 'same' | 'add' | 'delete' | 'replace' | 'move-from' | 'move-to';

export interface RowSide {
  /** 1-based position in its chain */
  index: number;
  text: string;
}

/** One row of the side-by-side view: old rule on the left, new on the right. */
export interface DiffRow {
  kind: RowKind;
  left: RowSide | null;
  right: RowSide | null;
  /** for move rows: where the rule went to (move-from) or came from (move-to), 1-based */
  other?: number;
}

export type ChainStatus = 'same' | 'changed' | 'added' | 'deleted';

export interface ChainDiff {
  table: TableName;
  chain: string;
  builtin: boolean;
  status: ChainStatus;
  /** builtin chains: the policies on each side (equal when unchanged) */
  policy: { from: string; to: string } | null;
  rows: DiffRow[];
}

export interface RulesetDiff {
  chains: ChainDiff[];
  changes: Change[];
}

/** Interns canonical rule texts as small integers so alignment compares numbers. */
class Interner {
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let v = this.ids.get(s);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(s, v);
    }
    return v;
  }
}

/**
 * A common subsequence of `a` and `b` as pairs (ai, bi), increasing in both.
 * Long equal prefixes and suffixes are matched in linear time; the rest is
 * split at lines unique to both sides (patience diff), and what is left between
 * those anchors goes to Myers' O((N+M)·D) algorithm with a budget, beyond which
 * the segment is left unmatched (shown as deleted and added, never wrong).
 */
export function alignSequences(a: ArrayLike<number>, b: ArrayLike<number>, opts: { patience?: boolean } = {}): Int32Array {
  const out: number[] = [];
  alignRange(a, 0, a.length, b, 0, b.length, out, opts.patience === false ? MAX_PATIENCE_DEPTH : 0);
  return Int32Array.from(out);
}

const MYERS_MAX_D = 1500;
const MAX_PATIENCE_DEPTH = 8;
const MYERS_BUDGET = 4_000_000;

function alignRange(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number, out: number[], depth: number): void {
  // common prefix
  while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) {
    out.push(a0++, b0++);
  }
  // common suffix (pushed after the middle)
  let e = 0;
  while (a1 - e > a0 && b1 - e > b0 && a[a1 - 1 - e] === b[b1 - 1 - e]) e++;
  a1 -= e;
  b1 -= e;
  if (a0 < a1 && b0 < b1) {
    const anchors = depth < MAX_PATIENCE_DEPTH ? uniqueAnchors(a, a0, a1, b, b0, b1) : null;
    if (anchors && anchors.length > 0) {
      let pa = a0;
      let pb = b0;
      for (let k = 0; k < anchors.length; k += 2) {
        alignRange(a, pa, anchors[k], b, pb, anchors[k + 1], out, depth + 1);
        out.push(anchors[k], anchors[k + 1]);
        pa = anchors[k] + 1;
        pb = anchors[k + 1] + 1;
      }
      alignRange(a, pa, a1, b, pb, b1, out, depth + 1);
    } else {
      myers(a, a0, a1, b, b0, b1, out);
    }
  }
  for (let k = 0; k < e; k++) out.push(a1 + k, b1 + k);
}

/** Lines that occur exactly once in each range, longest increasing run of them (patience). */
function uniqueAnchors(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number): number[] | null {
  // count in a: 1 = once (position stored), -1 = more than once
  const inA = new Map<number, number>();
  for (let i = a0; i < a1; i++) {
    const v = a[i];
    const p = inA.get(v);
    inA.set(v, p === undefined ? i : -1);
  }
  const inB = new Map<number, number>();
  for (let j = b0; j < b1; j++) {
    const v = b[j];
    if (!inA.has(v)) continue;
    const p = inB.get(v);
    inB.set(v, p === undefined ? j : -1);
  }
  // pairs ordered by position in b
  const pairsA: number[] = [];
  const pairsB: number[] = [];
  for (let j = b0; j < b1; j++) {
    const v = b[j];
    if (inB.get(v) !== j) continue;
    const i = inA.get(v)!;
    if (i < 0) continue;
    pairsA.push(i);
    pairsB.push(j);
  }
  if (pairsA.length === 0) return null;
  // longest increasing subsequence of pairsA (patience sorting, O(k log k))
  const k = pairsA.length;
  const tails: number[] = [];
  const prev = new Int32Array(k).fill(-1);
  for (let x = 0; x < k; x++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairsA[tails[mid]] < pairsA[x]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[x] = tails[lo - 1];
    tails[lo] = x;
  }
  const res: number[] = new Array(tails.length * 2);
  let x = tails[tails.length - 1];
  for (let p = tails.length - 1; p >= 0; p--) {
    res[2 * p] = pairsA[x];
    res[2 * p + 1] = pairsB[x];
    x = prev[x];
  }
  return res;
}

/** Myers' greedy LCS on a[a0,a1) × b[b0,b1); gives up (no matches) past its budget. */
function myers(a: ArrayLike<number>, a0: number, a1: number, b: ArrayLike<number>, b0: number, b1: number, out: number[]): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const max = Math.min(n + m, MYERS_MAX_D);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let work = 0;
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++;
        y++;
        work++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    work += d + 1;
    if (work > MYERS_BUDGET && found < 0) return;
  }
  if (found < 0) return;
  // walk back through the saved frontiers; trace[d] holds v[-d-1 .. d+1] before step d
  const pairs: number[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d];
    const at = (k: number) => vd[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      pairs.push(a0 + x, b0 + y);
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    pairs.push(a0 + x, b0 + y);
  }
  for (let p = pairs.length - 2; p >= 0; p -= 2) out.push(pairs[p], pairs[p + 1]);
}

interface Alignment {
  /** matched (old, new) index pairs, increasing */
  pairs: Int32Array;
  /** old index → new index of the same rule moved elsewhere, or -1 */
  moveTo: Int32Array;
  /** new index → old index it was moved from, or -1 */
  moveFrom: Int32Array;
  /** gap start (old index) → the pairing of that gap's deletes and adds, once computed */
  partners?: Map<number, Int32Array>;
}

/**
 * Align one chain's rule texts. The equal prefix and suffix are found by
 * comparing strings (the common case: a few edits in a long chain), and only
 * the middle is interned as integers for the alignment proper.
 */
function alignChain(left: readonly string[], right: readonly string[], interner: Interner): Alignment {
  const n = left.length;
  const m = right.length;
  let pre = 0;
  while (pre < n && pre < m && left[pre] === right[pre]) pre++;
  let suf = 0;
  while (suf < n - pre && suf < m - pre && left[n - 1 - suf] === right[m - 1 - suf]) suf++;
  const a = new Int32Array(n - pre - suf);
  const b = new Int32Array(m - pre - suf);
  for (let i = 0; i < a.length; i++) a[i] = interner.id(left[pre + i]);
  for (let j = 0; j < b.length; j++) b[j] = interner.id(right[pre + j]);
  const mid = alignSequences(a, b);
  const pairs = new Int32Array(2 * (pre + suf) + mid.length);
  let w = 0;
  for (let k = 0; k < pre; k++) {
    pairs[w++] = k;
    pairs[w++] = k;
  }
  for (let k = 0; k < mid.length; k++) pairs[w++] = mid[k] + pre;
  for (let k = 0; k < suf; k++) {
    pairs[w++] = n - suf + k;
    pairs[w++] = m - suf + k;
  }

  // Unmatched rules that appear on both sides are moves: pair them up in order.
  const moveTo = new Int32Array(n).fill(-1);
  const moveFrom = new Int32Array(m).fill(-1);
  if (mid.length / 2 < Math.min(a.length, b.length)) {
    const matchedA = new Uint8Array(a.length);
    const matchedB = new Uint8Array(b.length);
    for (let p = 0; p < mid.length; p += 2) {
      matchedA[mid[p]] = 1;
      matchedB[mid[p + 1]] = 1;
    }
    const delsById = new Map<number, number[]>();
    for (let i = 0; i < a.length; i++) {
      if (matchedA[i]) continue;
      const l = delsById.get(a[i]);
      if (l) l.push(i);
      else delsById.set(a[i], [i]);
    }
    const cursor = new Map<number, number>();
    for (let j = 0; j < b.length; j++) {
      if (matchedB[j]) continue;
      const l = delsById.get(b[j]);
      if (!l) continue;
      const c = cursor.get(b[j]) ?? 0;
      if (c >= l.length) continue;
      cursor.set(b[j], c + 1);
      moveTo[pre + l[c]] = pre + j;
      moveFrom[pre + j] = pre + l[c];
    }
  }
  return { pairs, moveTo, moveFrom };
}

/**
 * Walk an alignment in display order, calling `visit(kind, i, j)` with 0-based
 * old and new indexes (-1 for the side a row does not have). Within each gap
 * between matched rules, deleted and added rules are paired by similarity
 * (diff-pairing.ts) as replaces; the rest stay deletes and adds.
 */
function walkAlignment(left: readonly string[], right: readonly string[], al: Alignment, visit: (kind: RowKind, i: number, j: number) => void, skipSame = false): void {
  const { pairs, moveTo, moveFrom } = al;
  // a second walk (the rows of a changed chain) reuses the pairing of the first
  const cache = (al.partners ??= new Map());
  let i = 0;
  let j = 0;
  const gap = (ai: number, bj: number) => {
    if (i === ai && j === bj) return;
    const i0 = i;
    let partner = cache.get(i0);
    if (!partner) cache.set(i0, (partner = gapPartners(left, right, i, ai, j, bj, al)));
    while (i < ai || j < bj) {
      if (i < ai && moveTo[i] >= 0) {
        visit('move-from', i++, -1);
        continue;
      }
      // an unpaired deletion shows as soon as it is reached: deleted rows before added ones
      if (i < ai && partner[i - i0] < 0) {
        visit('delete', i++, -1);
        continue;
      }
      const target = i < ai ? partner[i - i0] : bj;
      if (j < target) visit(moveFrom[j] >= 0 ? 'move-to' : 'add', -1, j++);
      else visit('replace', i++, j++);
    }
  };
  for (let p = 0; p < pairs.length; p += 2) {
    gap(pairs[p], pairs[p + 1]);
    if (!skipSame) visit('same', i, j);
    i++;
    j++;
  }
  gap(left.length, right.length);
}

/**
 * For each old index in [i0, i1), at [index - i0]: the new index in [j0, j1)
 * that replaces it, or -1. Moved rules are never paired.
 */
function gapPartners(left: readonly string[], right: readonly string[], i0: number, i1: number, j0: number, j1: number, al: Alignment): Int32Array {
  const partner = new Int32Array(i1 - i0).fill(-1);
  const dels: number[] = [];
  const adds: number[] = [];
  for (let x = i0; x < i1; x++) if (al.moveTo[x] < 0) dels.push(x);
  for (let y = j0; y < j1; y++) if (al.moveFrom[y] < 0) adds.push(y);
  if (dels.length === 0 || adds.length === 0) return partner;
  const p = pairBySimilarity(
    dels.map((x) => left[x]),
    adds.map((y) => right[y]),
  );
  for (let k = 0; k < dels.length; k++) if (p[k] >= 0) partner[dels[k] - i0] = adds[p[k]];
  return partner;
}

/** Rows of one chain: matched rules are `same`; the rest become moves, replaces, deletes and adds. */
export function diffRuleTexts(left: readonly string[], right: readonly string[], interner = new Interner()): DiffRow[] {
  return rowsOf(left, right, alignChain(left, right, interner));
}

function rowsOf(left: readonly string[], right: readonly string[], al: Alignment): DiffRow[] {
  const rows: DiffRow[] = [];
  walkAlignment(left, right, al, (kind, i, j) => {
    const row: DiffRow = { kind, left: i >= 0 ? { index: i + 1, text: left[i] } : null, right: j >= 0 ? { index: j + 1, text: right[j] } : null };
    if (kind === 'move-from') row.other = al.moveTo[i] + 1;
    if (kind === 'move-to') row.other = al.moveFrom[j] + 1;
    rows.push(row);
  });
  return rows;
}

// ---- rulesets -------------------------------------------------------------------

/**
 * What the diff compares: per table, each chain's policy and its rules as
 * canonical `-A CHAIN …` lines. Small and plain (strings and arrays), so it can
 * be made where the file is parsed — in another thread, say — and sent over.
 */
export interface ChainTexts {
  name: string;
  builtin: boolean;
  /** builtin chains only */
  policy: string | null;
  texts: string[];
}
export interface RulesetTexts {
  tables: { name: TableName; chains: ChainTexts[] }[];
}

export function rulesetTexts(rs: Ruleset): RulesetTexts {
  return {
    tables: rs.tables.map((t) => ({
      name: t.name,
      chains: t.chains.map((c) => ({ name: c.name, builtin: c.builtin, policy: c.builtin ? (c.policy ?? 'ACCEPT') : null, texts: chainTexts(c) })),
    })),
  };
}

function chainTexts(c: Chain): string[] {
  const head = `-A ${c.name}`;
  const out = new Array<string>(c.rules.length);
  for (let k = 0; k < c.rules.length; k++) out[k] = head + canonicalRuleBody(c.rules[k]);
  return out;
}

const NO_TEXTS: string[] = [];

/** Builtin chains in hook order, then the user chains of either side sorted by name, as iptables-save lists them. */
function sortedChains(name: TableName, a: ChainTexts[], b: ChainTexts[]): { name: string; builtin: boolean; left?: ChainTexts; right?: ChainTexts }[] {
  const la = new Map(a.map((c) => [c.name, c]));
  const lb = new Map(b.map((c) => [c.name, c]));
  const out: { name: string; builtin: boolean; left?: ChainTexts; right?: ChainTexts }[] = [];
  // A table missing from a ruleset is the same as one with nothing in it: builtin chains, ACCEPT, no rules.
  const empty = (h: string): ChainTexts => ({ name: h, builtin: true, policy: 'ACCEPT', texts: NO_TEXTS });
  for (const h of BUILTIN_CHAINS[name]) {
    out.push({ name: h, builtin: true, left: la.get(h) ?? (a.length ? undefined : empty(h)), right: lb.get(h) ?? (b.length ? undefined : empty(h)) });
  }
  const users = new Set<string>();
  for (const c of a) if (!c.builtin) users.add(c.name);
  for (const c of b) if (!c.builtin) users.add(c.name);
  for (const n of [...users].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) out.push({ name: n, builtin: false, left: la.get(n), right: lb.get(n) });
  return out;
}

export interface DetailOptions {
  /**
   * Rows for chains without changes too (default true). The views print
   * changed chains only; without these rows a diff of two big, mostly equal
   * rulesets allocates a row per changed chain's rule only. Unchanged chains
   * are still listed, with no rows.
   */
  unchangedRows?: boolean;
}

/** Everything the UI needs for a side-by-side view, plus the change set. */
export function diffRulesetsDetailed(a: Ruleset, b: Ruleset, opts: DetailOptions = {}): RulesetDiff {
  return diffRulesetTexts(rulesetTexts(a), rulesetTexts(b), opts);
}

export function diffRulesets(a: Ruleset, b: Ruleset): ChangeSet {
  return { changes: compare(rulesetTexts(a), rulesetTexts(b), 'none').changes };
}

/** The diff of two rulesets already reduced to their canonical texts (see rulesetTexts). */
export function diffRulesetTexts(a: RulesetTexts, b: RulesetTexts, opts: DetailOptions & { rows?: boolean } = {}): RulesetDiff {
  return compare(a, b, opts.rows === false ? 'none' : opts.unchangedRows === false ? 'changed' : 'all');
}

function compare(a: RulesetTexts, b: RulesetTexts, rowMode: 'all' | 'changed' | 'none'): RulesetDiff {
  const withRows = rowMode === 'all';
  const chains: ChainDiff[] = [];
  const changes: Change[] = [];
  const interner = new Interner();
  for (const tname of TABLE_NAMES) {
    const ta = a.tables.find((t) => t.name === tname);
    const tb = b.tables.find((t) => t.name === tname);
    if (!ta && !tb) continue;
    for (const { name, builtin, left, right } of sortedChains(tname, ta?.chains ?? [], tb?.chains ?? [])) {
      const lt = left ? left.texts : NO_TEXTS;
      const rt = right ? right.texts : NO_TEXTS;
      const al = alignChain(lt, rt, interner);
      const status: ChainStatus = !left ? 'added' : !right ? 'deleted' : 'same';
      const polFrom = builtin ? (left?.policy ?? 'ACCEPT') : null;
      const polTo = builtin ? (right?.policy ?? 'ACCEPT') : null;
      const policy = polFrom !== null && polTo !== null ? { from: polFrom, to: polTo } : null;
      const before = changes.length;
      if (status === 'added') changes.push({ op: 'chain-add', table: tname, chain: name });
      if (policy && policy.from !== policy.to) changes.push({ op: 'policy', table: tname, chain: name, from: policy.from, to: policy.to });
      const rows: DiffRow[] = [];
      walkAlignment(lt, rt, al, (kind, i, j) => {
        if (withRows) {
          const row: DiffRow = { kind, left: i >= 0 ? { index: i + 1, text: lt[i] } : null, right: j >= 0 ? { index: j + 1, text: rt[j] } : null };
          if (kind === 'move-from') row.other = al.moveTo[i] + 1;
          if (kind === 'move-to') row.other = al.moveFrom[j] + 1;
          rows.push(row);
        }
        switch (kind) {
          case 'add':
            changes.push({ op: 'add', table: tname, chain: name, index: j + 1, rule: rt[j] });
            break;
          case 'delete':
            changes.push({ op: 'delete', table: tname, chain: name, index: i + 1, rule: lt[i] });
            break;
          case 'replace':
            changes.push({ op: 'replace', table: tname, chain: name, index: j + 1, fromIndex: i + 1, from: lt[i], to: rt[j] });
            break;
          case 'move-to':
            changes.push({ op: 'move', table: tname, chain: name, index: j + 1, fromIndex: al.moveFrom[j] + 1, rule: rt[j] });
            break;
          default:
            break;
        }
      }, !withRows);
      if (status === 'deleted') changes.push({ op: 'chain-delete', table: tname, chain: name });
      const cd: ChainDiff = { table: tname, chain: name, builtin, status, policy, rows };
      if (status === 'same' && changes.length > before) cd.status = 'changed';
      // rows of a changed chain only: a second walk over the alignment, which is cheap
      if (rowMode === 'changed' && changes.length > before) cd.rows = rowsOf(lt, rt, al);
      if (rowMode !== 'none') chains.push(cd);
    }
  }
  return { chains, changes };
}

// ---- applying a change set --------------------------------------------------------

/** The change set does not fit the ruleset it is applied to (it was made against another one). */
export class ChangeSetError extends Error {
  override name = 'ChangeSetError';
}

/**
 * Apply a change set made by `diffRulesets(a, b)` to `a` (or to a ruleset
 * canonically equal to it), giving a ruleset canonically equal to `b`. Every
 * delete, replace and move names the old rule's text, which is checked, so a
 * change set applied to the wrong base fails instead of doing damage. `a` is
 * not modified; unchanged rules are shared with it.
 */
export function applyChangeSet(a: Ruleset, cs: ChangeSet): Ruleset {
  type ChainPlan = { adds: Change[]; deletes: Change[]; added: boolean; deleted: boolean; policy?: string };
  const plans = new Map<TableName, Map<string, ChainPlan>>();
  const planOf = (t: TableName, c: string): ChainPlan => {
    let tp = plans.get(t);
    if (!tp) plans.set(t, (tp = new Map()));
    let p = tp.get(c);
    if (!p) tp.set(c, (p = { adds: [], deletes: [], added: false, deleted: false }));
    return p;
  };
  for (const ch of cs.changes) {
    if (!TABLE_NAMES.includes(ch.table)) throw new ChangeSetError(`unknown table ${ch.table}`);
    const p = planOf(ch.table, ch.chain);
    switch (ch.op) {
      case 'add': p.adds.push(ch); break;
      case 'delete': p.deletes.push(ch); break;
      case 'replace':
      case 'move': p.adds.push(ch); p.deletes.push(ch); break;
      case 'policy': p.policy = ch.to; break;
      case 'chain-add': p.added = true; break;
      case 'chain-delete': p.deleted = true; break;
    }
  }

  const out: Ruleset = { family: a.family, tables: a.tables.map((t) => ({ ...t, chains: t.chains.slice() })) };
  for (const [tname, tp] of plans) {
    let t = out.tables.find((x) => x.name === tname);
    if (!t) {
      t = newTable(tname);
      out.tables.push(t);
    }
    const table = t;
    // chains that will exist, for jumps in added rules
    const names = new Set(table.chains.map((c) => c.name));
    for (const [cname, p] of tp) {
      if (p.added) names.add(cname);
      if (p.deleted) names.delete(cname);
    }
    for (const [cname, p] of tp) {
      let idx = table.chains.findIndex((c) => c.name === cname);
      if (p.added) {
        if (idx >= 0) throw new ChangeSetError(`chain ${cname} already exists in table ${tname}`);
        table.chains.push({ name: cname, builtin: false, policy: null, counters: null, rules: [], disabled: [] });
        idx = table.chains.length - 1;
      }
      if (idx < 0) throw new ChangeSetError(`no chain ${cname} in table ${tname}`);
      const old = table.chains[idx];
      const rules = applyToRules(tname, old, p.adds, p.deletes, names);
      // commented-out rules stay, at most at the chain's new end (their neighbours may be gone)
      const disabled = rules === old.rules ? old.disabled : old.disabled.map((x) => ({ ...x, before: Math.min(x.before, rules.length) }));
      const chain: Chain = { ...old, rules, disabled };
      if (p.policy !== undefined) {
        if (!old.builtin) throw new ChangeSetError(`chain ${cname} is a user chain and has no policy`);
        if (p.policy !== 'ACCEPT' && p.policy !== 'DROP') throw new ChangeSetError(`bad policy ${p.policy}`);
        chain.policy = p.policy;
      }
      if (p.deleted) {
        if (old.builtin) throw new ChangeSetError(`cannot delete builtin chain ${cname}`);
        if (chain.rules.length) throw new ChangeSetError(`chain ${cname} still has rules`);
        table.chains.splice(idx, 1);
      } else {
        table.chains[idx] = chain;
      }
    }
  }
  return out;
}

function applyToRules(table: TableName, chain: Chain, adds: Change[], deletes: Change[], chainNames: Set<string>): Rule[] {
  if (adds.length === 0 && deletes.length === 0) return chain.rules;
  const old = chain.rules;
  const head = `-A ${chain.name}`;
  const check = (i: number, text: string) => {
    if (i < 1 || i > old.length) throw new ChangeSetError(`${chain.name} has no rule #${i}`);
    if (head + canonicalRuleBody(old[i - 1]) !== text) throw new ChangeSetError(`${chain.name} #${i} is not "${text}"`);
  };
  // Remove deleted and moved-away rules; replaced rules are swapped in place.
  const gone = new Uint8Array(old.length + 1);
  const swapped = new Map<number, Rule>();
  for (const c of deletes) {
    if (c.op === 'delete') {
      check(c.index, c.rule);
      gone[c.index] = 1;
    } else if (c.op === 'move') {
      check(c.fromIndex, c.rule);
      gone[c.fromIndex] = 1;
    } else if (c.op === 'replace') {
      check(c.fromIndex, c.from);
      swapped.set(c.fromIndex, parseRuleText(table, chain.name, c.to, chainNames));
    }
  }
  const kept: Rule[] = [];
  for (let i = 1; i <= old.length; i++) {
    if (gone[i]) continue;
    kept.push(swapped.get(i) ?? old[i - 1]);
  }
  // Added, moved-in and replacing rules sit at their new positions; the kept
  // rules fill the other places in order (the diff aligned them that way).
  const placed = new Map<number, Rule>();
  for (const c of adds) {
    if ((c.op === 'add' || c.op === 'move') && placed.has(c.index)) throw new ChangeSetError(`${chain.name}: two rules for position #${c.index}`);
    if (c.op === 'add') placed.set(c.index, parseRuleText(table, chain.name, c.rule, chainNames));
    else if (c.op === 'move') placed.set(c.index, old[c.fromIndex - 1]);
  }
  // a replace keeps its slot among the kept rules; its new index only has to agree
  const total = kept.length + placed.size;
  const rules: Rule[] = new Array(total);
  let k = 0;
  for (let pos = 1; pos <= total; pos++) {
    const p = placed.get(pos);
    if (p) rules[pos - 1] = p;
    else {
      if (k >= kept.length) throw new ChangeSetError(`${chain.name}: rule positions do not fit`);
      rules[pos - 1] = kept[k++];
    }
  }
  if (k !== kept.length) throw new ChangeSetError(`${chain.name}: rule positions do not fit`);
  for (const c of adds) {
    if (c.op === 'replace' && rules[c.index - 1] !== swapped.get(c.fromIndex))
      throw new ChangeSetError(`${chain.name}: replaced rule #${c.fromIndex} does not land on #${c.index}`);
  }
  return rules;
}

/** Parse one canonical `-A CHAIN …` text into a rule of `table`. */
function parseRuleText(table: TableName, chain: string, text: string, chainNames: Set<string>): Rule {
  const { words } = tokenizeLine(text);
  let parsed;
  try {
    parsed = parseCommandWords(words, { table, isChain: (n) => chainNames.has(n) });
  } catch (e) {
    if (e instanceof RuleError) throw new ChangeSetError(`cannot parse "${text}": ${e.message}`);
    throw e;
  }
  const c = parsed.command;
  if (c.kind !== 'append' || c.chain !== chain || c.rules.length !== 1) throw new ChangeSetError(`"${text}" is not one rule of ${chain}`);
  return c.rules[0];
}

// ---- text views for the CLI -------------------------------------------------------

export interface ViewOptions {
  /** unchanged rules shown around each change (default 3) */
  context?: number;
}

function chainHeader(c: ChainDiff): string {
  const pol = c.policy && c.policy.from !== c.policy.to ? ` policy ${c.policy.from} → ${c.policy.to}` : '';
  const st = c.status === 'added' ? ' (new chain)' : c.status === 'deleted' ? ' (chain deleted)' : '';
  return `@@ ${c.table} ${c.chain}${st}${pol} @@`;
}

/** Which rows to show with `context` unchanged rows around changes; null marks a skipped run. */
function visibleRows(rows: DiffRow[], context: number): (DiffRow | { skipped: number })[] {
  const show = new Uint8Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].kind === 'same') continue;
    for (let q = Math.max(0, r - context); q <= Math.min(rows.length - 1, r + context); q++) show[q] = 1;
  }
  const out: (DiffRow | { skipped: number })[] = [];
  let skipped = 0;
  for (let r = 0; r < rows.length; r++) {
    if (show[r]) {
      if (skipped) out.push({ skipped });
      skipped = 0;
      out.push(rows[r]);
    } else skipped++;
  }
  if (skipped) out.push({ skipped });
  return out;
}

/** A unified view, one hunk per changed chain: ` ` kept, `-` old, `+` new. */
export function formatUnified(d: RulesetDiff, oldName: string, newName: string, opts: ViewOptions = {}): string {
  const context = opts.context ?? 3;
  const lines: string[] = [`--- ${oldName}`, `+++ ${newName}`];
  for (const c of d.chains) {
    if (c.status === 'same') continue;
    lines.push(chainHeader(c));
    for (const r of visibleRows(c.rows, context)) {
      if ('skipped' in r) {
        lines.push(`  … ${r.skipped} unchanged rule${r.skipped === 1 ? '' : 's'}`);
        continue;
      }
      switch (r.kind) {
        case 'same': lines.push(`  ${r.right!.text}`); break;
        case 'delete': lines.push(`- ${r.left!.text}`); break;
        case 'add': lines.push(`+ ${r.right!.text}`); break;
        case 'replace': lines.push(`- ${r.left!.text}`, `+ ${r.right!.text}`); break;
        case 'move-from': lines.push(`- ${r.left!.text}    # moved to #${r.other}`); break;
        case 'move-to': lines.push(`+ ${r.right!.text}    # moved from #${r.other}`); break;
      }
    }
  }
  return lines.join('\n') + '\n';
}

function fit(s: string, w: number): string {
  const chars = [...s];
  if (chars.length <= w) return s + ' '.repeat(w - chars.length);
  return chars.slice(0, w - 1).join('') + '…';
}

/** Two columns per changed chain, old on the left, new on the right, a marker between. */
export function formatSideBySide(d: RulesetDiff, oldName: string, newName: string, opts: ViewOptions & { width?: number } = {}): string {
  const context = opts.context ?? 3;
  const col = Math.max(20, Math.floor(((opts.width ?? 160) - 3) / 2));
  const lines: string[] = [`${fit(oldName, col)}   ${newName}`];
  const marks: Record<RowKind, string> = { same: ' ', add: '>', delete: '<', replace: '|', 'move-from': '<', 'move-to': '>' };
  for (const c of d.chains) {
    if (c.status === 'same') continue;
    lines.push(chainHeader(c));
    for (const r of visibleRows(c.rows, context)) {
      if ('skipped' in r) {
        lines.push(fit(`… ${r.skipped} unchanged`, col) + '   ' + `… ${r.skipped} unchanged`);
        continue;
      }
      const left = r.left ? `${r.left.index} ${r.left.text}` : '';
      let right = r.right ? `${r.right.index} ${r.right.text}` : '';
      let leftText = left;
      if (r.kind === 'move-from') leftText = `${left} (→ #${r.other})`;
      if (r.kind === 'move-to') right = `${right} (from #${r.other})`;
      lines.push(`${fit(leftText, col)} ${marks[r.kind]} ${right}`.trimEnd());
    }
  }
  return lines.join('\n') + '\n';
}
