// The hosts part of the contract through the dispatcher: argument checks,
// profile errors per field, prompts as events answered by the page, keychain
// use, host-key failures with both fingerprints, and the apply's
// keep-or-revert question. The SSH side is a stand-in here; the lab tests
// (e2e/hosts.lab.test.ts, host-workbench.lab.test.ts) use real hosts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createHandlers, type Dispatch } from './handlers.js';
import { EventHub } from './events.js';
import { RecentFiles } from '../services/recent-files.js';
import { HostProfiles } from '../services/host-profiles.js';
import { HostWorkbench } from '../services/host-workbench.js';
import { KeychainSecretStore, secretKey, type SecretStore } from '../services/secrets.js';
import { AuthError, HostKeyChangedError, type SessionOptions } from '../host/index.js';
import type { ApplyOptions } from '../apply/index.js';
import type { FwEvent, HostProfile, Result } from '../contract/index.js';
import type { ApplyResult } from '../core/apply/index.js';

let dir: string;
let events: FwEvent[];
let d: Dispatch;
let secrets: SecretStore;
let connectImpl: (opts: SessionOptions) => Promise<unknown>;
let applyImpl: (o: ApplyOptions) => Promise<ApplyResult>;

const hop = { name: '198.51.100.7', host: '198.51.100.7', port: 22, user: 'root' };
const facts = { host: 'web', user: 'root', privilege: 'root', clientAddress: '198.51.100.1', firewalld: 'masked', warnings: [] };

function fakeSession(opts: SessionOptions, trustedBy: 'known-hosts' | 'prompt' = 'prompt') {
  return {
    closed: false,
    askedSudoPassword: undefined,
    route: { hops: [{ ...hop }] },
    hostKeys: [{ hop, keyType: 'ssh-ed25519', fingerprint: 'SHA256:new', trustedBy }],
    async facts() {
      return facts;
    },
    async pull() {
      const f = (text: string) => ({ source: '/etc/sysconfig/iptables', present: true, ok: true, bytes: Buffer.from(text), text, size: text.length, sha256: 'a'.repeat(64) });
      return { host: 'web', takenAt: '2024-01-01T00:00:00.000Z', counters: false, saved: f('*filter\nCOMMIT\n'), saved6: f(''), live: { ...f('*filter\nCOMMIT\n'), rulesSha256: 'b'.repeat(64) }, live6: { ...f(''), rulesSha256: '' } };
    },
    async close() {
      this.closed = true;
    },
    opts,
  };
}

const cipher = { encrypt: (s: string) => Buffer.from(s).reverse(), decrypt: (b: Buffer) => Buffer.from(b).reverse().toString() };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcl-hosts-handlers-'));
  events = [];
  const hub = new EventHub();
  hub.subscribe((e) => events.push(e));
  const profiles = new HostProfiles(join(dir, 'hosts.json'));
  secrets = new KeychainSecretStore(join(dir, 'secrets.json'), cipher);
  connectImpl = async (opts) => fakeSession(opts);
  applyImpl = async () => {
    throw new Error('no apply in this test');
  };
  const workbench = new HostWorkbench({
    profiles,
    secrets,
    emit: hub.emit,
    sshConfigPath: null,
    homeDir: dir,
    env: { PORTCULLIS_STATE_DIR: join(dir, 'state') },
    openSession: ((_route: unknown, opts: SessionOptions) => connectImpl(opts)) as never,
    runApply: (o) => applyImpl(o),
  });
  d = createDispatcher(
    createHandlers({ app: { name: 'Portcullis', version: 't', mode: 'electron' }, recent: new RecentFiles(null), profiles, workbench, secretsAvailable: true }),
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const value = <T>(r: Result<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
};

async function addHost(): Promise<HostProfile> {
  return value<HostProfile>(
    await d('hosts:save', [{ name: 'web', target: 'root@198.51.100.7', jump: '', identityFile: '', knownHostsFile: join(dir, '.ssh', 'kh'), sudo: 'auto', confirmTimeoutS: 30 }]),
  );
}

/**
 * Waits until `cond` holds (the handlers' work is promises and file I/O: a
 * loaded machine can take longer than any fixed wait); throws after `ms`.
 */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
  }
}

