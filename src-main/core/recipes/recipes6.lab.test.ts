// The IPv6 recipes against real ip6tables 1.8.9 (legacy) in network
// namespaces: every rule each recipe makes passes `ip6tables-legacy-restore
// --test` and comes back from `ip6tables-legacy-save` exactly as we print it;
// then real IPv6 packets: baseline keeps neighbour discovery working under its
// final REJECT (without the ICMPv6 rules the same connection fails), a port
// forward 422 → 22 through ip6tables' nat table, and the load-balance cascade
// spreading connections evenly over IPv6 backends. The root namespace's
// firewall is never touched; every namespace is deleted in afterAll (and at
// exit). Names: pcl-r6-<tag>-…, addresses from 2001:db8::/32.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetnsLab } from '../testing/netns-lab.js';
import { canonicalRuleBody, findChain, findTable, lintRuleset, parseRuleset, type Ruleset } from '../index.js';
import { checkRecipeParams, findRecipe, formatRecipeRules, generateFamilies, listRecipes, runRecipe, type RawParams } from './index.js';
import { SAMPLES6 } from '../testing/recipe-samples.js';

const why =
  process.platform !== 'linux' ? 'needs Linux'
  : process.getuid?.() !== 0 ? 'needs root'
  : !existsSync('/usr/sbin/ip6tables-legacy-restore') ? 'needs ip6tables-legacy'
  : spawnSync('python3', ['-c', '1']).status !== 0 ? 'needs python3'
  : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2'
  : '';
const skip = !!why && process.env.CI !== 'true';
if (why) process.stderr.write(`IPv6 recipes lab tests ${skip ? 'skipped' : 'will fail (CI=true)'}: ${why}\n`);

const TAG = String(process.pid % 100000);
const NS = { client: `pcl-r6-${TAG}-c`, host: `pcl-r6-${TAG}-h`, backend: (i: number) => `pcl-r6-${TAG}-b${i}` };
const CLIENT_IP = '2001:db8:6:10::2';
const HOST_IP = '2001:db8:6:10::1';
const backendIp = (i: number) => `2001:db8:6:${20 + i}::2`;
const hostSideIp = (i: number) => `2001:db8:6:${20 + i}::1`;
const BACKENDS = 3;
const IF_CLIENT = `p6${TAG}h`;
const ifBackend = (i: number) => `p6${TAG}b${i}`;

const HELPER = String.raw`
import json, socket, sys
def serve_tcp(port, name):
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('::', port)); s.listen(512)
    print('ready', flush=True)
    while True:
        c, peer = s.accept()
        try: c.sendall((name + '\n').encode())
        except OSError: pass
        c.close()
def connect(host, port, count, timeout):
    out = {}
    for _ in range(count):
        s = socket.socket(socket.AF_INET6); s.settimeout(timeout)
        try:
            s.connect((host, port)); k = s.recv(100).decode().strip() or 'empty'
        except socket.timeout: k = 'timeout'
        except ConnectionRefusedError: k = 'refused'
        except OSError as e: k = 'error:' + (e.strerror or str(e))
        finally: s.close()
        out[k] = out.get(k, 0) + 1
    print(json.dumps(out))
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'serve-tcp': serve_tcp(int(args[0]), args[1])
elif cmd == 'connect': connect(args[0], int(args[1]), int(args[2]), float(args[3]))
`;

const lab = new NetnsLab(6);
const { inNs, py, startServer, addNs, link, cleanup } = lab;

/** Loads a whole IPv6 ruleset into the host (filter and nat always both, so nothing of a previous test stays). */
function load(text: string): void {
  let t = text;
  if (!/^\*filter$/m.test(t)) t += '*filter\nCOMMIT\n';
  if (!/^\*nat$/m.test(t)) t += '*nat\nCOMMIT\n';
  inNs(NS.host, ['ip6tables-legacy-restore'], t);
  // forget what neighbour discovery learned: each test resolves its neighbours under its own rules
  for (const ns of [NS.client, NS.host]) inNs(ns, ['ip', '-6', 'neigh', 'flush', 'all']);
}

function live(): Ruleset {
  const p = parseRuleset(inNs(NS.host, ['ip6tables-legacy-save', '-c']), { family: 'ipv6' });
  expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
  return p.ruleset;
}

