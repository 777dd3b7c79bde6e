// Does this profile reach the host over the family its SSH session does NOT
// use, and from which address would the host see it there? The lockout
// prediction of an apply that changes that family's rules needs the answer
// (core/apply/lockout.ts predictFamilyLockout); finding it needs the network,
// so it lives here, on the admin's side, and hands core a plain answer.
//
// How, without a second login:
// 1. Through jump hosts the host sees the LAST jump host as the client, and
//    that hop's own name resolution and routes decide the family. A profile
//    that names the host by an address of the session's family never uses the
//    other family (unreachable, said so); a host name resolved on the jump host
//    cannot be followed from here (unknown, said so) — we do not run commands
//    on jump hosts.
// 2. Directly: the addresses to try are the profile's host name resolved for
//    the other family (OpenSSH would try those on its next connection), then
//    the host's own addresses of that family (`ip -o addr` on the host: the
//    admin's laptop may reach them even when the profile names an address).
//    Link-local, loopback, multicast and mapped addresses are left out, and so
//    are the laptop's own addresses.
// 3. Each one is tried with a TCP connection to the SSH port and an SSH key
//    exchange that stops at the host key (no authentication): a route alone
//    proves little (a laptop with a default IPv6 route "reaches" everything),
//    and a key equal to the session's proves it is the same host, not another
//    machine that happens to have the address here. The socket's local address
//    is our source address; over IPv6 that is the address the host sees. Over
//    IPv4 a private source address talking to a public one means NAT, and the
//    host sees an address we cannot know: unknown, said so.
// 4. The interface the host receives that client on is `ip -o route get` on
//    the host, the address on stdin (as for the session's client).
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import ssh2 from 'ssh2';
import type { Family } from '../core/model.js';
import type { OtherFamilyRoute } from '../core/apply/lockout.js';
import type { LockoutInputs } from '../contract/hosts.js';
import { fingerprintSha256, keyTypeOfBlob } from './known-hosts.js';

const WORD: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
/** how long one address may take to answer with its host key; all are tried at once */
const PROBE_TIMEOUT_MS = 3000;
/** at most this many of the host's own addresses are tried (a host may have dozens: containers, bridges) */
const MAX_HOST_ADDRESSES = 6;

export interface OtherFamilyQuery {
  /** the family to look into: the one the session does not use */
  family: Family;
  /** the hops of the route, jump hosts first (names for messages, `host` as the config resolved it) */
  hops: Array<{ name: string; host: string }>;
  /** the host's SSH port */
  port: number;
  /** the host's own addresses (`ip -o addr`), any family */
  hostAddresses: readonly string[];
  /** the session's host key: the other family must answer with the same one */
  hostKey: { keyType: string; fingerprint: string };
}

export interface ProbeAnswer {
  ok: boolean;
  /** our source address (ok) */
  local?: string;
  /** why not (not ok) */
  why?: string;
}

/** What the search needs from the network; the real ones by default, others in tests. */
export interface OtherFamilyDeps {
  /** the host name's addresses of one family ([] when it has none) */
  resolve(name: string, family: Family): Promise<string[]>;
  /** a TCP connection and key exchange to addr:port, stopped at the host key */
  probe(addr: string, port: number, hostKey: OtherFamilyQuery['hostKey'], timeoutMs: number): Promise<ProbeAnswer>;
  /** the laptop's own addresses */
  ownAddresses(): string[];
}

/** The family of an address literal, or null for a name. */
export function literalFamily(host: string): Family | null {
  const v = isIP(host);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}

/** An address another machine could reach us at: not loopback, link-local, multicast, unspecified or mapped. */
export function isRoutable(addr: string): boolean {
  const a = addr.toLowerCase();
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number);
    return !(x === 0 || x === 127 || x >= 224 || (x === 169 && y === 254));
  }
  if (isIP(a) !== 6) return false;
  return !(a === '::' || a === '::1' || /^fe[89ab]/.test(a) || a.startsWith('ff') || a.startsWith('::ffff:'));
}

/** RFC 1918 and shared (CGN) space: a source address a NAT rewrites on the way to a public one */
export function isPrivate4(addr: string): boolean {
  if (isIP(addr) !== 4) return false;
  const [x, y] = addr.split('.').map(Number);
  return x === 10 || (x === 172 && y >= 16 && y < 32) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y < 128);
}

const normal = (a: string) => a.toLowerCase();
const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a);

