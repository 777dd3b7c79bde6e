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
// position order, and the caller still tests each one.
import { DIM, type Box, type IntervalSet } from '../analysis/space.js';

const LEVELS = [32, 24, 16, 8];
const MAX_VALUES = 64;
const PREFIX_DIMS = [DIM.src, DIM.dst];
const VALUE_DIMS = [DIM.proto, DIM.sport, DIM.dport, DIM.icmp, DIM.inIface, DIM.outIface, DIM.state];

const blockOf = (addr: number, level: number) => (level === 32 ? addr : Math.floor(addr / 2 ** (32 - level)));

/** The narrowest level whose block holds the single interval whole, or -1. */
function levelOf(s: IntervalSet): number {
  if (s.length !== 2) return -1;
  for (let k = 0; k < LEVELS.length; k++) if (blockOf(s[0], LEVELS[k]) === blockOf(s[1], LEVELS[k])) return k;
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

/** The values of a small set (ICMP by type), or null when it has too many. */
function valuesOf(d: number, s: IntervalSet): number[] | null {
  if (!isSmall(d, s)) return null;
  const shift = d === DIM.icmp ? 8 : 0;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) for (let v = s[i] >> shift; v <= s[i + 1] >> shift; v++) out.push(v);
  return out;
}

function add(m: Map<number, number[]>, key: number, pos: number): void {
  const l = m.get(key);
  if (!l) m.set(key, [pos]);
  else if (l[l.length - 1] !== pos) l.push(pos);
}

const pushLast = (l: number[], pos: number) => { if (l[l.length - 1] !== pos) l.push(pos); };

/** First index of the ascending list whose value is greater than pos. */
function after(l: number[], pos: number): number {
  let lo = 0;
  let hi = l.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (l[mid] <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PrefixDim { d: number; broad: number[]; own: Array<Map<number, number[]>>; desc: Array<Map<number, number[]>> }
interface ValueDim { d: number; broad: number[]; byValue: Map<number, number[]> }

export class MeetIndex {
  private all: number[] = [];
  private prefix: PrefixDim[] = PREFIX_DIMS.map((d) => ({ d, broad: [], own: LEVELS.map(() => new Map()), desc: LEVELS.map(() => new Map()) }));
  private value: ValueDim[] = VALUE_DIMS.map((d) => ({ d, broad: [], byValue: new Map() }));

  /**
   * Files a rule; positions must be added in ascending order. Written without
   * arrays per rule (every deciding rule of a chain is filed).
   */
  add(pos: number, boxes: Box[]): void {
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
        add(p.own[k], blockOf(s[0], LEVELS[k]), pos);
        for (let j = k + 1; j < LEVELS.length; j++) add(p.desc[j], blockOf(s[0], LEVELS[j]), pos);
      }
    }
    for (const v of this.value) {
      let broad = false;
      for (const b of boxes) {
        const s = b.get(v.d);
        if (!s || !isSmall(v.d, s)) { broad = true; break; }
      }
      if (broad) { pushLast(v.broad, pos); continue; }
      const shift = v.d === DIM.icmp ? 8 : 0;
      for (const b of boxes) {
        const s = b.get(v.d)!;
        for (let i = 0; i < s.length; i += 2) for (let x = s[i] >> shift; x <= s[i + 1] >> shift; x++) add(v.byValue, x, pos);
      }
    }
  }

  /** Lists (ascending positions) whose union holds every indexed rule that may meet the boxes. */
  private lists(boxes: Box[]): number[][] {
    let best: number[][] = [this.all];
    let bestSize = this.all.length;
    const consider = (ls: number[][] | null) => {
      if (!ls) return;
      let n = 0;
      for (const l of ls) n += l.length;
      if (n < bestSize) { best = ls; bestSize = n; }
    };
    for (const p of this.prefix) consider(this.prefixLists(p, boxes));
    for (const v of this.value) consider(this.valueLists(v, boxes));
    return best;
  }

  private prefixLists(p: PrefixDim, boxes: Box[]): number[][] | null {
    const out = [p.broad];
    for (const b of boxes) {
      const s = b.get(p.d);
      const k = s ? levelOf(s) : -1;
      if (k < 0) return null;
      for (let j = k; j < LEVELS.length; j++) {
        const l = p.own[j].get(blockOf(s![0], LEVELS[j]));
        if (l) out.push(l);
      }
      const d = p.desc[k].get(blockOf(s![0], LEVELS[k]));
      if (d) out.push(d);
    }
    return out;
  }

  private valueLists(v: ValueDim, boxes: Box[]): number[][] | null {
    const out = [v.broad];
    for (const b of boxes) {
      const s = b.get(v.d);
      const xs = s ? valuesOf(v.d, s) : null;
      if (!xs) return null;
      for (const x of xs) {
        const l = v.byValue.get(x);
        if (l) out.push(l);
      }
    }
    return out;
  }

  /**
   * Every indexed position after `pos` whose rule may meet the boxes,
   * ascending, each once: next() gives the following one, -1 at the end (a
   * cursor rather than a generator: no result object per position).
   */
  candidates(boxes: Box[], pos: number): { next(): number } {
    const lists = this.lists(boxes);
    const at = lists.map((l) => after(l, pos));
    return {
      next() {
        let min = Infinity;
        for (let i = 0; i < lists.length; i++) if (at[i] < lists[i].length && lists[i][at[i]] < min) min = lists[i][at[i]];
        if (min === Infinity) return -1;
        for (let i = 0; i < lists.length; i++) if (at[i] < lists[i].length && lists[i][at[i]] === min) at[i]++;
        return min;
      },
    };
  }
}
