// Which later rules of a chain can a packet set meet? An index over one
// chain's deciding rules, so a check that walks "the rules after this one that
// share packets with it" (limit-without-drop) looks only at rules that can
// share some, instead of at every later rule: without it a chain with 10,000
// rate limits followed by 70,000 other rules costs 700 million comparisons.
//
// Each rule is filed in every indexed dimension: under its address block
// (src, dst) or under each of its values (ports, protocol, ICMP type,
// interfaces, state), or in that dimension's "broad" list when it is not
// narrow there. A query picks the one dimension where its own set yields the
// fewest candidates; candidates are a superset of the rules that meet it, in
// position order, and the caller still tests each one. The value dimensions
// are filed on the first query that the address dimensions leave with more
// than a few candidates (FEW).
//
// The lists by key are PosLists (typed arrays, laid out contiguously once the
// index is built): a Map of arrays per dimension cost about 9 MB of objects
// for the 20,000 INPUT rules of the blocklist shape.
import { DIM, type Box, type IntervalSet } from '../analysis/space.js';
import { PosLists } from './pos-lists.js';

const LEVELS = [32, 24, 16, 8];
const MAX_VALUES = 64;
const PREFIX_DIMS = [DIM.src, DIM.dst];
const VALUE_DIMS = [DIM.proto, DIM.sport, DIM.dport, DIM.icmp, DIM.inIface, DIM.outIface, DIM.state];

const SHIFTS = LEVELS.map((l) => 32 - l);
/** The block of an address (0 … 2^32 − 1) at level k of LEVELS, by an integer shift (a /32's as a small integer). */
const blockOf = (addr: number, k: number) => (k === 0 ? addr | 0 : addr >>> SHIFTS[k]);

/** The narrowest level whose block holds the single interval whole, or -1. */
function levelOf(s: IntervalSet): number {
  if (s.length !== 2) return -1;
  for (let k = 0; k < LEVELS.length; k++) if (blockOf(s[0], k) === blockOf(s[1], k)) return k;
  return -1;
}

/** At most MAX_VALUES values in the set (ICMP counted by type). */
function isSmall(d: number, s: IntervalSet): boolean {
  const shift = d === DIM.icmp ? 8 : 0;
  let n = 0;
  for (let i = 0; i < s.length; i += 2) {
    n += (s[i + 1] >> shift) - (s[i] >> shift) + 1;
    if (n > MAX_VALUES) return false;
  }
  return true;
}

const pushLast = (l: number[], pos: number) => { if (l[l.length - 1] !== pos) l.push(pos); };

