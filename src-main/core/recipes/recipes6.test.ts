// The recipes for IPv6 (ip6tables) without a lab: every recipe makes IPv6
// rules that ip6tables' parser takes, baseline keeps the ICMPv6 a host cannot
// do without (lint's neighbour-discovery findings never fire on it), the
// family parameter and the IPv6 address parameters are checked, and placement
// works into real-world IPv6 rulesets the same way as into IPv4 ones.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalRuleBody, findChain, findTable, lintRuleset, parseRuleset, type Ruleset } from '../index.js';
import { checkRecipeParams, findRecipe, formatRecipeRules, generateFamilies, listRecipes, placeRecipe, runRecipe, type RawParams, type Recipe } from './index.js';
import { stockRuleset } from '../testing/rulesets.js';
import { SAMPLES6 } from '../testing/recipe-samples.js';


const CORPUS6 = join(__dirname, '..', 'testing', 'corpus6');
const STOCK6 = readFileSync(join(CORPUS6, 'centos7-stock.rules'), 'utf8');
const EMPTY6 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const DROP6 = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

const recipe = (name: string): Recipe => findRecipe(name)!;
const parse6 = (text: string) => parseRuleset(text, { family: 'ipv6' });
const lint = (rs: Ruleset) => lintRuleset(rs);
const codes = (rs: Ruleset) => lintRuleset(rs).map((f) => f.code);

function generate6(name: string, raw: RawParams = SAMPLES6[name]) {
  const c = checkRecipeParams(recipe(name), raw);
  if (!c.ok) throw new Error(JSON.stringify(c.problems));
  const outs = generateFamilies(recipe(name), c.values);
  expect(outs.map((o) => o.family)).toEqual(['ipv6']);
  return outs[0];
}

function merge6(name: string, base: string, raw: RawParams = SAMPLES6[name]) {
  const p = parse6(base);
  const res = runRecipe(recipe(name), raw, p, { lint });
  if (!res.ok) throw new Error(`${name}: ${res.kind === 'refused' ? res.reason : JSON.stringify(res.problems)}`);
  return { res, text: res.text!, placed: res.placed!, ruleset: res.placed!.ruleset };
}

const rulesOf = (rs: Ruleset, table: string, chain: string) => findChain(findTable(rs, table as 'filter')!, chain)!.rules.map((r) => `-A ${chain}${canonicalRuleBody(r)}`);

describe('every recipe makes IPv6 rules', () => {
  it.each(listRecipes().map((r) => r.name))('%s: family 6 gives ip6tables rules that load, each with why, no IPv4 in them', (name) => {
    const out = generate6(name);
    expect(out.rules.length).toBeGreaterThan(0);
    const text = formatRecipeRules(out, { comments: false });
    const p = parse6(formatRecipeRules(out));
    expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
    for (const r of out.rules) {
      expect(r.why.length, r.text).toBeGreaterThan(20);
      expect(r.text, 'an IPv4 address in an IPv6 rule').not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b/);
      expect(r.text, 'IPv4 ICMP in an IPv6 rule').not.toMatch(/-p icmp\b|icmp-[a-z-]+-(unreachable|prohibited)/);
    }
    // the same text does not load as IPv4 wherever it names an IPv6 address or type
    if (/fe80::|2001:db8|icmp6|ipv6-icmp/.test(text)) expect(parseRuleset(text).findings.some((f) => f.severity === 'error')).toBe(true);
  });

  it('every recipe says what it does for IPv6', () => {
    for (const r of listRecipes()) expect(r.ipv6.length, r.name).toBeGreaterThan(80);
  });
});

