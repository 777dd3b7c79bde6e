// The diff's alignment of one chain: which old and new rules are the same rule
// (a common subsequence of canonical texts), which moved, and the order in which
// the rows of a view walk them.
import type { DiffRow, RowKind } from './diff-types.js';
import { pairBySimilarity } from './diff-pairing.js';

/** Interns canonical rule texts as small integers (0, 1, 2 … in order of first sight) so alignment compares numbers. */
export class Interner {
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let v = this.ids.get(s);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(s, v);
    }
    return v;
  }
  /** one more than the largest id given */
  get size(): number {
    return this.ids.size;
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
  // any numbers: renamed 0, 1, 2 … for alignDense
  const dense = new Map<number, number>();
  const rename = (xs: ArrayLike<number>) => Int32Array.from({ length: xs.length }, (_, k) => {
    let v = dense.get(xs[k]);
    if (v === undefined) dense.set(xs[k], (v = dense.size));
    return v;
  });
  const da = rename(a);
  const db = rename(b);
  return alignDense(da, db, dense.size, opts.patience === false ? MAX_PATIENCE_DEPTH : 0);
}

/** alignSequences of ids in [0, idCount), as an Interner gives them. */
function alignDense(a: Int32Array, b: Int32Array, idCount: number, depth = 0): Int32Array {
  const w: Work = { out: new Int32Array(2 * Math.min(a.length, b.length)), len: 0, inA: new Int32Array(idCount), inB: new Int32Array(idCount) };
  alignRange(a, 0, a.length, b, 0, b.length, w, depth);
  return w.out.subarray(0, w.len);
}

const MYERS_MAX_D = 1500;
const MAX_PATIENCE_DEPTH = 8;
const MYERS_BUDGET = 4_000_000;

/**
 * One alignment's state: the pairs found so far (out[0, len), never more than
 * the shorter side's length), and the scratch counters of uniqueAnchors, one
 * per id, zero between calls.
 */
interface Work {
  out: Int32Array;
  len: number;
  inA: Int32Array;
  inB: Int32Array;
}

function pair(w: Work, i: number, j: number): void {
  w.out[w.len++] = i;
  w.out[w.len++] = j;
}

function alignRange(a: Int32Array, a0: number, a1: number, b: Int32Array, b0: number, b1: number, w: Work, depth: number): void {
  // common prefix
  while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) pair(w, a0++, b0++);
  // common suffix (paired after the middle)
  let e = 0;
  while (a1 - e > a0 && b1 - e > b0 && a[a1 - 1 - e] === b[b1 - 1 - e]) e++;
  a1 -= e;
  b1 -= e;
  if (a0 < a1 && b0 < b1) {
    const anchors = depth < MAX_PATIENCE_DEPTH ? uniqueAnchors(a, a0, a1, b, b0, b1, w) : null;
    if (anchors && anchors.length > 0) {
      let pa = a0;
      let pb = b0;
      for (let k = 0; k < anchors.length; k += 2) {
        alignRange(a, pa, anchors[k], b, pb, anchors[k + 1], w, depth + 1);
        pair(w, anchors[k], anchors[k + 1]);
        pa = anchors[k] + 1;
        pb = anchors[k + 1] + 1;
      }
      alignRange(a, pa, a1, b, pb, b1, w, depth + 1);
    } else {
      myers(a, a0, a1, b, b0, b1, w);
    }
  }
  for (let k = 0; k < e; k++) pair(w, a1 + k, b1 + k);
}

