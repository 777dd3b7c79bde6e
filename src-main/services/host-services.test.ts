// Host profiles, keychain secrets and prompts: the main-side services behind
// the hosts part of the contract.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FwFailure, type FwEvent, type HostProfileInput } from '../contract/index.js';
import { checkHostProfile, HostProfiles, isHostProfileInput } from './host-profiles.js';
import { KeychainSecretStore, NoSecretStore, secretKey } from './secrets.js';
import { isPromptAnswer, PromptBroker } from './prompts.js';
import { hostFailure } from './host-workbench.js';
import { AuthError, ConnectError } from '../host/index.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pcl-host-services-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const input = (o: Partial<HostProfileInput> = {}): HostProfileInput => ({
  name: 'web-1',
  target: 'root@198.51.100.7',
  jump: '',
  identityFile: '',
  knownHostsFile: '',
  sudo: 'auto',
  confirmTimeoutS: 60,
  ...o,
});

async function failure(p: Promise<unknown>): Promise<FwFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FwFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('host profiles', () => {
  it('checks every field and names the one that is wrong', () => {
    expect(checkHostProfile(input(), [])).toEqual({});
    expect(checkHostProfile(input({ target: 'web-1' }), [])).toEqual({}); // an ssh config alias
    expect(checkHostProfile(input({ target: 'admin@[2001:db8::1]:2222' }), [])).toEqual({});
    expect(checkHostProfile(input({ name: ' ', target: '', sudo: 'maybe' as never, confirmTimeoutS: 5 }), [])).toEqual({
      name: expect.stringMatching(/name/),
      target: expect.stringMatching(/\[user@\]host/),
      sudo: expect.any(String),
      confirmTimeoutS: expect.stringMatching(/10 to 3600/),
    });
    expect(checkHostProfile(input({ target: 'root@host;reboot' }), []).target).toMatch(/not a host name/);
    expect(checkHostProfile(input({ target: '-oProxyCommand=x' }), []).target).toMatch(/not a host name/);
    expect(checkHostProfile(input({ jump: 'ok@bastion, bad host' }), []).jump).toMatch(/not a host name/);
    expect(checkHostProfile(input({ identityFile: 'id_rsa' }), []).identityFile).toMatch(/full path/);
    expect(checkHostProfile(input({ identityFile: '~/.ssh/id_ed25519', knownHostsFile: '/tmp/kh' }), [])).toEqual({});
    const other = { ...input({ name: 'WEB-1' }), id: 'aaaaaaaaaaaaaaaa', createdAt: '', updatedAt: '' };
    expect(checkHostProfile(input(), [other]).name).toMatch(/another host/);
    expect(checkHostProfile(input({ id: 'aaaaaaaaaaaaaaaa' }), [other])).toEqual({});
  });

  it('recognises a well-formed input and nothing else', () => {
    expect(isHostProfileInput(input())).toBe(true);
    expect(isHostProfileInput({ ...input(), id: '../../etc' })).toBe(false);
    expect(isHostProfileInput({ ...input(), confirmTimeoutS: '60' })).toBe(false);
    expect(isHostProfileInput(null)).toBe(false);
    expect(isHostProfileInput([input()])).toBe(false);
  });

  it('adds, updates and removes; the file is 0600 and survives a restart; no secret fields', async () => {
    const path = join(dir, 'cfg', 'hosts.json');
    const p = new HostProfiles(path, () => new Date('2024-01-02T03:04:05Z'));
    const a = await p.save(input({ jump: ' a@b , c ' }));
    expect(a).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), name: 'web-1', jump: 'a@b,c', createdAt: '2024-01-02T03:04:05.000Z' });
    const b = await p.save(input({ name: 'db', target: 'db.example.com' }));
    expect((await p.list()).map((x) => x.name)).toEqual(['db', 'web-1']);
    await p.save({ ...input({ name: 'web-one' }), id: a.id });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = new HostProfiles(path);
    expect((await again.list()).map((x) => x.name)).toEqual(['db', 'web-one']);
    expect(readFileSync(path, 'utf8')).not.toMatch(/password|passphrase/i);
    expect((await again.remove(b.id)).map((x) => x.name)).toEqual(['web-one']);
    expect((await failure(again.get(b.id))).code).toBe('not-found');
  });

  it('refuses an invalid profile with the problems per field', async () => {
    const p = new HostProfiles(null);
    const f = await failure(p.save(input({ target: 'bad host' })));
    expect(f.code).toBe('invalid-argument');
    expect(f.details).toEqual({ kind: 'fields', fields: { target: expect.stringMatching(/not a host name/) } });
    expect(await p.list()).toEqual([]);
    expect((await failure(p.save({ ...input(), id: '0123456789abcdef' }))).code).toBe('not-found');
  });

  it('keeps a damaged file aside instead of overwriting it', async () => {
    const path = join(dir, 'hosts.json');
    writeFileSync(path, '{broken');
    const p = new HostProfiles(path);
    expect(await p.list()).toEqual([]);
    await p.save(input());
    expect(readdirSync(dir).some((f) => f.startsWith('hosts.json.damaged-'))).toBe(true);
  });
});

