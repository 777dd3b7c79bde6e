// Addr6Classes numbers a ruleset's IPv6 networks so that each one's interval
// holds exactly the networks inside it: checked against the definition, by
// brute force, on random nested and disjoint prefixes of every length.
import { describe, expect, it } from 'vitest';
import { maskToPrefix6 } from '../values.js';
import { Addr6Classes } from './addr6.js';

const ALL = (1n << 128n) - 1n;
const maskOf = (len: number) => (len === 0 ? 0n : (ALL << BigInt(128 - len)) & ALL);
const inside = (o: { addr: bigint; len: number }, i: { addr: bigint; len: number }) =>
  i.len >= o.len && (i.addr & maskOf(o.len)) === o.addr;

function rng(seed: number) {
  let s = seed >>> 0;
  return (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % k);
}

describe('Addr6Classes', () => {
  it('maskToPrefix6: the prefix length of every contiguous mask, -1 for any other', () => {
    for (let len = 0; len <= 128; len++) expect(maskToPrefix6(maskOf(len))).toBe(len);
    expect(maskToPrefix6(maskOf(64) ^ (1n << 70n))).toBe(-1);
    expect(maskToPrefix6(1n)).toBe(-1);
  });

  it('each network\'s interval is exactly the networks nested in it (random prefixes, all lengths)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const roots = [BigInt(0x2001_0db8) << 96n, (BigInt(0x2001_0db8) << 96n) | (0xf0n << 56n), 0xfe80n << 112n];
      const ps: { addr: bigint; len: number }[] = [];
      for (let k = 0; k < 80; k++) {
        // a root with one or two bits flipped anywhere, cut at any length: networks nest at every bit
        const flip = (1n << BigInt(r(128))) | (r(2) ? 1n << BigInt(r(128)) : 0n);
        const len = r(129);
        ps.push({ addr: (roots[r(3)] ^ flip) & maskOf(len), len });
      }
      const classes = new Addr6Classes(ps);
      for (const o of ps) {
        const [lo, hi] = classes.interval(o.addr, maskOf(o.len))!;
        for (const i of ps) {
          const [x] = classes.interval(i.addr, maskOf(i.len))!;
          expect(x >= lo && x <= hi, `${o.addr.toString(16)}/${o.len} ⊇ ${i.addr.toString(16)}/${i.len}`).toBe(inside(o, i));
        }
      }
      // a network the ruleset does not name has no interval of its own
      expect(classes.interval((0x3fffn << 112n) | 0xdeadn, maskOf(128))).toBeNull();
    }
  });
});
