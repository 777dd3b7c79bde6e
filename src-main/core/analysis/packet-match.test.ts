// ruleTest (one rule against one packet without building its conditions) must
// answer what folding ruleConds' tests answers: false when one is false, else
// undefined when one cannot tell or is chance, else true. Checked on every rule
// of random IPv4 and IPv6 rulesets, the IPv6 corpus and edge cases, against
// packets that leave fields open or fill them in.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, type Family } from '../index.js';
import type { Rule } from '../model.js';
import { parseIPv4, parseIPv6 } from '../values.js';
import { ruleConds, ruleTest, type EvalContext, type Packet } from './packet-match.js';
import { CONN_STATES } from './packet.js';
import { makeRandom, randomRouterRuleset, randomRuleset } from '../testing/random-ruleset.js';
import { randomRouterRuleset6, randomRuleset6 } from '../testing/random-ruleset6.js';

function folded(r: Rule, p: Packet, ctx: EvalContext): boolean | undefined {
  let all: boolean | undefined = true;
  for (const c of ruleConds(r)) {
    const v = c.test(p, ctx);
    if (v === false) return false;
    if (v === undefined || c.chance) all = undefined;
  }
  return all;
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const V4 = ['198.18.1.1', '198.18.1.2', '198.18.1.3', '198.18.1.4', '198.18.2.2', '198.18.3.2', '198.18.9.10', '10.0.0.1'].map((a) => parseIPv4(a)!);
const V6 = ['2001:db8:1::1', '2001:db8:1::2', '2001:db8:1::3', '2001:db8:1::4', '2001:db8:2::2', '2001:db8:3::2', '2001:db8:9::10', 'fe80::1', 'ff02::1', '::ffff:198.18.1.2']
  .map((a) => parseIPv6(a)!);
const IFACES = ['eth0', 'eth1', 'eth2', 'lo', 'pcl0', 'ppp0'];

/** A packet with some fields left open (the tracer's and the IPv6 lint's packets do). */
function randomPacket(rnd: () => number, family: Family): Packet {
  const addrs: Array<number | bigint> = family === 'ipv6' ? V6 : V4;
  const proto = pick(rnd, [6, 17, family === 'ipv6' ? 58 : 1, 0, 47]);
  const p: Packet = { proto, state: pick(rnd, CONN_STATES), mark: pick(rnd, [0, 1, 7]), ctmark: 0, fragment: rnd() < 0.1 };
  if (rnd() < 0.7) p.src = pick(rnd, addrs);
  if (rnd() < 0.7) p.dst = pick(rnd, addrs);
  if (rnd() < 0.6) p.inIface = pick(rnd, IFACES);
  else if (rnd() < 0.5) p.notInIfaces = ['lo'];
  if (rnd() < 0.5) p.outIface = pick(rnd, IFACES);
  if (proto === 6 || proto === 17) {
    if (rnd() < 0.8) p.dport = pick(rnd, [22, 80, 443, 1500, 3128, 8080, 9]);
    if (rnd() < 0.6) p.sport = pick(rnd, [40000, 5000, 1234, 20000]);
    if (proto === 6 && rnd() < 0.7) p.tcpFlags = pick(rnd, [2, 16, 18, 1, 4]);
  } else if (proto === 58 || proto === 1) {
    if (rnd() < 0.8) p.icmpType = pick(rnd, [128, 129, 133, 134, 135, 136, 8, 0, 3]);
    if (rnd() < 0.5) p.icmpCode = 0;
  }
  if (rnd() < 0.7) p.hopLimit = pick(rnd, [1, 64, 255]);
  return p;
}

const contexts: EvalContext[] = [
  { isLocal: () => undefined },
  { isLocal: (a) => (typeof a === 'bigint' ? a === V6[0] : a === V4[0]) },
];

/** The rules (with the packet) where ruleTest and the fold disagree, and how many answers of each kind were compared. */
function disagreements(text: string, family: Family, seed: number, valid = true): { bad: string[]; seen: Set<string> } {
  const parsed = parseRuleset(text, { family });
  // a file meant to load must load whole (the corpus has files with errors on purpose)
  if (valid) expect(parsed.findings.filter((f) => f.severity === 'error').map((f) => `${f.line}: ${f.message}`)).toEqual([]);
  const rs = parsed.ruleset;
  const rnd = makeRandom(seed);
  const bad: string[] = [];
  const seen = new Set<string>();
  for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) {
    for (let k = 0; k < 12; k++) {
      const p = randomPacket(rnd, family);
      const ctx = contexts[k % 2];
      const want = folded(r, p, ctx);
      seen.add(String(want));
      if (ruleTest(r, p, ctx) !== want) bad.push(`${t.name}/${c.name} line ${r.source?.line}: ${JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    }
  }
  return { bad, seen };
}

describe('ruleTest answers what the rule\'s conditions answer together', () => {
  it('on random IPv4 and IPv6 rulesets (hosts and routers)', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      for (const [text, fam] of [
        [randomRuleset(seed, { iface: 'eth0', rules: 14 }), 'ipv4'],
        [randomRouterRuleset(seed, { inIf: 'eth1', outIf: 'eth2' }), 'ipv4'],
        [randomRuleset6(seed, 'eth0'), 'ipv6'],
        [randomRouterRuleset6(seed, 'eth1', 'eth2'), 'ipv6'],
      ] as Array<[string, Family]>) {
        const d = disagreements(text, fam, seed);
        expect(d.bad, `seed ${seed} ${fam}`).toEqual([]);
        for (const s of d.seen) seen.add(s);
      }
    }
    // every kind of answer came up
    expect([...seen].sort()).toEqual(['false', 'true', 'undefined']);
  });

  it('on the IPv6 corpus', () => {
    const dir6 = join(__dirname, '..', 'testing', 'corpus6');
    for (const f of readdirSync(dir6).filter((x) => x.endsWith('.rules'))) {
      expect(disagreements(readFileSync(join(dir6, f), 'utf8'), 'ipv6', 7, false).bad, f).toEqual([]);
    }
  });

  it('on edge cases: ::/0 and 0/0 either way, host names, -i +, ! -i, -f, protocol 0, chance and opaque matches', () => {
    const v6 = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s ::/0 -j DROP', '-A INPUT ! -s ::/0 -j DROP', '-A INPUT -d ::ffff:0.0.0.0/96 -j DROP', '-A INPUT ! -d 2001:db8:1::1/128 -j DROP',
      '-A INPUT -s 2001:db8:1::/127 -j DROP', '-A INPUT -i + -j DROP', '-A INPUT ! -i + -j DROP', '-A INPUT ! -i lo -j DROP', '-A INPUT -i eth+ -j DROP',
      '-A FORWARD ! -o eth0 -j DROP', '-A FORWARD -o + -j DROP', '-A OUTPUT -o eth+ -j DROP', '-A INPUT -p 0 -j DROP', '-A INPUT ! -p tcp -j DROP', '-A INPUT -m frag --fragmore -j DROP',
      '-A INPUT -m limit --limit 1/sec -j ACCEPT', '-A INPUT -p tcp -m statistic --mode random --probability 0.5 -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -m hl --hl-eq 255 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT', 'COMMIT', ''].join('\n');
    const d6 = disagreements(v6, 'ipv6', 3);
    expect(d6.bad).toEqual([]);
    const v4 = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s 0.0.0.0/0 -j DROP', '-A INPUT ! -s 0.0.0.0/0 -j DROP', '-A INPUT -f -j DROP', '-A INPUT ! -f -j DROP', '-A INPUT -s 198.18.1.0/31 -j DROP',
      '-A INPUT ! -d 198.18.1.1/32 -j DROP', '-A INPUT -m recent --rcheck --name x -j DROP', '-A INPUT -m u32 --u32 "0>>22&0x3C@0>>16=0x1234" -j DROP', 'COMMIT', ''].join('\n');
    const d4 = disagreements(v4, 'ipv4', 3);
    expect(d4.bad).toEqual([]);
    expect(d4.seen.size + d6.seen.size).toBeGreaterThanOrEqual(5);
  });
});
