// Addr6Classes numbers a ruleset's IPv6 networks so that each one's interval
// holds exactly the networks inside it: checked against the definition, by
// brute force, on random nested and disjoint prefixes of every length.
import { describe, expect, it, vi } from 'vitest';
import { maskToPrefix6, parseIPv6 } from '../values.js';
import { parseRuleset } from '../index.js';
import type { AddressSpec } from '../model.js';
import { Addr6Classes, prefixOf6, words6 } from './addr6.js';
import type { IntervalSet } from './space.js';

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

  it('words6 and prefixOf6 agree with BigInt arithmetic on random values and masks (contiguous or not)', () => {
    const r = rng(99);
    const rand128 = () => {
      let v = 0n;
      for (let k = 0; k < 8; k++) v = (v << 16n) | BigInt(r(0x10000));
      return v;
    };
    const out = new Uint32Array(8);
    const edges = [0n, ALL, 1n, ALL - 1n, 1n << 127n, (1n << 64n) - 1n, 1n << 64n, 0xffff_0000_0000n, parseIPv6('::ffff:0:0')!];
    for (let k = 0; k < 3000; k++) {
      const v = k < edges.length ? edges[k] : rand128();
      words6(v, out, 4);
      for (let w = 0; w < 4; w++) expect(out[4 + w]).toBe(Number((v >> BigInt(96 - 32 * w)) & 0xffffffffn));
      expect(out[0]).toBe(0); // only its own four words are written
      // every contiguous mask, then masks one bit away from one (a hole or a stray bit) and random ones
      const len = k % 129;
      const masks = [maskOf(len), maskOf(len) ^ (1n << BigInt(r(128))), v, v & maskOf(len)];
      for (const m of masks) {
        let want = -1;
        for (let l = 0; l <= 128; l++) if (maskOf(l) === m) want = l;
        expect(prefixOf6(m), m.toString(16)).toBe(want);
        expect(maskToPrefix6(m)).toBe(want);
      }
    }
  });

  it('intervals over random prefixes of every length against the definition, with ::/0, ::ffff:0:0/96, /127 and /128 edges and repeats', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(1000 + seed);
      const mapped = parseIPv6('::ffff:0:0')!;
      const roots = [BigInt(0x2001_0db8) << 96n, mapped, (mapped | 0xc612_0000n), 0n, ALL, 0xfe80n << 112n];
      const ps: { addr: bigint; len: number }[] = [{ addr: 0n, len: 0 }, { addr: mapped, len: 96 }];
      for (let k = 0; k < 120; k++) {
        const base = roots[r(roots.length)] ^ (r(2) ? 1n << BigInt(r(128)) : 0n) ^ (r(2) ? BigInt(r(4)) : 0n);
        // /127 and /128 pairs next to each other, and any length at all
        const len = [127, 128, 128, 96, 64, r(129), r(129), r(129)][r(8)];
        const p = { addr: base & maskOf(len), len };
        ps.push(p);
        if (r(4) === 0) ps.push({ ...p }); // the same network named twice
      }
      const classes = new Addr6Classes(ps);
      const ivs = ps.map((p) => classes.interval(p.addr, maskOf(p.len))!);
      const root = classes.interval(0n, 0n)!;
      const wrong: string[] = []; // (plain compares: an expect per pair takes seconds)
      const name = (p: { addr: bigint; len: number }) => `${p.addr.toString(16)}/${p.len}`;
      for (let a = 0; a < ps.length; a++) {
        const [lo, hi] = ivs[a];
        if (!(lo >= root[0] && hi <= root[1])) wrong.push(`${name(ps[a])} outside ::/0`);
        for (let b = 0; b < ps.length; b++) {
          const same = ps[a].addr === ps[b].addr && ps[a].len === ps[b].len;
          // one number per distinct network; b's number lies in a's interval exactly when a holds b
          if ((ivs[b][0] === lo) !== same) wrong.push(`${name(ps[a])} and ${name(ps[b])}: same number ${!same}`);
          if ((ivs[b][0] >= lo && ivs[b][0] <= hi) !== inside(ps[a], ps[b])) wrong.push(`${name(ps[a])} ⊇ ${name(ps[b])}: ${!inside(ps[a], ps[b])}`);
        }
      }
      expect(wrong, `seed ${seed}`).toEqual([]);
      // not named: the /127's other half, a longer prefix of a named one, a mask that is no prefix
      const named = new Set(ps.map((p) => `${p.addr}/${p.len}`));
      for (const p of ps) {
        for (const q of [{ addr: p.addr ^ 1n, len: 128 }, { addr: p.addr, len: Math.min(128, p.len + 1) }]) {
          const iv = classes.interval(q.addr & maskOf(q.len), maskOf(q.len));
          expect(iv === null).toBe(!named.has(`${q.addr & maskOf(q.len)}/${q.len}`));
        }
      }
      expect(classes.interval(0n, maskOf(64) ^ (1n << 10n))).toBeNull();
    }
  });

  it('a ruleset\'s addresses by object give the intervals their values give', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    const r = rng(5);
    for (let k = 0; k < 400; k++) {
      const g = () => r(0x10000).toString(16);
      const len = [128, 127, 64, 48, 96, r(129)][r(6)];
      const a = r(5) === 0 ? `::ffff:198.18.${r(256)}.${r(256)}` : `2001:db8:${g()}:${r(4)}::${g()}`;
      lines.push(`-A INPUT ${r(3) ? '' : '! '}-s ${a}/${len} -d 2001:db8:${r(3)}::/${r(2) ? 48 : 128} -j DROP`);
    }
    lines.push('-A INPUT -s ::/0 -j ACCEPT', '-A INPUT -d 2001:db8::/ffff:ffff:0:ffff:: -j ACCEPT', 'COMMIT', '');
    const parsed = parseRuleset(lines.join('\n'), { family: 'ipv6' });
    expect(parsed.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const classes = Addr6Classes.of(parsed.ruleset);
    let n = 0;
    const rules = parsed.ruleset.tables[0].chains[0].rules;
    for (let pos = 0; pos < rules.length; pos++) {
      const rule = rules[pos];
      for (const a of [rule.src, rule.dst] as AddressSpec[]) {
        if (a?.kind !== 'net6') continue;
        n++;
        const want = classes.interval(a.addr, a.mask);
        // by the rule's place (at), as the lint asks; without a place, and at another rule's, by value
        classes.at(rules, pos);
        expect(classes.intervalOf(a)).toEqual(want);
        classes.at(rules, (pos + 7) % rules.length);
        expect(classes.intervalOf(a)).toEqual(want);
        // a copy (not the ruleset's object) is looked up by value, also at its rule's place
        classes.at(rules, pos);
        expect(classes.intervalOf({ ...a })).toEqual(want);
        classes.at([], 0);
        expect(classes.intervalOf(a)).toEqual(want);
      }
    }
    expect(n).toBe(802);
    // one number per distinct network, ::/0 (named here too) the first, spanning them all
    const numbers = new Map<string, number>();
    const values = new Set<string>(['0/0']);
    for (const rule of parsed.ruleset.tables[0].chains[0].rules) {
      for (const a of [rule.src, rule.dst] as AddressSpec[]) {
        if (a?.kind !== 'net6' || maskToPrefix6(a.mask) < 0) continue;
        const v = `${a.addr}/${maskToPrefix6(a.mask)}`;
        values.add(v);
        const lo = classes.intervalOf(a)![0];
        expect(numbers.get(v) ?? lo, v).toBe(lo);
        numbers.set(v, lo);
      }
    }
    expect(new Set(numbers.values()).size).toBe(numbers.size);
    expect(classes.interval(0n, 0n)).toEqual([0, values.size - 1]);
    const odd = parsed.ruleset.tables[0].chains[0].rules.at(-1)!.dst as AddressSpec & { kind: 'net6' };
    expect(classes.intervalOf(odd)).toBeNull();
    // at its own place too (a mask of no prefix length has no node there)
    classes.at(rules, rules.length - 1);
    expect(classes.intervalOf(odd)).toBeNull();
  });

  it('finds each rule\'s networks by its place in every chain of every table (at), as by value', () => {
    const r = rng(11);
    const net = () => `2001:db8:${r(8).toString(16)}:${r(0x10000).toString(16)}::${r(4) ? r(0x10000).toString(16) : ''}/${[128, 64, 48][r(3)]}`;
    const lines: string[] = [];
    for (const [table, chains] of [['filter', ['INPUT', 'FORWARD', 'OUTPUT', 'u1', 'u2']], ['mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']]] as const) {
      lines.push(`*${table}`);
      for (const c of chains) lines.push(c.startsWith('u') ? `:${c} - [0:0]` : `:${c} ACCEPT [0:0]`);
      for (let k = 0; k < 300; k++) {
        const c = chains[r(chains.length)];
        // template-like runs (the same words but for the networks) and lines with one network or none
        lines.push(`-A ${c}${r(3) ? ` -s ${net()}` : ''}${r(2) ? ` -d ${net()}` : ''} -p tcp --dport ${1 + r(3)} -j ${table === 'filter' ? 'DROP' : 'ACCEPT'}`);
      }
      lines.push('COMMIT');
    }
    const parsed = parseRuleset(lines.join('\n') + '\n', { family: 'ipv6' });
    expect(parsed.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const classes = Addr6Classes.of(parsed.ruleset);
    const want = new Map<AddressSpec, IntervalSet | null>();
    for (const t of parsed.ruleset.tables) for (const c of t.chains) for (const r of c.rules) {
      for (const a of [r.src, r.dst]) if (a?.kind === 'net6') want.set(a, classes.interval(a.addr, a.mask));
    }
    // at a rule's place its networks are found there, never searched for
    const searched = vi.spyOn(classes, 'interval');
    let n = 0;
    const chainsWithNets = new Set<string>();
    for (const t of parsed.ruleset.tables) for (const c of t.chains) {
      for (let pos = 0; pos < c.rules.length; pos++) {
        classes.at(c.rules, pos);
        for (const a of [c.rules[pos].src, c.rules[pos].dst] as AddressSpec[]) {
          if (a?.kind !== 'net6') continue;
          n++;
          chainsWithNets.add(`${t.name}/${c.name}`);
          expect(classes.intervalOf(a)).toEqual(want.get(a));
        }
      }
    }
    expect(n).toBeGreaterThan(300);
    expect(chainsWithNets.size).toBe(10);
    expect(searched).not.toHaveBeenCalled();
  });
});