function packets(rs: Ruleset, table: string, chain: string, ruleText: string): number {
  const c = findChain(findTable(rs, table as 'filter')!, chain)!;
  const r = c.rules.find((x) => `-A ${chain}${canonicalRuleBody(x)}` === ruleText);
  if (!r) throw new Error(`no rule ${ruleText} in ${table} ${chain}`);
  return Number(r.counters?.packets ?? 0n);
}

function merged(name: string, params: RawParams, base: string): { text: string; rules: string[] } {
  const res = runRecipe(findRecipe(name)!, params, parseRuleset(base, { family: 'ipv6' }), { lint: (rs) => lintRuleset(rs) });
  if (!res.ok) throw new Error(`${name}: ${res.kind === 'params' ? JSON.stringify(res.problems) : res.reason}`);
  return { text: res.text!, rules: res.placed!.added.map((a) => a.text) };
}

/** More IPv6 variants than the samples: every option that changes a rule's text. */
const VARIANTS: Array<[string, RawParams]> = [
  ...Object.entries(SAMPLES6),
  ['baseline', { family: '6', icmp: false, loopback: false, 'reject-with': 'icmp-port-unreachable', dhcpv6: true, router: true, 'ssh-port': '2222' }],
  ['baseline', { family: '6', 'reject-with': 'icmp-net-unreachable' }],
  ['baseline', { family: '6', 'reject-with': 'icmp-host-unreachable' }],
  ['dns-out', { family: '6', if: 'eth0', tcp: false }],
  ['dos-limit', { family: '6', port: '53', proto: 'udp', action: 'REJECT', 'per-client': true, srcmask6: '48', limit: '10/second', burst: '20', in: 'eth0' }],
  ['dos-limit', { family: '6', port: '80', action: 'REJECT' }],
  ['port-forward', { family: '6', 'from-port': '422', 'to-port': '22', dst6: '2001:db8::10', source6: '2001:db8:100::/48', in: 'eth0', proto: 'udp' }],
  ['port-forward', { family: '6', 'from-port': '8080', 'to-port': '80', 'to-host6': '2001:db8:10::5', dst6: '2001:db8::10', source6: '2001:db8:100::/48' }],
  ['load-balance', { family: '6', port: '443', backends6: '2001:db8:10::11,[2001:db8:10::12]:8443', dst6: '2001:db8::10', masquerade: true, proto: 'udp' }],
  ['lan-to-wan', { family: '6', 'lan-if': 'eth0', 'wan-if': 'eth1', masquerade6: true, lan6: 'fd00:1::/64' }],
  ['log-drops', { family: '6', verdict: 'REJECT', chain: 'FORWARD', 'log-chain': 'LOG6', prefix: 'v6 drop: ', level: '4', limit: '10/hour' }],
];

