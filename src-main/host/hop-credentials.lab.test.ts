// Credentials belong to one hop (user@host:port): a password-only jump host and
// a target behind it with a different password. The jump host's own sshd log is
// the witness that it never saw a login attempt with the target's password.
// And a host-key question answered after the server stopped waiting (sshd's
// LoginGraceTime): nothing crashes, the key is saved, the host connects.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../core/testing/shared-data.js';
import { skipLab, useLabScratch } from '../../e2e/lab/testing.js';
import { LAB_PASSWORDS } from '../../e2e/lab/lab.js';
import { failure, labOptions } from './testing/lab.js';
import { run as capture } from '../cli/testing/capture.js';
import { openSession, type HostKeyQuestion } from './session.js';
import type { AuthError } from './errors.js';
import { HostProfiles } from '../services/host-profiles.js';
import { HostWorkbench } from '../services/host-workbench.js';
import { NoSecretStore } from '../services/secrets.js';
import type { FwEvent, PromptRequest } from '../contract/index.js';

const failedLogins = (log: string, user: string) => log.split('\n').filter((l) => new RegExp(`Failed (password|keyboard-interactive\\S*) for (invalid user )?${user}\\b`).test(l));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipLab)('lab: credentials per hop, late host-key answers', () => {
  let tmp = '';
  const L = useLabScratch({ hosts: ['pwinner', 'grace'], tmpPrefix: 'pcl-hop-creds-' }, (dir) => (tmp = dir));
  const base = labOptions(L);
  const gateLog = () => L.get().sshdLog('pwgate');

  it('the target password (--password-stdin) is never offered to the jump host; the jump host is refused with a hint naming its own option', async () => {
    const lab = L.get();
    const r = await capture(['facts', 'hank@pwinner', '--jump', 'gina@pwgate', '--ssh-config', lab.sshConfigPath, '--password-stdin'], {}, { stdin: `${LAB_PASSWORDS.hank}\n` });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/permission denied for gina@/);
    expect(r.err).toContain('--password-file gina@pwgate=FILE');
    expect(failedLogins(gateLog(), 'gina')).toEqual([]);
    expect(L.get().sshdLog('pwinner')).not.toMatch(/for hank/);
  });

  it('each password given for its own hop (--password-file HOP=FILE, --password-stdin): it connects, and the jump host saw no failed attempt', async () => {
    const lab = L.get();
    const pwFile = join(tmp, 'gina.pw');
    writeFileSync(pwFile, `${LAB_PASSWORDS.gina}\n`, { mode: 0o600 });
    const r = await capture(
      ['facts', 'hank@pwinner', '--jump', 'gina@pwgate', '--ssh-config', lab.sshConfigPath, '--password-file', `gina@pwgate=${pwFile}`, '--password-stdin', '--json'],
      {},
      { stdin: `${LAB_PASSWORDS.hank}\n` },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // hank's password also unlocked sudo on the target: its own hop's
    expect(JSON.parse(r.out)).toMatchObject({ clientAddress: lab.hosts.pwinner.peerAddress, privilege: 'sudo-password' });
    expect(gateLog()).toMatch(/Accepted password for gina/);
    expect(failedLogins(gateLog(), 'gina')).toEqual([]);
    expect(L.get().sshdLog('pwinner')).toMatch(/Accepted password for hank/);
    expect(failedLogins(L.get().sshdLog('pwinner'), 'hank')).toEqual([]);
  });

  it('at a terminal, --password-stdin is the target\'s and the jump host\'s own password is asked on the terminal, by name', async () => {
    const lab = L.get();
    const pw = join(tmp, 'hank.pw');
    writeFileSync(pw, `${LAB_PASSWORDS.hank}\n`, { mode: 0o600 });
    // script(1) gives the command a terminal (stderr and /dev/tty) while its stdin is the file
    const cmd = [process.execPath, '--import', 'tsx', 'src-main/cli/main.ts', 'facts', 'hank@pwinner', '--jump', 'gina@pwgate', '--ssh-config', lab.sshConfigPath, '--password-stdin', '--json']
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('script', ['-qec', `${cmd} < '${pw}'`, '/dev/null'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      // typed at the prompt, as a person would
      if (/password for gina@pwgate[^\n]*: $/.test(out)) child.stdin.write(`${LAB_PASSWORDS.gina}\r`);
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(out).toMatch(/password for gina@pwgate \(198\.18\.[\d.]+\): /);
    expect(out).not.toMatch(/password for hank/);
    expect(out).not.toContain(LAB_PASSWORDS.gina);
    expect(code).toBe(0);
    expect(out).toContain(`"clientAddress": "${lab.hosts.pwinner.peerAddress}"`);
    expect(failedLogins(gateLog(), 'gina')).toEqual([]);
  }, 60_000);

  it('the route asks each hop for its own password by name, and a reopen reuses each for its own hop only', async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = { gina: LAB_PASSWORDS.gina, hank: LAB_PASSWORDS.hank };
    const s = await openSession(
      'hank@pwinner',
      base({
        jump: 'gina@pwgate',
        askPassword: async (prompt, hop) => {
          asked.push(prompt);
          return answers[hop.user];
        },
      }),
    );
    expect(asked).toEqual([expect.stringMatching(/^password for gina@pwgate \(198\.18\.[\d.]+\): $/), expect.stringMatching(/^password for hank@pwinner \(198\.19\.[\d.]+\): $/)]);
    const again = await s.reopen();
    expect(again.probe.user).toBe('hank');
    await again.close();
    await s.close();
    expect(asked).toHaveLength(2);
    expect(failedLogins(gateLog(), 'gina')).toEqual([]);
  });

  it('a wrong password typed for the jump host is refused there, and the target password never reaches it', async () => {
    const before = failedLogins(gateLog(), 'gina').length;
    const e = await failure(openSession('hank@pwinner', base({ jump: 'gina@pwgate', password: LAB_PASSWORDS.hank, hopPassword: (h) => (h.user === 'gina' ? 'not-ginas' : undefined) })));
    expect(e.kind).toBe('auth');
    expect((e as AuthError).hop.user).toBe('gina');
    // exactly the one wrong attempt we gave for gina — none with hank's password
    await sleep(200);
    expect(failedLogins(gateLog(), 'gina').length - before).toBe(1);
  });

  it('a host-key answer given after the server stopped waiting (LoginGraceTime 3, answer after 5 s): no crash, the key is saved, the host connects', async () => {
    const lab = L.get();
    const kh = join(tmp, 'kh-grace');
    writeFileSync(kh, '');
    const logs: string[] = [];
    const questions: HostKeyQuestion[] = [];
    const ended: HostKeyQuestion[] = [];
    const s = await openSession(
      'grace',
      base({
        knownHostsFiles: [kh],
        log: (l) => logs.push(l),
        onUnknownHostKey: async (q) => {
          questions.push(q);
          await sleep(5000);
          return 'accept-and-save';
        },
        onHostKeyWaitEnded: (q) => ended.push(q),
      }),
    );
    expect(questions).toHaveLength(1);
    expect(ended).toHaveLength(1);
    expect(s.hostKeys[0].fingerprint).toBe(lab.hosts.grace.hostKeys.find((k) => k.type === s.hostKeys[0].keyType)!.fingerprint);
    expect((await s.exec('hostname')).stdout.trim()).toBe('c7-grace');
    await s.close();
    expect(readFileSync(kh, 'utf8')).toMatch(/ssh-ed25519 /);
    expect(logs.join('\n')).toMatch(/connecting again/);
    // the saved key is trusted from now on, without a question
    const again = await openSession('grace', base({ knownHostsFiles: [kh] }));
    expect(again.hostKeys[0].trustedBy).toBe('known-hosts');
    await again.close();
  }, 30_000);

  it('a password typed after the server stopped waiting (LoginGraceTime 3, 5 s): no crash, it connects again and offers it to that hop', async () => {
    const logs: string[] = [];
    let asked = 0;
    const s = await openSession(
      'ivy@grace',
      base({
        knownHostsFiles: [L.get().knownHostsClearPath],
        log: (l) => logs.push(l),
        askPassword: async () => {
          asked++;
          await sleep(5000);
          return LAB_PASSWORDS.ivy;
        },
      }),
    );
    expect(s.probe.user).toBe('ivy');
    await s.close();
    expect(asked).toBe(1);
    expect(logs.join('\n')).toMatch(/while its password was being typed; connecting again/);
    expect(L.get().sshdLog('grace')).toMatch(/Accepted password for ivy/);
  }, 30_000);

  it('a late refusal fails as an unknown key, and nothing is saved', async () => {
    const kh = join(tmp, 'kh-grace-refused');
    writeFileSync(kh, '');
    const e = await failure(
      openSession(
        'grace',
        base({
          knownHostsFiles: [kh],
          onUnknownHostKey: async () => {
            await sleep(4500);
            return 'reject';
          },
        }),
      ),
    );
    expect(e.kind).toBe('host-key-unknown');
    expect(readFileSync(kh, 'utf8')).toBe('');
  }, 30_000);

  it('the app: the dialog hears that the server stopped waiting, Trust after 5 s saves the key and the host connects by itself', async () => {
    const lab = L.get();
    // a profile from the app may name a known_hosts file under ~/.ssh (or one picked in a dialog)
    mkdirSync(join(tmp, '.ssh'), { recursive: true });
    const kh = join(tmp, '.ssh', 'kh-app');
    writeFileSync(kh, '');
    const events: FwEvent[] = [];
    const profiles = new HostProfiles(null);
    const wb = new HostWorkbench({ profiles, secrets: new NoSecretStore(), emit: (e) => events.push(e), sshConfigPath: lab.sshConfigPath, homeDir: tmp, env: { PORTCULLIS_STATE_DIR: tmp } });
    const p = await wb.saveProfile({ name: 'grace', target: 'grace', jump: '', identityFile: '', knownHostsFile: kh, sudo: 'auto', confirmTimeoutS: 60 });
    const connected = wb.connect(p.id);
    const prompts = () => events.filter((e): e is { kind: 'prompt'; prompt: PromptRequest } => e.kind === 'prompt').map((e) => e.prompt);
    for (let i = 0; i < 200 && !prompts().length; i++) await sleep(25);
    const q = prompts()[0];
    expect(q).toMatchObject({ kind: 'host-key', hostId: p.id });
    await sleep(5000);
    // the same question again, now saying the server gave up
    expect(prompts().find((x) => x.id === q.id && x.kind === 'host-key' && x.serverStoppedWaiting)).toBeTruthy();
    wb.prompts.answer(q.id, { kind: 'host-key', accept: true });
    const info = await connected;
    expect(info.facts.hostname).toBe('c7-grace');
    expect(readFileSync(kh, 'utf8')).toMatch(/ssh-ed25519 /);
    expect(wb.isConnected(p.id)).toBe(true);
    await wb.closeAll();
  }, 40_000);

  it('--known-hosts replaces only the user files: a @revoked line in the global known_hosts still refuses the key (exit 5)', async () => {
    const lab = L.get();
    const key = lab.hosts.grace.hostKeys.find((k) => k.type === 'ssh-ed25519')!;
    const userKh = join(tmp, 'kh-user-trusts');
    writeFileSync(userKh, lab.hosts.grace.hostKeys.map((k) => `${lab.hosts.grace.address} ${k.publicKey}\n`).join(''));
    const globalKh = join(tmp, 'kh-global-revokes');
    writeFileSync(globalKh, `@revoked * ${key.publicKey}\n`);
    const cfg = join(tmp, 'ssh_config_global');
    writeFileSync(cfg, `GlobalKnownHostsFile ${globalKh}\n` + readFileSync(lab.sshConfigPath, 'utf8'));
    const refused = await capture(['facts', 'grace', '--ssh-config', cfg, '--known-hosts', userKh]);
    expect(refused.code).toBe(5);
    expect(refused.err).toMatch(/revoked/i);
    expect(refused.err).toContain(globalKh);
    // the same user file without the global revocation is fine: the revocation is what refused it
    writeFileSync(globalKh, '');
    expect((await capture(['facts', 'grace', '--ssh-config', cfg, '--known-hosts', userKh])).code).toBe(0);
  });
});
