// `portcullis facts` and `portcullis pull` against the lab: output, exit codes
// (0 done, 2 error, 5 host key), and what reaches a terminal.
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run as capture, type RunOptions } from '../../src-main/cli/testing/capture.js';
import { skipLab, useLabScratch } from './testing.js';
import { LAB_PASSWORDS } from './lab.js';

/** the command line, its output captured; files from disk, `-` from opts.stdin */
const cli = (argv: string[], opts: RunOptions = {}) => capture(argv, {}, opts);

describe.skipIf(skipLab)('lab: portcullis facts and pull', () => {
  let tmp = '';
  const L = useLabScratch({ hosts: ['plain', 'inner', 'users', 'fwd'], tmpPrefix: 'pcl-cli-test-' }, (dir) => (tmp = dir));
  const cfg = () => ['--ssh-config', L.get().sshConfigPath];

  it('facts: a readable summary, and JSON with the documented fields', async () => {
    const lab = L.get();
    const text = await cli(['facts', 'plain', ...cfg()]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^privilege\s+root$/m);
    expect(text.out).toMatch(/^firewalld\s+masked$/m);
    const json = await cli(['facts', 'plain', '--json', ...cfg()]);
    expect(json.code).toBe(0);
    const f = JSON.parse(json.out);
    for (const k of ['os', 'iptables', 'iptablesServices', 'firewalld', 'iptablesConfig', 'selinux', 'ipForward', 'ipset', 'privilege', 'clientAddress'])
      expect(f).toHaveProperty(k);
    expect(f.iptables).toMatchObject({ backend: 'legacy', restoreTest: true, restoreWait: true });
    expect(f.clientAddress).toBe(lab.hosts.plain.peerAddress);
    const fw = JSON.parse((await cli(['facts', 'fwd', '--json', ...cfg()])).out);
    expect(fw.firewalld).toBe('active');
  });

  it('facts --jump reaches a host behind the bastion without a ProxyJump in the config', async () => {
    const lab = L.get();
    const r = await cli(['facts', `root@${lab.hosts.inner.address}`, '--jump', 'bastion', '--json', ...cfg()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).clientAddress).toBe(lab.hosts.inner.peerAddress);
  });

  it('exit 5 for an unknown host key, printing its fingerprint; --trust accepts it and records it', async () => {
    const lab = L.get();
    const kh = join(tmp, 'kh-unknown');
    writeFileSync(kh, '');
    const fp = lab.hosts.plain.hostKeys.find((k) => k.type === 'ssh-ed25519')!.fingerprint;
    const r = await cli(['facts', 'plain', '--known-hosts', kh, ...cfg()]);
    expect(r.code).toBe(5);
    expect(r.err).toContain(fp);
    const bad = await cli(['facts', 'plain', '--known-hosts', kh, '--trust', 'SHA256:nope', ...cfg()]);
    expect(bad.code).toBe(2); // usage
    // a well-formed fingerprint that is not this key's: said so, not only "not known"
    const other = `SHA256:${'A'.repeat(43)}`;
    const wrong = await cli(['facts', 'plain', '--known-hosts', kh, '--trust', other, ...cfg()]);
    expect(wrong.code).toBe(5);
    expect(wrong.err).toContain(`it is not the ${other} given with --trust`);
    expect(wrong.err).toContain(`--trust ${fp}`);
    const ok = await cli(['facts', 'plain', '--known-hosts', kh, '--trust', fp, ...cfg()]);
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/added .* to /);
    expect((await cli(['facts', 'plain', '--known-hosts', kh, ...cfg()])).code).toBe(0);
  });

  it('exit 5 for a changed host key, showing both fingerprints; --json carries them too', async () => {
    const lab = L.get();
    const other = lab.hosts.users.hostKeys.find((k) => k.type === 'ssh-ed25519')!;
    const kh = join(tmp, 'kh-changed');
    writeFileSync(kh, `${lab.hosts.plain.address} ${other.publicKey}\n`);
    const r = await cli(['pull', 'plain', '--json', '--known-hosts', kh, ...cfg()]);
    expect(r.code).toBe(5);
    expect(r.err).toContain(other.fingerprint);
    expect(r.err).toContain(lab.hosts.plain.hostKeys[0].fingerprint);
    expect(r.err).toContain(`ssh-keygen -R ${lab.hosts.plain.address} -f ${kh}`);
    expect(JSON.parse(r.out).error).toMatchObject({ kind: 'host-key-changed', fingerprint: lab.hosts.plain.hostKeys[0].fingerprint });
  });

  it('exit 2 for unreachable hosts, bad logins and usage errors', async () => {
    const lab = L.get();
    expect((await cli(['facts', `root@${lab.unreachableAddress}`, '--timeout', '1', ...cfg()])).code).toBe(2);
    const pw = await cli(['facts', 'dave@users', '--password-stdin', ...cfg()], { stdin: 'wrong\n' });
    expect(pw.code).toBe(2);
    expect(pw.err).toMatch(/permission denied for dave@/);
    expect((await cli(['pull', ...cfg()])).code).toBe(2);
    expect((await cli(['pull', 'plain', '--counters', ...cfg()])).code).toBe(2);
    expect((await cli(['facts', 'plain', '--bogus', ...cfg()])).code).toBe(2);
  });

  it('pull prints the saved file exactly as the host holds it; --output writes it 0600', async () => {
    const lab = L.get();
    const truth = (await lab.readHostFile('plain', '/etc/sysconfig/iptables'))!;
    const r = await cli(['pull', 'plain', ...cfg()]);
    expect(r.code).toBe(0);
    expect(Buffer.from(r.out).equals(truth)).toBe(true);
    const f = join(tmp, 'pulled');
    const w = await cli(['pull', 'plain', '--output', f, ...cfg()]);
    expect(w.code).toBe(0);
    expect(readFileSync(f).equals(truth)).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const v6 = await cli(['pull', 'plain', '--ipv6', ...cfg()]);
    expect(Buffer.from(v6.out).equals((await lab.readHostFile('plain', '/etc/sysconfig/ip6tables'))!)).toBe(true);
  });

  it('pull --live [--counters] prints the running rules; --json has every hash', async () => {
    const live = await cli(['pull', 'plain', '--live', '--counters', ...cfg()]);
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/^\[\d+:\d+\] -A INPUT -j REJECT --reject-with icmp-host-prohibited$/m);
    const j = JSON.parse((await cli(['pull', 'plain', '--json', ...cfg()])).out);
    for (const k of ['saved', 'saved6', 'live', 'live6']) expect(j[k].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.live.rulesSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.saved.text).toContain('sample configuration for iptables service');
  });

  it('pull with sudo: password from stdin for bob; refused without root for carol; missing file on fwd', async () => {
    const bob = await cli(['pull', 'bob@users', '--sudo', '--password-stdin', ...cfg()], { stdin: `${LAB_PASSWORDS.bob}\n` });
    expect(bob.code).toBe(0);
    expect(bob.out).toContain('*filter');
    expect(bob.out + bob.err).not.toContain(LAB_PASSWORDS.bob);
    const noPw = await cli(['pull', 'bob@users', '--sudo', ...cfg()]);
    expect(noPw.code).toBe(2);
    expect(noPw.err).toMatch(/needs a password/);
    // without a terminal: how to give it
    expect(noPw.err).toMatch(/--password-stdin/);
    expect(noPw.err).toMatch(/may not use sudo at all/);
    // carol has no sudo rule at all: said so, not "give a password"
    const carolSudo = await cli(['pull', 'carol@users', '--sudo', ...cfg()]);
    expect(carolSudo.code).toBe(2);
    expect(carolSudo.err).toMatch(/sudo may not be allowed for carol/);
    expect(carolSudo.err).not.toMatch(/needs a password/);
    const carol = await cli(['pull', 'carol@users', ...cfg()]);
    expect(carol.code).toBe(2);
    expect(carol.err).toMatch(/needs root/);
    const fwd = await cli(['pull', 'fwd', ...cfg()]);
    expect(fwd.code).toBe(2);
    expect(fwd.err).toMatch(/there is no \/etc\/sysconfig\/iptables on fwd/);
  });

  it('escapes control characters from the host before they reach a terminal', async () => {
    const lab = L.get();
    await lab.hostExec('inner', ['sh', '-c', 'printf "# \\033]0;owned\\007 \\033[31mred\\n*filter\\nCOMMIT\\n" > /etc/sysconfig/iptables']);
    const tty = await cli(['pull', 'inner', ...cfg()], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.out).not.toContain('\x1b');
    expect(tty.out).toContain('\\x1b]0;owned\\x07');
    const pipe = await cli(['pull', 'inner', ...cfg()]);
    expect(pipe.out).toContain('\x1b[31m'); // a pipe or file gets the bytes as they are
  });
});
