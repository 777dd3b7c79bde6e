// The search for the other family's route: which addresses are tried, what a
// jump host, NAT or no answer makes of it (the network replaced by plain
// functions), and the probe itself against real SSH servers (ssh2's) on the
// loopback addresses of both families: the same key, another key, a refused
// port, a server that never speaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Server } from 'ssh2';
import { candidates, findOtherFamilyRoute, isPrivate4, isRoutable, literalFamily, otherFamilyRouteOf, probeSshHostKey, ROUTE_SCRIPT, type OtherFamilyDeps, type OtherFamilyQuery, type ProbeAnswer } from './other-family.js';
import { fingerprintSha256, keyTypeOfBlob } from './known-hosts.js';

const KEY = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:same' };
const q = (over: Partial<OtherFamilyQuery> = {}): OtherFamilyQuery => ({
  family: 'ipv6',
  hops: [{ name: 'web1', host: '192.0.2.10' }],
  port: 22,
  hostAddresses: ['192.0.2.10', '127.0.0.1', '::1', 'fe80::1', '2001:db8:1::2', '172.17.0.1', '2001:db8:2::2'],
  hostKey: KEY,
  ...over,
});

/** a network where `up` answers with the session's key from `from`, everything else refuses */
function net(up: Record<string, string>, names: Record<string, string[]> = {}): OtherFamilyDeps & { tried: string[] } {
  const tried: string[] = [];
  return {
    tried,
    resolve: async (name, family) => (names[name] ?? []).filter((a) => literalFamily(a) === family),
    probe: async (addr): Promise<ProbeAnswer> => {
      tried.push(addr);
      return up[addr] ? { ok: true, local: up[addr] } : { ok: false, why: 'connection refused' };
    },
    ownAddresses: () => ['192.0.2.99', '2001:db8:9::9'],
  };
}

