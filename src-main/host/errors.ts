// Typed failures of the host layer. Each carries what a person needs to act on
// it (fingerprints, the methods the server accepts, the command and its stderr)
// and a `kind` to switch on; `toPlain()` keeps all of it across IPC, where an
// Error would lose everything but its message.

export interface HopRef {
  /** what the user wrote or the alias (e.g. `bastion`) */
  name: string;
  host: string;
  port: number;
  user: string;
}

interface KnownKeyRef {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

type HostErrorKind =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'auth'
  | 'connect'
  | 'timeout'
  | 'connection-lost'
  | 'command'
  | 'privilege'
  | 'config';

export abstract class HostError extends Error {
  abstract readonly kind: HostErrorKind;
  toPlain(): Record<string, unknown> & { kind: HostErrorKind; message: string } {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
    return { ...out, kind: this.kind, message: this.message };
  }
}

function hopText(h: HopRef): string {
  return h.port === 22 ? h.host : `[${h.host}]:${h.port}`;
}

export class HostKeyUnknownError extends HostError {
  readonly kind = 'host-key-unknown';
  override name = 'HostKeyUnknownError';
  constructor(
    readonly hop: HopRef,
    readonly keyType: string,
    readonly fingerprint: string,
    /** key types the known_hosts files do list for this host (a different type than the server offered) */
    readonly otherKnownTypes: string[] = [],
    /** fingerprints the user said to trust (--trust), none of them this key's */
    readonly trustGiven: string[] = [],
  ) {
    super(
      `the host key of ${hopText(hop)} is not known: ${keyType} ${fingerprint}` +
        (otherKnownTypes.length ? ` (known_hosts has only ${otherKnownTypes.join(', ')} keys for it)` : '') +
        (trustGiven.length
          ? `, and it is not the ${trustGiven.join(' or ')} given with --trust (a mistyped fingerprint, or not the server you meant)`
          : '') +
        `. Check the fingerprint with the server's administrator (ssh-keygen -lf /etc/ssh/ssh_host_${shortType(keyType)}_key.pub), then trust it with --trust ${fingerprint}`,
    );
  }
}

export class HostKeyChangedError extends HostError {
  readonly kind = 'host-key-changed';
  override name = 'HostKeyChangedError';
  constructor(
    readonly hop: HopRef,
    readonly keyType: string,
    readonly fingerprint: string,
    readonly expected: KnownKeyRef[],
  ) {
    super(
      `HOST KEY CHANGED for ${hopText(hop)}: the server offered ${keyType} ${fingerprint}, but known_hosts has ` +
        expected.map((e) => `${e.keyType} ${e.fingerprint} (${e.file}:${e.line})`).join(', ') +
        '. Someone may be intercepting the connection, or the server was reinstalled. Refusing; if the change is expected, remove the old entry first (' +
        [...new Set(expected.map((e) => e.file))].map((f) => `ssh-keygen -R ${hop.port === 22 ? hop.host : `'[${hop.host}]:${hop.port}'`} -f ${f}`).join('; ') +
        ').',
    );
  }
}

export class HostKeyRevokedError extends HostError {
  readonly kind = 'host-key-revoked';
  override name = 'HostKeyRevokedError';
  constructor(
    readonly hop: HopRef,
    readonly keyType: string,
    readonly fingerprint: string,
    readonly where: { file: string; line: number },
  ) {
    super(`the host key of ${hopText(hop)} (${keyType} ${fingerprint}) is marked @revoked in ${where.file}:${where.line}; refusing`);
  }
}

export interface AuthAttempt {
  method: 'none' | 'publickey' | 'agent' | 'password' | 'keyboard-interactive';
  /** key file, agent socket, or nothing */
  detail?: string;
}

export class AuthError extends HostError {
  readonly kind = 'auth';
  override name = 'AuthError';
  constructor(
    readonly hop: HopRef,
    /** methods the server said can continue */
    readonly allowed: string[],
    readonly attempts: AuthAttempt[],
    /** things we could not try, and why (encrypted key without passphrase, no password given …) */
    readonly notTried: string[],
    detail?: string,
  ) {
    super(
      detail ??
        `permission denied for ${hop.user}@${hopText(hop)}` +
          (allowed.length ? ` (the server accepts: ${allowed.join(', ')})` : '') +
          `; tried: ${attempts.length ? attempts.map((a) => a.method + (a.detail ? ` ${a.detail}` : '')).join('; ') : 'nothing'}` +
          (notTried.length ? `; not tried: ${notTried.join('; ')}` : ''),
    );
  }
}

export class ConnectError extends HostError {
  readonly kind = 'connect';
  override name = 'ConnectError';
  constructor(
    readonly hop: HopRef,
    /** errno code (ECONNREFUSED, EHOSTUNREACH, ENOTFOUND …) or an ssh2 level */
    readonly code: string,
    reason: string,
  ) {
    super(`cannot connect to ${hop.user}@${hopText(hop)}: ${reason}`);
  }
}

export class TimeoutError extends HostError {
  readonly kind = 'timeout';
  override name = 'TimeoutError';
  constructor(
    readonly phase: 'connect' | 'command' | 'keepalive',
    readonly ms: number,
    readonly hop?: HopRef,
    readonly command?: string,
  ) {
    super(
      phase === 'connect'
        ? `no SSH session with ${hop ? hopText(hop) : 'the host'} within ${ms / 1000} s (unreachable, filtered, or authentication waiting)`
        : phase === 'keepalive'
          ? `the connection to ${hop ? hopText(hop) : 'the host'} stopped answering keepalives`
          : `the remote command did not finish within ${ms / 1000} s: ${command}`,
    );
  }
}

export class ConnectionLostError extends HostError {
  readonly kind = 'connection-lost';
  override name = 'ConnectionLostError';
  constructor(
    readonly hop: HopRef,
    reason: string,
  ) {
    super(`the connection to ${hopText(hop)} was lost: ${reason}`);
  }
}

export class CommandError extends HostError {
  readonly kind = 'command';
  override name = 'CommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    readonly stdout: string,
    what?: string,
  ) {
    super(
      `${what ?? `remote command failed: ${command}`} (${signal ? `signal ${signal}` : `exit ${exitCode}`})` +
        (stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''),
    );
  }
}

export class PrivilegeError extends HostError {
  readonly kind = 'privilege';
  override name = 'PrivilegeError';
  constructor(
    readonly reason: 'no-sudo' | 'sudo-needs-password' | 'sudo-wrong-password' | 'sudo-refused' | 'needs-root',
    message: string,
    readonly stderr = '',
  ) {
    super(message);
  }
}

export class ConfigError extends HostError {
  readonly kind = 'config';
  override name = 'ConfigError';
  constructor(message: string) {
    super(message);
  }
}

export type AnyHostError =
  | HostKeyUnknownError
  | HostKeyChangedError
  | HostKeyRevokedError
  | AuthError
  | ConnectError
  | TimeoutError
  | ConnectionLostError
  | CommandError
  | PrivilegeError
  | ConfigError;

export function isHostError(e: unknown): e is AnyHostError {
  return e instanceof HostError;
}

function shortType(t: string): string {
  if (t.includes('ed25519')) return 'ed25519';
  if (t.startsWith('ecdsa')) return 'ecdsa';
  if (t.includes('rsa')) return 'rsa';
  return 'dsa';
}
