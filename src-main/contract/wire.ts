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
  /** the request's id; null when a frame could not be read far enough to know it */
  id: number | null;
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

/** The largest ruleset text a call may carry (apply:start), in characters; the same in both transports. */
export const MAX_RULESET_CHARS = 64 * 1024 * 1024;
/**
 * The largest WebSocket frame the browser-mode server reads. A ruleset is sent
 * as a JSON string: printable text stays one byte a character, a newline or tab
 * becomes two, so twice the ruleset limit (plus room for the rest of the call)
 * carries any ruleset apply:start accepts unless it is mostly control characters,
 * which no valid ruleset is. The page checks the size before it sends.
 */
export const MAX_WIRE_MESSAGE_BYTES = 2 * MAX_RULESET_CHARS + 1024 * 1024;
