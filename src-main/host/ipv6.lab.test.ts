// SSH over IPv6 against the lab's real sshd: an IPv6 literal as the target (known_hosts
// strict, hashed), a host key learnt for one, jump hosts over IPv6, and what the host
// reports from such a session — the client address as the server sees it, ip6tables.service,
// and a pull of both families' saved files and running rules in one round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skipLab, useLab } from '../../e2e/lab/testing.js';
import { failure, labOptions } from './testing/lab.js';
import { openSession, type HostSession, type SessionOptions } from './session.js';
import { normalizeLiveRules, sha256Hex } from './pull.js';
import { HostKeyUnknownError } from './errors.js';
import { parseKnownHosts, checkHostKey } from './known-hosts.js';

describe.skipIf(skipLab)('lab: SSH over IPv6', () => {
  const L = useLab({ hosts: ['plain', 'bastion', 'inner', 'deep'] });
  beforeAll(() => L.start());
  afterAll(() => L.stop());
  const base = labOptions(L);
  const bare = (o: SessionOptions = {}): SessionOptions => ({ sshConfigPath: null, knownHostsFiles: [L.get().knownHostsPath], identityFiles: [L.get().keys.plain], agent: false, ...o });
  async function withS<T>(target: string, o: SessionOptions, fn: (s: HostSession) => Promise<T>): Promise<T> {
    const s = await openSession(target, o);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }
  const truth = async (host: string, argv: string[]) => (await L.get().hostExec(host, argv)).stdout;

  it('connects to an IPv6 literal ([addr]) with strict host-key checking against hashed known_hosts; facts see the IPv6 client', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    const f = await withS(`root@[${h.address6}]`, bare(), (s) => {
      expect(s.clientAddress).toBe(h.peerAddress6);
      expect(s.probe.serverAddress).toBe(h.address6);
      return s.facts();
    });
    expect(f.clientAddress).toBe(h.peerAddress6);
    expect(f.hostKey?.fingerprint).toBe(h.hostKeys[0].fingerprint);
    expect(f.addresses?.ipv6.map((a) => a.address)).toContain(h.address6);
    expect(f.addresses?.ipv4.map((a) => a.address)).toContain(h.address);
    expect(f.iptablesServices.ip6tables).toEqual({ active: 'active', enabled: 'enabled' });
    expect(f.files.ip6tables).toMatchObject({ present: true, mode: '0600' });
    expect(f.warnings.some((w) => w.startsWith(`this SSH session runs over IPv6 (from ${h.peerAddress6})`))).toBe(true);
    // the same target spelled differently is the same known_hosts entry
    const spelled = h.address6.replace('2001:db8:', '2001:0DB8:');
    await withS(`root@[${spelled}]:22`, bare(), async (s) => expect(s.clientAddress).toBe(h.peerAddress6));
  });

  it('an unknown IPv6 host key is refused with its fingerprint; trusted, it is saved under the bare address as ssh does', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    const dir = mkdtempSync(join(tmpdir(), 'pcl-kh6-'));
    try {
      const kh = join(dir, 'known_hosts');
      const e = await failure(openSession(`root@[${h.address6}]`, bare({ knownHostsFiles: [kh] })));
      expect(e).toBeInstanceOf(HostKeyUnknownError);
      const fp = (e as HostKeyUnknownError).fingerprint;
      expect(h.hostKeys.map((k) => k.fingerprint)).toContain(fp);
      expect(e.message).toContain(`the host key of ${h.address6} is not known`);
      await withS(`root@[${h.address6}]`, bare({ knownHostsFiles: [kh], trust: [fp] }), async () => undefined);
      const saved = parseKnownHosts(readFileSync(kh, 'utf8')).entries;
      expect(saved).toHaveLength(1);
      const key = Buffer.from(h.hostKeys.find((k) => k.fingerprint === fp)!.publicKey.split(' ')[1], 'base64');
      expect(checkHostKey(saved, h.address6, 22, key).kind).toBe('trusted');
      // from now on strict checking lets it in without --trust
      await withS(`root@[${h.address6}]`, bare({ knownHostsFiles: [kh] }), async (s) => expect(s.probe.uid).toBe(0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('goes through two jump hosts over IPv6; the target sees the last jump host\'s IPv6 address', async () => {
    const lab = L.get();
    const f = await withS('deep-v6', base(), async (s) => {
      expect(s.route.hops.map((x) => x.host)).toEqual([lab.hosts.bastion.address6, lab.hosts.inner.address6, lab.hosts.deep.address6]);
      return s.facts();
    });
    expect(f.hostname).toBe('c7-deep');
    expect(f.clientAddress).toBe(lab.hosts.deep.peerAddress6);
    // the same route given on the command line: --jump with bracketed IPv6 literals
    const jump = `root@[${lab.hosts.bastion.address6}],root@[${lab.hosts.inner.address6}]`;
    await withS(`root@[${lab.hosts.deep.address6}]`, bare({ jump }), async (s) => expect(s.clientAddress).toBe(lab.hosts.deep.peerAddress6));
  });

  it('pull over IPv6: both saved files byte for byte and both running rulesets, in one round trip', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    const p = await withS(`root@[${h.address6}]`, bare(), async (s) => {
      const exec = s.exec.bind(s);
      let calls = 0;
      s.exec = ((...a: Parameters<typeof exec>) => (calls++, exec(...a))) as typeof s.exec;
      const r = await s.pull();
      expect(calls).toBe(1);
      return r;
    });
    expect(p.saved.bytes.equals(await truth('plain', ['cat', '/etc/sysconfig/iptables']))).toBe(true);
    expect(p.saved6.bytes.equals(await truth('plain', ['cat', '/etc/sysconfig/ip6tables']))).toBe(true);
    expect(p.saved6.text).toContain('icmp6-adm-prohibited');
    expect(p.live.rulesSha256).toBe(sha256Hex(normalizeLiveRules((await truth('plain', ['iptables-save'])).toString())));
    expect(p.live6.rulesSha256).toBe(sha256Hex(normalizeLiveRules((await truth('plain', ['ip6tables-save'])).toString())));
    expect(p.live6.text).toMatch(/^# Generated by ip6tables-save/);
    expect(p.live6.text).toContain('-A INPUT -p ipv6-icmp -j ACCEPT');
  });
});
