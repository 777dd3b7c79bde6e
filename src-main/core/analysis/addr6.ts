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
  addr: bigint;
  len: number;
  pre: number;
  last: number;
}

const key = (addr: bigint, len: number) => `${addr.toString(16)}/${len}`;

export class Addr6Classes {
  private byKey = new Map<string, Node>();

  constructor(prefixes: Iterable<{ addr: bigint; len: number }>) {
    const uniq = new Map<string, { addr: bigint; len: number }>();
    uniq.set(key(0n, 0), { addr: 0n, len: 0 });
    for (const p of prefixes) uniq.set(key(p.addr, p.len), p);
    // by address, then shorter first: a network comes right before the ones inside it
    const sorted = [...uniq.values()].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len));
    const stack: Node[] = [];
    let next = 0;
    for (const p of sorted) {
      while (stack.length && !contains(stack[stack.length - 1], p)) stack.pop();
      const n: Node = { ...p, pre: next++, last: 0 };
      stack.push(n);
      this.byKey.set(key(p.addr, p.len), n);
    }
    // each node's interval ends where the next node outside it begins
    const nodes = [...this.byKey.values()].sort((a, b) => a.pre - b.pre);
    for (let i = 0; i < nodes.length; i++) {
      let j = i + 1;
      while (j < nodes.length && contains(nodes[i], nodes[j])) j++;
      nodes[i].last = j - 1;
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

function contains(outer: { addr: bigint; len: number }, inner: { addr: bigint; len: number }): boolean {
  if (inner.len < outer.len) return false;
  const shift = BigInt(128 - outer.len);
  return outer.len === 0 || inner.addr >> shift === outer.addr >> shift;
}