/** waits for the next prompt event and returns it */
async function nextPrompt(from = 0) {
  for (let i = 0; i < 100; i++) {
    const e = events.slice(from).find((x) => x.kind === 'prompt');
    if (e && e.kind === 'prompt') return e.prompt;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('no prompt');
}

describe('hosts handlers', () => {
  it('checks arguments before any service runs', async () => {
    const bad: [string, unknown[]][] = [
      ['hosts:save', [{ name: 'x' }]],
      ['hosts:save', [{ name: 'x', target: 'y', jump: '', identityFile: '', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60, id: '../x' }]],
      ['hosts:remove', ['nope']],
      ['host:connect', []],
      ['host:pull', ['0123456789ABCDEF']],
      ['prompt:answer', ['0123456789abcdef', { kind: 'secret', value: 1 }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: 'yes', base: null }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: false, base: { takenAt: 't', savedSha256: 'nothex' } }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: false, base: null, family: 5 }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: false, base: { takenAt: 't', running6RulesSha256: 'nothex' } }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: false, base: null, ipv6: { text: 1, name: 'n6' } }]],
      ['apply:start', ['0123456789abcdef', { text: 'x', name: 'n', confirmTimeoutS: 60, force: false, base: null, family: 6, ipv6: { text: 'x', name: 'n6' } }]],
      ['apply:answer', ['0123456789abcdef', 'yes']],
    ];
    for (const [ch, args] of bad) expect(await d(ch, args), ch).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('saves profiles; a bad one comes back with the problems per field', async () => {
    const r = await d('hosts:save', [{ name: '', target: 'root@x y', jump: '', identityFile: 'key', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60 }]);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid-argument', details: { kind: 'fields', fields: { name: expect.any(String), target: expect.any(String), identityFile: expect.any(String) } } } });
    const p = await addHost();
    expect(value<HostProfile[]>(await d('hosts:list', []))).toEqual([p]);
    expect(value(await d('app:get-info', []))).toMatchObject({ capabilities: { secrets: true } });
  });

  it('connect: the unknown host key is a prompt with its fingerprint; refusing fails with code host-key', async () => {
    const p = await addHost();
    connectImpl = async (opts) => {
      const answer = await opts.onUnknownHostKey!({ hop, keyType: 'ssh-ed25519', fingerprint: 'SHA256:new', otherKnownTypes: [] });
      if (answer === 'reject') throw new (await import('../host/index.js')).HostKeyUnknownError(hop, 'ssh-ed25519', 'SHA256:new');
      expect(answer).toBe('accept-and-save');
      return fakeSession(opts);
    };
    const refused = d('host:connect', [p.id]);
    const q = await nextPrompt();
    expect(q).toMatchObject({ kind: 'host-key', hostId: p.id, offered: { fingerprint: 'SHA256:new', keyType: 'ssh-ed25519' }, knownHostsFile: join(dir, '.ssh', 'kh') });
    expect(value(await d('prompt:answer', [q.id, { kind: 'host-key', accept: false }]))).toBeNull();
    expect(await refused).toMatchObject({ ok: false, error: { code: 'host-key', details: { kind: 'host-key-unknown', offered: { fingerprint: 'SHA256:new' } } } });

    const n = events.length;
    const accepted = d('host:connect', [p.id]);
    const q2 = await nextPrompt(n);
    await d('prompt:answer', [q2.id, { kind: 'host-key', accept: true }]);
    expect(value(await accepted)).toMatchObject({ hostId: p.id, route: ['root@198.51.100.7:22'], hostKey: { fingerprint: 'SHA256:new', trustedBy: 'prompt' }, facts: { clientAddress: '198.51.100.1' } });
    expect(events).toContainEqual({ kind: 'connection', hostId: p.id, state: 'connected' });
  });

  it('connect: a connect in progress is given up by disconnect: the call fails as cancelled, a late session is closed', async () => {
    const p = await addHost();
    let release!: () => void;
    const late = fakeSession({} as SessionOptions);
    connectImpl = () => new Promise((r) => (release = () => r(late)));
    const pending = d('host:connect', [p.id]);
    await until(() => release !== undefined, 'the connect under way');
    expect(value(await d('host:disconnect', [p.id]))).toBeNull();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    release();
    await until(() => late.closed, 'the late session closed');
    // nothing is left half-open: the host connects again
    connectImpl = async (opts) => fakeSession(opts);
    expect(await d('host:connect', [p.id])).toMatchObject({ ok: true });
  });

  it('connect: a CHANGED host key fails with both fingerprints and asks nothing', async () => {
    const p = await addHost();
    connectImpl = async () => {
      throw new HostKeyChangedError(hop, 'ssh-ed25519', 'SHA256:offered', [{ keyType: 'ssh-ed25519', fingerprint: 'SHA256:known', file: '/kh', line: 3 }]);
    };
    const r = await d('host:connect', [p.id]);
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'host-key',
        message: expect.stringMatching(/HOST KEY CHANGED/),
        details: { kind: 'host-key-changed', offered: { fingerprint: 'SHA256:offered' }, expected: [{ fingerprint: 'SHA256:known', file: '/kh', line: 3 }] },
      },
    });
    expect(events.some((e) => e.kind === 'prompt')).toBe(false);
  });

  it('passwords: asked through a prompt, kept in the keychain only when asked to and only after success; a refused kept one is forgotten', async () => {
    const p = await addHost();
    let wanted = 'right';
    connectImpl = async (opts) => {
      const pw = await opts.askPassword!(`password for root@198.51.100.7: `, hop);
      if (pw !== wanted) throw new AuthError(hop, ['password'], [{ method: 'password' }], []);
      return fakeSession(opts, 'known-hosts');
    };
    const first = d('host:connect', [p.id]);
    const q = await nextPrompt();
    expect(q).toMatchObject({ kind: 'password', prompt: 'password for root@198.51.100.7: ', hop, canRemember: true });
    await d('prompt:answer', [q.id, { kind: 'secret', value: 'right', remember: true }]);
    value(await first);
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBe('right');

    // the next connect uses the keychain and asks nothing
    const n = events.length;
    value(await d('host:connect', [p.id]));
    expect(events.slice(n).some((e) => e.kind === 'prompt')).toBe(false);

    // the password changed on the server: the kept one is forgotten, and the message says so
    wanted = 'new';
    const r = await d('host:connect', [p.id]);
    expect(r).toMatchObject({ ok: false, error: { code: 'auth', message: expect.stringMatching(/has been forgotten/) } });
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBeUndefined();

    // a wrong password typed without "remember" is never stored
    const m = events.length;
    const typed = d('host:connect', [p.id]);
    const q2 = await nextPrompt(m);
    await d('prompt:answer', [q2.id, { kind: 'secret', value: 'wrong', remember: true }]);
    expect(await typed).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBeUndefined();
  });

  it('pull needs a connection; then gives the saved and running rules without raw bytes', async () => {
    const p = await addHost();
    expect(await d('host:pull', [p.id])).toMatchObject({ ok: false, error: { code: 'not-connected' } });
    connectImpl = async (opts) => fakeSession(opts, 'known-hosts');
    value(await d('host:connect', [p.id]));
    const pulled = value<Record<string, Record<string, unknown>>>(await d('host:pull', [p.id]));
    expect(pulled.saved).toMatchObject({ text: '*filter\nCOMMIT\n', present: true });
    expect(pulled.saved.bytes).toBeUndefined();
    expect(pulled.running.rulesSha256).toBe('b'.repeat(64));
    // the IPv6 firewall comes in the same pull, also without raw bytes
    expect(pulled.saved6).toMatchObject({ present: true, ok: true, text: '' });
    expect(pulled.saved6.bytes).toBeUndefined();
    expect(pulled.running6).toMatchObject({ ok: true, text: '' });
    value(await d('host:disconnect', [p.id]));
    expect(await d('host:pull', [p.id])).toMatchObject({ ok: false, error: { code: 'not-connected' } });
  });

  it('apply: progress and the keep-or-revert question arrive as events; the answer goes back; the outcome ends it', async () => {
    const p = await addHost();
    connectImpl = async (opts) => fakeSession(opts, 'prompt');
    value(await d('host:connect', [p.id]));
    let seen: ApplyOptions | undefined;
    applyImpl = async (o) => {
      seen = o;
      o.onProgress!({ step: 'restore', message: 'rules live', parts: [{ text: 'rules live' }], level: 'info', at: 1 });
      const keep = await o.ask!({ summary: '1 rule added', deadlineAt: 50_000 });
      return {
        outcome: keep ? 'confirmed' : 'reverted',
        exitCode: keep ? 0 : 3,
        message: keep ? 'applied' : 'reverted',
        messageParts: [{ text: keep ? 'applied' : 'reverted' }],
        findings: [],
        warnings: [],
        warningParts: [],
        record: { id: o.id!, startedAt: 's', finishedAt: 'f', host: { name: hop.host }, candidate: { name: o.proposalName, sha256: '' }, confirm: 'prompt', force: false, outcome: keep ? 'confirmed' : 'reverted', exitCode: 0, message: 'applied', warnings: [], timings: {}, totalMs: 5 },
      };
    };
    const { applyId } = value<{ applyId: string }>(
      await d('apply:start', [p.id, { text: '*filter\nCOMMIT\n', name: 'proposed', confirmTimeoutS: 30, force: false, base: { takenAt: 't', savedSha256: 'a'.repeat(64) } }]),
    );
    expect(await d('apply:start', [p.id, { text: 'x', name: 'n', confirmTimeoutS: 30, force: false, base: null }])).toMatchObject({ ok: false, error: { code: 'busy' } });
    await until(() => events.some((e) => e.kind === 'apply-ask'), 'the keep-or-revert question');
    expect(seen).toMatchObject({ host: 'root@198.51.100.7', confirm: 'prompt', confirmTimeoutS: 30, id: applyId, base: { kind: 'hashes', savedSha256: 'a'.repeat(64) } });
    // the key the admin accepted on connect is trusted by the apply's own connections
    expect(seen!.session.trust).toEqual(['SHA256:new']);
    expect(events).toContainEqual({ kind: 'apply-progress', applyId, hostId: p.id, step: 'restore', message: 'rules live', parts: [{ text: 'rules live' }], level: 'info', at: 1 });
    const ask = events.find((e) => e.kind === 'apply-ask');
    expect(ask).toMatchObject({ applyId, summary: '1 rule added', confirmBy: 50_000, hostRevertAt: 50_000 + 7500 });
    expect(value(await d('apply:answer', [applyId, true]))).toBeNull();
    await until(() => events.some((e) => e.kind === 'apply-done'), 'the apply done');
    expect(events.at(-1)).toMatchObject({ kind: 'apply-done', applyId, result: { outcome: 'confirmed', audit: { id: applyId, proposal: 'proposed' } } });
    expect(await d('apply:answer', [applyId, true])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    // what went live is kept as a version, with its outcome, and can be read back
    const versions = value<{ id: string; kind: string; outcome?: string; auditId?: string }[]>(await d('host:versions', [p.id]));
    expect(versions[0]).toMatchObject({ kind: 'applied', outcome: 'confirmed', auditId: applyId });
    expect(value<{ text: string }>(await d('host:version', [p.id, versions[0].id])).text).toBe('*filter\nCOMMIT\n');
    expect(await d('host:version', [p.id, 'ffffffffffffffff'])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await d('host:version', [p.id, '../../etc/passwd'])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('history: this host\'s applies from the local audit log, newest first', async () => {
    const p = await addHost();
    const rec = (id: string, route: string[] | undefined, name: string) =>
      JSON.stringify({ id, startedAt: 's', finishedAt: 'f', host: { name, route }, candidate: { name: 'c', sha256: '' }, outcome: 'confirmed', message: 'm', warnings: [], timings: {}, totalMs: 1 });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(
      join(dir, 'state', 'history.jsonl'),
      [rec('1111', ['root@198.51.100.7:22'], '198.51.100.7'), rec('2222', ['root@203.0.113.9:22'], 'other'), rec('3333', undefined, 'root@198.51.100.7'), '{broken'].join('\n') + '\n',
    );
    const h = value<{ id: string }[]>(await d('host:history', [p.id]));
    expect(h.map((e) => e.id)).toEqual(['3333', '1111']);
  });

  it('passwords belong to one hop: a jump host and the target are asked, kept and reused apart; the apply gets each its own', async () => {
    const p = value<HostProfile>(await d('hosts:save', [{ name: 'inner', target: 'root@198.51.100.7', jump: 'alice@bastion', identityFile: '', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60 }]));
    const bastion = { name: 'bastion', host: '203.0.113.5', port: 22, user: 'alice' };
    const given: Record<string, string | undefined> = {};
    connectImpl = async (opts) => {
      given.bastion = await opts.askPassword!('password for alice@bastion: ', bastion);
      given.target = await opts.askPassword!('password for root@198.51.100.7: ', hop);
      return fakeSession(opts, 'known-hosts');
    };
    const first = d('host:connect', [p.id]);
    const q1 = await nextPrompt();
    expect(q1).toMatchObject({ kind: 'password', prompt: 'password for alice@bastion: ', hop: bastion });
    await d('prompt:answer', [q1.id, { kind: 'secret', value: 'bastion-pw', remember: true }]);
    const q2 = await nextPrompt(events.indexOf(events.find((e) => e.kind === 'prompt' && e.prompt.id === q1.id)!) + 1);
    expect(q2).toMatchObject({ kind: 'password', prompt: 'password for root@198.51.100.7: ', hop });
    await d('prompt:answer', [q2.id, { kind: 'secret', value: 'target-pw', remember: true }]);
    value(await first);
    expect(given).toEqual({ bastion: 'bastion-pw', target: 'target-pw' });
    expect(await secrets.get(secretKey.password(p.id, 'login', 'alice@203.0.113.5:22'))).toBe('bastion-pw');
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBe('target-pw');

    // the apply's own connections: each hop its own password, and nothing global
    let seen: ApplyOptions | undefined;
    applyImpl = async (o) => {
      seen = o;
      throw new Error('stop here');
    };
    value(await d('apply:start', [p.id, { text: '*filter\nCOMMIT\n', name: 'n', confirmTimeoutS: 30, force: false, base: null }]));
    await until(() => seen !== undefined, 'the apply runner called');
    expect(seen!.session.password).toBeUndefined();
    expect(seen!.session.hopPassword!(bastion)).toBe('bastion-pw');
    expect(seen!.session.hopPassword!(hop)).toBe('target-pw');
    expect(seen!.session.hopPassword!({ ...bastion, port: 2222 })).toBeUndefined();

    // a changed jump route drops what the keychain kept for the host
    value(await d('hosts:save', [{ ...p, jump: 'bob@bastion' }]));
    expect(await secrets.get(secretKey.password(p.id, 'login', 'alice@203.0.113.5:22'))).toBeUndefined();
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBeUndefined();
  });

  it('apply: an IPv6 proposal goes to the runner beside the IPv4 one (one change), or alone with family 6; the ip6tables base hashes too', async () => {
    const p = await addHost();
    connectImpl = async (opts) => fakeSession(opts, 'known-hosts');
    value(await d('host:connect', [p.id]));
    const seen: ApplyOptions[] = [];
    applyImpl = async (o) => {
      seen.push(o);
      throw new Error('stop here');
    };
    const v6 = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n';
    const base = { takenAt: 't', savedSha256: 'a'.repeat(64), saved6Sha256: 'c'.repeat(64), running6RulesSha256: 'd'.repeat(64) };
    value(await d('apply:start', [p.id, { text: '*filter\nCOMMIT\n', name: 'v4', confirmTimeoutS: 30, force: false, base, ipv6: { text: v6, name: 'v6' } }]));
    await until(() => seen.length === 1, 'the apply runner called');
    expect(seen[0]).toMatchObject({ proposalText: '*filter\nCOMMIT\n', proposal6: { name: 'v6', text: v6 }, base: { kind: 'hashes', savedSha256: 'a'.repeat(64), saved6Sha256: 'c'.repeat(64), live6RulesSha256: 'd'.repeat(64) } });
    expect(seen[0].family).toBeUndefined();
    value(await d('apply:start', [p.id, { text: v6, name: 'v6 only', confirmTimeoutS: 30, force: false, base: null, family: 6 }]));
    await until(() => seen.length === 2, 'the apply runner called again');
    expect(seen[1]).toMatchObject({ proposalText: v6, family: 'ipv6' });
    expect(seen[1].proposal6).toBeUndefined();
  });

  it('a saved profile keeps its secrets when only its name or timeout changes; a changed address drops them', async () => {
    const p = await addHost();
    await secrets.set(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'), 'pw');
    value(await d('hosts:save', [{ ...p, name: 'renamed', confirmTimeoutS: 120 }]));
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBe('pw');
    value(await d('hosts:save', [{ ...p, target: 'root@198.51.100.8' }]));
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBeUndefined();
  });

  it('removing a host forgets its keychain entries', async () => {
    const p = await addHost();
    await secrets.set(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'), 'pw');
    expect(value(await d('hosts:remove', [p.id]))).toEqual([]);
    expect(await secrets.get(secretKey.password(p.id, 'login', 'root@198.51.100.7:22'))).toBeUndefined();
  });
});
