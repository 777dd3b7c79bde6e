// Every way in: keys (plain, passphrase, RSA PEM), agent, password,
// keyboard-interactive; and every way up: root, sudo without and with a password, none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipLab, useLab } from '../../e2e/lab/testing.js';
import { failure, labOptions } from './testing/lab.js';
import { LAB_PASSPHRASE, LAB_PASSWORDS } from '../../e2e/lab/lab.js';
import { openSession, type SessionOptions } from './session.js';
import { AuthError, ConfigError, PrivilegeError } from './errors.js';

describe.skipIf(skipLab)('lab: authentication and privilege', () => {
  const L = useLab({ hosts: ['plain', 'users'] });
  beforeAll(() => L.start());
  afterAll(() => L.stop());
  // no agent unless a test asks for one; identities only from what a test names
  const base = labOptions(L);
  const bare = (o: SessionOptions = {}): SessionOptions => ({ sshConfigPath: null, knownHostsFiles: [L.get().knownHostsPath], agent: false, ...o });

  it('logs in as root with a key from the ssh config', async () => {
    const s = await openSession('plain', base());
    expect(s.probe).toMatchObject({ uid: 0, user: 'root' });
    expect(s.privilege).toEqual({ kind: 'root' });
    expect((await s.exec('id -un', { sudo: true })).stdout).toBe('root\n');
    await s.close();
  });

  it('uses a passphrase-protected key with the passphrase, given or asked for', async () => {
    const lab = L.get();
    const target = `root@${lab.hosts.plain.address}`;
    const s1 = await openSession(target, bare({ identityFiles: [lab.keys.passphrase], passphrase: LAB_PASSPHRASE }));
    await s1.close();
    const asked: string[] = [];
    const s2 = await openSession(target, bare({ identityFiles: [lab.keys.passphrase], passphrase: async (f) => (asked.push(f), LAB_PASSPHRASE) }));
    await s2.close();
    expect(asked).toEqual([lab.keys.passphrase]);
  });

  it('says why a passphrase-protected key was not used: missing or wrong passphrase', async () => {
    const lab = L.get();
    const target = `root@${lab.hosts.plain.address}`;
    const e1 = await failure(openSession(target, bare({ identityFiles: [lab.keys.passphrase] })));
    expect(e1).toBeInstanceOf(AuthError);
    expect(e1.message).toMatch(/passphrase-protected and no passphrase was given/);
    const e2 = await failure(openSession(target, bare({ identityFiles: [lab.keys.passphrase], passphrase: 'nope' })));
    expect(e2.message).toMatch(/wrong passphrase/);
    expect((e2 as AuthError).allowed).toContain('publickey');
  });

  it('uses an RSA key in legacy PEM form (rsa-sha2 signatures)', async () => {
    const lab = L.get();
    const s = await openSession(`root@${lab.hosts.plain.address}`, bare({ identityFiles: [lab.keys.rsa] }));
    expect(s.probe.uid).toBe(0);
    await s.close();
  });

  it('uses the agent (SSH_AUTH_SOCK when no socket is given)', async () => {
    const lab = L.get();
    const target = `root@${lab.hosts.plain.address}`;
    const s1 = await openSession(target, bare({ agent: lab.agentSocket }));
    await s1.close();
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = lab.agentSocket;
    try {
      const s2 = await openSession(target, bare({ agent: undefined }));
      await s2.close();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it('refuses a key the server does not know, naming what was tried', async () => {
    const lab = L.get();
    const e = await failure(openSession(`root@${lab.hosts.plain.address}`, bare({ identityFiles: [lab.keys.stranger] })));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).attempts).toEqual([{ method: 'publickey', detail: lab.keys.stranger }]);
    expect(e.message).toMatch(/permission denied for root@/);
    expect(e.message).toMatch(/no password given/);
  });

  it('refuses a named identity file that does not exist', async () => {
    const e = await failure(openSession('plain', base({ identityFiles: ['/nonexistent/id_ed25519'] })));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/identity file \/nonexistent\/id_ed25519 not found/);
  });

  it('logs in with a password (password-only user), and says so when it is wrong', async () => {
    const s = await openSession('dave@users', base({ password: LAB_PASSWORDS.dave }));
    expect(s.probe.user).toBe('dave');
    await s.close();
    const e = await failure(openSession('dave@users', base({ password: 'wrong' })));
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).allowed).toEqual(['password']);
    expect((e as AuthError).attempts.map((a) => a.method)).toContain('password');
  });

  it('answers keyboard-interactive with the password, or through a prompt handler', async () => {
    const s1 = await openSession('erin@users', base({ password: LAB_PASSWORDS.erin }));
    expect(s1.probe.user).toBe('erin');
    await s1.close();
    const prompts: string[] = [];
    const s2 = await openSession(
      'erin@users',
      base({
        keyboardInteractive: async (ps) => {
          prompts.push(...ps.map((p) => p.prompt));
          return [LAB_PASSWORDS.erin];
        },
      }),
    );
    await s2.close();
    expect(prompts.join()).toMatch(/password/i);
    const e = await failure(openSession('erin@users', base({ keyboardInteractive: async () => ['wrong'] })));
    expect((e as AuthError).allowed).toEqual(['keyboard-interactive']);
  });

  it('asks for a password only when needed, once, and reuses it on reopen', async () => {
    const asked: string[] = [];
    const ask = (answer: string | undefined) => async (prompt: string) => (asked.push(prompt), answer);
    const dave = await openSession('dave@users', base({ askPassword: ask(LAB_PASSWORDS.dave) }));
    const again = await dave.reopen();
    expect(again.probe.user).toBe('dave');
    await again.close();
    await dave.close();
    expect(asked).toEqual([expect.stringMatching(/^password for dave@users \(198\.18\.\d+\.\d+\): $/)]);

    asked.length = 0;
    const erin = await openSession('erin@users', base({ askPassword: ask(LAB_PASSWORDS.erin) }));
    await erin.close();
    expect(asked).toHaveLength(1);

    asked.length = 0;
    const root = await openSession('plain', base({ askPassword: ask('never') }));
    await root.close();
    expect(asked).toEqual([]); // the key worked: nobody is asked

    asked.length = 0;
    const bob = await openSession('bob@users', base({ sudo: true, askPassword: ask(LAB_PASSWORDS.bob) }));
    expect(asked).toEqual(['[sudo] password for bob@users: ']);
    expect(bob.privilege).toEqual({ kind: 'sudo', password: true });
    expect((await bob.exec('id -u', { sudo: true })).stdout).toBe('0\n');
    await bob.close();
    await expect(openSession('bob@users', base({ sudo: true, askPassword: ask(undefined) }))).rejects.toMatchObject({ kind: 'privilege' });
  });

  it('uses sudo without a password (alice)', async () => {
    const s = await openSession('alice@users', base());
    expect(s.privilege).toEqual({ kind: 'sudo', password: false });
    const r = await s.exec('id -u; cat', { sudo: true, stdin: 'payload\n' });
    expect(r.stdout).toBe('0\npayload\n');
    expect((await s.exec('id -u')).stdout).toBe('2001\n');
    await s.close();
  });

  it('uses sudo with the password on stdin (bob): the payload arrives intact, the password is never echoed or run', async () => {
    const s = await openSession('bob@users', base({ password: LAB_PASSWORDS.bob }));
    expect(s.privilege).toEqual({ kind: 'sudo', password: true });
    const payload = `line one\n'quoted' "double" $HOME \`x\`\n\n*filter\nCOMMIT\n`;
    const r = await s.exec('id -u; cat', { sudo: true, stdin: payload });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0\n' + payload);
    expect(r.stdout + r.stderr).not.toContain(LAB_PASSWORDS.bob);
    await s.close();
  });

  it('never runs the password when sudo does not read it (frank: NOPASSWD for sh only), and carries on with sudo -n', async () => {
    const logs: string[] = [];
    const s = await openSession('frank@users', base({ password: LAB_PASSWORDS.frank, log: (l) => logs.push(l) }));
    expect(s.privilege).toEqual({ kind: 'sudo', password: true });
    const r = await s.exec('id -u; cat', { sudo: true, stdin: 'payload\n' });
    expect(r).toMatchObject({ code: 0, stdout: '0\npayload\n', stderr: '' });
    expect(s.privilege).toEqual({ kind: 'sudo', password: false });
    expect(logs.join('\n')).toMatch(/switching to sudo -n/);
    await s.close();
  });

  it('without sudo working: none in auto mode, a clear refusal with --sudo', async () => {
    const noPw = await openSession('bob@users', base());
    expect(noPw.privilege.kind).toBe('none');
    const e0 = await failure(noPw.exec('id -u', { sudo: true }));
    expect(e0).toBeInstanceOf(PrivilegeError);
    expect(e0.message).toMatch(/needs a password and none was given/);
    await noPw.close();

    const e1 = await failure(openSession('bob@users', base({ sudo: true })));
    expect(e1).toMatchObject({ kind: 'privilege', reason: 'sudo-needs-password' });
    const e4 = await failure(openSession('carol@users', base({ sudo: true })));
    expect(e4).toMatchObject({ kind: 'privilege', reason: 'no-sudo' });
    const e2 = await failure(openSession('bob@users', base({ sudo: true, password: LAB_PASSWORDS.bob, sudoPassword: 'wrong' })));
    expect(e2).toMatchObject({ kind: 'privilege', reason: 'sudo-wrong-password' });
    // carol has no sudo rule (and no password to give): sudo still asks first, then refuses
    const e3 = await failure(openSession('carol@users', base({ sudo: true, sudoPassword: 'anything' })));
    expect(e3).toMatchObject({ kind: 'privilege' });
    expect(e3.message).toMatch(/sudo/);

    const carol = await openSession('carol@users', base());
    expect(carol.privilege.kind).toBe('none');
    expect(carol.probe.sudo).toBe('needs-password');
    expect(carol.probe.sudoDenied).toBe(true);
    expect(carol.privilege).toMatchObject({ kind: 'none', reason: expect.stringMatching(/sudo may not be allowed for carol/) });
    await carol.close();
  });
});