/** The addresses to try, in order, each with how it was found. */
export function candidates(q: OtherFamilyQuery, resolved: readonly string[], own: readonly string[]): Array<{ addr: string; how: string }> {
  const target = q.hops[q.hops.length - 1];
  const skip = new Set(own.map(normal));
  const out = new Map<string, string>();
  for (const a of resolved) if (isRoutable(a) && !skip.has(normal(a))) out.set(normal(a), `${target.host} resolves to ${a}`);
  const mine = q.hostAddresses.filter((a) => literalFamily(a) === q.family && isRoutable(a) && !skip.has(normal(a)));
  for (const a of mine.slice(0, MAX_HOST_ADDRESSES)) if (!out.has(normal(a))) out.set(normal(a), `the host's own address ${a}`);
  return [...out].map(([addr, how]) => ({ addr, how }));
}

/**
 * Where this profile reaches the host over `q.family` (the client address the
 * host would see, the host's address), or why it does not, or why that cannot
 * be told. Never throws: a failure is an answer.
 */
export async function findOtherFamilyRoute(q: OtherFamilyQuery, deps: OtherFamilyDeps = realDeps): Promise<OtherFamilyRoute> {
  const word = WORD[q.family];
  const target = q.hops[q.hops.length - 1];
  const named = literalFamily(target.host);
  if (q.hops.length > 1) {
    const jump = q.hops[q.hops.length - 2].name;
    if (named && named !== q.family)
      return { kind: 'unreachable', family: q.family, why: `the profile reaches the host through ${jump} by its ${WORD[named]} address ${target.host}, so the host sees ${jump} over ${WORD[named]} only` };
    return { kind: 'unknown', family: q.family, why: `the host sees the jump host ${jump} as the client, and whether ${jump} reaches ${target.host} over ${word} (and from which address) cannot be told from here` };
  }
  let resolved: string[] = [];
  if (!named) resolved = await deps.resolve(target.host, q.family).catch(() => []);
  const list = candidates(q, resolved, deps.ownAddresses());
  if (!list.length) {
    const name = named ? `the profile names it by its ${WORD[named]} address ${target.host}` : `${target.host} has no ${word} address`;
    return { kind: 'unreachable', family: q.family, why: `${name}, and the host has no ${word} address another machine could reach (only loopback or link-local)` };
  }
  const answers = await Promise.all(list.map((c) => deps.probe(c.addr, q.port, q.hostKey, PROBE_TIMEOUT_MS).catch((e: Error): ProbeAnswer => ({ ok: false, why: e.message }))));
  const i = answers.findIndex((a) => a.ok && a.local);
  if (i < 0) {
    const tried = list.map((c, j) => `${bracket(c.addr)}:${q.port} (${c.how.startsWith('the host') ? 'the host\'s own' : 'from the name'}): ${answers[j].why ?? 'no answer'}`);
    return { kind: 'unreachable', family: q.family, why: `no SSH connection to the host over ${word} from here — ${tried.join('; ')}` };
  }
  const { addr, how } = list[i];
  const local = answers[i].local!;
  const via = `${how}, which answers on port ${q.port} with the same host key from ${local} here`;
  if (q.family === 'ipv4' && isPrivate4(local) && !isPrivate4(addr))
    return { kind: 'unknown', family: q.family, why: `${via}, but ${local} is a private address: a NAT between here and ${addr} makes the host see another address, which cannot be told from here` };
  return { kind: 'reachable', family: q.family, client: local, server: addr, via };
}

/** ssh2's names of the signature algorithms that present a key of this type */
function hostKeyAlgorithms(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/**
 * A TCP connection to addr:port and an SSH key exchange that ends at the host
 * key: ok when it is `hostKey` (the session's), with our source address. No
 * authentication is attempted; sshd logs a connection closed before it.
 */
export function probeSshHostKey(addr: string, port: number, hostKey: OtherFamilyQuery['hostKey'], timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    let done = false;
    let sock: Socket | undefined;
    const client = new ssh2.Client();
    const finish = (a: ProbeAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end();
      sock?.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => finish({ ok: false, why: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    sock = tcpConnect({ host: addr, port });
    sock.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, why: socketWhy(e) }));
    sock.once('connect', () => {
      const local = sock!.localAddress;
      client.on('error', (e: Error) => finish({ ok: false, why: `the SSH handshake failed: ${e.message}` }));
      client.connect({
        sock,
        username: 'portcullis-probe',
        readyTimeout: 0,
        algorithms: { serverHostKey: hostKeyAlgorithms(hostKey.keyType) as never },
        // the key decides, then the connection ends: nothing is authenticated
        hostVerifier: (key: Buffer) => {
          const same = fingerprintSha256(key) === hostKey.fingerprint;
          finish(same ? { ok: true, local } : { ok: false, why: `another host key answers there (${keyTypeOfBlob(key)} ${fingerprintSha256(key)})` });
          return false;
        },
      });
    });
  });
}

