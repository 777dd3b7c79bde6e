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
import { WS_PATH, type WireReply } from '../contract/index.js';

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

  it('closes the socket on a malformed message', async () => {
    const { ws } = await connect({});
    const code = await new Promise<number>((resolve) => {
      ws!.once('close', (c) => resolve(c));
      ws!.send('{"channel":"app:get-info"');
    });
    expect(code).toBe(1007);
  });
});