/** Lines that occur exactly once in each range, longest increasing run of them (patience). */
function uniqueAnchors(a: Int32Array, a0: number, a1: number, b: Int32Array, b0: number, b1: number, w: Work): Int32Array | null {
  // per id, in a: position + 1 when seen once, -1 more than once; in b likewise, for ids seen in a
  const { inA, inB } = w;
  for (let i = a0; i < a1; i++) {
    const v = a[i];
    inA[v] = inA[v] === 0 ? i + 1 : -1;
  }
  let k = 0;
  for (let j = b0; j < b1; j++) {
    const v = b[j];
    if (inA[v] === 0) continue;
    inB[v] = inB[v] === 0 ? j + 1 : -1;
  }
  for (let j = b0; j < b1; j++) {
    const v = b[j];
    if (inB[v] === j + 1 && inA[v] > 0) k++;
  }
  // pairs ordered by position in b
  const pairsA = new Int32Array(k);
  const pairsB = new Int32Array(k);
  k = 0;
  for (let j = b0; j < b1; j++) {
    const v = b[j];
    if (inB[v] === j + 1 && inA[v] > 0) {
      pairsA[k] = inA[v] - 1;
      pairsB[k++] = j;
    }
  }
  // the counters back to zero for the next call
  for (let i = a0; i < a1; i++) inA[a[i]] = 0;
  for (let j = b0; j < b1; j++) inB[b[j]] = 0;
  if (k === 0) return null;
  // longest increasing subsequence of pairsA (patience sorting, O(k log k))
  const tails = new Int32Array(k);
  let len = 0;
  const prev = new Int32Array(k).fill(-1);
  for (let x = 0; x < k; x++) {
    // past the longest run's last (most anchors of two versions of a chain are in order): where the search ends
    let lo = len > 0 && pairsA[tails[len - 1]] < pairsA[x] ? len : 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairsA[tails[mid]] < pairsA[x]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[x] = tails[lo - 1];
    tails[lo] = x;
    if (lo === len) len++;
  }
  const res = new Int32Array(len * 2);
  let x = tails[len - 1];
  for (let p = len - 1; p >= 0; p--) {
    res[2 * p] = pairsA[x];
    res[2 * p + 1] = pairsB[x];
    x = prev[x];
  }
  return res;
}

/** Myers' greedy LCS on a[a0,a1) × b[b0,b1); gives up (no matches) past its budget. */
function myers(a: Int32Array, a0: number, a1: number, b: Int32Array, b0: number, b1: number, w: Work): void {
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
  for (let p = pairs.length - 2; p >= 0; p -= 2) pair(w, pairs[p], pairs[p + 1]);
}

interface Alignment {
  /** matched (old, new) index pairs, increasing */
  pairs: Int32Array;
  /** old index → new index of the same rule moved elsewhere, or -1 */
  moveTo: Int32Array;
  /** new index → old index it was moved from, or -1 */
  moveFrom: Int32Array;
}

/**
 * Align one chain's rule texts. The equal prefix and suffix are found by
 * comparing strings (the common case: a few edits in a long chain), and only
 * the middle is interned as integers for the alignment proper.
 */
export function alignChain(left: readonly string[], right: readonly string[], interner: Interner, labels?: ChainLabels): Alignment {
  const n = left.length;
  const m = right.length;
  let pre = 0;
  while (pre < n && pre < m && left[pre] === right[pre]) pre++;
  let suf = 0;
  while (suf < n - pre && suf < m - pre && left[n - 1 - suf] === right[m - 1 - suf]) suf++;
  const labelled = labels ? { a: labels.a.subarray(pre, n - suf), b: labels.b.subarray(pre, m - suf), idCount: labels.count } : alignTuning.labels ? distinctLabels(left, right, pre, suf) : null;
  let a: Int32Array, b: Int32Array, idCount: number;
  if (labelled) ({ a, b, idCount } = labelled);
  else {
    a = new Int32Array(n - pre - suf);
    b = new Int32Array(m - pre - suf);
    for (let i = 0; i < a.length; i++) a[i] = interner.id(left[pre + i]);
    for (let j = 0; j < b.length; j++) b[j] = interner.id(right[pre + j]);
    idCount = interner.size;
  }
  const mid = alignDense(a, b, idCount);
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
 * Labels of two chains' rules made elsewhere (diff-reuse.ts's chainLabels):
 * numbers in [0, count), equal for two rules of either side exactly when
 * their texts are equal — except that rules of the new side no old rule equals
 * may share one label no old rule has. The alignment compares labels only, and
 * only where they pair a new rule with an old one, so any such labels align
 * as the Interner's do.
 */
