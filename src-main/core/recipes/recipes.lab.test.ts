// The recipes proven with real packets: network namespaces on this machine
// (client, a router/balancer host, backends), real iptables-legacy in the
// host namespace, tiny python3 servers answering their name. The root
// namespace's firewall is never touched; every namespace is deleted in afterAll
// (and at process exit). Names: pcl-r-<tag>-…, addresses from 198.18.0.0/15.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetnsLab } from '../testing/netns-lab.js';
import { canonicalRuleBody, findChain, findTable, lintRuleset, parseRuleset, type Ruleset } from '../index.js';
import { findRecipe, runRecipe, formatRecipeRules, type RawParams } from './index.js';

const why =
  process.platform !== 'linux' ? 'needs Linux'
  : process.getuid?.() !== 0 ? 'needs root'
  : !existsSync('/usr/sbin/iptables-legacy-restore') ? 'needs iptables-legacy'
  : spawnSync('python3', ['-c', '1']).status !== 0 ? 'needs python3'
  : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2'
  : '';
const skip = !!why && process.env.CI !== 'true';
if (why) process.stderr.write(`recipes lab tests ${skip ? 'skipped' : 'will fail (CI=true)'}: ${why}\n`);

const TAG = String(process.pid % 100000);
const NS = { client: `pcl-r-${TAG}-c`, host: `pcl-r-${TAG}-h`, backend: (i: number) => `pcl-r-${TAG}-b${i}` };
const CLIENT_IP = '198.18.10.2';
const HOST_IP = '198.18.10.1';
const backendIp = (i: number) => `198.18.${20 + i}.2`;
const hostSideIp = (i: number) => `198.18.${20 + i}.1`;
const BACKENDS = 5;
/** the host's interfaces: towards the client, towards backend i */
const IF_CLIENT = `pr${TAG}h`;
const ifBackend = (i: number) => `pr${TAG}b${i}`;

const HELPER = String.raw`
import json, select, socket, sys, threading, time
def serve_tcp(port, name):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(512)
    print('ready', flush=True)
    while True:
        c, peer = s.accept()
        try: c.sendall(((peer[0] if name == '@peer' else name) + '\n').encode())
        except OSError: pass
        c.close()
def serve_udp(port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', port))
    print('ready', flush=True)
    while True:
        d, peer = s.recvfrom(2048); s.sendto(name.encode(), peer)
def connect(host, port, count, timeout):
    out = {}
    for _ in range(count):
        s = socket.socket(); s.settimeout(timeout)
        try:
            s.connect((host, port)); k = s.recv(100).decode().strip() or 'empty'
        except socket.timeout: k = 'timeout'
        except ConnectionRefusedError: k = 'refused'
        except OSError as e: k = 'error:' + (e.strerror or str(e))
        finally: s.close()
        out[k] = out.get(k, 0) + 1
    print(json.dumps(out))
def connect_parallel(host, port, count, timeout):
    res = []; lock = threading.Lock()
    def one():
        s = socket.socket(); s.settimeout(timeout)
        try: s.connect((host, port)); k = 'ok'
        except socket.timeout: k = 'timeout'
        except OSError as e: k = 'error:' + (e.strerror or str(e))
        finally: s.close()
        with lock: res.append(k)
    ts = [threading.Thread(target=one) for _ in range(count)]
    for t in ts: t.start()
    for t in ts: t.join()
    out = {}
    for k in res: out[k] = out.get(k, 0) + 1
    print(json.dumps(out))
def udp_query(host, port, timeout, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(timeout)
    if sport: s.bind(('0.0.0.0', sport))
    try:
        s.sendto(b'query', (host, port)); print(s.recvfrom(2048)[0].decode())
    except socket.timeout: print('timeout')
    except PermissionError: print('blocked')
def udp_listen(port, timeout):
    # until a datagram comes, a line on stdin (the test: the probe surely arrived) or the timeout (a safety net)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', port))
    print('ready', flush=True)
    r, _, _ = select.select([s, sys.stdin], [], [], timeout)
    if s in r: d, peer = s.recvfrom(2048); print('got from %s:%d' % peer)
    else: print('nothing')
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'serve-tcp': serve_tcp(int(args[0]), args[1])
elif cmd == 'serve-udp': serve_udp(int(args[0]), args[1])
elif cmd == 'connect': connect(args[0], int(args[1]), int(args[2]), float(args[3]))
elif cmd == 'connect-parallel': connect_parallel(args[0], int(args[1]), int(args[2]), float(args[3]))
elif cmd == 'udp-query': udp_query(args[0], int(args[1]), float(args[2]), int(args[3]) if len(args) > 3 else 0)
elif cmd == 'udp-listen': udp_listen(int(args[0]), float(args[1]))
`;