function socketWhy(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENETUNREACH':
      return 'no route to that network';
    case 'EHOSTUNREACH':
      return 'no route to the host';
    case 'EACCES':
      return 'refused by a firewall on the way (ICMP administratively prohibited)';
    case 'EADDRNOTAVAIL':
      return 'no source address for it here';
    default:
      return e.code ? `${e.code}: ${e.message}` : e.message;
  }
}

const realDeps: OtherFamilyDeps = {
  async resolve(name, family) {
    const all = await lookup(name, { all: true, family: family === 'ipv6' ? 6 : 4 });
    return all.map((a) => a.address);
  },
  probe: probeSshHostKey,
  ownAddresses() {
    return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address.replace(/%.*$/, '')));
  },
};

/** stdin: one address. Prints the host's route to it (`ip -o route get`), whose `dev` is where that client comes in. */
export const ROUTE_SCRIPT = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH; LC_ALL=C; export LC_ALL
read -r a || exit 64
case $a in ''|*[!0-9a-fA-F:.]*) echo "portcullis: bad address" >&2; exit 64;; esac
ip -o route get "$a" 2>/dev/null | head -n 1
true
`;

/** What the search needs of the session: its route, host key, client address and a way to run ROUTE_SCRIPT. */
interface SessionLike {
  route: { hops: Array<{ name: string; host: string }> };
  hostKeys: Array<{ keyType: string; fingerprint: string }>;
  clientAddress: string | undefined;
  exec(cmd: string, opts: { stdin?: string; timeoutMs?: number }): Promise<{ code: number | null; stdout: string }>;
}

/**
 * The other family's route for an open session: the family the session does
 * not use, looked into by findOtherFamilyRoute, and the interface the host
 * receives that client on. Undefined when the session's own family is not
 * known (no SSH_CONNECTION): then nothing can be said about "the other".
 */
export async function otherFamilyRouteOf(s: SessionLike, port: number, hostAddresses: readonly string[], deps?: OtherFamilyDeps): Promise<OtherFamilyRoute | undefined> {
  const client = s.clientAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const session = client ? literalFamily(client) : null;
  if (!session) return undefined;
  const family: Family = session === 'ipv4' ? 'ipv6' : 'ipv4';
  const key = s.hostKeys[s.hostKeys.length - 1];
  const r = await findOtherFamilyRoute({ family, hops: s.route.hops, port, hostAddresses, hostKey: key }, deps);
  if (r.kind !== 'reachable') return r;
  const dev = await inIfaceOf(s, r.client);
  return dev ? { ...r, inIface: dev } : r;
}

/** The interface the host receives `client`'s packets on (`ip -o route get` there, the address on stdin); undefined when it cannot tell. */
async function inIfaceOf(s: SessionLike, client: string): Promise<string | undefined> {
  const route = await s.exec(ROUTE_SCRIPT, { stdin: `${client}\n`, timeoutMs: 15_000 }).catch(() => undefined);
  return route?.code === 0 ? /\bdev (\S+)/.exec(route.stdout)?.[1] : undefined;
}

/**
 * What the app's lint needs beyond the facts to predict a lockout as the apply does: the
 * interface the session's client arrives on, and the other family's route (both as the apply's
 * runner finds them, apply/steps.ts: WHERE_SCRIPT's route and otherFamilyRouteOf).
 */
export async function lockoutInputsOf(s: SessionLike, port: number, hostAddresses: readonly string[], deps?: OtherFamilyDeps): Promise<LockoutInputs> {
  const client = s.clientAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!client) return {};
  const [clientIface, other] = await Promise.all([inIfaceOf(s, client), otherFamilyRouteOf(s, port, hostAddresses, deps)]);
  return { ...(clientIface ? { clientIface } : {}), ...(other ? { other } : {}) };
}