/** First index in l[from … to) (ascending) whose value is greater than pos. */
function after(l: ArrayLike<number>, from: number, to: number, pos: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (l[mid] <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PrefixDim { d: number; broad: number[]; own: PosLists[]; desc: PosLists[] }
interface ValueDim { d: number; broad: number[]; byValue: PosLists }

/** The lists one query gathers: list i is arrs[i][from[i] … to[i]) (ascending positions). */
class Lists {
  arrs: Array<ArrayLike<number>> = [];
  from: number[] = [];
  to: number[] = [];
  push(arr: ArrayLike<number>, from: number, to: number): void {
    this.arrs.push(arr);
    this.from.push(from);
    this.to.push(to);
  }
  /** the list of key `slot` of a (frozen) PosLists */
  pushSlot(m: PosLists, slot: number): void {
    const start = m.start(slot);
    this.push(m.list(), start, start + m.count(slot));
  }
}

/**
 * A query whose address lists hold at most this many rules takes them without
 * the value dimensions: those are filed only when a query needs them (a
 * blocklist's 10,000 limited /24 rules each meet a few rules of their block;
 * filing 20,000 rules by protocol, ports and state was most of the check).
 */
const FEW = 64;

export class MeetIndex {
  private all: number[] = [];
  private prefix: PrefixDim[] = PREFIX_DIMS.map((d) => ({ d, broad: [], own: LEVELS.map(() => new PosLists()), desc: LEVELS.map(() => new PosLists()) }));
  private value: ValueDim[] | null = null;
  private frozen = false;

  /** `boxesOf`: the boxes of a filed position again (the value dimensions are filed from them on first need). */
  constructor(private readonly boxesOf: (pos: number) => Box[]) {}

  /**
   * Files a rule; positions must be added in ascending order. Written without
   * arrays per rule (every deciding rule of a chain is filed).
   */
  add(pos: number, boxes: Box[]): void {
    if (this.frozen) throw new Error('MeetIndex.add after a query');
    this.all.push(pos);
    for (const p of this.prefix) {
      let broad = false;
      for (const b of boxes) {
        const s = b.get(p.d);
        if (!s || levelOf(s) < 0) { broad = true; break; }
      }
      if (broad) { pushLast(p.broad, pos); continue; }
      for (const b of boxes) {
        const s = b.get(p.d)!;
        const k = levelOf(s);
        p.own[k].add(blockOf(s[0], k), pos);
        for (let j = k + 1; j < LEVELS.length; j++) p.desc[j].add(blockOf(s[0], j), pos);
      }
    }
  }

  /** Files every rule in the value dimensions (after the last add: from boxesOf). */
  private fileValues(): ValueDim[] {
    const value: ValueDim[] = VALUE_DIMS.map((d) => ({ d, broad: [], byValue: new PosLists() }));
    for (const pos of this.all) this.addValues(value, pos, this.boxesOf(pos));
    for (const v of value) v.byValue.freeze();
    return (this.value = value);
  }

  private addValues(value: ValueDim[], pos: number, boxes: Box[]): void {
    for (const v of value) {
      let broad = false;
      for (const b of boxes) {
        const s = b.get(v.d);
        if (!s || !isSmall(v.d, s)) { broad = true; break; }
      }
      if (broad) { pushLast(v.broad, pos); continue; }
      const shift = v.d === DIM.icmp ? 8 : 0;
      for (const b of boxes) {
        const s = b.get(v.d)!;
        for (let i = 0; i < s.length; i += 2) for (let x = s[i] >> shift; x <= s[i + 1] >> shift; x++) v.byValue.add(x, pos);
      }
    }
  }

  /**
   * Lists (ascending positions) whose union holds every indexed rule that may
   * meet the boxes: those of the dimension where they are shortest. Sizes are
   * counted first and only the chosen dimension's lists are gathered.
   */
  private lists(boxes: Box[]): Lists {
    let bestSize = this.all.length;
    let best = -1;
    for (let i = 0; i < this.prefix.length; i++) {
      const n = this.prefixLists(this.prefix[i], boxes, null);
      if (n >= 0 && n < bestSize) { bestSize = n; best = i; }
    }
    // few enough by address: the value dimensions are not asked (nor filed, until a query needs them)
    const value = best >= 0 && bestSize <= FEW ? null : (this.value ?? this.fileValues());
    if (value) {
      for (let i = 0; i < value.length; i++) {
        const n = this.valueLists(value[i], boxes, null);
        if (n >= 0 && n < bestSize) { bestSize = n; best = this.prefix.length + i; }
      }
    }
    const out = new Lists();
    if (best < 0) {
      out.push(this.all, 0, this.all.length);
      return out;
    }
    if (best < this.prefix.length) this.prefixLists(this.prefix[best], boxes, out);
    else this.valueLists(value![best - this.prefix.length], boxes, out);
    return out;
  }

  /** The lists of one address dimension into `out` (when given); their total length, -1 when a box is not narrow there. */
  private prefixLists(p: PrefixDim, boxes: Box[], out: Lists | null): number {
    let n = p.broad.length;
    out?.push(p.broad, 0, p.broad.length);
    for (const b of boxes) {
      const s = b.get(p.d);
      const k = s ? levelOf(s) : -1;
      if (k < 0) return -1;
      for (let j = k; j < LEVELS.length; j++) {
        const l = p.own[j].find(blockOf(s![0], j));
        if (l >= 0) { n += p.own[j].count(l); out?.pushSlot(p.own[j], l); }
      }
      const d = p.desc[k].find(blockOf(s![0], k));
      if (d >= 0) { n += p.desc[k].count(d); out?.pushSlot(p.desc[k], d); }
    }
    return n;
  }

  /** The lists of one value dimension into `out` (when given); their total length, -1 when a box has too many values there. */
  private valueLists(v: ValueDim, boxes: Box[], out: Lists | null): number {
    let n = v.broad.length;
    out?.push(v.broad, 0, v.broad.length);
    const shift = v.d === DIM.icmp ? 8 : 0;
    for (const b of boxes) {
      const s = b.get(v.d);
      if (!s || !isSmall(v.d, s)) return -1;
      for (let i = 0; i < s.length; i += 2) {
        for (let x = s[i] >> shift; x <= s[i + 1] >> shift; x++) {
          const l = v.byValue.find(x);
          if (l >= 0) { n += v.byValue.count(l); out?.pushSlot(v.byValue, l); }
        }
      }
    }
    return n;
  }

  /**
   * Every indexed position after `pos` whose rule may meet the boxes,
   * ascending, each once: next() gives the following one, -1 at the end (a
   * cursor rather than a generator: no result object per position).
   */
  candidates(boxes: Box[], pos: number): { next(): number } {
    if (!this.frozen) this.freeze();
    const { arrs, from, to } = this.lists(boxes);
    const at = arrs.map((l, i) => after(l, from[i], to[i], pos));
    return {
      next() {
        let min = Infinity;
        for (let i = 0; i < arrs.length; i++) if (at[i] < to[i] && arrs[i][at[i]] < min) min = arrs[i][at[i]];
        if (min === Infinity) return -1;
        for (let i = 0; i < arrs.length; i++) if (at[i] < to[i] && arrs[i][at[i]] === min) at[i]++;
        return min;
      },
    };
  }

  /** Every rule is filed (queries come after the last add): the lists are laid out for binary search. */
  private freeze(): void {
    this.frozen = true;
    for (const p of this.prefix) for (const m of [...p.own, ...p.desc]) m.freeze();
  }
}