describe('the other family: which addresses, and what the answers mean', () => {
  it('tries the name\'s addresses first, then the host\'s own, never loopback, link-local or the laptop\'s own', () => {
    expect(isRoutable('fe80::1') || isRoutable('::1') || isRoutable('127.0.0.1') || isRoutable('169.254.1.1') || isRoutable('::ffff:192.0.2.1') || isRoutable('ff02::1')).toBe(false);
    expect(isRoutable('2001:db8::1') && isRoutable('fd00::5') && isRoutable('198.18.0.2')).toBe(true);
    expect(isPrivate4('10.1.2.3') && isPrivate4('172.31.0.1') && isPrivate4('192.168.1.1') && isPrivate4('100.64.0.1')).toBe(true);
    expect(isPrivate4('172.32.0.1') || isPrivate4('198.18.0.1') || isPrivate4('2001:db8::1')).toBe(false);
    const c = candidates(q({ hops: [{ name: 'web1', host: 'web1.example' }], hostAddresses: ['2001:db8:1::2', '2001:db8:9::9', 'fe80::1'] }), ['2001:db8:1::2', '2001:db8:5::5'], ['2001:db8:9::9']);
    expect(c).toEqual([
      { addr: '2001:db8:1::2', how: 'web1.example resolves to 2001:db8:1::2' },
      { addr: '2001:db8:5::5', how: 'web1.example resolves to 2001:db8:5::5' },
    ]);
  });

  it('directly: the first address that answers with the session\'s host key gives the client address; the plan is told how', async () => {
    const n = net({ '2001:db8:2::2': '2001:db8:2::1' });
    const r = await findOtherFamilyRoute(q(), n);
    expect(n.tried).toEqual(['2001:db8:1::2', '2001:db8:2::2']);
    expect(r).toEqual({ kind: 'reachable', family: 'ipv6', client: '2001:db8:2::1', server: '2001:db8:2::2', via: "the host's own address 2001:db8:2::2, which answers on port 22 with the same host key from 2001:db8:2::1 here" });
    // a name that resolves to both families: its IPv6 address comes first
    const both = await findOtherFamilyRoute(q({ hops: [{ name: 'web1', host: 'web1.example' }] }), net({ '2001:db8:1::2': '2001:db8:1::1', '2001:db8:5::5': '2001:db8:5::1' }, { 'web1.example': ['192.0.2.10', '2001:db8:5::5'] }));
    expect(both).toMatchObject({ kind: 'reachable', client: '2001:db8:5::1', server: '2001:db8:5::5', via: expect.stringMatching(/^web1\.example resolves to 2001:db8:5::5, which answers/) });
  });

  it('nothing answers, or the host has no address to try: unreachable, saying what was tried', async () => {
    const none = await findOtherFamilyRoute(q(), net({}));
    expect(none).toEqual({
      kind: 'unreachable',
      family: 'ipv6',
      why: "no SSH connection to the host over IPv6 from here — [2001:db8:1::2]:22 (the host's own): connection refused; [2001:db8:2::2]:22 (the host's own): connection refused",
    });
    const only = await findOtherFamilyRoute(q({ hostAddresses: ['192.0.2.10', 'fe80::1', '::1'] }), net({}));
    expect(only).toEqual({ kind: 'unreachable', family: 'ipv6', why: 'the profile names it by its IPv4 address 192.0.2.10, and the host has no IPv6 address another machine could reach (only loopback or link-local)' });
    // a probe that throws is an answer too
    const thrown = await findOtherFamilyRoute(q({ hostAddresses: ['2001:db8:1::2'] }), { ...net({}), probe: () => Promise.reject(new Error('boom')) });
    expect(thrown).toMatchObject({ kind: 'unreachable', why: expect.stringContaining('boom') });
  });

  it('IPv4 from a private address to a public one: NAT, the host sees another address — unknown', async () => {
    const v4 = q({ family: 'ipv4', hops: [{ name: 'web1', host: '2001:db8:1::2' }], hostAddresses: ['2001:db8:1::2', '203.0.113.10'] });
    expect(await findOtherFamilyRoute(v4, net({ '203.0.113.10': '192.168.1.20' }))).toMatchObject({ kind: 'unknown', why: expect.stringMatching(/192\.168\.1\.20 is a private address: a NAT between here and 203\.0\.113\.10/) });
    expect(await findOtherFamilyRoute(v4, net({ '203.0.113.10': '198.51.100.7' }))).toMatchObject({ kind: 'reachable', client: '198.51.100.7', server: '203.0.113.10' });
    // private to private: the same network, no NAT assumed
    const lan = q({ family: 'ipv4', hops: [{ name: 'web1', host: '2001:db8:1::2' }], hostAddresses: ['10.0.0.5'] });
    expect(await findOtherFamilyRoute(lan, net({ '10.0.0.5': '10.0.0.9' }))).toMatchObject({ kind: 'reachable', client: '10.0.0.9' });
  });

  it('through a jump host: an address of the session\'s family means the other family is never used; a name cannot be followed', async () => {
    const n = net({ '2001:db8:1::2': '2001:db8:1::1' });
    const byAddress = await findOtherFamilyRoute(q({ hops: [{ name: 'bastion', host: '192.0.2.1' }, { name: 'web1', host: '192.0.2.10' }] }), n);
    expect(byAddress).toEqual({ kind: 'unreachable', family: 'ipv6', why: 'the profile reaches the host through bastion by its IPv4 address 192.0.2.10, so the host sees bastion over IPv4 only' });
    const byName = await findOtherFamilyRoute(q({ hops: [{ name: 'bastion', host: '192.0.2.1' }, { name: 'web1', host: 'web1.internal' }] }), n);
    expect(byName).toEqual({ kind: 'unknown', family: 'ipv6', why: 'the host sees the jump host bastion as the client, and whether bastion reaches web1.internal over IPv6 (and from which address) cannot be told from here' });
    expect(n.tried).toEqual([]);
  });

  it('for a session: the family it does not use, and the interface the host routes that client over (ROUTE_SCRIPT, the address on stdin)', async () => {
    const runs: Array<{ cmd: string; stdin?: string }> = [];
    const session = {
      route: { hops: [{ name: 'web1', host: '192.0.2.10' }] },
      hostKeys: [KEY],
      clientAddress: '::ffff:192.0.2.99',
      exec: async (cmd: string, o: { stdin?: string }) => {
        runs.push({ cmd, stdin: o.stdin });
        return { code: 0, stdout: '2001:db8:2::1 from :: dev eth1 proto kernel src 2001:db8:2::2 metric 256 pref medium\n' };
      },
    };
    const r = await otherFamilyRouteOf(session, 22, ['2001:db8:2::2'], net({ '2001:db8:2::2': '2001:db8:2::1' }));
    expect(r).toMatchObject({ kind: 'reachable', family: 'ipv6', client: '2001:db8:2::1', inIface: 'eth1' });
    expect(runs).toEqual([{ cmd: ROUTE_SCRIPT, stdin: '2001:db8:2::1\n' }]);
    expect(await otherFamilyRouteOf({ ...session, clientAddress: undefined }, 22, ['2001:db8:2::2'], net({}))).toBeUndefined();
    expect(await otherFamilyRouteOf({ ...session, clientAddress: '2001:db8:2::1' }, 22, ['2001:db8:2::2', '192.0.2.10'], net({}))).toMatchObject({ kind: 'unreachable', family: 'ipv4' });
  });
});

