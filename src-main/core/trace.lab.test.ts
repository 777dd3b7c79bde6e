// Differential test of the tracer against the kernel (lab): random rulesets
// are loaded into a scratch network namespace with iptables-legacy-restore,
// real packets are sent from a peer namespace, and the per-rule counters the
// kernel keeps must equal the rules the tracer says the packet matched — on
// every packet, including whether it got through (a counting rule in the
// security table, which comes after filter INPUT).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseRuleset } from './index.js';
import { tracePacket } from './trace.js';
import { makeRandom, randomProbe, randomRuleset, type RandomProbe } from './testing/random-ruleset.js';

const FW = 'pcl-t-a';
const PEER = 'pcl-t-b';
const FW_IF = 'pclva';
const PEER_IF = 'pclvb';
const canRunLab = process.getuid?.() === 0 && existsSync('/usr/sbin/iptables-legacy') && existsSync('/usr/sbin/ip');

const RULESETS = 40;
const PROBES = 5;

function sh(args: string[], input?: string): string {
  return execFileSync(args[0], args.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
const inNs = (ns: string, args: string[], input?: string) => sh(['ip', 'netns', 'exec', ns, ...args], input);

function deleteNamespaces(): void {
  for (const ns of [FW, PEER]) {
    try { sh(['ip', 'netns', 'del', ns]); } catch { /* not there */ }
  }
}

// One long-lived sender in the peer: one JSON line in, one packet out, "ok" back.
const SENDER = String.raw`
import sys, socket, struct, json
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
for line in sys.stdin:
    q = json.loads(line)
    p = q['proto']
    if p == 'tcp':
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        s.bind((q['src'], 0))
        h = struct.pack('!HHIIBBHHH', q['sport'], q['dport'], 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
        ph = socket.inet_aton(q['src']) + socket.inet_aton(q['dst']) + struct.pack('!BBH', 0, 6, len(h))
        c = csum(ph + h)
        h = h[:16] + struct.pack('!H', c) + h[18:]
        s.sendto(h, (q['dst'], 0))
    elif p == 'udp':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((q['src'], q['sport']))
        s.sendto(b'probe', (q['dst'], q['dport']))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.bind((q['src'], 0))
        h = struct.pack('!BBHHH', q['icmpType'], 0, 0, q['seq'] & 0xffff, 1) + b'probe'
        h = h[:2] + struct.pack('!H', csum(h)) + h[4:]
        s.sendto(h, (q['dst'], 0))
    s.close()
    print('ok', flush=True)
`;

class Sender {
  private proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiting: Array<() => void> = [];
  constructor() {
    this.proc = spawn('ip', ['netns', 'exec', PEER, 'python3', '-u', '-c', SENDER]);
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.buf = this.buf.slice(i + 1);
        this.waiting.shift()?.();
      }
    });
  }
  send(p: RandomProbe & { seq: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the sender did not answer')), 5000);
      this.waiting.push(() => { clearTimeout(timer); resolve(); });
      this.proc.stdin.write(JSON.stringify(p) + '\n');
    });
  }
  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** `table chain #index` → packets, from iptables-save -c (rules that counted at least one packet). */
