// PackedSpaces (a big chain's packet spaces kept in one typed array, see
// space-pack.ts) must give back exactly the space it was given: the same
// boxes, dimensions in the same order, the same sets, the same exact/chance
// flags, on every request. Checked on every rule of the bench shapes, the
// real-world files (IPv4 and IPv6), random rulesets and hand-made spaces.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, type Family } from '../index.js';
import type { Ruleset } from '../model.js';
import { Addr6Classes } from './addr6.js';
import { ruleSpace, type RuleSpace, type SpaceEnv } from './rule-space.js';
import { PackedSpaces } from './space-pack.js';
import { Box, Dims, IfaceClasses } from './space.js';
import { corpusFiles, readCorpus, sharedAvailable } from '../testing/shared-data.js';
import { randomRouterRuleset, randomRuleset } from '../testing/random-ruleset.js';
import { randomRuleset6 } from '../testing/random-ruleset6.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape, shapeFamily } from '../../../build/gen-shapes.mjs';

function envOf(rs: Ruleset): SpaceEnv {
  const ins = new Set<string>();
  const outs = new Set<string>();
  for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) {
    if (r.inIface) ins.add(r.inIface.name);
    if (r.outIface) outs.add(r.outIface.name);
  }
  const inIfaces = new IfaceClasses(ins);
  const outIfaces = new IfaceClasses(outs);
  const env: SpaceEnv = { dims: new Dims(inIfaces.max, outIfaces.max), inIfaces, outIfaces };
  if (rs.family === 'ipv6') env.addr6 = Addr6Classes.of(rs);
  return env;
}

const plain = (s: RuleSpace) => JSON.stringify({ boxes: s.boxes.map((b) => b.entries()), exact: s.exact, chance: s.chance, cheap: s.cheap });

/** Packs every rule's space of every chain, then reads each back twice: the rules whose space came back otherwise. */
function differences(text: string, family: Family): { differ: string[]; packed: number } {
  const rs = parseRuleset(text, { family }).ruleset;
  const env = envOf(rs);
  const differ: string[] = [];
  let packed = 0;
  for (const t of rs.tables) for (const c of t.chains) {
    const store = new PackedSpaces(c.rules.length);
    const want = c.rules.map((r) => ruleSpace(r, env));
    want.forEach((s, k) => { if (store.put(k, s)) packed++; });
    want.forEach((s, k) => {
      for (let i = 0; i < 2; i++) {
        const got = store.get(k);
        if (got && plain(got) !== plain(s)) differ.push(`${t.name}/${c.name} #${k + 1}`);
      }
    });
  }
  return { differ, packed };
}

describe('PackedSpaces gives back the spaces it was given', () => {
  it('on every bench shape', () => {
    for (const shape of Object.keys(SHAPES)) {
      const d = differences(generateShape(shape, 3_000, 1) as string, shapeFamily(shape) as Family);
      expect(d.differ, shape).toEqual([]);
      expect(d.packed, shape).toBeGreaterThan(100);
    }
  });

  it.runIf(sharedAvailable())('on every real-world IPv4 file', () => {
    for (const f of corpusFiles()) expect(differences(readCorpus(f), 'ipv4').differ, f).toEqual([]);
  });

  it('on every IPv6 file and random rulesets', () => {
    const dir6 = join(__dirname, '..', 'testing', 'corpus6');
    for (const f of readdirSync(dir6).filter((x) => x.endsWith('.rules'))) {
      expect(differences(readFileSync(join(dir6, f), 'utf8'), 'ipv6').differ, f).toEqual([]);
    }
    for (let seed = 1; seed <= 60; seed++) {
      expect(differences(randomRuleset(seed, { iface: 'eth0', rules: 14 }), 'ipv4').differ, `random ${seed}`).toEqual([]);
      expect(differences(randomRouterRuleset(seed, { inIf: 'eth1', outIf: 'eth2' }), 'ipv4').differ, `router ${seed}`).toEqual([]);
      expect(differences(randomRuleset6(seed, 'eth0'), 'ipv6').differ, `random6 ${seed}`).toEqual([]);
    }
  });

  it('keeps no space it cannot give back exactly, and gives back every space across its chunks', () => {
    const store = new PackedSpaces(3);
    const wide = Box.ofFlat([0, [0, 0xffffffff], 4, [1, 3, 5, 5, 9, 65535], 12, []]);
    const many: RuleSpace = { boxes: Array.from({ length: 300 }, (_, i) => Box.ofFlat([3, [i, i + 1], 4, [i, 2 * i]])), exact: false, chance: true };
    expect(store.put(0, { boxes: [wide], exact: true, chance: false })).toBe(true);
    expect(store.put(1, many)).toBe(true);
    // not a 32-bit unsigned number, and a space rebuilt on each request: not packed, nothing given back
    expect(store.put(2, { boxes: [Box.ofFlat([0, [-1, 4]])], exact: true, chance: false })).toBe(false);
    expect(store.put(2, { boxes: [Box.ofFlat([0, [1.5, 4]])], exact: true, chance: false })).toBe(false);
    expect(store.put(2, { boxes: [wide], exact: true, chance: false, cheap: true })).toBe(false);
    expect(store.get(2)).toBeUndefined();
    expect(plain(store.get(0)!)).toBe(plain({ boxes: [wide], exact: true, chance: false }));
    expect(plain(store.get(1)!)).toBe(plain(many));
    expect(store.get(0)!.boxes[0]).not.toBe(wide);
    // across chunks (64K words each), with a space bigger than a chunk among them
    const rules = 30_000;
    const big = new PackedSpaces(rules);
    const spaceAt = (i: number): RuleSpace => i === 12_345
      ? { boxes: [Box.ofFlat([4, Array.from({ length: 70_000 }, (_, j) => 3 * j)])], exact: true, chance: false }
      : { boxes: [Box.ofFlat([0, [i, i * 7], 2, [6, 6], 4, [i % 65536, i % 65536]])], exact: i % 3 !== 0, chance: i % 5 === 0 };
    for (let i = 0; i < rules; i++) if (i % 3 !== 2) expect(big.put(i, spaceAt(i))).toBe(true);
    for (let i = 0; i < rules; i++) {
      const got = big.get(i);
      if (i % 3 === 2) expect(got).toBeUndefined();
      else expect(plain(got!), `space ${i}`).toBe(plain(spaceAt(i)));
    }
    const none: RuleSpace = { boxes: [], exact: true, chance: false };
    const one = new PackedSpaces(1);
    one.put(0, none);
    expect(plain(one.get(0)!)).toBe(plain(none));
  });
});
