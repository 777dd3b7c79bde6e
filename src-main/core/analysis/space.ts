// Packet spaces for the lint: the set of packets a rule matches as a union of
// boxes, a box being one set of integers per dimension (addresses, protocol,
// ports, ICMP type/code, TCP flags, interfaces, conntrack state …), each set a
// sorted list of disjoint intervals. Box algebra is exact, so "these rules
// cover that one" is a proof, not a heuristic.

/** Sorted disjoint closed intervals, flattened: [lo0, hi0, lo1, hi1, …]. */
export type IntervalSet = number[];

export function iv(lo: number, hi: number): IntervalSet {
  return lo <= hi ? [lo, hi] : [];
}

export function fromValues(values: number[]): IntervalSet {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const out: number[] = [];
  for (const x of v) {
    if (out.length && out[out.length - 1] === x - 1) out[out.length - 1] = x;
    else out.push(x, x);
  }
  return out;
}

export function fromRanges(ranges: Array<[number, number]>): IntervalSet {
  const r = ranges.map(([a, b]) => (a <= b ? [a, b] : [b, a])).sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [a, b] of r) {
    if (out.length && a <= out[out.length - 1] + 1) out[out.length - 1] = Math.max(out[out.length - 1], b);
    else out.push(a, b);
  }
  return out;
}

function intersect(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i], b[j]);
    const hi = Math.min(a[i + 1], b[j + 1]);
    if (lo <= hi) out.push(lo, hi);
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return out;
}

export function complement(a: IntervalSet, max: number): IntervalSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > next) out.push(next, a[i] - 1);
    next = a[i + 1] + 1;
  }
  if (next <= max) out.push(next, max);
  return out;
}

function subtract(a: IntervalSet, b: IntervalSet, max: number): IntervalSet {
  return intersect(a, complement(b, max));
}

export function isFull(a: IntervalSet, max: number): boolean {
  return a.length === 2 && a[0] === 0 && a[1] === max;
}

export function size(a: IntervalSet): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) n += a[i + 1] - a[i] + 1;
  return n;
}

// ---- dimensions ------------------------------------------------------------------

export const DIM = {
  src: 0, dst: 1, proto: 2, sport: 3, dport: 4, icmp: 5, tcpFlags: 6, inIface: 7, outIface: 8, state: 9, fragment: 10,
} as const;
const FIXED_DIMS = 11;
const FIXED_MAX = [0xffffffff, 0xffffffff, 255, 65535, 65535, 0xffff, 63, -1, -1, 4, 1];

/** The dimensions of one analysis: interface classes and opaque matches depend on the ruleset. */
export class Dims {
  private opaque = new Map<string, number>();
  constructor(readonly inIfaceMax: number, readonly outIfaceMax: number) {}
  max(d: number): number {
    if (d === DIM.inIface) return this.inIfaceMax;
    if (d === DIM.outIface) return this.outIfaceMax;
    return d < FIXED_DIMS ? FIXED_MAX[d] : 1;
  }
  /** a yes/no dimension for a match we do not model, one per distinct printed text */
  opaqueDim(text: string): number {
    let d = this.opaque.get(text);
    if (d === undefined) this.opaque.set(text, (d = FIXED_DIMS + this.opaque.size));
    return d;
  }
}

/**
 * One interval set per constrained dimension; absent dimensions are
 * unconstrained. A Map's interface (get, set, has, size, iteration in the
 * order dimensions were first set) over one flat array [d0, s0, d1, s1 …]
 * of exact length: the lint keeps a box per rule, and a Map's hash table
 * costs about 175 bytes where this costs about 50.
 */
export class Box {
  private kv: Array<number | IntervalSet>;

  /** `kv`: ofFlat's array, taken as it is (no empty array made only to be replaced) */
  constructor(from?: Box, kv?: Array<number | IntervalSet>) {
    this.kv = kv ?? (from ? from.kv.slice() : []);
  }

  /** A box with the given sets, in order (each dimension once). */
  static of(entries: Iterable<readonly [number, IntervalSet]>): Box {
    const b = new Box();
    for (const [d, s] of entries) b.set(d, s);
    return b;
  }

  /**
   * A box over [d0, s0, d1, s1 …] as given (the array becomes the box's own):
   * each dimension once, no set empty or full (what constrain would have left).
   */
  static ofFlat(kv: Array<number | IntervalSet>): Box {
    return new Box(undefined, kv);
  }

  get size(): number {
    return this.kv.length >> 1;
  }

  /** The k-th constrained dimension (0 ≤ k < size), in the order it was first set. */
  dimAt(k: number): number {
    return this.kv[2 * k] as number;
  }

  /** The set of the k-th constrained dimension. */
  setAt(k: number): IntervalSet {
    return this.kv[2 * k + 1] as IntervalSet;
  }