describe('baseline for IPv6: the ICMPv6 essentials of RFC 4890', () => {
  it('accepts neighbour discovery and router advertisements from the link, the errors, and ping limited', () => {
    const texts = generate6('baseline').rules.map((r) => r.text);
    expect(texts).toEqual([
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -s 2001:db8:1::/64 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -m hl --hl-eq 255 -j ACCEPT',
      '-A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ACCEPT',
      '-A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 131 -j ACCEPT',
      '-A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 132 -j ACCEPT',
      '-A INPUT -s fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 143 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 2 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4 -j ACCEPT',
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m limit --limit 5/sec --limit-burst 10 -j ACCEPT',
      '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited',
    ]);
  });

  it('without "Accept ICMP" it still accepts neighbour discovery, router advertisements and MLD — never optional in IPv6', () => {
    const texts = generate6('baseline', { family: '6', icmp: false }).rules.map((r) => r.text);
    for (const t of [135, 136, 134]) expect(texts.some((x) => x.includes(`--icmpv6-type ${t} -m hl --hl-eq 255`))).toBe(true);
    for (const t of [1, 2, 3, 4, 128]) expect(texts.some((x) => x.includes(`--icmpv6-type ${t} `))).toBe(false);
  });

  it.each([
    ['its own rules', () => parse6(formatRecipeRules(generate6('baseline'))).ruleset],
    ['an empty ruleset with DROP policies', () => merge6('baseline', DROP6).ruleset],
    ['CentOS stock ip6tables', () => merge6('baseline', STOCK6).ruleset],
  ])('lint finds no ipv6-nd-dropped / ipv6-ra-dropped on baseline in %s', (_what, make) => {
    const found = codes(make());
    expect(found).not.toContain('ipv6-nd-dropped');
    expect(found).not.toContain('ipv6-ra-dropped');
    expect(found).not.toContain('icmp-in-ipv6');
  });

  it('the same lint does fire when the neighbour discovery rules are taken out (the check above can fail)', () => {
    const text = formatRecipeRules(generate6('baseline', { family: '6' })).split('\n').filter((l) => !/--icmpv6-type 13[456] /.test(l)).join('\n');
    const found = codes(parse6(text).ruleset);
    expect(found).toContain('ipv6-nd-dropped');
    expect(found).toContain('ipv6-ra-dropped');
  });

  it('rejects with the ICMPv6 type of the same meaning, and says so', () => {
    for (const [v4, v6] of [['icmp-port-unreachable', 'icmp6-port-unreachable'], ['icmp-host-prohibited', 'icmp6-adm-prohibited'], ['icmp-admin-prohibited', 'icmp6-adm-prohibited'], ['icmp-net-unreachable', 'icmp6-no-route'], ['icmp-host-unreachable', 'icmp6-addr-unreachable']]) {
      const out = generate6('baseline', { family: '6', 'reject-with': v4 });
      expect(out.rules.at(-1)!.text).toBe(`-A INPUT -j REJECT --reject-with ${v6}`);
      expect(out.notes.join(' ')).toContain(v6);
    }
  });

  it('a router: router solicitations accepted too, on request only', () => {
    expect(generate6('baseline').rules.some((r) => r.text.includes('--icmpv6-type 133'))).toBe(false);
    expect(generate6('baseline', { family: '6', router: true }).rules.map((r) => r.text)).toContain('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT');
  });

  it('placing into a ruleset that drops router advertisements on purpose is refused, naming the rule', () => {
    const base = DROP6.replace(':OUTPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j DROP');
    const res = runRecipe(recipe('baseline'), { family: '6' }, parse6(base), { lint });
    expect(!res.ok && res.kind === 'refused' && res.reason).toMatch(/a router advertisement is decided first by INPUT #\d+ \(-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP\)/);
  });

  it('DHCPv6 client: the stock file\'s rule, on request only', () => {
    expect(generate6('baseline').rules.some((r) => r.text.includes('--dport 546'))).toBe(false);
    expect(generate6('baseline', { family: '6', dhcpv6: true }).rules.map((r) => r.text)).toContain('-A INPUT -d fe80::/64 -p udp -m udp --dport 546 -m conntrack --ctstate NEW -j ACCEPT');
  });

  it('goes into the CentOS stock ip6tables file without a new lint warning, before its REJECT, and a second run adds nothing', () => {
    const { text, ruleset, placed } = merge6('baseline', STOCK6);
    const input = rulesOf(ruleset, 'filter', 'INPUT');
    expect(input.at(-1)).toBe('-A INPUT -j REJECT --reject-with icmp6-adm-prohibited');
    expect(placed.added.map((a) => a.text)).toEqual(['-A INPUT -s 2001:db8:1::/64 -j ACCEPT', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m limit --limit 5/sec --limit-burst 10 -j ACCEPT']);
    // the stock file accepts all ICMPv6 and SSH already: the walk of each probe finds the rule that does it
    const skipped = new Map(placed.skipped.map((s) => [s.text, s.reason]));
    expect(skipped.get('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT')).toBe('already handled: a neighbour solicitation is decided the same way by INPUT #2 (-A INPUT -p ipv6-icmp -j ACCEPT)');
    expect(skipped.get('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT')).toMatch(/^already handled: a new SSH connection to port 22 is decided the same way by INPUT #4/);
    const again = merge6('baseline', text);
    expect(again.placed.added).toEqual([]);
    expect(again.text).toBe(text);
  });
});

describe('the other recipes in IPv6', () => {
  it('loopback: lo in INPUT and OUTPUT, first', () => {
    const { ruleset } = merge6('loopback', DROP6);
    expect(rulesOf(ruleset, 'filter', 'INPUT')[0]).toBe('-A INPUT -i lo -j ACCEPT');
    expect(rulesOf(ruleset, 'filter', 'OUTPUT')[0]).toBe('-A OUTPUT -o lo -j ACCEPT');
  });

  it('dns-out: queries to the IPv6 servers, answers by state', () => {
    expect(generate6('dns-out').rules.map((r) => r.text)).toEqual([
      '-A OUTPUT -d 2001:db8::53/128 -p udp -m udp --dport 53 -j ACCEPT',
      '-A OUTPUT -d 2001:db8::53/128 -p tcp -m tcp --dport 53 -j ACCEPT',
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  it('dos-limit per client: hashlimit by source with a /64 per client network in IPv6, per address in IPv4', () => {
    const six = generate6('dos-limit').rules[0].text;
    expect(six).toBe('-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -m hashlimit --hashlimit-upto 25/min --hashlimit-burst 100 --hashlimit-mode srcip --hashlimit-name dos-tcp80 --hashlimit-srcmask 64 -j ACCEPT');
    const c = checkRecipeParams(recipe('dos-limit'), { port: '80', 'per-client': true, family: 'both', srcmask6: '56' });
    expect(c.ok).toBe(true);
    const [v4, v6] = generateFamilies(recipe('dos-limit'), c.ok ? c.values : {});
    expect(v4.rules[0].text).toContain('--hashlimit-mode srcip --hashlimit-name dos-tcp80 -j ACCEPT');
    expect(v6.rules[0].text).toContain('--hashlimit-srcmask 56');
    expect(v6.notes.join(' ')).toContain('/56');
    // without per-client: one limit for the port, as in IPv4
    expect(generate6('dos-limit', { family: '6', port: '80' }).rules[0].text).toContain('-m limit --limit 25/min --limit-burst 100');
  });

  it('dos-limit over UDP rejects with ICMPv6 port unreachable', () => {
    expect(generate6('dos-limit', { family: '6', port: '53', proto: 'udp', action: 'REJECT' }).rules[1].text).toBe('-A INPUT -p udp -m udp --dport 53 -m conntrack --ctstate NEW -j REJECT --reject-with icmp6-port-unreachable');
  });

  it('port-forward to another host: DNAT to [address]:port in ip6tables\' nat table, FORWARD to the /128, IPv6 forwarding named', () => {
    const out = generate6('port-forward');
    expect(out.rules.map((r) => `${r.table} ${r.text}`)).toEqual([
      'nat -A PREROUTING -p tcp -m tcp --dport 422 -j DNAT --to-destination [2001:db8:10::5]:22',
      'filter -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'filter -A FORWARD -d 2001:db8:10::5/128 -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT --ctorigdstport 422 -j ACCEPT',
    ]);
    expect(out.preconditions.map((p) => p.what)).toContain('net.ipv6.conf.all.forwarding=1');
    expect(out.preconditions.find((p) => p.kind === 'sysctl')!.fix).toContain('accept_ra');
  });

  it('port-forward on this host: REDIRECT in ip6tables\' nat table, no forwarding needed', () => {
    const out = generate6('port-forward', { family: '6', 'from-port': '422', 'to-port': '22' });
    expect(out.rules[0].text).toBe('-A PREROUTING -p tcp -m tcp --dport 422 -j REDIRECT --to-ports 22');
    expect(out.preconditions).toEqual([]);
    const { ruleset } = merge6('port-forward', STOCK6, { family: '6', 'from-port': '422', 'to-port': '22' });
    expect(rulesOf(ruleset, 'nat', 'PREROUTING')).toEqual(['-A PREROUTING -p tcp -m tcp --dport 422 -j REDIRECT --to-ports 22']);
  });

  it('load-balance: the statistic cascade on the IPv6 nat table, a port in brackets, FORWARD per backend', () => {
    const out = generate6('load-balance', { ...SAMPLES6['load-balance'], backends6: '2001:db8:10::11,2001:db8:10::12,[2001:db8:10::13]:8443' });
    expect(out.rules.filter((r) => r.table === 'nat').map((r) => r.text)).toEqual([
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 443 -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 2001:db8:10::11',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 443 -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 2001:db8:10::12',
      '-A PREROUTING -i eth0 -p tcp -m tcp --dport 443 -j DNAT --to-destination [2001:db8:10::13]:8443',
    ]);
    expect(out.rules.map((r) => r.text)).toContain('-A FORWARD -d 2001:db8:10::13/128 -i eth0 -p tcp -m tcp --dport 8443 -m conntrack --ctstate NEW -j ACCEPT');
    expect(out.preconditions.map((p) => p.what)).toContain('net.ipv6.conf.all.forwarding=1');
  });

  it('load-balance goes into the stock ip6tables file (FORWARD accepts before its REJECT), lint clean, idempotent', () => {
    const { ruleset, text } = merge6('load-balance', STOCK6);
    const fwd = rulesOf(ruleset, 'filter', 'FORWARD');
    expect(fwd.at(-1)).toBe('-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited');
    expect(fwd.filter((r) => r.includes('--ctstate NEW -j ACCEPT'))).toHaveLength(3);
    expect(merge6('load-balance', text).placed.added).toEqual([]);
  });

  it('lan-to-wan: the same FORWARD rules; no IPv6 MASQUERADE unless asked for, and the output says why', () => {
    const c = checkRecipeParams(recipe('lan-to-wan'), { family: 'both', 'lan-if': 'eth0', 'wan-if': 'eth1', masquerade: true, lan: '192.168.1.0/24', lan6: '2001:db8:20::/64' });
    const [v4, plain] = generateFamilies(recipe('lan-to-wan'), c.ok ? c.values : {});
    expect(v4.rules.map((r) => `${r.table} ${r.text}`)).toContain('nat -A POSTROUTING -s 192.168.1.0/24 -o eth1 -j MASQUERADE');
    expect(plain.rules.map((r) => r.text)).toEqual([
      '-A FORWARD -s 2001:db8:20::/64 -i eth0 -o eth1 -j ACCEPT',
      '-A FORWARD -i eth1 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
    expect(plain.notes.join(' ')).toMatch(/no MASQUERADE for IPv6/);
    expect(recipe('lan-to-wan').ipv6).toMatch(/NPTv6/);
    const asked = generate6('lan-to-wan', { family: '6', 'lan-if': 'eth0', 'wan-if': 'eth1', masquerade6: true });
    expect(asked.rules.map((r) => `${r.table} ${r.text}`)).toContain('nat -A POSTROUTING -o eth1 -j MASQUERADE');
  });

  it('log-drops: rejects with icmp6-port-unreachable; takes the place of the stock REJECT', () => {
    expect(generate6('log-drops', { family: '6', verdict: 'REJECT' }).rules[1].text).toBe('-A LOGGING -j REJECT --reject-with icmp6-port-unreachable');
    const { placed, ruleset } = merge6('log-drops', STOCK6);
    expect(placed.replaced.map((r) => r.from)).toEqual(['-A INPUT -j REJECT --reject-with icmp6-adm-prohibited']);
    expect(rulesOf(ruleset, 'filter', 'LOGGING').at(-1)).toBe('-A LOGGING -j REJECT --reject-with icmp6-adm-prohibited');
  });

  it('log-drops refuses where its final drop would cut neighbour discovery (the host would lose IPv6)', () => {
    const res = runRecipe(recipe('log-drops'), { family: '6' }, parse6(EMPTY6.replace('COMMIT', '-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT')), { lint });
    expect(res.ok).toBe(false);
    expect(!res.ok && res.kind === 'refused' && res.reason).toMatch(/ipv6-nd-dropped/);
  });
});

describe('the family parameter and the IPv6 addresses', () => {
  it('family both: one output per family, IPv4 first; each with its own addresses', () => {
    const c = checkRecipeParams(recipe('dns-out'), { family: 'both', servers: '192.0.2.53/32', servers6: '2001:db8::53/128' });
    expect(c.ok).toBe(true);
    const outs = generateFamilies(recipe('dns-out'), c.ok ? c.values : {});
    expect(outs.map((o) => [o.family, o.rules[0].text])).toEqual([
      ['ipv4', '-A OUTPUT -d 192.0.2.53/32 -p udp -m udp --dport 53 -j ACCEPT'],
      ['ipv6', '-A OUTPUT -d 2001:db8::53/128 -p udp -m udp --dport 53 -j ACCEPT'],
    ]);
  });

  it.each<[string, RawParams, string, RegExp]>([
    ['load-balance', { family: 'both', port: '443', backends: '10.0.0.1,10.0.0.2' }, 'backends6', /required for the IPv6 rules/],
    ['load-balance', { family: '6', port: '443' }, 'backends6', /required for the IPv6 rules/],
    ['dns-out', { family: 'both', servers: '192.0.2.53/32' }, 'servers6', /narrows the IPv4 rules/],
    ['port-forward', { family: 'both', 'from-port': '422', 'to-port': '22', source: '198.51.100.0/24' }, 'source6', /narrows/],
    ['port-forward', { family: 'both', 'from-port': '422', 'to-port': '22', 'to-host': '10.0.0.5' }, 'to-host6', /IPv6 ones to this host/],
    ['dns-out', { family: '4', servers6: '2001:db8::53/128' }, 'servers6', /IPv4 only/],
    ['dns-out', { family: '6', servers: '192.0.2.53/32' }, 'servers', /IPv6 only/],
    ['dns-out', { family: '6', servers6: '192.0.2.53/32' }, 'servers6', /not an IPv6 network/],
    ['dns-out', { family: '6', servers6: '2001:db8::53/64' }, 'servers6', /host bits set.*2001:db8::\/64/],
    ['load-balance', { family: '6', port: '443', backends6: '2001:db8::1:8443,2001:db8::2' }, '', /./],
    ['load-balance', { family: '6', port: '443', backends6: '[2001:db8::1]:99999,2001:db8::2' }, 'backends6', /not a port/],
    ['port-forward', { family: '6', 'from-port': '422', 'to-port': '22', 'to-host6': 'fe80::1%eth0' }, 'to-host6', /not an IPv6 address/],
    ['dns-out', { family: '5' }, 'family', /not one of 4, 6, both/],
  ])('%s %j → --%s', (name, raw, param, message) => {
    const c = checkRecipeParams(recipe(name), raw);
    if (param === '') {
      // 2001:db8::1:8443 is an address (its last group 8443), not a port: accepted, as ip6tables would read it
      expect(c.ok).toBe(true);
      expect(c.ok && (c.values.backends6 as Array<{ ip: string; port: number | null }>)[0]).toEqual({ ip: '2001:db8::1:8443', port: null });
      return;
    }
    expect(c.ok).toBe(false);
    const p = !c.ok ? c.problems.find((x) => x.param === param) : undefined;
    expect(p, JSON.stringify(!c.ok && c.problems)).toBeDefined();
    expect(`${p!.message} ${p!.fix ?? ''}`).toMatch(message);
  });

  it('baseline: a trusted IPv4 network without an IPv6 one is fine (the IPv6 rules just trust nobody)', () => {
    const c = checkRecipeParams(recipe('baseline'), { family: 'both', trusted: '192.168.1.0/24' });
    expect(c.ok).toBe(true);
    const [v4, v6] = generateFamilies(recipe('baseline'), c.ok ? c.values : {});
    expect(v4.rules.map((r) => r.text)).toContain('-A INPUT -s 192.168.1.0/24 -j ACCEPT');
    expect(v6.rules.some((r) => r.text.includes(' -s ') && !r.text.includes('fe80::/10'))).toBe(false);
  });

  it('IPv6 addresses are written as ip6tables prints them', () => {
    const c = checkRecipeParams(recipe('port-forward'), { family: '6', 'from-port': '422', 'to-port': '22', 'to-host6': '2001:DB8:0:0::0005', source6: '2001:0db8:0100::/48' });
    expect(c.ok && [c.values['to-host6'], c.values.source6]).toEqual(['2001:db8::5', '2001:db8:100::/48']);
  });

  it('without --family the rules are for the ruleset they go into (IPv6 for an ip6tables file), IPv4 otherwise', () => {
    const into6 = runRecipe(recipe('loopback'), {}, parse6(DROP6));
    expect(into6.ok && into6.output.family).toBe('ipv6');
    expect(into6.ok && into6.output.values.family).toBe('6');
    const alone = checkRecipeParams(recipe('loopback'), {});
    expect(alone.ok && generateFamilies(recipe('loopback'), alone.values).map((o) => o.family)).toEqual(['ipv4']);
  });

  it('family 4 into an ip6tables ruleset is refused with the fix; both places the ruleset\'s own family', () => {
    const wrong = runRecipe(recipe('loopback'), { family: '4' }, parse6(DROP6));
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.kind === 'params' && wrong.problems[0]).toMatchObject({ param: 'family', fix: expect.stringContaining('--family 6') });
    const both = runRecipe(recipe('dns-out'), { family: 'both', servers: '192.0.2.53/32', servers6: '2001:db8::53/128' }, parse6(DROP6));
    expect(both.ok && both.placed!.added.map((a) => a.text)).toContain('-A OUTPUT -d 2001:db8::53/128 -p udp -m udp --dport 53 -j ACCEPT');
  });

  it('an output of one family is refused by a ruleset of the other', () => {
    const six = generate6('loopback');
    const res = placeRecipe(parseRuleset(stockRuleset()).ruleset, six);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.reason).toMatch(/IPv6 \(ip6tables\) rules and the ruleset is IPv4/);
  });
});

describe('placement into real-world IPv6 rulesets', () => {
  const FILES = ['centos7-stock', 'centos7-web', 'copied-from-v4', 'debian-rules-v6', 'docker-ip6', 'fail2ban-ip6', 'router-ip6', 'ufw-before6'];
  it('each recipe goes into most of them, adds no lint warning and is idempotent; a refusal says why', () => {
    const tally: Record<string, number> = {};
    for (const f of FILES) {
      const base = readFileSync(join(CORPUS6, `${f}.rules`), 'utf8');
      const p = parse6(base);
      expect(p.findings.filter((x) => x.severity === 'error'), f).toEqual([]);
      for (const r of listRecipes()) {
        const res = runRecipe(r, SAMPLES6[r.name], p, { lint });
        if (!res.ok) {
          expect(res.kind, `${f} ${r.name}`).toBe('refused');
          expect(!res.ok && res.kind === 'refused' && res.reason.length, `${f} ${r.name}`).toBeGreaterThan(30);
          continue;
        }
        tally[r.name] = (tally[r.name] ?? 0) + 1;
        const again = runRecipe(r, SAMPLES6[r.name], parse6(res.text!), { lint });
        expect(again.ok && again.placed!.added, `${f} ${r.name} second run`).toEqual([]);
      }
    }
    process.stderr.write(`IPv6 recipes placed into ${FILES.length} corpus files: ${JSON.stringify(tally)}\n`);
    for (const r of listRecipes()) expect(tally[r.name] ?? 0, r.name).toBeGreaterThanOrEqual(FILES.length / 2);
  });
});
