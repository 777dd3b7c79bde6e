// What facts and pull need of a session, as a narrow interface: they take any
// object that runs a command and knows its target, privilege and host keys.
// HostSession (session.ts) is one; keeping this apart breaks the cycle
// session -> facts/pull -> session, and lets facts and pull be driven by a
// recorded session in tests.
import type { SudoState } from '../contract/facts.js';
import type { Privilege } from './privilege.js';

export interface ExecOptions {
  /** written to the command's stdin, then closed */
  stdin?: string | Buffer;
  /** run with the session's privilege (root or sudo); fails if there is none */
  sudo?: boolean;
  timeoutMs?: number;
}

export interface ExecResult {
  command: string;
  code: number | null;
  signal: string | null;
  stdoutBytes: Buffer;
  stdout: string;
  stderr: string;
}

export interface ProbeResult {
  uid: number;
  user: string;
  clientAddress?: string;
  clientPort?: number;
  serverAddress?: string;
  sudo: SudoState;
  /** sudo said this user may not run sudo on the host at all (sudo -n -v) */
  sudoDenied?: boolean;
}

/** the part of a HostSession that facts and pull use */
export interface CommandSession {
  readonly target: { readonly name: string };
  readonly privilege: Privilege;
  readonly probe: ProbeResult;
  /** every hop's verified host key, jump hosts first: the last is the target's */
  readonly hostKeys: readonly { readonly keyType: string; readonly fingerprint: string }[];
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
}
