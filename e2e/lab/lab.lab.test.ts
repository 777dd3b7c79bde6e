import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { run } from './run.js';
import { skipLab, skipSystemd, useLab } from './testing.js';
import { systemdRootPath } from './systemd-root.js';
import { join } from 'node:path';

function tcpConnect(host: string, port: number, ms: number): Promise<'open' | string> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: ms });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('timeout', () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

describe.skipIf(skipLab)('lab: hosts in network namespaces', () => {
  const L = useLab();
  beforeAll(() => L.start(), 600_000); // the first run on a machine builds the systemd host's root (minutes)
  afterAll(() => L.stop());

  it('brings up every host with sshd reachable over its route through OpenSSH', async () => {
    const lab = L.get();
    const names = Object.keys(lab.hosts);
    expect(names).toEqual(['plain', 'bastion', 'inner', 'deep', 'users', 'fwd', ...(skipSystemd ? [] : ['systemd'])]);
    const results = await Promise.all(
      names.map((h) =>
        // all hosts at once, some through two jump hosts: a busy machine needs more than the config's 5 s for the banners
        run(['ssh', '-F', lab.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', h, 'hostname; id -un; echo $SSH_CONNECTION'], { allowFail: true }),
      ),
    );
    results.forEach((r, i) => {
      const h = lab.hosts[names[i]];
      expect(r.stderr).toBe('');
      const [hostname, user, conn] = r.stdout.toString().trim().split('\n');
      expect(hostname).toBe(`c7-${h.name}`);
      expect(user).toBe(h.name === 'users' ? 'alice' : 'root');
      expect(conn.split(' ')[0]).toBe(h.peerAddress);
    });
  });

  it('every host also has an IPv6 address from 2001:db8::/32, sshd listens there, and OpenSSH gets in over IPv6 (jump hosts too)', async () => {
    const lab = L.get();
    const names = Object.keys(lab.hosts);
    const results = await Promise.all(
      names.map((h) =>
        run(['ssh', '-F', lab.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', `${h}-v6`, 'hostname; echo $SSH_CONNECTION'], { allowFail: true }),
      ),
    );
    results.forEach((r, i) => {
      const h = lab.hosts[names[i]];
      expect(h.address6).toMatch(/^2001:db8:/);
      expect(r.stderr.toString()).toBe('');
      const [hostname, conn] = r.stdout.toString().trim().split('\n');
      expect(hostname).toBe(`c7-${h.name}`);
      // the server sees the IPv6 end of its link (the root namespace's, or the jump host's)
      expect(conn.split(' ')[0]).toBe(h.peerAddress6);
      expect(conn.split(' ')[2]).toBe(h.address6);
    });
  });

  it('hides hosts behind the bastion from the root namespace', async () => {
    const lab = L.get();
    expect(await tcpConnect(lab.hosts.plain.address, 22, 2000)).toBe('open');
    // no lab link leads there (this machine's default route may still accept any TCP connection)
    const route = (await run(['ip', 'route', 'get', lab.hosts.inner.address])).stdout.toString();
    expect(route).not.toMatch(/dev pcl/);
    const direct = await run(
      ['ssh', '-F', lab.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ProxyJump=none', '-o', 'ConnectTimeout=2', 'inner', 'true'],
      { allowFail: true },
    );
    expect(direct.code).not.toBe(0);
    expect(lab.hosts.deep.via).toEqual(['bastion', 'inner']);
  });

  it('gives each host its own CentOS-like files, seeded from the corpus stock ruleset', async () => {
    const lab = L.get();
    const seed = readFileSync(lab.stockRuleset);
    expect(seed.toString()).toContain('sample configuration for iptables service');
    expect(await lab.readHostFile('plain', '/etc/sysconfig/iptables')).toEqual(seed);
    expect(await lab.readHostFile('fwd', '/etc/sysconfig/iptables')).toBeNull();
    expect((await lab.readHostFile('plain', '/etc/redhat-release'))?.toString()).toMatch(/^CentOS Linux release 7/);
    expect(existsSync('/etc/redhat-release')).toBe(false); // the machine itself is untouched
    const v = await lab.hostExec('plain', ['iptables', '--version']);
    expect(v.stdout.toString()).toMatch(/legacy/);
    const live = await lab.hostExec('plain', ['iptables-save']);
    expect(live.stdout.toString()).toContain('-A INPUT -j REJECT --reject-with icmp-host-prohibited');
    const fw = await lab.hostExec('fwd', ['iptables-save']);
    expect(fw.stdout.toString()).toContain(':IN_public - [0:0]');
    const sudo = await run(['ssh', '-F', lab.sshConfigPath, '-o', 'BatchMode=yes', 'alice@users', 'sudo -n id -u'], { allowFail: true });
    expect(sudo.stdout.toString().trim()).toBe('0');
  });

  it.skipIf(skipSystemd)('boots the systemd host on an overlay of the cached root: its own files above, the cache untouched', async () => {
    const lab = L.get();
    expect(lab.hosts.systemd.kind).toBe('systemd');
    expect((await lab.hostExec('systemd', ['cat', '/proc/1/comm'])).stdout.toString().trim()).toBe('systemd');
    expect(await lab.readHostFile('systemd', '/etc/sysconfig/iptables')).toEqual(readFileSync(lab.stockRuleset));
    expect((await lab.readHostFile('systemd', '/etc/redhat-release'))?.toString()).toMatch(/^CentOS Linux release 7/);
    const live = await lab.hostExec('systemd', ['iptables-save']);
    expect(live.stdout.toString()).toContain('-A INPUT -j REJECT --reject-with icmp-host-prohibited'); // loaded by iptables.service at boot
    const root = systemdRootPath();
    expect(existsSync(join(root, 'etc/sysconfig'))).toBe(false);
    expect(existsSync(join(root, 'usr/libexec/iptables'))).toBe(false);
  });
});

describe.skipIf(skipLab)('lab: teardown', () => {
  it.skipIf(skipSystemd)('leaves no container, nspawn process or mount of a systemd host behind', async () => {
    const L = useLab({ hosts: ['systemd'] });
    const lab = await L.start();
    const nspawn = lab.hosts.systemd.nspawnPid!;
    const init = lab.hosts.systemd.sshdPid;
    await L.stop();
    expect(existsSync(`/proc/${nspawn}/cmdline`) && readFileSync(`/proc/${nspawn}/cmdline`, 'utf8').includes('nspawn')).toBe(false);
    expect(existsSync(`/proc/${init}/cmdline`) && readFileSync(`/proc/${init}/cmdline`, 'utf8').includes('systemd')).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(lab.dir);
    expect(existsSync(lab.dir)).toBe(false);
    expect(existsSync(`/run/systemd/nspawn/propagate/pcl-s${lab.slot}-systemd`)).toBe(false);
  }, 600_000);

  it('leaves no namespace, link, process or directory behind', async () => {
    const L = useLab({ hosts: ['plain'] });
    const lab = await L.start();
    const pid = lab.hosts.plain.sshdPid;
    await L.stop();
    const ns = (await run(['ip', 'netns', 'list'])).stdout.toString();
    expect(ns).not.toContain(`pcl-s${lab.slot}-`);
    const links = (await run(['ip', '-o', 'link', 'show'])).stdout.toString();
    expect(links).not.toMatch(new RegExp(`pcls${lab.slot}[hi]`));
    expect(existsSync(lab.dir)).toBe(false);
    expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sshd')).toBe(false);
  });
});
