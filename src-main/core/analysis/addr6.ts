// IPv6 networks as exact packet-space intervals. 128-bit addresses do not fit
// the interval sets (doubles), but the networks of one ruleset are prefixes,
// and prefixes either nest or are disjoint: numbered in depth-first order, each
// network is the interval of its own number and its sub-networks'. One number
// stands for "in this network but in none of its sub-networks named in the
// ruleset", so the algebra stays exact for every question the lint asks.
import type { Ruleset } from '../model.js';
import { maskToPrefix6 } from '../values.js';
import type { IntervalSet } from './space.js';

interface Node {
  pre: number;
  last: number;
}

const key = (addr: bigint, len: number) => `${addr.toString(16)}/${len}`;

export class Addr6Classes {
  private readonly byKey = new Map<string, Node>();

  // Sorted and nested over four 32-bit words per network rather than BigInts: a
  // blocklist names 100,000 networks, and every BigInt compare or shift in a
  // sort allocates (a quarter of lint's time on such a file went there).
  constructor(prefixes: Iterable<{ addr: bigint; len: number }>) {
    const keys: string[] = [key(0n, 0)];
    const lens: number[] = [0];
    const addrs: bigint[] = [0n];
    const seen = new Set<string>(keys);
    for (const p of prefixes) {
      const k = key(p.addr, p.len);
      if (seen.has(k)) continue;
      seen.add(k);
      keys.push(k);
      lens.push(p.len);
      addrs.push(p.addr);
    }
    const n = keys.length;
    const words = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((addrs[i] >> BigInt(96 - 32 * w)) & 0xffffffffn);
    // by address, then shorter first: a network comes right before the ones inside it
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => {
      for (let w = 0; w < 4; w++) {
        const d = words[x * 4 + w] - words[y * 4 + w];
        if (d !== 0) return d;
      }
      return lens[x] - lens[y];
    });
    // outer contains inner: inner is at least as long and agrees on outer's first len bits
    const contains = (o: number, i: number): boolean => {
      if (lens[i] < lens[o]) return false;
      for (let w = 0, left = lens[o]; left > 0; w++, left -= 32) {
        const mask = left >= 32 ? 0xffffffff : ~(0xffffffff >>> left);
        if (((words[o * 4 + w] ^ words[i * 4 + w]) & mask) !== 0) return false;
      }
      return true;
    };
    // each node's interval ends where the next node outside it begins
    for (let p = 0; p < n; p++) {
      let q = p + 1;
      while (q < n && contains(order[p], order[q])) q++;
      this.byKey.set(keys[order[p]], { pre: p, last: q - 1 });
    }
  }

  /** The interval of a network (masked address, contiguous mask) named in the ruleset; null otherwise. */
  interval(addr: bigint, mask: bigint): IntervalSet | null {
    const len = maskToPrefix6(mask);
    if (len < 0) return null;
    const n = this.byKey.get(key(addr, len));
    return n ? [n.pre, n.last] : null;
  }

  static of(rs: Ruleset): Addr6Classes {
    const ps: Array<{ addr: bigint; len: number }> = [];
    for (const t of rs.tables)
      for (const c of t.chains)
        for (const r of c.rules)
          for (const a of [r.src, r.dst]) {
            if (a?.kind !== 'net6') continue;
            const len = maskToPrefix6(a.mask);
            if (len >= 0) ps.push({ addr: a.addr, len });
          }
    return new Addr6Classes(ps);
  }
}