describe('secrets', () => {
  // a stand-in for safeStorage: reversible, but never the plain text
  const cipher = {
    encrypt: (s: string) => Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a)),
    decrypt: (b: Buffer) => {
      if (b[0] === 0) throw new Error('cannot decrypt');
      return Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8');
    },
  };

  it('stores only ciphertext, 0600, and reads it back after a restart', async () => {
    const path = join(dir, 'secrets.json');
    const s = new KeychainSecretStore(path, cipher);
    await s.set(secretKey.password('aaaaaaaaaaaaaaaa', 'login', 'root@h:22'), 'hunter2');
    await s.set(secretKey.passphrase('aaaaaaaaaaaaaaaa', '/k/id'), 'open sesame');
    await s.set(secretKey.password('bbbbbbbbbbbbbbbb', 'sudo', 'root@h:22'), 'other');
    expect(readFileSync(path, 'utf8')).not.toMatch(/hunter2|open sesame/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = new KeychainSecretStore(path, cipher);
    expect(await again.get(secretKey.password('aaaaaaaaaaaaaaaa', 'login', 'root@h:22'))).toBe('hunter2');
    await again.deletePrefix(secretKey.prefix('aaaaaaaaaaaaaaaa'));
    expect(await again.get(secretKey.passphrase('aaaaaaaaaaaaaaaa', '/k/id'))).toBeUndefined();
    expect(await again.get(secretKey.password('bbbbbbbbbbbbbbbb', 'sudo', 'root@h:22'))).toBe('other');
  });

  it('drops an entry the keychain can no longer decrypt', async () => {
    const path = join(dir, 'secrets.json');
    writeFileSync(path, JSON.stringify({ k: Buffer.from([0, 1]).toString('base64') }));
    const s = new KeychainSecretStore(path, cipher);
    expect(await s.get('k')).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({});
  });

  it('browser mode keeps nothing', async () => {
    const s = new NoSecretStore();
    await s.set('k', 'v');
    expect(s.available).toBe(false);
    expect(await s.get('k')).toBeUndefined();
  });
});

describe('prompts', () => {
  it('asks through an event and resolves with the answer; the first answer wins', async () => {
    const events: FwEvent[] = [];
    const b = new PromptBroker((e) => events.push(e));
    const p = b.ask({ kind: 'password', hostId: 'aaaaaaaaaaaaaaaa', hostName: 'web', prompt: "root@web's password: ", canRemember: false });
    const asked = events[0];
    expect(asked).toMatchObject({ kind: 'prompt', prompt: { kind: 'password', id: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    const id = asked.kind === 'prompt' ? asked.prompt.id : '';
    expect(b.open().map((q) => q.id)).toEqual([id]);
    expect(() => b.answer(id, { kind: 'host-key', accept: true })).toThrow(/secret answer/);
    b.answer(id, { kind: 'secret', value: 'pw', remember: false });
    expect(await p).toEqual({ kind: 'secret', value: 'pw', remember: false });
    expect(events[1]).toEqual({ kind: 'prompt-closed', id });
    expect(() => b.answer(id, { kind: 'cancel' })).toThrow(FwFailure);
  });

  it('gives up after the timeout, and when the host or every page goes away', async () => {
    vi.useFakeTimers();
    try {
      const b = new PromptBroker(() => {}, 1000);
      const late = b.ask({ kind: 'passphrase', hostId: 'aaaaaaaaaaaaaaaa', hostName: 'web', file: '/k', canRemember: false });
      vi.advanceTimersByTime(1001);
      expect(await late).toEqual({ kind: 'cancel' });
      const one = b.ask({ kind: 'passphrase', hostId: 'aaaaaaaaaaaaaaaa', hostName: 'web', file: '/k', canRemember: false });
      const other = b.ask({ kind: 'passphrase', hostId: 'bbbbbbbbbbbbbbbb', hostName: 'db', file: '/k', canRemember: false });
      b.cancelHost('aaaaaaaaaaaaaaaa');
      expect(await one).toEqual({ kind: 'cancel' });
      expect(b.open()).toHaveLength(1);
      b.cancelAll();
      expect(await other).toEqual({ kind: 'cancel' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks answers from the page', () => {
    expect(isPromptAnswer({ kind: 'host-key', accept: true })).toBe(true);
    expect(isPromptAnswer({ kind: 'host-key', accept: 'yes' })).toBe(false);
    expect(isPromptAnswer({ kind: 'secret', value: 'x', remember: false })).toBe(true);
    expect(isPromptAnswer({ kind: 'secret', value: 'x'.repeat(5000), remember: false })).toBe(false);
    expect(isPromptAnswer({ kind: 'cancel' })).toBe(true);
    expect(isPromptAnswer({ kind: 'other' })).toBe(false);
  });
});

describe('host failures say what to do next', () => {
  const hop = { name: 'web-1', host: '198.51.100.7', port: 22, user: 'dave' };
  it('a refused password: type it again; a refused key: where the key must be', () => {
    const pw = hostFailure(new AuthError(hop, ['password'], [{ method: 'password' }], []));
    expect(pw.code).toBe('auth');
    expect(pw.message).toMatch(/^permission denied for dave@198\.51\.100\.7 .*\. The password was not accepted: connect again/);
    const key = hostFailure(new AuthError(hop, ['publickey'], [{ method: 'publickey', detail: '/k/id_ed25519' }], []));
    expect(key.message).toMatch(/did not accept the key: check the identity file \(Edit…\) and that its public key is in ~dave\/\.ssh\/authorized_keys/);
    // a forgotten keychain password already says what to do
    expect(hostFailure(new AuthError(hop, ['password'], [{ method: 'password' }], []), ' (forgotten)').message).not.toMatch(/not accepted/);
  });
  it('an unreachable address points at the address and a jump host', () => {
    const f = hostFailure(new ConnectError(hop, 'EHOSTUNREACH', 'host unreachable'));
    expect(f.code).toBe('connect');
    expect(f.message).toBe('cannot connect to dave@198.51.100.7: host unreachable. Check the address, and whether the host is only reachable through a jump host (Edit…).');
    expect(hostFailure(new ConnectError(hop, 'ECONNREFUSED', 'connection refused (is sshd listening on that port?)')).message).not.toMatch(/\. Check/);
  });
});