const lab = new NetnsLab(4);
const { inNs, py, startServer, addNs, link, cleanup } = lab;
/**
 * A UDP listener on `port` in `ns`, bound before this resolves (it printed `ready`). `result()` is what it
 * heard: `got from ADDR:PORT` as soon as a datagram comes, `nothing` once `stop()` was called first. A test
 * that expects nothing calls stop() only when the kernel has surely dealt with the probe (a counter moved), not
 * after a guessed delay: on a loaded machine the probe can come later than any delay.
 */
async function listenUdp(ns: string, port: number): Promise<{ stop(): void; result(): Promise<string>; heard(): boolean }> {
  const c = spawn('ip', ['netns', 'exec', ns, 'python3', lab.helper, 'udp-listen', String(port), '20'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const closed = new Promise<string>((resolve, reject) => {
    c.on('close', (code) => (code === 0 ? resolve(out.replace(/^ready\n/, '').trim()) : reject(new Error(`udp-listen exited ${code}: ${err}`))));
  });
  c.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    closed.catch(reject);
  });
  return { stop: () => c.stdin.end('stop\n'), result: () => closed, heard: () => out.includes('got from') };
}

/** Polls until `done` (a loaded machine may take a while to pass a packet on); throws after `ms`. */
async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !done(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms / 1000} s`);
  }
}

/** The packets a built-in chain's policy took (iptables-save -c: `:INPUT DROP [packets:bytes]`). */
function policyPackets(table: string, chain: string): number {
  const m = new RegExp(`^:${chain} \\S+ \\[(\\d+):`, 'm').exec(inNs(NS.host, ['iptables-legacy-save', '-c', '-t', table]));
  if (!m) throw new Error(`no policy line for ${table} ${chain}`);
  return Number(m[1]);
}

const pyAsync = (ns: string, ...args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, 'python3', lab.helper, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`helper ${args.join(' ')} exited ${code}`))));
  });

/** Loads a whole ruleset into the host namespace (filter and nat always both, so nothing of a previous test stays). */
function load(text: string): void {
  let t = text;
  if (!/^\*filter$/m.test(t)) t += '*filter\nCOMMIT\n';
  if (!/^\*nat$/m.test(t)) t += '*nat\nCOMMIT\n';
  inNs(NS.host, ['iptables-legacy-restore'], t);
}

function live(): Ruleset {
  const p = parseRuleset(inNs(NS.host, ['iptables-legacy-save', '-c']));
  expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
  return p.ruleset;
}

function packets(rs: Ruleset, table: string, chain: string, ruleText: string): number {
  const c = findChain(findTable(rs, table)!, chain)!;
  const r = c.rules.find((x) => `-A ${chain}${canonicalRuleBody(x)}` === ruleText);
  if (!r) throw new Error(`no rule ${ruleText} in ${table} ${chain}`);
  return Number(r.counters?.packets ?? 0n);
}

/** The recipe merged into `base` (which must place cleanly and lint clean), as loaded text. */
function merged(name: string, params: RawParams, base: string): { text: string; rules: string[] } {
  const recipe = findRecipe(name)!;
  const res = runRecipe(recipe, params, parseRuleset(base), { lint: (rs) => lintRuleset(rs) });
  if (!res.ok) throw new Error(`${name}: ${res.kind === 'params' ? JSON.stringify(res.problems) : res.reason}`);
  return { text: res.text!, rules: res.placed!.added.map((a) => a.text) };
}

const EMPTY = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const STRICT_FORWARD = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

describe.skipIf(skip)('recipes with real packets (network namespaces)', () => {
  beforeAll(() => {
    process.once('exit', cleanup);
    lab.writeHelper('pcl-r-', HELPER);
    addNs(NS.client);
    addNs(NS.host);
    link(NS.client, `pr${TAG}c`, CLIENT_IP, NS.host, IF_CLIENT, HOST_IP);
    inNs(NS.client, ['ip', 'route', 'add', 'default', 'via', HOST_IP]);
    inNs(NS.host, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // REJECT answers with ICMP errors, which the kernel rate-limits per peer (a burst of 6): off, so every rejected connect is counted
    inNs(NS.host, ['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    for (let i = 1; i <= BACKENDS; i++) {
      addNs(NS.backend(i));
      link(NS.host, ifBackend(i), hostSideIp(i), NS.backend(i), `pr${TAG}x${i}`, backendIp(i));
      inNs(NS.backend(i), ['ip', 'route', 'add', 'default', 'via', hostSideIp(i)]);
    }
    return Promise.all([
      ...Array.from({ length: BACKENDS }, (_, k) => startServer(NS.backend(k + 1), 'serve-tcp', '443', `backend${k + 1}`)),
      startServer(NS.backend(1), 'serve-tcp', '8000', '@peer'),
      startServer(NS.backend(1), 'serve-tcp', '53', 'dns-tcp'),
      startServer(NS.backend(1), 'serve-udp', '53', 'dns-udp'),
      startServer(NS.client, 'serve-tcp', '7000', 'client'),
      startServer(NS.host, 'serve-tcp', '22', 'sshd'),
      startServer(NS.host, 'serve-tcp', '8080', 'web'),
      startServer(NS.host, 'serve-tcp', '5432', 'db'),
    ]);
  });
  afterAll(cleanup);

  it.each([2, 3, 5])('load-balance over %i backends: N×100 new connections reach each backend exactly 100 times', (n) => {
    const backends = Array.from({ length: n }, (_, k) => backendIp(k + 1)).join(',');
    const { text } = merged('load-balance', { port: '443', backends, in: IF_CLIENT }, STRICT_FORWARD);
    load(text);
    const counts = JSON.parse(py(NS.client, 'connect', HOST_IP, '443', String(n * 100), '2')) as Record<string, number>;
    process.stderr.write(`load-balance ${n} backends: ${JSON.stringify(counts)}\n`);
    const want = Object.fromEntries(Array.from({ length: n }, (_, k) => [`backend${k + 1}`, 100]));
    expect(counts).toEqual(want);
  });

  it("the seed's --every 3 --packet 0/1/2 rules are uneven: lint says nth-balance, and the traffic agrees", () => {
    const naive = `*nat
${[0, 1, 2].map((k) => `-A PREROUTING -i ${IF_CLIENT} -p tcp --dport 443 -m state --state NEW -m statistic --mode nth --every 3 --packet ${k} -j DNAT --to-destination ${backendIp(k + 1)}`).join('\n')}
COMMIT
${STRICT_FORWARD.replace('COMMIT', `-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -i ${IF_CLIENT} -p tcp --dport 443 -j ACCEPT\nCOMMIT`)}`;
    const p = parseRuleset(naive);
    expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(lintRuleset(p.ruleset).map((f) => f.code)).toContain('nth-balance');
    load(naive);
    const counts = JSON.parse(py(NS.client, 'connect', HOST_IP, '443', '300', '1')) as Record<string, number>;
    process.stderr.write(`naive --every 3 --packet 0/1/2: ${JSON.stringify(counts)}\n`);
    const got = [1, 2, 3].map((i) => counts[`backend${i}`] ?? 0);
    // one counter per rule: 1/3, 2/9, 4/27 of the connections, 8/27 not balanced at all (refused by the host itself)
    expect(got.every((x) => x === 100)).toBe(false);
    expect(got[0]).toBeGreaterThan(got[1]);
    expect(got[1]).toBeGreaterThan(got[2]);
    expect(300 - got[0] - got[1] - got[2]).toBeGreaterThan(0);
  });

  it('port-forward 422 → 22: the connection reaches the server on 22, counted by the recipe\'s filter rule; 22 itself stays closed', () => {
    const base = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
COMMIT
`;
    const { text, rules } = merged('port-forward', { 'from-port': '422', 'to-port': '22' }, base);
    const filterRule = rules.find((r) => r.startsWith('-A INPUT'))!;
    expect(filterRule).toBe('-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT --ctorigdstport 422 -j ACCEPT');
    load(text);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '422', '3', '2'))).toEqual({ sshd: 3 });
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '1', '0.5'))).toEqual({ timeout: 1 });
    const rs = live();
    expect(packets(rs, 'nat', 'PREROUTING', '-A PREROUTING -p tcp -m tcp --dport 422 -j REDIRECT --to-ports 22')).toBe(3);
    expect(packets(rs, 'filter', 'INPUT', filterRule)).toBe(3); // the three SYNs; the rest are ESTABLISHED
  });

  it('dos-limit: a burst above the limit is cut at the configured burst', async () => {
    const { text, rules } = merged('dos-limit', { port: '8080', limit: '1/minute', burst: '5' }, EMPTY);
    load(text);
    const counts = JSON.parse(await pyAsync(NS.client, 'connect-parallel', HOST_IP, '8080', '20', '0.7')) as Record<string, number>;
    expect(counts).toEqual({ ok: 5, timeout: 15 });
    const rs = live();
    expect(packets(rs, 'filter', 'INPUT', rules[0])).toBe(5);
    expect(packets(rs, 'filter', 'INPUT', rules[1])).toBe(15);
  });

  it('loopback: local connections work under a DROP policy only with the recipe', () => {
    const base = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\nCOMMIT\n';
    load(base);
    expect(JSON.parse(py(NS.host, 'connect', '127.0.0.1', '5432', '1', '0.5'))).toEqual({ timeout: 1 });
    load(merged('loopback', {}, base).text);
    expect(JSON.parse(py(NS.host, 'connect', '127.0.0.1', '5432', '2', '1'))).toEqual({ db: 2 });
  });

  it('dns-out: queries over UDP and TCP get their answers; a packet from source port 53 does not get in', async () => {
    const base = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\nCOMMIT\n';
    load(base);
    expect(py(NS.host, 'udp-query', backendIp(1), '53', '0.5')).toBe('blocked'); // OUTPUT drops it: sendto gets EPERM
    load(merged('dns-out', {}, base).text);
    expect(py(NS.host, 'udp-query', backendIp(1), '53', '1')).toBe('dns-udp');
    expect(JSON.parse(py(NS.host, 'connect', backendIp(1), '53', '1', '1'))).toEqual({ 'dns-tcp': 1 });
    // the seed's `--sport 53` rule would let this in; conntrack state does not: the INPUT policy drops it (its
    // counter moves), and the listener, told to stop only then, heard nothing
    const listener = await listenUdp(NS.host, 9999);
    const dropped = policyPackets('filter', 'INPUT');
    py(NS.backend(2), 'udp-query', hostSideIp(2), '9999', '0.2', '53');
    await until(() => listener.heard() || policyPackets('filter', 'INPUT') > dropped, 'the datagram from port 53 dropped by the INPUT policy (or heard)');
    listener.stop();
    expect(await listener.result()).toBe('nothing');
    // …while the seed's version lets it in
    load(base.replace('COMMIT', '-A OUTPUT -p udp --dport 53 -j ACCEPT\n-A INPUT -p udp --sport 53 -j ACCEPT\nCOMMIT'));
    const seedListener = await listenUdp(NS.host, 9999);
    py(NS.backend(2), 'udp-query', hostSideIp(2), '9999', '0.2', '53');
    expect(await seedListener.result()).toBe(`got from ${backendIp(2)}:53`);
  });

  it('lan-to-wan with MASQUERADE: the LAN reaches the outside as the router; the outside cannot connect in', () => {
    load(STRICT_FORWARD);
    expect(JSON.parse(py(NS.client, 'connect', backendIp(1), '8000', '1', '0.5'))).toEqual({ timeout: 1 });
    const { text } = merged('lan-to-wan', { 'lan-if': IF_CLIENT, 'wan-if': ifBackend(1), masquerade: true }, STRICT_FORWARD);
    load(text);
    // the server on the outside sees the router's address, not the client's
    expect(JSON.parse(py(NS.client, 'connect', backendIp(1), '8000', '2', '1'))).toEqual({ [hostSideIp(1)]: 2 });
    expect(JSON.parse(py(NS.backend(1), 'connect', CLIENT_IP, '7000', '1', '0.5'))).toEqual({ timeout: 1 });
  });

  it('log-drops: takes the place of the final REJECT, keeps its verdict, and its counters grow with dropped packets', () => {
    const base = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;
    const { text } = merged('log-drops', {}, base);
    expect(text).toContain('-A INPUT -j LOGGING\n');
    expect(text).not.toContain('-A INPUT -j REJECT');
    load(text);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '8080', '8', '1'))).toEqual({ refused: 8 });
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '1', '1'))).toEqual({ sshd: 1 });
    const rs = live();
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -j LOGGING')).toBe(8);
    expect(packets(rs, 'filter', 'LOGGING', '-A LOGGING -m limit --limit 2/min -j LOG --log-prefix "IPTables Packet Dropped: " --log-level 7')).toBe(5);
    expect(packets(rs, 'filter', 'LOGGING', '-A LOGGING -j REJECT --reject-with icmp-port-unreachable')).toBe(8);
  });

  it('baseline: SSH gets in, everything else is rejected; the printed rules load as they are', () => {
    const printed = formatRecipeRules(findRecipe('baseline')!.generate({ trusted: undefined, 'ssh-port': 22, icmp: true, loopback: true, 'reject-with': 'icmp-host-prohibited' }));
    load(printed);
    expect(JSON.parse(py(NS.client, 'connect', HOST_IP, '22', '2', '1'))).toEqual({ sshd: 2 });
    const other = JSON.parse(py(NS.client, 'connect', HOST_IP, '8080', '2', '1')) as Record<string, number>;
    expect(Object.keys(other)).toEqual(['error:No route to host']); // icmp-host-prohibited
    const rs = live();
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -j REJECT --reject-with icmp-host-prohibited')).toBe(2);
    expect(packets(rs, 'filter', 'INPUT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT')).toBe(2);
  });
});
