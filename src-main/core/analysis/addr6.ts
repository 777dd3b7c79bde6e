// IPv6 networks as exact packet-space intervals. 128-bit addresses do not fit
// the interval sets (doubles), but the networks of one ruleset are prefixes,
// and prefixes either nest or are disjoint: numbered in depth-first order, each
// network is the interval of its own number and its sub-networks'. One number
// stands for "in this network but in none of its sub-networks named in the
// ruleset", so the algebra stays exact for every question the lint asks.
import type { AddressSpec, Rule, Ruleset } from '../model.js';
import type { IntervalSet } from './space.js';

type Net6 = Extract<AddressSpec, { kind: 'net6' }>;

/**
 * Scratch for reading a 128-bit BigInt as four 32-bit words: DataView's
 * setBigUint64 takes the low 64 bits without a BigInt per word (masks and
 * shifts would allocate eight per address), with the byte order spelled out.
 */
const scratch = new DataView(new ArrayBuffer(16));

/** Writes the four 32-bit words of `v` (most significant first) at out[at … at+3]. */
export function words6(v: bigint, out: Uint32Array, at: number): void {
  scratch.setBigUint64(0, v >> 64n);
  scratch.setBigUint64(8, v);
  out[at] = scratch.getUint32(0);
  out[at + 1] = scratch.getUint32(4);
  out[at + 2] = scratch.getUint32(8);
  out[at + 3] = scratch.getUint32(12);
}

const one = new Uint32Array(4);
/** the network find() looks for */
const probe = new Uint32Array(4);
const probeLen = new Uint8Array(1);

/** The prefix length of a 128-bit mask when its one bits are contiguous from the top, else -1 (maskToPrefix6 over words). */
export function prefixOf6(mask: bigint): number {
  words6(mask, one, 0);
  let len = 0;
  let w = 0;
  while (w < 4 && one[w] === 0xffffffff) { len += 32; w++; }
  if (w === 4) return 128;
  // leading ones of the first word that is not all ones, then nothing but zeros
  const ones = Math.clz32(~one[w]);
  if (((one[w] << ones) | 0) !== 0) return -1;
  for (let k = w + 1; k < 4; k++) if (one[k] !== 0) return -1;
  return len + ones;
}

/** Words and lengths of networks, in the order they were added (duplicates included), after ::/0 (entry 0: every network is inside it). */
class Nets {
  words = new Uint32Array(64);
  lens = new Uint8Array(16);
  n = 0;

  constructor() {
    this.add(0n, 0);
  }

  add(addr: bigint, len: number): number {
    if (this.n === this.lens.length) {
      const w = new Uint32Array(this.words.length * 2);
      w.set(this.words);
      this.words = w;
      const l = new Uint8Array(this.lens.length * 2);
      l.set(this.lens);
      this.lens = l;
    }
    words6(addr, this.words, this.n * 4);
    this.lens[this.n] = len;
    return this.n++;
  }
}

/** Compares entry x of (wx, lx) with entry y of (wy, ly): by address, then shorter first. */
function compareNets(wx: Uint32Array, lx: Uint8Array, x: number, wy: Uint32Array, ly: Uint8Array, y: number): number {
  for (let w = 0; w < 4; w++) {
    const d = wx[x * 4 + w] - wy[y * 4 + w];
    if (d !== 0) return d;
  }
  return lx[x] - ly[y];
}

export class Addr6Classes {
  /** the networks numbered in depth-first order: node p's words at 4p, its length */
  private readonly words: Uint32Array;
  private readonly lens: Uint8Array;
  /** the last number inside node p's network (its sub-networks' included) */
  private readonly last: Int32Array;
  /**
   * The addresses of the ruleset this was made of (of()), two slots per rule
   * (-s, -d) in the ruleset's order: the address read there (null: none, or
   * not a network of a contiguous mask) and its node. A look-up by the rule's
   * place (at()) rather than a Map of every address object: a blocklist's
   * 100,000 entries were a fifth of this class's making.
   */
  private slotSpec: Array<Net6 | null> = [];
  private slotNode: Int32Array = new Int32Array(0);
  /** each chain's rules array (of the ruleset) → its first rule's number, for at() */
  private ruleBase = new Map<readonly Rule[], number>();
  private lastRules: readonly Rule[] | null = null;
  private lastBase = -1;
  /** the slot of the -s of the rule at() named last, -1 for none */
  private hint = -1;

