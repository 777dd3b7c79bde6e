// Browser mode: the renderer served over loopback HTTP, window.fw carried over a
// WebSocket to the same dispatcher Electron uses. Any page in the admin's
// browser can reach 127.0.0.1, so the socket demands both a random per-run
// token (handed over in the URL fragment, which is never sent to a server or
// in a Referer) and our own Origin; the Host header is checked against DNS
// rebinding. Everything else gets 403.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { fail, MAX_WIRE_MESSAGE_BYTES, TOKEN_PARAM, WS_PATH, type FwEvent, type Result, type WireEvent, type WireReply } from '../contract/index.js';
import type { Dispatch } from './handlers.js';

interface BrowserServerOptions {
  /** directory with the built renderer (index.html) */
  staticDir: string;
  dispatch: Dispatch;
  /** 0 or absent: a free port */
  port?: number;
  /** for tests; by default 32 random bytes */
  token?: string;
  /** the last page went away (prompts waiting on it can give up) */
  onAllClosed?: () => void;
  log?: (msg: string) => void;
}

export interface BrowserServer {
  port: number;
  origin: string;
  token: string;
  /** the address to open, with the token in the fragment */
  url: string;
  /** sends an event to every connected page */
  broadcast(event: FwEvent): void;
  /** number of pages connected now */
  clients(): number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${HOST}:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Where the server listens: port and origin are known once it listens. */
interface Site {
  staticDir: string;
  port: number;
  origin: string;
}

const allowedHosts = (site: Site) => [`${HOST}:${site.port}`, `localhost:${site.port}`];

export function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const log = opts.log ?? (() => {});
  const site: Site = { staticDir: opts.staticDir, port: 0, origin: '' };

  const server = createServer((req, res) => {
    void serveStatic(req, res, site).catch((e) => {
      log(`http: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  // the frame limit agrees with apply:start's ruleset limit (see contract/wire.ts)
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_MESSAGE_BYTES });
  wss.on('error', (e) => log(`websocket server: ${e.message}`));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // after 'upgrade' the raw socket has no error listener: a reset while we refuse would end the process
    socket.on('error', (e) => log(`websocket upgrade: ${e.message}`));
    const why = upgradeRefusal(req, site, tokenBuf);
    if (why !== null) {
      log(`websocket refused: ${why}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, wss, opts, log));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => {
      const addr = server.address();
      site.port = typeof addr === 'object' && addr ? addr.port : 0;
      site.origin = `http://${HOST}:${site.port}`;
      const origin = site.origin;
      resolve({
        port: site.port,
        origin,
        token,
        url: `${origin}/#${TOKEN_PARAM}=${token}`,
        broadcast(event) {
          const msg: WireEvent = { event };
          for (const c of wss.clients) sendSafely(c, msg, log);
        },
        clients: () => wss.clients.size,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, site: Site): Promise<void> {
  if (!allowedHosts(site).includes(req.headers.host ?? '')) return void res.writeHead(403).end('forbidden');
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', site.origin).pathname);
  } catch {
    return void res.writeHead(400).end();
  }
  if (pathname === '/') pathname = '/index.html';
  const file = normalize(join(site.staticDir, pathname));
  if (!file.startsWith(normalize(site.staticDir) + sep) || pathname.includes('\0')) return void res.writeHead(404).end();
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Content-Security-Policy': contentSecurityPolicy(site.port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // with COOP, a cross-origin isolated page: it may share memory with its analysis worker (a cancel seen mid-lint)
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Why a WebSocket upgrade is refused (path, Host, Origin, token), or null to accept it. */
function upgradeRefusal(req: IncomingMessage, site: Site, tokenBuf: Buffer): string | null {
  let url: URL;
  try {
    url = new URL(req.url ?? '', site.origin);
  } catch {
    return 'bad url';
  }
  if (url.pathname !== WS_PATH) return 'wrong path';
  if (!allowedHosts(site).includes(req.headers.host ?? '')) return 'wrong host';
  if (req.headers.origin !== site.origin) return `wrong origin ${String(req.headers.origin).slice(0, 100)}`;
  const given = Buffer.from(url.searchParams.get(TOKEN_PARAM) ?? '');
  if (given.length !== tokenBuf.length || !timingSafeEqual(given, tokenBuf)) return 'wrong token';
  return null;
}

function serveSocket(ws: WebSocket, wss: WebSocketServer, opts: BrowserServerOptions, log: (m: string) => void): void {
  // a frame over maxPayload, a bad opcode, a reset: ws reports it here and closes
  // the socket (1009 for size). Without a listener it would end the process.
  ws.on('error', (e) => log(`websocket: ${e.message}`));
  ws.on('close', () => {
    if (wss.clients.size === 0) opts.onAllClosed?.();
  });
  ws.on('message', (data, isBinary) => {
    const reply = (id: number | null, result: Result<unknown>) => sendSafely(ws, { id, result } satisfies WireReply, log);
    const frame = readFrame(data, isBinary);
    if (frame.kind === 'refused') return reply(frame.id, fail('invalid-argument', frame.why));
    const { id, channel, args } = frame;
    opts.dispatch(channel, args).then(
      (result) => reply(id, result),
      // the dispatcher never rejects; if it ever does, the page still gets an answer
      (e: unknown) => {
        log(`dispatch: ${(e as Error)?.stack ?? String(e)}`);
        reply(id, fail('internal', 'the call failed inside Portcullis; see its log'));
      },
    );
  });
}

type Frame = { kind: 'call'; id: number; channel: unknown; args: unknown } | { kind: 'refused'; id: number | null; why: string };

/** The id a frame names, from its first bytes, for refusing a frame we will not parse (binary). */
function leadingId(data: Buffer): number | null {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(data.subarray(0, 64).toString('latin1'));
  return m ? Number(m[1]) : null;
}

/** One frame as a call, or why it is refused (with its id when it has one). Never throws. */
function readFrame(raw: WebSocket.RawData, isBinary: boolean): Frame {
  const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
  if (isBinary) return { kind: 'refused', id: leadingId(data), why: 'binary frames are not accepted: send each call as JSON text' };
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch {
    return { kind: 'refused', id: leadingId(data), why: 'the frame is not JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { kind: 'refused', id: null, why: 'a call is a JSON object {id, channel, args}' };
  const o = msg as Record<string, unknown>;
  if (typeof o.id !== 'number' || !Number.isSafeInteger(o.id) || o.id < 0) return { kind: 'refused', id: null, why: 'a call needs a whole number id' };
  return { kind: 'call', id: o.id, channel: o.channel, args: o.args };
}

/** A send that cannot throw: a socket closing meanwhile only loses this message. */
function sendSafely(ws: WebSocket, msg: WireReply | WireEvent, log: (m: string) => void): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(msg);
  } catch (e) {
    // a value JSON cannot carry (a cycle, a BigInt): answer with that instead of nothing
    if (!('id' in msg)) return log(`event not sent: ${(e as Error).message}`);
    text = JSON.stringify({ id: msg.id, result: fail('internal', `the answer could not be sent: ${(e as Error).message}`) });
  }
  ws.send(text, (err) => {
    if (err) log(`websocket send: ${err.message}`);
  });
}
