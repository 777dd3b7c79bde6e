// The model the CLI's lint keeps (parseRuleset with keepLines false, and the
// piece reader: ModelInterner in own mode — matches and targets shared, long
// strings own copies, short arrays copies of exact length) must be the very
// model a plain parse makes, value for value: on the bench shapes, the
// real-world files, iptables' own test vectors and random rulesets.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalRuleset, parseRuleset, parseRulesetModelPieces, type Family } from './index.js';
import { corpusFiles, readCorpus, readObserved, sharedAvailable } from './testing/shared-data.js';
import { randomRouterRuleset, randomRuleset } from './testing/random-ruleset.js';
import { randomRuleset6 } from './testing/random-ruleset6.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape, shapeFamily } from '../../build/gen-shapes.mjs';

/** The plain parse's model and canonical text against the own-mode model's, read whole and in pieces of ~4 KB. */
function sameModel(text: string, family: Family, what: string): void {
  const plain = parseRuleset(text, { family });
  const own = parseRuleset(text, { family, keepLines: false });
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += 4093) pieces.push(text.slice(i, i + 4093));
  const read = parseRulesetModelPieces(() => pieces, { family }).result;
  expect(own.ruleset, what).toEqual(plain.ruleset);
  expect(read.ruleset, `${what} (pieces)`).toEqual(plain.ruleset);
  expect(own.findings, what).toEqual(plain.findings);
  expect(canonicalRuleset(own.ruleset), what).toBe(canonicalRuleset(plain.ruleset));
}

describe('the own-mode model (what the CLI lint keeps) equals the plain parse', () => {
  it('on every bench shape', () => {
    for (const shape of Object.keys(SHAPES)) sameModel(generateShape(shape, 2_000, 2) as string, shapeFamily(shape) as Family, shape);
  });

  it.runIf(sharedAvailable())('on every real-world IPv4 file and every accepted iptables test vector', () => {
    for (const f of corpusFiles()) sameModel(readCorpus(f), 'ipv4', f);
    const byTable = new Map<string, string[]>();
    for (const row of readObserved()) {
      if (row.exit !== 0 || !row.canonical.startsWith('-A ')) continue;
      const lines = byTable.get(row.table) ?? [];
      lines.push(...row.canonical.split('\\n').filter((l) => l.startsWith('-A ')));
      byTable.set(row.table, lines);
    }
    expect(byTable.size).toBeGreaterThan(1);
    for (const [table, lines] of byTable) sameModel(`*${table}\n${lines.join('\n')}\nCOMMIT\n`, 'ipv4', `vectors ${table}`);
  });

  it('on every IPv6 file and random rulesets', () => {
    const dir6 = join(__dirname, 'testing', 'corpus6');
    for (const f of readdirSync(dir6).filter((x) => x.endsWith('.rules'))) sameModel(readFileSync(join(dir6, f), 'utf8'), 'ipv6', f);
    for (let seed = 1; seed <= 40; seed++) {
      sameModel(randomRuleset(seed, { iface: 'eth0', rules: 14 }), 'ipv4', `random ${seed}`);
      sameModel(randomRouterRuleset(seed, { inIf: 'eth1', outIf: 'eth2' }), 'ipv4', `router ${seed}`);
      sameModel(randomRuleset6(seed, 'eth0'), 'ipv6', `random6 ${seed}`);
    }
  });
});
