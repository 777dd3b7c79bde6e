// window.fw for browser mode: the same contract as the Electron preload, carried
// over a WebSocket to the loopback server. The token comes from the URL fragment
// the server printed; it is moved to sessionStorage and removed from the address
// bar so it does not end up in screenshots or bookmarks.
import {
  buildFwApi,
  fail,
  LONG_CHANNELS,
  MAX_WIRE_MESSAGE_BYTES,
  TOKEN_PARAM,
  WS_PATH,
  type Channel,
  type FwApi,
  type FwListener,
  type Result,
  type WireEvent,
  type WireRequest,
  type WireReply,
} from '../../../src-main/contract/index.js';

const STORAGE_KEY = 'portcullis.token';
const CALL_TIMEOUT_MS = 120_000;
/** connect and apply wait on a person (host key, password, keep-or-revert): only a generous bound */
const LONG_CALL_TIMEOUT_MS = 30 * 60_000;

export function takeToken(loc: Location = location, storage: Storage = sessionStorage): string | null {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const fromHash = params.get(TOKEN_PARAM);
  if (fromHash) {
    storage.setItem(STORAGE_KEY, fromHash);
    history.replaceState(null, '', loc.pathname + loc.search);
    return fromHash;
  }
  return storage.getItem(STORAGE_KEY);
}

class ConnectError extends Error {}

/** UTF-8 size of a frame, encoding only when it could be over the limit. */
function wireBytes(text: string): number {
  return text.length * 3 <= MAX_WIRE_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).length;
}

/** Opens the socket; resolves once it is open, rejects when the server refuses it. */
export function connectWebSocketFw(token: string, loc: Location = location): Promise<{ api: FwApi; socket: WebSocket }> {
  const url = `ws://${loc.host}${WS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
  const socket = new WebSocket(url);
  const pending = new Map<number, { resolve: (r: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> }>();
  let nextId = 1;
  let closed = false;
  const listeners = new Set<FwListener>();

  socket.addEventListener('message', (ev) => {
    let reply: WireReply | WireEvent;
    try {
      reply = JSON.parse(String(ev.data)) as WireReply | WireEvent;
    } catch {
      return;
    }
    if ('event' in reply) {
      for (const l of listeners) l(reply.event);
      return;
    }
    // a refusal without an id answers a frame this page never sends (we always send an id)
    const p = reply.id === null ? undefined : pending.get(reply.id);
    if (!p || reply.id === null) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    p.resolve(reply.result);
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const [, p] of pending) {
      clearTimeout(p.timer);
      p.resolve(fail('disconnected', 'the connection to Portcullis was lost; restart it and open the address it prints'));
    }
    pending.clear();
  });

  const invoke = (channel: Channel, args: unknown[]): Promise<Result<unknown>> => {
    if (closed || socket.readyState !== WebSocket.OPEN) return Promise.resolve(fail('disconnected', 'not connected to Portcullis'));
    const id = nextId++;
    const frame = JSON.stringify({ id, channel, args } satisfies WireRequest);
    // the server closes the socket on a frame over its limit; say so here and keep the connection
    if (wireBytes(frame) > MAX_WIRE_MESSAGE_BYTES)
      return Promise.resolve(fail('too-large', `this is too large to send to Portcullis in browser mode (over ${Math.round(MAX_WIRE_MESSAGE_BYTES / 1024 / 1024)} MB)`));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(fail('disconnected', `${channel} got no answer`));
      }, LONG_CHANNELS.includes(channel) ? LONG_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS);
      pending.set(id, { resolve, timer });
      socket.send(frame);
    });
  };

  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve({ api: buildFwApi(invoke, (l) => {
          listeners.add(l);
          return () => void listeners.delete(l);
        }), socket }), { once: true });
    socket.addEventListener('close', () => reject(new ConnectError('the server refused the connection (wrong or expired token?)')), { once: true });
  });
}
