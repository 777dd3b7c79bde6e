// Facts on every kind of lab host, and pulls compared with what the host
// really holds (read inside its namespaces, not over ssh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { skipLab, useLab } from '../../e2e/lab/testing.js';
import { labOptions } from './testing/lab.js';
import { LAB_PASSWORDS } from '../../e2e/lab/lab.js';
import { openSession, type HostSession, type SessionOptions } from './session.js';
import { normalizeLiveRules, sha256Hex } from './pull.js';
import { PrivilegeError } from './errors.js';

describe.skipIf(skipLab)('lab: facts and pull', () => {
  const L = useLab({ hosts: ['plain', 'deep', 'users', 'fwd'] });
  beforeAll(() => L.start());
  afterAll(() => L.stop());
  const base = labOptions(L);
  async function withS<T>(target: string, fn: (s: HostSession) => Promise<T>, o: SessionOptions = {}): Promise<T> {
    const s = await openSession(target, base(o));
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }
  const truth = async (host: string, argv: string[]) => (await L.get().hostExec(host, argv)).stdout;

  it('facts: plain root host with iptables-services', async () => {
    const lab = L.get();
    const f = await withS('plain', (s) => s.facts());
    expect(f.os).toMatchObject({ id: 'centos', versionId: '7', centos7: true, release: 'CentOS Linux release 7.9.2009 (Core)' });
    expect(f.hostname).toBe('c7-plain');
    expect(f.iptables).toMatchObject({ present: true, backend: 'legacy', restoreTest: true, restoreWait: true });
    expect(f.iptables.version).toMatch(/^1\.\d+\.\d+$/);
    expect(f.iptablesServices).toMatchObject({ installed: true, iptables: { active: 'active', enabled: 'enabled' } });
    expect(f.firewalld).toBe('masked');
    expect(f.iptablesConfig).toMatchObject({ present: true, readable: true, saveOnStop: false, saveOnRestart: false });
    expect(f.files.iptables).toMatchObject({ present: true, mode: '0600', owner: 'root:root', size: readFileSize(lab.stockRuleset) });
    expect(f.files.ip6tables.present).toBe(true);
    expect(f.selinux.mode).toBe('absent');
    expect(f.ipForward).toEqual({ ipv4: false, ipv6: false });
    expect(f.loadedTables.ipv4).toEqual(['filter']);
    expect(f).toMatchObject({ privilege: 'root', user: 'root', clientAddress: lab.hosts.plain.peerAddress });
    expect(f.hostKey?.fingerprint).toBe(lab.hosts.plain.hostKeys[0].fingerprint);
    expect(f.warnings).toEqual([]);
  });

  it('facts: firewalld host (no iptables-services, no saved file)', async () => {
    const f = await withS('fwd', (s) => s.facts());
    expect(f.firewalld).toBe('active');
    expect(f.firewalldUnit).toMatchObject({ active: 'active', enabled: 'enabled', state: 'running' });
    expect(f.iptablesServices.installed).toBe(false);
    expect(f.files.iptables.present).toBe(false);
    expect(f.warnings.join('\n')).toMatch(/firewalld is active/);
    expect(f.warnings.join('\n')).toMatch(/iptables-services is not installed/);
  });

  it('facts: sudo users see the same host; the flags that bite are reported', async () => {
    const alice = await withS('alice@users', (s) => s.facts());
    expect(alice).toMatchObject({ privilege: 'sudo-nopasswd', user: 'alice', sudo: 'nopasswd' });
    expect(alice.iptablesConfig).toMatchObject({ readable: true, saveOnStop: true, saveCounter: true, restoreWait: 600 });
    expect(alice.warnings.join('\n')).toMatch(/IPTABLES_SAVE_ON_STOP/);
    const bob = await withS('bob@users', (s) => s.facts(), { password: LAB_PASSWORDS.bob });
    expect(bob.privilege).toBe('sudo-password');
    expect(bob.iptablesConfig.saveOnStop).toBe(true);
    expect(bob.files.iptables).toEqual(alice.files.iptables);
  });

  it('facts: a user without root gets what is readable and an honest warning', async () => {
    const f = await withS('carol@users', (s) => s.facts());
    expect(f).toMatchObject({ privilege: 'none', user: 'carol', sudo: 'needs-password' });
    expect(f.iptablesConfig).toMatchObject({ present: true, readable: false });
    expect(f.os.centos7).toBe(true);
    expect(f.warnings.join('\n')).toMatch(/no root on this host/);
  });

  it('facts: two hops away, the client address is the last jump host', async () => {
    const lab = L.get();
    const f = await withS('deep', (s) => s.facts());
    expect(f.clientAddress).toBe(lab.hosts.deep.peerAddress);
    expect(f.hostname).toBe('c7-deep');
    const bastion = await withS('bastion', (s) => s.facts());
    expect(bastion.ipForward.ipv4).toBe(true); // the lab's bastion routes
  });

  it('pull: the saved files byte for byte and the running rules, as the host holds them', async () => {
    const p = await withS('plain', (s) => s.pull());
    const saved = await truth('plain', ['cat', '/etc/sysconfig/iptables']);
    expect(p.saved.bytes.equals(saved)).toBe(true);
    expect(p.saved.sha256).toBe(sha256Hex(saved));
    const saved6 = await truth('plain', ['cat', '/etc/sysconfig/ip6tables']);
    expect(p.saved6.bytes.equals(saved6)).toBe(true);
    const live = (await truth('plain', ['iptables-save'])).toString();
    expect(p.live.rulesSha256).toBe(sha256Hex(normalizeLiveRules(live)));
    expect(p.live.text).toMatch(/^# Generated by iptables-save/);
    expect(p.live.text).toContain('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT');
    const live6 = (await truth('plain', ['ip6tables-save'])).toString();
    expect(p.live6.rulesSha256).toBe(sha256Hex(normalizeLiveRules(live6)));
    expect(p.live6.text).toContain('icmp6-adm-prohibited');
    expect(p.counters).toBe(false);
    expect(p.live.text).not.toMatch(/^\[\d+:\d+\] -A/m);
  });

  it('pull --counters keeps rule counters; the rules hash ignores them', async () => {
    const [plain, counted] = await withS('plain', async (s) => [await s.pull(), await s.pull({ counters: true })]);
    expect(counted.live.text).toMatch(/^\[\d+:\d+\] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT$/m);
    expect(counted.live.rulesSha256).toBe(plain.live.rulesSha256);
  });

  it('pull: a file with CR, no final newline and non-ASCII bytes comes back exactly; a change shows in the hash', async () => {
    const lab = L.get();
    const odd = Buffer.concat([Buffer.from('# café ünïcode\r\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT'), Buffer.from([0xff, 0x00, 0x41])]);
    const before = await withS('deep', (s) => s.pull());
    await lab.hostExec('deep', ['sh', '-c', 'cat > /etc/sysconfig/iptables'], odd);
    const after = await withS('deep', (s) => s.pull());
    expect(after.saved.bytes.equals(odd)).toBe(true);
    expect(after.saved.sha256).not.toBe(before.saved.sha256);
    expect(after.live.rulesSha256).toBe(before.live.rulesSha256); // the running rules did not change
  });

  it('pull through sudo (with and without a password) matches a root pull', async () => {
    const root = await withS('root@users', (s) => s.pull());
    const alice = await withS('alice@users', (s) => s.pull());
    const bob = await withS('bob@users', (s) => s.pull(), { password: LAB_PASSWORDS.bob });
    for (const p of [alice, bob]) {
      expect(p.saved.sha256).toBe(root.saved.sha256);
      expect(p.live.rulesSha256).toBe(root.live.rulesSha256);
    }
  });

  it('pull: a missing saved file is reported as absent; running rules still come', async () => {
    const p = await withS('fwd', (s) => s.pull());
    expect(p.saved).toMatchObject({ present: false, ok: false, size: 0 });
    expect(p.live.ok).toBe(true);
    expect(p.live.text).toContain(':IN_public - [0:0]');
  });

  it('pull without root is refused before anything runs', async () => {
    await expect(withS('carol@users', (s) => s.pull())).rejects.toBeInstanceOf(PrivilegeError);
  });
});

function readFileSize(path: string): number {
  return statSync(path).size;
}
