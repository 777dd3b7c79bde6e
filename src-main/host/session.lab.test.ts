// Host keys (known, hashed, unknown, trusted by fingerprint, changed, revoked),
// routes through jump hosts, unreachable hosts, and remote commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skipLab, useLab } from '../../e2e/lab/testing.js';
import { failure, labOptions } from './testing/lab.js';
import { run } from '../../e2e/lab/run.js';
import { openSession, type SessionOptions } from './session.js';
import {
  CommandError,
  ConnectionLostError,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  TimeoutError,
} from './errors.js';

describe.skipIf(skipLab)('lab: host keys, routes, commands', () => {
  const L = useLab({ hosts: ['plain', 'deep', 'users'] });
  let tmp = '';
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'pcl-session-test-'));
    await L.start();
  });
  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await L.stop();
  });
  const base = labOptions(L);
  const khFile = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const hostKey = (host: string, type: string) => L.get().hosts[host].hostKeys.find((k) => k.type === type)!;

  it('verifies against hashed and clear known_hosts alike', async () => {
    const lab = L.get();
    for (const kh of [lab.knownHostsPath, lab.knownHostsClearPath]) {
      const s = await openSession('plain', base({ knownHostsFiles: [kh] }));
      expect(s.hostKeys[0]).toMatchObject({ trustedBy: 'known-hosts', keyType: 'ssh-ed25519', fingerprint: hostKey('plain', 'ssh-ed25519').fingerprint });
      await s.close();
    }
    expect(readFileSync(lab.knownHostsPath, 'utf8')).toMatch(/^\|1\|/);
  });

  it('negotiates the key type known_hosts has (ECDSA only listed: ECDSA used, not ed25519)', async () => {
    const lab = L.get();
    const kh = khFile('ecdsa-only', `${lab.hosts.plain.address} ${hostKey('plain', 'ecdsa-sha2-nistp256').publicKey}\n`);
    const s = await openSession('plain', base({ knownHostsFiles: [kh] }));
    expect(s.hostKeys[0].keyType).toBe('ecdsa-sha2-nistp256');
    await s.close();
  });

  it('refuses an unknown key with its SHA256 fingerprint; --trust with that fingerprint accepts and saves it', async () => {
    const lab = L.get();
    const kh = khFile('empty', '');
    const e = await failure(openSession('plain', base({ knownHostsFiles: [kh] })));
    expect(e).toBeInstanceOf(HostKeyUnknownError);
    const fp = hostKey('plain', 'ssh-ed25519').fingerprint;
    expect((e as HostKeyUnknownError).fingerprint).toBe(fp);
    expect(e.message).toContain(`--trust ${fp}`);

    // a different fingerprint does not help
    expect(await failure(openSession('plain', base({ knownHostsFiles: [kh], trust: [hostKey('users', 'ssh-ed25519').fingerprint] })))).toBeInstanceOf(
      HostKeyUnknownError,
    );

    const logs: string[] = [];
    const s = await openSession('plain', base({ knownHostsFiles: [kh], trust: [fp], log: (l) => logs.push(l) }));
    expect(s.hostKeys[0].trustedBy).toBe('fingerprint');
    await s.close();
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 /);
    expect(logs.join()).toMatch(/added/);
    const again = await openSession('plain', base({ knownHostsFiles: [kh] }));
    expect(again.hostKeys[0].trustedBy).toBe('known-hosts');
    await again.close();
    expect(lab.hosts.plain.address).toBeTruthy();
  });

  it('asks the app about an unknown key and honours its answer', async () => {
    const kh = khFile('empty2', '');
    const seen: string[] = [];
    const s = await openSession('plain', base({ knownHostsFiles: [kh], onUnknownHostKey: async (q) => (seen.push(q.fingerprint), 'accept-once') }));
    expect(s.hostKeys[0].trustedBy).toBe('prompt');
    await s.close();
    expect(readFileSync(kh, 'utf8')).toBe('');
    const e = await failure(openSession('plain', base({ knownHostsFiles: [kh], onUnknownHostKey: async () => 'reject' })));
    expect(e).toBeInstanceOf(HostKeyUnknownError);
    expect(seen).toEqual([hostKey('plain', 'ssh-ed25519').fingerprint]);
  });

  it('refuses a changed key showing both fingerprints, even when --trust names the new one', async () => {
    const lab = L.get();
    const kh = khFile('changed', `${lab.hosts.plain.address} ${hostKey('users', 'ssh-ed25519').publicKey}\n`);
    const offered = hostKey('plain', 'ssh-ed25519').fingerprint;
    const e = await failure(openSession('plain', base({ knownHostsFiles: [kh], trust: [offered] })));
    expect(e).toBeInstanceOf(HostKeyChangedError);
    const c = e as HostKeyChangedError;
    expect(c.fingerprint).toBe(offered);
    expect(c.expected.map((x) => x.fingerprint)).toEqual([hostKey('users', 'ssh-ed25519').fingerprint]);
    expect(c.message).toContain(offered);
    expect(c.message).toContain(hostKey('users', 'ssh-ed25519').fingerprint);
  });

  it('refuses a @revoked key', async () => {
    const lab = L.get();
    const k = hostKey('plain', 'ssh-ed25519').publicKey;
    const kh = khFile('revoked', `${lab.hosts.plain.address} ${k}\n@revoked * ${k}\n`);
    expect(await failure(openSession('plain', base({ knownHostsFiles: [kh] })))).toBeInstanceOf(HostKeyRevokedError);
  });

  it('reaches a host behind a bastion; the host sees the bastion as the client', async () => {
    const lab = L.get();
    const s = await openSession('inner', base());
    expect(s.hostKeys.map((k) => k.hop.name)).toEqual(['bastion', 'inner']);
    expect(s.clientAddress).toBe(lab.hosts.inner.peerAddress);
    expect((await s.exec('hostname')).stdout).toBe('c7-inner\n');
    await s.close();
  });

  it('goes through two jump hosts (ProxyJump bastion,inner)', async () => {
    const lab = L.get();
    const s = await openSession('deep', base());
    expect(s.hostKeys.map((k) => k.hop.name)).toEqual(['bastion', 'inner', 'deep']);
    expect(s.clientAddress).toBe(lab.hosts.deep.peerAddress);
    await s.close();
  });

  it('takes --jump without any ssh config, and checks every hop’s key', async () => {
    const lab = L.get();
    const opts: SessionOptions = {
      sshConfigPath: null,
      agent: false,
      identityFiles: [lab.keyPath],
      knownHostsFiles: [lab.knownHostsPath],
      jump: `root@${lab.hosts.bastion.address}`,
    };
    const s = await openSession(`root@${lab.hosts.inner.address}`, opts);
    expect((await s.exec('hostname')).stdout).toBe('c7-inner\n');
    await s.close();
    // the jump host's key is checked too
    const onlyInner = khFile('only-inner', `${lab.hosts.inner.address} ${hostKey('inner', 'ssh-ed25519').publicKey}\n`);
    const e = await failure(openSession(`root@${lab.hosts.inner.address}`, { ...opts, knownHostsFiles: [onlyInner] }));
    expect(e).toBeInstanceOf(HostKeyUnknownError);
    expect((e as HostKeyUnknownError).hop.name).toBe(lab.hosts.bastion.address);
  });

  it('reopens a NEW connection over the same route', async () => {
    const s = await openSession('inner', base());
    const again = await s.reopen();
    expect(again.clientAddress).toBe(s.clientAddress);
    expect(again.probe.clientPort).not.toBe(s.probe.clientPort);
    expect(again.hostKeyFingerprint).toBe(s.hostKeyFingerprint);
    await again.close();
    await s.close();
  });

  it('fails fast and clearly on unreachable hosts and closed ports, also behind a jump host', async () => {
    const lab = L.get();
    const t0 = Date.now();
    // sockets of this process still trying to connect
    const connecting = () =>
      (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h instanceof Socket && h.connecting).length;
    const e1 = await failure(openSession(`root@${lab.unreachableAddress}`, base({ timeoutMs: 1500 })));
    expect(['timeout', 'connect']).toContain(e1.kind);
    expect(Date.now() - t0).toBeLessThan(6000);
    // nothing left connecting after the timeout (it would hold `portcullis facts --timeout 1` for seconds more)
    await new Promise((r) => setTimeout(r, 50));
    expect(connecting()).toBe(0);
    // port 2222: the stock ruleset REJECTs it (icmp-host-prohibited)
    const e2 = await failure(openSession(`root@${lab.hosts.plain.address}:2222`, base({ timeoutMs: 5000 })));
    expect(e2.kind).toBe('connect');
    expect(e2.message).toMatch(/cannot connect to root@\[198\.18\.\d+\.\d+\]:2222/);
    const e3 = await failure(openSession(`root@${lab.hosts.inner.address}:2222`, base({ jump: 'bastion', timeoutMs: 5000 })));
    expect(e3.kind).toBe('connect');
    expect(e3.message).toMatch(/bastion could not open a connection/);
    // nobody at this address on the bastion's inner link: the bastion's own connect would hang
    const silent = lab.hosts.inner.address.replace(/\d+$/, (n) => String(Number(n) + 1));
    const t1 = Date.now();
    const e4 = await failure(openSession(`root@${silent}`, base({ jump: 'bastion', timeoutMs: 1000 })));
    expect(['timeout', 'connect']).toContain(e4.kind);
    expect(Date.now() - t1).toBeLessThan(5000);
  });

  it('runs commands with stdin payloads, keeps exit status and stderr, enforces timeouts', async () => {
    const s = await openSession('plain', base());
    const payload = Buffer.from([0, 1, 2, 255, 10, 13, 10]);
    const r = await s.exec('cat', { stdin: payload });
    expect(r.stdoutBytes.equals(payload)).toBe(true);
    const bad = await s.exec('echo out; echo err >&2; exit 3');
    expect(bad).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const e = await failure(s.run('echo nope >&2; exit 4', { what: 'the test step failed' }));
    expect(e).toBeInstanceOf(CommandError);
    expect(e).toMatchObject({ exitCode: 4, stderr: 'nope\n', command: 'echo nope >&2; exit 4' });
    expect(e.message).toMatch(/the test step failed \(exit 4\): nope/);
    const t = await failure(s.exec('sleep 5', { timeoutMs: 300 }));
    expect(t).toBeInstanceOf(TimeoutError);
    expect((await s.exec('echo still-usable')).stdout).toBe('still-usable\n');
    await s.close();
  });

  it('reports a dropped connection as lost, for the running command and later ones', async () => {
    const lab = L.get();
    const s = await openSession('plain', base());
    const running = s.exec('sleep 30');
    await new Promise((r) => setTimeout(r, 200));
    // end the session's sshd processes on this host (only in its namespace): the link drops under us
    const pids = (await run(['ip', 'netns', 'pids', lab.hosts.plain.namespace])).stdout.toString().split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmd.startsWith('sshd: root@notty')) process.kill(Number(pid), 'SIGTERM');
    }
    const e = await failure(running);
    expect(e).toBeInstanceOf(ConnectionLostError);
    expect(await failure(s.exec('true'))).toBeInstanceOf(ConnectionLostError);
    await s.close();
  });
});