  get(d: number): IntervalSet | undefined {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === d) return kv[i + 1] as IntervalSet;
    return undefined;
  }

  has(d: number): boolean {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === d) return true;
    return false;
  }

  set(d: number, s: IntervalSet): this {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] === d) {
        kv[i + 1] = s;
        return this;
      }
    }
    // a new array of exact length (push would reserve room for 16 more), without concat's temporary
    const n = kv.length;
    if (n === 0) {
      this.kv = [d, s];
      return this;
    }
    const next = new Array<number | IntervalSet>(n + 2);
    for (let i = 0; i < n; i++) next[i] = kv[i];
    next[n] = d;
    next[n + 1] = s;
    this.kv = next;
    return this;
  }

  keys(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.kv.length; i += 2) out.push(this.kv[i] as number);
    return out;
  }

  values(): IntervalSet[] {
    const out: IntervalSet[] = [];
    for (let i = 1; i < this.kv.length; i += 2) out.push(this.kv[i] as IntervalSet);
    return out;
  }

  entries(): Array<[number, IntervalSet]> {
    const out: Array<[number, IntervalSet]> = [];
    for (let i = 0; i < this.kv.length; i += 2) out.push([this.kv[i] as number, this.kv[i + 1] as IntervalSet]);
    return out;
  }

  [Symbol.iterator](): Iterator<[number, IntervalSet]> {
    return this.entries()[Symbol.iterator]();
  }
}

export function isEmptyBox(b: Box): boolean {
  for (let k = 0; k < b.size; k++) if (b.setAt(k).length === 0) return true;
  return false;
}

/** Restricts a box in one dimension (in place). */
export function constrain(b: Box, d: number, s: IntervalSet, dims: Dims): void {
  const cur = b.get(d);
  const next = cur ? intersect(cur, s) : s;
  if (!cur && isFull(next, dims.max(d))) return;
  b.set(d, next);
}

/** The parts of `r` outside `e`, as disjoint boxes ([r] when they do not meet). */
export function boxDiff(r: Box, e: Box, dims: Dims): Box[] {
  // disjoint: r whole, found without building a piece per dimension first (most pairs the shadow check tries)
  if (!boxesMeet(r, e)) return [r];
  const out: Box[] = [];
  let cur: Box = r;
  for (let k = 0; k < e.size; k++) {
    const d = e.dimAt(k);
    const es = e.setAt(k);
    const max = dims.max(d);
    const rs = cur.get(d) ?? [0, max];
    const inter = intersect(rs, es);
    if (inter.length === 0) return [r];
    const rest = subtract(rs, es, max);
    if (rest.length) {
      const piece = new Box(cur);
      piece.set(d, rest);
      out.push(piece);
    }
    if (inter.length !== rs.length || inter.some((x, j) => x !== rs[j])) {
      cur = new Box(cur);
      cur.set(d, inter);
    }
  }
  return out;
}

/** True when the two sets share a value (intersect(a, b).length > 0, without building it). */
function setsMeet(a: IntervalSet, b: IntervalSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (Math.max(a[i], b[j]) <= Math.min(a[i + 1], b[j + 1])) return true;
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return false;
}

export function boxesMeet(a: Box, b: Box): boolean {
  for (let k = 0; k < b.size; k++) {
    const t = a.get(b.dimAt(k));
    if (t && !setsMeet(t, b.setAt(k))) return false;
  }
  return true;
}

/** Interface names grouped into classes that every pattern in the ruleset treats alike. */
export class IfaceClasses {
  private exact: string[];
  private prefixes: string[];
  private cache = new Map<string, IntervalSet>();
  constructor(patterns: Iterable<string>) {
    const ex = new Set<string>();
    const pre = new Set<string>();
    for (const p of patterns) {
      if (p.endsWith('+')) pre.add(p.slice(0, -1));
      else ex.add(p);
    }
    pre.add(''); // the class of names no prefix names
    this.exact = [...ex].sort();
    this.prefixes = [...pre].sort();
  }
  get max(): number {
    return this.exact.length + this.prefixes.length - 1;
  }
  /**
   * The classes a pattern matches: the names it names, as intervals of their
   * positions. Both lists are sorted, so the names that start with a prefix
   * are one run of each, found by binary search (Calico's thousands of
   * cali… interfaces made a scan of every name per pattern quadratic).
   */
  classesOf(pattern: string): IntervalSet {
    let s = this.cache.get(pattern);
    if (s) return s;
    const { exact, prefixes } = this;
    if (pattern.endsWith('+')) {
      const q = pattern.slice(0, -1);
      const [a, b] = prefixRun(exact, q);
      const [c, d] = prefixRun(prefixes, q);
      const e = exact.length;
      // as fromValues would merge the positions a … b-1 and e+c … e+d-1
      s = [];
      if (a < b) s.push(a, b - 1);
      if (c < d) {
        if (a < b && b === e && c === 0) s[s.length - 1] = e + d - 1;
        else s.push(e + c, e + d - 1);
      }
    } else {
      const k = lowerBound(exact, pattern);
      s = k < exact.length && exact[k] === pattern ? [k, k] : [];
    }
    this.cache.set(pattern, s);
    return s;
  }
}

/** The first index of the sorted list whose string is not below s (the order of Array.prototype.sort). */
function lowerBound(list: string[], s: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [from, to): the run of the sorted list whose strings start with q. */
function prefixRun(list: string[], q: string): [number, number] {
  const from = lowerBound(list, q);
  let to = from;
  while (to < list.length && list[to].startsWith(q)) to++;
  return [from, to];
}