export interface ChainLabels {
  a: Int32Array;
  b: Int32Array;
  count: number;
}

/** For tests: `labels` false aligns every chain by the Interner (distinctLabels must give the same alignment). */
export const alignTuning = { labels: true };

/** Rules of the new side looked at past the old rule that matched last, before the set is asked. */
const LABEL_WINDOW = 8;

/**
 * The middles (after `pre` equal rules, before `suf`) of two chains as ids for
 * alignDense, without an Interner, when the old chain's rules are all
 * different (null otherwise, the Interner's way then): old rule i is id i; a
 * new rule is the id of the old rule it equals, found next to where the last
 * one was found (a diff of two versions: most rules in the same order, the
 * very same strings when the new file took them from the old, diff-reuse.ts),
 * else by the set of the old rules and a search; every new rule no old one
 * equals is id n. Old rules and the new rules equal to them get the ids
 * equality gives, and the alignment reads ids only where they may be an old
 * rule's (anchors, matches and moves pair a new rule with an old one), so it
 * is the Interner's. A Map of 70,000 old rules was a third of a blocklist
 * diff's comparison.
 */
function distinctLabels(left: readonly string[], right: readonly string[], pre: number, suf: number): { a: Int32Array; b: Int32Array; idCount: number } | null {
  const n = left.length - pre - suf;
  const m = right.length - pre - suf;
  if (n === 0 || m === 0) return null;
  // the Set is built by V8 in one call (no script per rule); a size short of the length says some rules repeat
  const all = new Set(left);
  if (all.size !== left.length) return null;
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const b = new Int32Array(m);
  let c = 0; // where the next new rule is looked for first
  for (let j = 0; j < m; j++) {
    const s = right[pre + j];
    let id = n;
    const end = Math.min(n, c + LABEL_WINDOW);
    for (let i = c; i < end; i++) {
      if (left[pre + i] === s) {
        id = i;
        break;
      }
    }
    if (id === n && all.has(s)) {
      const at = left.indexOf(s, pre);
      if (at >= 0 && at - pre < n) id = at - pre; // else the equal rule is in the old prefix or suffix: none in the middle
    }
    if (id < n) c = id + 1;
    b[j] = id;
  }
  return { a, b, idCount: n + 1 };
}

/**
 * Walk an alignment in display order, calling `visit(kind, i, j)` with 0-based
 * old and new indexes (-1 for the side a row does not have). Within each gap
 * between matched rules, deleted and added rules are paired by similarity
 * (diff-pairing.ts) as replaces; the rest stay deletes and adds.
 */
