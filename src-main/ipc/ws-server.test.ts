import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { createDispatcher, createHandlers } from './handlers.js';
import { startBrowserServer, type BrowserServer } from './ws-server.js';
import { RecentFiles } from '../services/recent-files.js';
import { noHosts } from './testing/no-hosts.js';
import { MAX_RULESET_CHARS, MAX_WIRE_MESSAGE_BYTES, WS_PATH, type WireReply } from '../contract/index.js';

let dir: string;
let server: BrowserServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fw-ws-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'a.rules'), '*filter\nCOMMIT\n');
  const recent = new RecentFiles(null);
  await recent.add(join(dir, 'a.rules'));
  const dispatch = createDispatcher(createHandlers({ ...noHosts(), app: { name: 'Portcullis', version: 't', mode: 'browser' }, recent }));
  server = await startBrowserServer({ staticDir: dir, dispatch });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
function connect(opts: { token?: string; origin?: string; path?: string; host?: string }): Promise<{ status: number; ws?: WebSocket }> {
  const token = opts.token ?? server.token;
  const url = `ws://127.0.0.1:${server.port}${opts.path ?? WS_PATH}?token=${encodeURIComponent(token)}`;
  const headers: Record<string, string> = {};
  if (opts.host) headers.Host = opts.host;
  const ws = new WebSocket(url, { origin: opts.origin ?? server.origin, headers });
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

function call(ws: WebSocket, id: number, channel: string, args: unknown[]): Promise<WireReply> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData) => {
      const reply = JSON.parse(data.toString()) as WireReply;
      if (reply.id === id) {
        ws.off('message', onMsg);
        resolve(reply);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, channel, args }));
  });
}

