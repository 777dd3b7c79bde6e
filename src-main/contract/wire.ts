// The browser-mode WebSocket protocol: one JSON message per call and reply.
import type { Channel } from './channels.js';
import type { Result } from './result.js';
import type { FwEvent } from './hosts.js';

export interface WireRequest {
  id: number;
  channel: Channel;
  args: unknown[];
}
export interface WireReply {
  id: number;
  result: Result<unknown>;
}
/** Pushed by the server, not a reply: it has no id. */
export interface WireEvent {
  event: FwEvent;
}

/** Path of the WebSocket endpoint on the browser-mode server. */
export const WS_PATH = '/fw';
/** Query parameter (on the WebSocket URL) and fragment key (on the page URL) for the session token. */
export const TOKEN_PARAM = 'token';
