// Results across the bridge are plain data: Electron's IPC (and JSON over the
// WebSocket) keeps only an exception's message, so failures travel as values.
import type { ErrorDetails } from './hosts.js';

/** Error codes a renderer can act on. Add codes; never change what one means. */
type ErrorCode =
  | 'unknown-channel' // no such function in the contract
  | 'invalid-argument' // arguments failed validation in main
  | 'unsupported' // not available in this mode (e.g. a native dialog in browser mode)
  | 'not-found' // a file or record that is not (or no longer) there
  | 'too-large' // a file over the size we accept
  | 'not-text' // a file that is not text (NUL bytes, invalid UTF-8)
  | 'io' // any other file-system error
  | 'forbidden' // the caller may not do this (untrusted sender, wrong token)
  | 'disconnected' // the transport went away
  | 'host-key' // the host key is unknown (not accepted), changed or revoked: details say which, with fingerprints
  | 'auth' // the server refused every way we tried to log in
  | 'connect' // no SSH connection (refused, unreachable, timed out, lost)
  | 'privilege' // logged in, but no root (sudo refused, wrong sudo password)
  | 'host' // a command on the host failed; the message has its stderr
  | 'not-connected' // the host must be connected first
  | 'busy' // something of the same kind is running (another apply, another connect)
  | 'cancelled' // the admin gave up on it (a connect in progress)
  | 'internal'; // a bug: the message says what

export interface FwError {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: FwError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
export function fail<T = never>(code: ErrorCode, message: string, details?: ErrorDetails): Result<T> {
  return { ok: false, error: details ? { code, message, details } : { code, message } };
}

/** Thrown by main-side services and handlers; the dispatcher turns it into a failed Result. */
export class FwFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'FwFailure';
  }
}
