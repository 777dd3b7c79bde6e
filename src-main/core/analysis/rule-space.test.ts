// ruleSpaceShared (the lint's packet spaces with each template's matches
// analysed once, and address-only rules built without a builder) must give
// every rule exactly the boxes ruleSpace gives it: the same dimensions in the
// same order, the same sets, the same exact/chance flags. Checked on every rule
// of the bench shapes, the real-world files (IPv4 and IPv6) and random rulesets.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, type Family } from '../index.js';
import type { Ruleset } from '../model.js';
import { Addr6Classes } from './addr6.js';
import { RestCache, ruleSpace, ruleSpaceShared, type RuleSpace, type SpaceEnv } from './rule-space.js';
import { Dims, IfaceClasses } from './space.js';
import { corpusFiles, readCorpus, sharedAvailable } from '../testing/shared-data.js';
import { randomRouterRuleset, randomRuleset } from '../testing/random-ruleset.js';
import { randomRuleset6 } from '../testing/random-ruleset6.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape } from '../../../build/gen-shapes.mjs';

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

const plain = (s: RuleSpace) => ({ boxes: s.boxes.map((b) => b.entries()), exact: s.exact, chance: s.chance });

/** The rules (as "table/chain #n") whose shared space differs from ruleSpace's, and how many were compared. */
function differences(text: string, family: Family): { differ: string[]; rules: number; cheap: number } {
  const rs = parseRuleset(text, { family }).ruleset;
  // one env per way (opaque dimensions are numbered in the order first seen, the same for both)
  const env = envOf(rs);
  const envShared = envOf(rs);
  const rests = new RestCache();
  const differ: string[] = [];
  let rules = 0;
  let cheap = 0;
  for (const t of rs.tables) for (const c of t.chains) c.rules.forEach((r, k) => {
    rules++;
    const shared = ruleSpaceShared(r, envShared, rests);
    // asked twice, as the lint does for a rule whose space it does not keep (a matches array's
    // first rule gets ruleSpace itself, the next ones the template's rest)
    const again = ruleSpaceShared(r, envShared, rests);
    if (shared.cheap || again.cheap) cheap++;
    const want = JSON.stringify(plain(ruleSpace(r, env)));
    if (JSON.stringify(plain(shared)) !== want || JSON.stringify(plain(again)) !== want) differ.push(`${t.name}/${c.name} #${k + 1}`);
  });
  return { differ, rules, cheap };
}

describe('ruleSpaceShared gives every rule the boxes ruleSpace gives it', () => {
  it('on every bench shape', () => {
    let cheap = 0;
    for (const shape of Object.keys(SHAPES)) {
      const d = differences(generateShape(shape, 5_000, 1) as string, 'ipv4');
      expect(d.differ, shape).toEqual([]);
      cheap += d.cheap;
    }
    // the address-only path is taken (blocklist and fail2ban rules)
    expect(cheap).toBeGreaterThan(1000);
  });

  it.runIf(sharedAvailable())('on every real-world IPv4 file', () => {
    for (const f of corpusFiles()) expect(differences(readCorpus(f), 'ipv4').differ, f).toEqual([]);
  });

  it('on every IPv6 file and random rulesets', () => {
    const dir6 = join(__dirname, '..', 'testing', 'corpus6');
    for (const f of readdirSync(dir6).filter((x) => x.endsWith('.rules'))) {
      expect(differences(readFileSync(join(dir6, f), 'utf8'), 'ipv6').differ, f).toEqual([]);
    }
    for (let seed = 1; seed <= 100; seed++) {
      expect(differences(randomRuleset(seed, { iface: 'eth0', rules: 14 }), 'ipv4').differ, `random ${seed}`).toEqual([]);
      expect(differences(randomRouterRuleset(seed, { inIf: 'eth1', outIf: 'eth2' }), 'ipv4').differ, `router ${seed}`).toEqual([]);
      expect(differences(randomRuleset6(seed, 'eth0'), 'ipv6').differ, `random6 ${seed}`).toEqual([]);
    }
  });

  it('on address edge cases: inverted, 0/0, both addresses, matches that narrow an address, multiport alternatives', () => {
    const text = [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s 10.0.0.1/32 -j DROP', '-A INPUT -s 10.0.0.2/32 -j DROP',
      '-A INPUT ! -s 10.0.0.3/32 -j DROP', '-A INPUT ! -s 10.0.0.4/32 -j DROP',
      '-A INPUT -s 0.0.0.0/0 -j DROP', '-A INPUT -s 0.0.0.0/0 -j DROP', '-A INPUT ! -s 0.0.0.0/0 -j DROP',
      '-A INPUT -s 10.0.0.0/8 -d 192.168.0.0/16 -j ACCEPT', '-A INPUT -s 10.1.0.0/16 -d 192.168.1.0/24 -j ACCEPT',
      '-A INPUT -d 10.0.0.9/32 -j REJECT --reject-with icmp-port-unreachable', '-A INPUT -d 10.0.0.8/32 -j REJECT --reject-with icmp-port-unreachable',
      '-A INPUT -s 10.0.0.5/32 -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -s 10.0.0.6/32 -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -s 10.0.0.5/32 -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT', '-A INPUT -s 10.0.0.7/32 -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT',
      '-A INPUT -s 10.0.0.5/32 -p tcp -m multiport --ports 22,80 -j ACCEPT', '-A INPUT -s 10.0.0.6/32 -p tcp -m multiport --ports 22,80 -j ACCEPT',
      '-A INPUT -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    const d = differences(text, 'ipv4');
    expect(d.differ).toEqual([]);
    expect(d.rules).toBe(18);
    expect(d.cheap).toBeGreaterThanOrEqual(8);
  });

  it('on IPv6 address edge cases: inverted, ::/0, both addresses, /127 and /128, ::ffff:0:0/96, a mask that is no prefix', () => {
    const text = [
      '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s 2001:db8::1/128 -j DROP', '-A INPUT -s 2001:db8::2/128 -j DROP', '-A INPUT -s 2001:db8::/127 -j DROP', '-A INPUT -s 2001:db8::/127 -j DROP',
      '-A INPUT ! -s 2001:db8::3/128 -j DROP', '-A INPUT ! -s 2001:db8::4/128 -j DROP',
      '-A INPUT -s ::/0 -j DROP', '-A INPUT -s ::/0 -j DROP', '-A INPUT ! -s ::/0 -j DROP', '-A INPUT ! -d ::/0 -j DROP',
      '-A INPUT -s ::ffff:0.0.0.0/96 -d 2001:db8:1::/48 -j ACCEPT', '-A INPUT -s ::ffff:198.18.0.1/128 -d 2001:db8:1:2::/64 -j ACCEPT',
      '-A INPUT -d 2001:db8::/ffff:ffff:0:ffff:: -j DROP', '-A INPUT -d 2001:db8::/ffff:ffff:0:ffff:: -j DROP',
      '-A INPUT -s 2001:db8::5/128 -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -s 2001:db8::6/128 -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -s 2001:db8::5/128 -p tcp -m multiport --ports 22,80 -j ACCEPT', '-A INPUT -s 2001:db8::6/128 -p tcp -m multiport --ports 22,80 -j ACCEPT',
      '-A INPUT -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    const d = differences(text, 'ipv6');
    expect(d.differ).toEqual([]);
    expect(d.rules).toBe(19);
    expect(d.cheap).toBeGreaterThanOrEqual(8);
  });
});