function kernelHits(save: string): Map<string, number> {
  const hits = new Map<string, number>();
  let table = '';
  const idx = new Map<string, number>();
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) { table = line.slice(1); idx.clear(); continue; }
    const m = /^\[(\d+):\d+\] -A (\S+)/.exec(line);
    if (!m) continue;
    const k = (idx.get(m[2]) ?? 0) + 1;
    idx.set(m[2], k);
    if (Number(m[1]) > 0) hits.set(`${table} ${m[2]} #${k}`, Number(m[1]));
  }
  return hits;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canRunLab)('tracer against the kernel (lab)', () => {
  let sender: Sender | null = null;

  beforeAll(() => {
    deleteNamespaces();
    try {
      sh(['ip', 'netns', 'add', FW]);
      sh(['ip', 'netns', 'add', PEER]);
      sh(['ip', 'link', 'add', FW_IF, 'netns', FW, 'type', 'veth', 'peer', 'name', PEER_IF, 'netns', PEER]);
      inNs(FW, ['ip', 'addr', 'add', '198.18.1.1/24', 'dev', FW_IF]);
      inNs(FW, ['ip', 'addr', 'add', '198.18.1.4/24', 'dev', FW_IF]);
      inNs(PEER, ['ip', 'addr', 'add', '198.18.1.2/24', 'dev', PEER_IF]);
      inNs(PEER, ['ip', 'addr', 'add', '198.18.1.3/24', 'dev', PEER_IF]);
      for (const [ns, dev] of [[FW, FW_IF], [PEER, PEER_IF]]) {
        inNs(ns, ['ip', 'link', 'set', dev, 'up']);
        inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      }
      // no IPv6 chatter, no waiting for address checks
      for (const ns of [FW, PEER]) inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      // fixed neighbour entries: no ARP exchange to wait for before a probe arrives
      const mac = (ns: string, dev: string) => /link\/ether (\S+)/.exec(inNs(ns, ['ip', '-o', 'link', 'show', dev]))![1];
      for (const a of ['198.18.1.1', '198.18.1.4']) inNs(PEER, ['ip', 'neigh', 'replace', a, 'lladdr', mac(FW, FW_IF), 'dev', PEER_IF, 'nud', 'permanent']);
      for (const a of ['198.18.1.2', '198.18.1.3']) inNs(FW, ['ip', 'neigh', 'replace', a, 'lladdr', mac(PEER, PEER_IF), 'dev', FW_IF, 'nud', 'permanent']);
      sender = new Sender();
    } catch (e) {
      deleteNamespaces();
      throw e;
    }
  }, 30000);

  afterAll(() => {
    sender?.close();
    deleteNamespaces();
  });

  it(`agrees with the kernel's counters on ${RULESETS} random rulesets × ${PROBES} packets`, async () => {
    let seq = 1;
    const disagreements: string[] = [];
    let delivered = 0;
    for (let n = 0; n < RULESETS; n++) {
      const seed = 1000 + n;
      const text = randomRuleset(seed, { iface: FW_IF, rules: 12 });
      const parsed = parseRuleset(text);
      expect(parsed.findings.filter((f) => f.severity === 'error'), text).toEqual([]);
      inNs(FW, ['iptables-legacy-restore'], text);
      const rnd = makeRandom(seed * 7919);
      for (let k = 0; k < PROBES; k++) {
        const probe = { ...randomProbe(rnd, seq), seq: seq++ };
        inNs(FW, ['sh', '-c', 'iptables-legacy -Z && iptables-legacy -t security -Z']);
        await sender!.send(probe);
        await sleep(15);
        const kernel = kernelHits(inNs(FW, ['iptables-legacy-save', '-c']));
        const res = tracePacket(parsed.ruleset, {
          src: probe.src, dst: probe.dst, proto: probe.proto, sport: probe.sport, dport: probe.dport,
          icmpType: probe.icmpType, inIface: FW_IF, state: 'NEW',
        }, { hook: 'INPUT', local: ['198.18.1.1', '198.18.1.4'] });
        expect(res.outcomes, 'the walk must not fork: every field is given').toBeUndefined();
        const traced = new Map<string, number>();
        for (const s of res.path) if (s.index !== null) {
          const key = `${s.table} ${s.chain} #${s.index}`;
          traced.set(key, (traced.get(key) ?? 0) + 1);
        }
        const a = JSON.stringify([...kernel].sort());
        const b = JSON.stringify([...traced].sort());
        const passed = kernel.has('security INPUT #1');
        if (passed) delivered++;
        if (a !== b || passed !== (res.verdict === 'ACCEPT')) {
          disagreements.push(`ruleset seed ${seed}, probe ${JSON.stringify(probe)}\nkernel: ${a}\ntracer: ${b} verdict ${res.verdict}\n${text}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // the generator must exercise both outcomes
    expect(delivered).toBeGreaterThan(5);
    expect(delivered).toBeLessThan(RULESETS * PROBES - 5);
  }, 60000);
});