  // Sorted and nested over four 32-bit words per network rather than BigInts or
  // text keys: a blocklist names 100,000 networks, and every BigInt compare,
  // shift or hex key allocates (most of lint's time on such a file went there).
  constructor(prefixes: Iterable<{ addr: bigint; len: number }> | Nets, slots?: RuleSlots) {
    let nets: Nets;
    if (prefixes instanceof Nets) nets = prefixes;
    else {
      nets = new Nets();
      for (const p of prefixes) nets.add(p.addr, p.len);
    }
    const m = nets.n;
    const { words, lens } = nets;
    // by address, then shorter first: a network comes right before the ones inside it
    const order = sortNets(words, lens, m);
    // equal networks are one node; node numbers in sorted order
    const nodeOf = new Int32Array(m);
    let n = 0;
    for (let k = 0; k < m; k++) {
      const i = order[k];
      // (order[n - 1] is the previous node's first entry: the order is compacted in place)
      if (k > 0 && compareNets(words, lens, i, words, lens, order[n - 1]) === 0) nodeOf[i] = n - 1;
      else { order[n] = i; nodeOf[i] = n++; }
    }
    this.words = new Uint32Array(n * 4);
    this.lens = new Uint8Array(n);
    for (let p = 0; p < n; p++) {
      const i = order[p];
      for (let w = 0; w < 4; w++) this.words[p * 4 + w] = words[i * 4 + w];
      this.lens[p] = lens[i];
    }
    this.last = nestedEnds(this.words, this.lens);
    if (slots) {
      // each slot's entry number (1 … for the networks added, in order) becomes its node
      const node = slots.node;
      for (let k = 0; k < node.length; k++) if (node[k] > 0) node[k] = nodeOf[node[k]];
      this.slotSpec = slots.spec;
      this.slotNode = node;
      this.ruleBase = slots.base;
    }
  }

  /**
   * The rule intervalOf is asked about next: rules[pos] of a chain of the
   * ruleset this was made of (of()). Its addresses are then found by their
   * place; any other address, by binary search (the same interval).
   */
  at(rules: readonly Rule[], pos: number): void {
    if (rules !== this.lastRules) {
      this.lastRules = rules;
      this.lastBase = this.ruleBase.get(rules) ?? -1;
    }
    this.hint = this.lastBase >= 0 && pos < rules.length ? 2 * (this.lastBase + pos) : -1;
  }

  /** The interval of a network (masked address, contiguous mask) named in the ruleset; null otherwise. */
  interval(addr: bigint, mask: bigint): IntervalSet | null {
    const len = prefixOf6(mask);
    if (len < 0) return null;
    const p = this.find(addr, len);
    return p < 0 ? null : [p, this.last[p]];
  }

  /** interval(a.addr, a.mask) — at once for an address of the ruleset this was made of. */
  intervalOf(a: Net6): IntervalSet | null {
    const h = this.hint;
    if (h >= 0) {
      // the same object is the same network (rules of one template may share one): its node, whichever rule it came from
      const k = this.slotSpec[h] === a ? h : this.slotSpec[h + 1] === a ? h + 1 : -1;
      if (k >= 0) {
        const p = this.slotNode[k];
        return [p, this.last[p]];
      }
    }
    return this.interval(a.addr, a.mask);
  }