describe.skipIf(skip)('IPv6 recipes on real ip6tables (network namespaces)', () => {
  beforeAll(() => {
    process.once('exit', cleanup);
    lab.writeHelper('pcl-r6-', HELPER);
    addNs(NS.client);
    addNs(NS.host);
    link(NS.client, `p6${TAG}c`, CLIENT_IP, NS.host, IF_CLIENT, HOST_IP);
    inNs(NS.client, ['ip', '-6', 'route', 'add', 'default', 'via', HOST_IP]);
    inNs(NS.host, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    // REJECT answers with ICMPv6 errors, which the kernel rate-limits: off, so every rejected connect is answered
    inNs(NS.host, ['sysctl', '-qw', 'net.ipv6.icmp.ratelimit=0']);
    for (let i = 1; i <= BACKENDS; i++) {
      addNs(NS.backend(i));
      link(NS.host, ifBackend(i), hostSideIp(i), NS.backend(i), `p6${TAG}x${i}`, backendIp(i));
      inNs(NS.backend(i), ['ip', '-6', 'route', 'add', 'default', 'via', hostSideIp(i)]);
    }
    return Promise.all([
      ...Array.from({ length: BACKENDS }, (_, k) => startServer(NS.backend(k + 1), 'serve-tcp', '443', `backend${k + 1}`)),
      startServer(NS.host, 'serve-tcp', '22', 'sshd'),
      startServer(NS.host, 'serve-tcp', '8080', 'web'),
    ]);
  });
  afterAll(cleanup);

  it.each(VARIANTS.map(([n, raw], k) => [k, n, raw] as const))('variant %i %s: every rule passes ip6tables-legacy-restore --test and comes back from ip6tables-legacy-save as we print it', (_k, name, raw) => {
    const c = checkRecipeParams(findRecipe(name)!, raw);
    if (!c.ok) throw new Error(JSON.stringify(c.problems));
    const [out] = generateFamilies(findRecipe(name)!, c.values);
    expect(out.family).toBe('ipv6');
    const text = formatRecipeRules(out);
    inNs(NS.host, ['ip6tables-legacy-restore', '--test'], text);
    load(text);
    const saved = inNs(NS.host, ['ip6tables-legacy-save']);
    for (const r of out.rules) expect(saved.split('\n'), `${r.table} ${r.text}`).toContain(r.text);
    // and iptables refuses the same text: these are not IPv4 rules by accident
    if (/2001:db8|fe80::|icmp6/.test(text)) expect(spawnSync('ip', ['netns', 'exec', NS.host, 'iptables-legacy-restore', '--test'], { input: text }).status).not.toBe(0);
  });

  it('baseline: SSH over IPv6 gets in and other ports are rejected; neighbour discovery works under its REJECT only thanks to the ICMPv6 rules', () => {
    const out = generateFamilies(findRecipe('baseline')!, (checkRecipeParams(findRecipe('baseline')!, { family: '6' }) as { values: Record<string, unknown> }).values)[0];
    const withNd = formatRecipeRules(out);
    // the same ruleset without the neighbour discovery rules: the host cannot be resolved, nothing gets in
    const withoutNd = withNd.split('\n').filter((l) => !/--icmpv6-type 13[456] /.test(l)).join('\n');
    load(withoutNd);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '1', '2'))).not.toEqual({ sshd: 1 });
    load(withNd);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '2', '2'))).toEqual({ sshd: 2 });
    const other = JSON.parse(py(NS.client, 'connect', HOST_IP, '8080', '2', '2')) as Record<string, number>;
    expect(Object.keys(other)).toEqual(['error:Permission denied']); // icmp6-adm-prohibited
    const rs = live();
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT')).toBeGreaterThan(0);
    // the two SYNs (a SYN the kernel sends again when its SYN-ACK is slow on a loaded machine counts too); the rest are ESTABLISHED
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT')).toBeGreaterThanOrEqual(2);
    // the two SYNs to 8080, and whatever else the link sent that a host does not take (router solicitations)
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited')).toBeGreaterThanOrEqual(2);
  });

  it('port-forward 422 → 22 over IPv6: REDIRECT in ip6tables\' nat table reaches the server; port 22 itself stays closed', () => {
    const base = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
COMMIT
`;
    const { text, rules } = merged('port-forward', { family: '6', 'from-port': '422', 'to-port': '22' }, base);
    const filterRule = rules.find((r) => r.startsWith('-A INPUT'))!;
    expect(filterRule).toBe('-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT --ctorigdstport 422 -j ACCEPT');
    load(text);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '422', '3', '2'))).toEqual({ sshd: 3 });
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '1', '0.5'))).toEqual({ timeout: 1 });
    const rs = live();
    expect(packets(rs, 'nat', 'PREROUTING', '-A PREROUTING -p tcp -m tcp --dport 422 -j REDIRECT --to-ports 22')).toBe(3);
    expect(packets(rs, 'filter', 'INPUT', filterRule)).toBe(3);
  });

  it(`load-balance over ${BACKENDS} IPv6 backends: ${BACKENDS}×60 new connections reach each backend exactly 60 times`, () => {
    const base = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;
    const backends6 = Array.from({ length: BACKENDS }, (_, k) => backendIp(k + 1)).join(',');
    const { text } = merged('load-balance', { family: '6', port: '443', backends6, in: IF_CLIENT }, base);
    expect(text).toContain(`--to-destination ${backendIp(1)}`);
    load(text);
    const counts = JSON.parse(py(NS.client, 'connect', HOST_IP, '443', String(BACKENDS * 60), '2')) as Record<string, number>;
    process.stderr.write(`IPv6 load-balance ${BACKENDS} backends: ${JSON.stringify(counts)}\n`);
    expect(counts).toEqual(Object.fromEntries(Array.from({ length: BACKENDS }, (_, k) => [`backend${k + 1}`, 60])));
  });

  it('covers every recipe', () => {
    expect(new Set(VARIANTS.map(([n]) => n))).toEqual(new Set(listRecipes().map((r) => r.name)));
  });
});