export function walkAlignment(left: readonly string[], right: readonly string[], al: Alignment, visit: (kind: RowKind, i: number, j: number) => void, skipSame = false, stop?: () => void): void {
  const { pairs, moveTo, moveFrom } = al;
  let i = 0;
  let j = 0;
  const gap = (ai: number, bj: number) => {
    if (i === ai && j === bj) return;
    const i0 = i;
    const partner = gapPartners(left, right, i, ai, j, bj, al, stop);
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
function gapPartners(left: readonly string[], right: readonly string[], i0: number, i1: number, j0: number, j1: number, al: Alignment, stop?: () => void): Int32Array {
  const partner = new Int32Array(i1 - i0).fill(-1);
  const dels: number[] = [];
  const adds: number[] = [];
  for (let x = i0; x < i1; x++) if (al.moveTo[x] < 0) dels.push(x);
  for (let y = j0; y < j1; y++) if (al.moveFrom[y] < 0) adds.push(y);
  if (dels.length === 0 || adds.length === 0) return partner;
  const p = pairBySimilarity(
    dels.map((x) => left[x]),
    adds.map((y) => right[y]),
    stop,
  );
  for (let k = 0; k < dels.length; k++) if (p[k] >= 0) partner[dels[k] - i0] = adds[p[k]];
  return partner;
}

const KINDS: readonly RowKind[] = ['same', 'add', 'delete', 'replace', 'move-from', 'move-to'];

/**
 * The rows of one chain as a walk gives them, kept as four numbers per run of
 * rows (kind, old and new index, how many: a run of unchanged rules is one)
 * and made into DiffRow objects at the end — with a `context`, only the rows a
 * view shows: a 100,000-rule chain with a few changes is a few dozen numbers
 * and objects, not 100,000 rows.
 */
export class RowRecorder {
  private buf: Int32Array;
  /** numbers used in buf (4 per run) */
  private used = 0;
  constructor(most: number) {
    this.buf = new Int32Array(4 * Math.max(1, Math.min(most, 256)));
  }
  add(kind: RowKind, i: number, j: number): void {
    // (most rows are unchanged rules: no search of the kinds for them)
    const k = kind === 'same' ? 0 : KINDS.indexOf(kind);
    let b = this.buf;
    const w = this.used;
    // an unchanged rule right after a run of them (the walk goes on by one on both sides) makes the run longer
    if (k === 0 && w > 0 && b[w - 4] === 0 && b[w - 3] + b[w - 1] === i && b[w - 2] + b[w - 1] === j) {
      b[w - 1]++;
      return;
    }
    if (w + 4 > b.length) {
      const grown = new Int32Array(2 * b.length);
      grown.set(b);
      this.buf = b = grown;
    }
    b[w] = k;
    b[w + 1] = i;
    b[w + 2] = j;
    b[w + 3] = 1;
    this.used = w + 4;
  }
  /**
   * Every row, or with `context` the unchanged rows further than that from a
   * change left out (one `skipped` row per run): of a run, the first `context`
   * after a change and the last `context` before one are shown.
   */
  rows(left: readonly string[], right: readonly string[], al: Alignment, context?: number): DiffRow[] {
    const { buf, used } = this;
    const out: DiffRow[] = [];
    const row = (kind: RowKind, i: number, j: number) => {
      const r: DiffRow = { kind, left: i >= 0 ? { index: i + 1, text: left[i] } : null, right: j >= 0 ? { index: j + 1, text: right[j] } : null };
      if (kind === 'move-from') r.other = al.moveTo[i] + 1;
      if (kind === 'move-to') r.other = al.moveFrom[j] + 1;
      out.push(r);
    };
    for (let w = 0; w < used; w += 4) {
      const kind = KINDS[buf[w]];
      const i = buf[w + 1];
      const j = buf[w + 2];
      const count = buf[w + 3];
      if (kind !== 'same') {
        row(kind, i, j);
        continue;
      }
      // a run's neighbours are changes (runs next to each other are one)
      const head = context === undefined ? count : w > 0 ? Math.min(count, context) : 0;
      const tail = context === undefined ? 0 : w + 4 < used ? Math.min(count, context) : 0;
      if (head + tail >= count) {
        for (let t = 0; t < count; t++) row('same', i + t, j + t);
        continue;
      }
      for (let t = 0; t < head; t++) row('same', i + t, j + t);
      out.push({ kind: 'same', left: null, right: null, skipped: count - head - tail });
      for (let t = count - tail; t < count; t++) row('same', i + t, j + t);
    }
    return out;
  }
}

/** Rows of one chain: matched rules are `same`; the rest become moves, replaces, deletes and adds. */
export function diffRuleTexts(left: readonly string[], right: readonly string[], interner = new Interner()): DiffRow[] {
  return rowsOf(left, right, alignChain(left, right, interner));
}

function rowsOf(left: readonly string[], right: readonly string[], al: Alignment): DiffRow[] {
  const rec = new RowRecorder(left.length + right.length);
  walkAlignment(left, right, al, (kind, i, j) => rec.add(kind, i, j));
  return rec.rows(left, right, al);
}