  /** The node of the network, by binary search over the sorted words; -1 when the ruleset does not name it. */
  private find(addr: bigint, len: number): number {
    words6(addr, probe, 0);
    probeLen[0] = len;
    let lo = 0;
    let hi = this.lens.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = compareNets(this.words, this.lens, mid, probe, probeLen, 0);
      if (d === 0) return mid;
      if (d < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  static of(rs: Ruleset): Addr6Classes {
    const nets = new Nets();
    let rules = 0;
    for (const t of rs.tables) for (const c of t.chains) rules += c.rules.length;
    const spec = new Array<Net6 | null>(2 * rules).fill(null);
    // a slot's entry number in nets until the constructor makes it a node (0: none)
    const node = new Int32Array(2 * rules);
    const base = new Map<readonly Rule[], number>();
    // the mask of the last address read, and its length: rules in a row mostly share one
    let mask = -1n;
    let len = -1;
    const add = (a: AddressSpec | null, slot: number): void => {
      if (a?.kind !== 'net6') return;
      if (a.mask !== mask) len = prefixOf6((mask = a.mask));
      if (len < 0) return;
      node[slot] = nets.add(a.addr, len);
      spec[slot] = a;
    };
    let at = 0;
    for (const t of rs.tables)
      for (const c of t.chains) {
        const list = c.rules;
        base.set(list, at);
        for (let k = 0; k < list.length; k++, at++) {
          add(list[k].src, 2 * at);
          add(list[k].dst, 2 * at + 1);
        }
      }
    return new Addr6Classes(nets, { spec, node, base });
  }
}

/** What of() read where: see Addr6Classes.slotSpec. */
interface RuleSlots {
  spec: Array<Net6 | null>;
  /** entry numbers in the Nets given with them (0: none) */
  node: Int32Array;
  base: Map<readonly Rule[], number>;
}

/**
 * The entries' indices by address, then shorter first, equal ones in the order
 * given: a stable radix sort over 16-bit digits, least significant first (the
 * length, then each word's halves from the last word up), instead of a
 * comparator called ~20 times per network.
 */
function sortNets(words: Uint32Array, lens: Uint8Array, m: number): Int32Array {
  let from = new Int32Array(m);
  for (let i = 0; i < m; i++) from[i] = i;
  let to = new Int32Array(m);
  const keys = new Uint16Array(m); // the digit of each entry (by entry index) in this pass
  const count = new Int32Array(65537);
  for (let d = -1; d < 8; d++) {
    // d = -1: the length; else half (d & 1: the high one) of word 3 - (d >> 1)
    if (d < 0) keys.set(lens.subarray(0, m));
    else {
      const w = 3 - (d >> 1);
      const shift = (d & 1) * 16;
      for (let i = 0; i < m; i++) keys[i] = (words[i * 4 + w] >>> shift) & 0xffff;
    }
    if (radixPass(keys, from, to, count, m)) [from, to] = [to, from];
  }
  return from;
}

/** One stable counting pass of `from` into `to` by keys; false (and `to` untouched) when every key is the same. */
function radixPass(keys: Uint16Array, from: Int32Array, to: Int32Array, count: Int32Array, m: number): boolean {
  count.fill(0);
  for (let i = 0; i < m; i++) count[keys[i] + 1]++;
  if (count[keys[0] + 1] === m) return false;
  for (let v = 1; v < 65537; v++) count[v] += count[v - 1];
  for (let k = 0; k < m; k++) {
    const i = from[k];
    to[count[keys[i]]++] = i;
  }
  return true;
}

/**
 * For each node of a depth-first order, the last node inside it: a stack of
 * the networks still open, each closed by the first node it does not contain.
 */
function nestedEnds(words: Uint32Array, lens: Uint8Array): Int32Array {
  const n = lens.length;
  const last = new Int32Array(n);
  const open: number[] = [];
  for (let q = 0; q < n; q++) {
    while (open.length > 0 && !contains(words, lens, open[open.length - 1], q)) last[open.pop()!] = q - 1;
    open.push(q);
  }
  while (open.length > 0) last[open.pop()!] = n - 1;
  return last;
}

/** Node o's network contains node i's: i is at least as long and agrees on o's first len bits. */
function contains(words: Uint32Array, lens: Uint8Array, o: number, i: number): boolean {
  if (lens[i] < lens[o]) return false;
  for (let w = 0, left = lens[o]; left > 0; w++, left -= 32) {
    const mask = left >= 32 ? 0xffffffff : ~(0xffffffff >>> left);
    if (((words[o * 4 + w] ^ words[i * 4 + w]) & mask) !== 0) return false;
  }
  return true;
}