describe('the probe against real SSH servers on loopback (no authentication)', () => {
  // host keys as sshd has them (ssh-keygen), in a scratch directory
  const dir = mkdtempSync(join(tmpdir(), 'pcl-other-family-'));
  const keygen = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    return { private: readFileSync(join(dir, name), 'utf8'), public: readFileSync(join(dir, `${name}.pub`), 'utf8') };
  };
  const key = keygen('same');
  const other = keygen('other');
  const blob = (k: { public: string }) => Buffer.from(k.public.trim().split(/\s+/)[1], 'base64');
  const servers: Array<Server | NetServer> = [];
  const ports: Record<string, number> = {};
  let authTried = 0;
  const sockets = new Set<Socket>();
  const listen = (s: Server | NetServer, host: string) =>
    new Promise<number>((res) => {
      // the servers' own ends, ended in afterAll (a server closes only when its connections did)
      s.on('connection', (so: Socket) => {
        sockets.add(so);
        so.on('close', () => sockets.delete(so));
      });
      s.listen(0, host, () => res((s.address() as AddressInfo).port));
    });

  beforeAll(async () => {
    for (const [name, k] of [['same', key], ['other', other]] as const) {
      for (const host of ['127.0.0.1', '::1']) {
        const s = new ssh2.Server({ hostKeys: [k.private] }, (c) => {
          c.on('authentication', (ctx) => {
            authTried++;
            ctx.reject();
          });
          c.on('error', () => undefined);
        });
        servers.push(s);
        ports[`${name} ${host}`] = await listen(s, host);
      }
    }
    // accepts, never speaks
    const mute = createServer((so) => so.resume());
    servers.push(mute);
    ports.mute = await listen(mute, '::1');
    // a port nothing listens on: one that was just closed
    const closed = createServer();
    ports.closed = await listen(closed, '127.0.0.1');
    await new Promise((r) => closed.close(r));
  });
  afterAll(async () => {
    for (const so of sockets) so.destroy();
    for (const s of servers) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const hostKey = { keyType: keyTypeOfBlob(blob(key)), fingerprint: fingerprintSha256(blob(key)) };

  it('the same host key over either family: ok, with our source address; nothing authenticated', async () => {
    expect(hostKey.keyType).toBe('ssh-ed25519');
    expect(await probeSshHostKey('::1', ports['same ::1'], hostKey, 3000)).toEqual({ ok: true, local: '::1' });
    expect(await probeSshHostKey('127.0.0.1', ports['same 127.0.0.1'], hostKey, 3000)).toEqual({ ok: true, local: '127.0.0.1' });
    expect(authTried).toBe(0);
  });

  it('another key, a refused port, a server that never speaks: not ok, each with its reason', async () => {
    expect(await probeSshHostKey('::1', ports['other ::1'], hostKey, 3000)).toEqual({ ok: false, why: `another host key answers there (ssh-ed25519 ${fingerprintSha256(blob(other))})` });
    expect(await probeSshHostKey('127.0.0.1', ports.closed, hostKey, 3000)).toEqual({ ok: false, why: 'connection refused' });
    const t0 = Date.now();
    expect(await probeSshHostKey('::1', ports.mute, hostKey, 300)).toEqual({ ok: false, why: 'no answer within 0.3 s' });
    expect(Date.now() - t0).toBeLessThan(2000);
    // the probe leaves no connection behind: the server's ends all closed
    for (let i = 0; i < 50 && sockets.size; i++) await new Promise((r) => setTimeout(r, 20));
    expect([...sockets].map((so) => Object.entries(ports).find(([, p]) => p === so.localPort)?.[0])).toEqual([]);
    expect(authTried).toBe(0);
  });
});
