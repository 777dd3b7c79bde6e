import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createHandlers, type Dispatch } from './handlers.js';
import { RecentFiles } from '../services/recent-files.js';
import { noHosts } from './testing/no-hosts.js';
import { CHANNELS, FW_FUNCTIONS, buildFwApi } from '../contract/index.js';

let dir: string;
let recent: RecentFiles;
const app = { name: 'Portcullis', version: '0.0.0-test', mode: 'browser' as const };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-handlers-'));
  recent = new RecentFiles(join(dir, 'recent.json'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('handler map', () => {
  it('has a handler and a validator for every contract channel', () => {
    const h = createHandlers({ ...noHosts(), app, recent });
    expect(Object.keys(h).sort()).toEqual([...CHANNELS].sort());
  });

  it('reports the mode and what it can do', async () => {
    const d = createDispatcher(createHandlers({ ...noHosts(), app, recent }));
    expect(await d('app:get-info', [])).toEqual({ ok: true, value: { ...app, capabilities: { openDialog: false, secrets: false } } });
    const e = createDispatcher(createHandlers({ ...noHosts(), app: { ...app, mode: 'electron' }, recent, pickRulesetFile: async () => null }));
    expect(await e('app:get-info', [])).toMatchObject({ ok: true, value: { mode: 'electron', capabilities: { openDialog: true } } });
  });

  it('refuses unknown channels and bad arguments without calling a service', async () => {
    const d = createDispatcher(createHandlers({ ...noHosts(), app, recent }));
    expect(await d('fs:read', ['/etc/shadow'])).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await d('constructor', [])).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await d('recent:open', ['/etc/shadow'])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await d('recent:open', [])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await d('recent:list', 'x')).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await d('recent:list', [1])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('the dialog is unsupported in browser mode; a cancelled dialog gives null', async () => {
    const d = createDispatcher(createHandlers({ ...noHosts(), app, recent }));
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    const e = createDispatcher(createHandlers({ ...noHosts(), app, recent, pickRulesetFile: async () => null }));
    expect(await e('ruleset:open-dialog', [])).toEqual({ ok: true, value: null });
  });

  it('opens a picked file, records it, and reopens it by id only', async () => {
    const p = file('a.rules', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    const d = createDispatcher(createHandlers({ ...noHosts(), app, recent, pickRulesetFile: async () => p }));
    const opened = await d('ruleset:open-dialog', []);
    expect(opened).toMatchObject({ ok: true, value: { name: 'a.rules', path: p, text: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' } });
    const list = await d('recent:list', []);
    expect(list).toMatchObject({ ok: true, value: [{ name: 'a.rules', path: p }] });
    const id = (list as { value: { id: string }[] }).value[0].id;
    expect(await d('recent:open', [id])).toMatchObject({ ok: true, value: { id, name: 'a.rules' } });
    expect(JSON.parse(readFileSync(join(dir, 'recent.json'), 'utf8'))).toHaveLength(1);
    expect(await d('recent:remove', [id])).toEqual({ ok: true, value: [] });
    expect(await d('recent:open', [id])).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('maps file problems to error codes', async () => {
    let pick = file('bin', Buffer.from([1, 0, 2]));
    const d = createDispatcher(createHandlers({ ...noHosts(), app, recent, pickRulesetFile: async () => pick }));
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'not-text' } });
    pick = file('latin1', Buffer.from([0x2a, 0xe9, 0x0a]));
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'not-text' } });
    pick = join(dir, 'missing');
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    pick = dir;
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'io' } });
  });

  it('turns an unexpected exception into an internal error, never a throw', async () => {
    const logs: string[] = [];
    const d = createDispatcher(
      createHandlers({ ...noHosts(), app, recent, pickRulesetFile: async () => { throw new TypeError('boom'); } }),
      (m) => logs.push(m),
    );
    expect(await d('ruleset:open-dialog', [])).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('boom') } });
    expect(logs.join('')).toContain('TypeError');
  });

  it('buildFwApi gives exactly one function per contract entry, routed to its channel', async () => {
    const calls: [string, unknown[]][] = [];
    const dispatch: Dispatch = createDispatcher(createHandlers({ ...noHosts(), app, recent }));
    const api = buildFwApi(
      async (ch, args) => {
        calls.push([ch, args]);
        return dispatch(ch, args);
      },
      () => () => {},
    );
    expect(Object.keys(api).sort()).toEqual([...Object.keys(FW_FUNCTIONS), 'onEvent'].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(await api.getAppInfo()).toMatchObject({ ok: true, value: { name: 'Portcullis' } });
    expect(await api.listRecentFiles()).toEqual({ ok: true, value: [] });
    expect(calls).toEqual([['app:get-info', []], ['recent:list', []]]);
  });
});

describe('recent files', () => {
  it('keeps the newest first, without duplicates, and survives a restart', async () => {
    const a = file('a.rules', 'x');
    const b = file('b.rules', 'y');
    await recent.add(a);
    await recent.add(b);
    await recent.add(a);
    expect((await recent.list()).map((e) => e.name)).toEqual(['a.rules', 'b.rules']);
    const again = new RecentFiles(join(dir, 'recent.json'));
    expect((await again.list()).map((e) => e.name)).toEqual(['a.rules', 'b.rules']);
  });

  it('ignores a corrupt store', async () => {
    writeFileSync(join(dir, 'recent.json'), '{not json');
    expect(await new RecentFiles(join(dir, 'recent.json')).list()).toEqual([]);
  });
});