function get(path: string, host = `127.0.0.1:${server.port}`): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser-mode server', () => {
  it('listens on loopback and prints the token in the fragment only', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`${server.origin}/#token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url').length).toBe(32);
  });

  it('serves the renderer with a strict CSP and security headers', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>t</title>');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain(`ws://127.0.0.1:${server.port}`);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // cross-origin isolated: the page shares memory with its analysis worker (a cancel it sees mid-lint)
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect((await get('/app.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('serves nothing outside the renderer folder, and nothing to a foreign Host (DNS rebinding)', async () => {
    expect((await get('/../a.rules/../../etc/passwd')).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
    expect((await get('/', 'evil.example:80')).status).toBe(403);
  });

  it('refuses a WebSocket without the right token (403)', async () => {
    expect((await connect({ token: '' })).status).toBe(403);
    expect((await connect({ token: 'x'.repeat(43) })).status).toBe(403);
    expect((await connect({ token: server.token.slice(0, -1) })).status).toBe(403);
  });

  it('refuses a WebSocket from another Origin (403), even with the token', async () => {
    expect((await connect({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await connect({ origin: `http://localhost:${server.port}` })).status).toBe(403);
    expect((await connect({ origin: 'null' })).status).toBe(403);
    expect((await connect({ origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
  });

  it('refuses other paths and foreign Host headers', async () => {
    expect((await connect({ path: '/other' })).status).toBe(403);
    expect((await connect({ host: `evil.example:${server.port}` })).status).toBe(403);
  });

  it('round-trips calls to the shared handler map', async () => {
    const { status, ws } = await connect({});
    expect(status).toBe(101);
    try {
      const info = await call(ws!, 1, 'app:get-info', []);
      expect(info).toEqual({ id: 1, result: { ok: true, value: { name: 'Portcullis', version: 't', mode: 'browser', capabilities: { openDialog: false, secrets: false } } } });
      const list = await call(ws!, 2, 'recent:list', []);
      expect(list.result).toMatchObject({ ok: true, value: [{ name: 'a.rules' }] });
      const id = (list.result as { ok: true; value: { id: string }[] }).value[0].id;
      const opened = await call(ws!, 3, 'recent:open', [id]);
      expect(opened.result).toMatchObject({ ok: true, value: { text: '*filter\nCOMMIT\n' } });
      expect((await call(ws!, 4, 'nope', [])).result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
      expect((await call(ws!, 5, 'recent:open', ['/etc/passwd'])).result).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    } finally {
      ws!.close();
    }
  });

  it('survives and answers a channel that is not a string ({toString: 1}) and args that are not a list', async () => {
    const { ws } = await connect({});
    try {
      expect(await sendRaw(ws!, '{"id":4,"channel":{"toString":1},"args":[]}')).toMatchObject({ id: 4, result: { ok: false, error: { code: 'unknown-channel' } } });
      expect(await sendRaw(ws!, '{"id":5,"channel":{"toString":{"x":1}},"args":[]}')).toMatchObject({ id: 5, result: { ok: false } });
      expect(await sendRaw(ws!, '{"id":6,"channel":"recent:list","args":{"length":0}}')).toMatchObject({ id: 6, result: { ok: false, error: { code: 'invalid-argument' } } });
      expect(await sendRaw(ws!, '{"id":7,"channel":"recent:open","args":[{"toString":1}]}')).toMatchObject({ id: 7, result: { ok: false, error: { code: 'invalid-argument' } } });
      expect(await sendRaw(ws!, `{"id":8,"channel":"${'x'.repeat(100_000)}","args":[]}`)).toMatchObject({ id: 8, result: { ok: false } });
      const long = ((await sendRaw(ws!, `{"id":9,"channel":"${'y'.repeat(100_000)}","args":[]}`)).result as { error: { message: string } }).error.message;
      expect(long.length).toBeLessThan(400);
      // the same socket still works
      expect((await call(ws!, 10, 'app:get-info', [])).result.ok).toBe(true);
    } finally {
      ws!.close();
    }
  });

  it('answers malformed frames with an error result and keeps the socket open', async () => {
    const { ws } = await connect({});
    try {
      expect(await sendRaw(ws!, '{"channel":"app:get-info"')).toMatchObject({ id: null, result: { ok: false, error: { code: 'invalid-argument' } } });
      expect(await sendRaw(ws!, '{"id":11,"channel":"app:get-info"')).toMatchObject({ id: 11, result: { ok: false } });
      expect(await sendRaw(ws!, '[1,2]')).toMatchObject({ id: null, result: { ok: false } });
      expect(await sendRaw(ws!, 'null')).toMatchObject({ id: null, result: { ok: false } });
      expect(await sendRaw(ws!, '{"id":"12","channel":"app:get-info","args":[]}')).toMatchObject({ id: null, result: { ok: false } });
      expect(await sendRaw(ws!, '{"id":1e300,"channel":"app:get-info","args":[]}')).toMatchObject({ id: null, result: { ok: false } });
      expect(await sendRaw(ws!, '\u0000\xff')).toMatchObject({ id: null, result: { ok: false } });
      expect(ws!.readyState).toBe(WebSocket.OPEN);
      expect((await call(ws!, 13, 'app:get-info', [])).result.ok).toBe(true);
    } finally {
      ws!.close();
    }
  });

  it('refuses a binary frame with an error result for its id', async () => {
    const { ws } = await connect({});
    try {
      const reply = await sendRaw(ws!, Buffer.from('{"id":14,"channel":"app:get-info","args":[]}'), true);
      expect(reply).toMatchObject({ id: 14, result: { ok: false, error: { code: 'invalid-argument' } } });
      expect(await sendRaw(ws!, Buffer.from([0, 1, 2, 255]), true)).toMatchObject({ id: null, result: { ok: false } });
      expect((await call(ws!, 15, 'app:get-info', [])).result.ok).toBe(true);
    } finally {
      ws!.close();
    }
  });

  it('matches replies to calls by id when they finish out of order', async () => {
    const { ws } = await connect({});
    try {
      const replies: WireReply[] = [];
      const all = new Promise<void>((resolve) =>
        ws!.on('message', (d) => {
          replies.push(JSON.parse(d.toString()));
          if (replies.length === 4) resolve();
        }),
      );
      // a call to an unknown apply, a prompt answer nobody asked, and two reads, in one burst
      ws!.send(JSON.stringify({ id: 21, channel: 'apply:answer', args: ['0123456789abcdef', true] }));
      ws!.send(JSON.stringify({ id: 22, channel: 'prompt:answer', args: ['0123456789abcdef', { kind: 'cancel' }] }));
      ws!.send(JSON.stringify({ id: 23, channel: 'recent:list', args: [] }));
      ws!.send(JSON.stringify({ id: 20, channel: 'app:get-info', args: [] }));
      await all;
      const byId = new Map(replies.map((r) => [r.id, r.result]));
      expect(byId.get(20)).toMatchObject({ ok: true, value: { mode: 'browser' } });
      expect(byId.get(21)).toMatchObject({ ok: false });
      expect(byId.get(22)).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(byId.get(23)).toMatchObject({ ok: true });
    } finally {
      ws!.close();
    }
  });

  it('a frame over the limit closes only its own socket (1009); the server and other pages go on', async () => {
    const a = await connect({});
    const b = await connect({});
    try {
      const code = await new Promise<number>((resolve) => {
        a.ws!.once('close', (c) => resolve(c));
        a.ws!.send(Buffer.alloc(MAX_WIRE_MESSAGE_BYTES + 1, 0x20), { binary: false });
      });
      expect(code).toBe(1009);
      expect((await call(b.ws!, 30, 'app:get-info', [])).result.ok).toBe(true);
      const c = await connect({});
      expect((await call(c.ws!, 31, 'app:get-info', [])).result.ok).toBe(true);
      c.ws!.close();
    } finally {
      b.ws!.close();
    }
  }, 60_000);

  it('carries a 20 MB ruleset to apply:start (the limits agree): it reaches the handler, not a closed socket', async () => {
    const { ws } = await connect({});
    try {
      const line = '-A INPUT -s 198.51.100.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n';
      const text = '*filter\n' + line.repeat(Math.ceil((20 * 1024 * 1024) / line.length)) + 'COMMIT\n';
      expect(text.length).toBeGreaterThan(20 * 1024 * 1024);
      const reply = await call(ws!, 40, 'apply:start', ['0123456789abcdef', { text, name: 'big.rules', confirmTimeoutS: 60, force: false, base: null }]);
      // no host is connected in this server: the handler itself answered (validation passed)
      expect(reply.result).toMatchObject({ ok: false, error: { code: 'not-connected' } });
      const over = 'x'.repeat(MAX_RULESET_CHARS + 1);
      const refused = await call(ws!, 41, 'apply:start', ['0123456789abcdef', { text: over, name: 'huge', confirmTimeoutS: 60, force: false, base: null }]);
      expect(refused.result).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    } finally {
      ws!.close();
    }
  }, 60_000);
});

/** Sends a raw frame and resolves with the next reply. */
function sendRaw(ws: WebSocket, data: string | Buffer, binary = false): Promise<WireReply> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString()) as WireReply));
    ws.send(data, { binary });
  });
}
