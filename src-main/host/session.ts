// An SSH session to a host over its route (jump hosts included), with verified
// host keys, the privilege the session can use, and remote commands whose
// payloads travel on stdin. This is what `facts`, `pull` and later `apply` use.
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2';
import { loadIdentities, planAuth, type AuthPlan, type Credentials } from './auth.js';
import {
  AuthError,
  CommandError,
  ConnectError,
  ConnectionLostError,
  HostError,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  PrivilegeError,
  TimeoutError,
  type HopRef,
} from './errors.js';
import {
  appendKnownHost,
  knownHostsAddress,
  checkHostKey,
  fingerprintSha256,
  keyTypeOfBlob,
  loadKnownHosts,
  preferredHostKeyAlgorithms,
  type KnownHostEntry,
} from './known-hosts.js';
import { resolveRoute, type ResolvedHop, type Route, type RouteOptions } from './target.js';
import type { Privilege } from './privilege.js';
import type { SudoState } from '../contract/facts.js';
import type { ExecOptions, ExecResult, ProbeResult } from './session-port.js';
import { gatherFacts, type HostFacts } from './facts.js';
import { pullRulesets, type PullOptions, type PullResult } from './pull.js';

export type { Privilege, PrivilegeName } from './privilege.js';
export type { ExecOptions, ExecResult, ProbeResult } from './session-port.js';
export { privilegeName } from './privilege.js';

type UnknownHostKeyAnswer = 'reject' | 'accept-once' | 'accept-and-save';

export interface HostKeyQuestion {
  hop: HopRef;
  keyType: string;
  fingerprint: string;
  otherKnownTypes: string[];
}

/** A hop's identity for credentials: `user@host:port`. A secret given or kept for one never goes to another. */
export function hopKey(h: { user: string; host: string; port: number }): string {
  return `${h.user}@${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

/**
 * `password` (and `askPassword`'s answers) belong to the hop they were given
 * or asked for: `password` is the TARGET's login password only; a jump host's
 * comes from `hopPassword` or is asked for by name (askPassword gets the hop).
 */
export interface SessionOptions extends RouteOptions, Credentials {
  /** a password given ahead for one hop (jump hosts included); never offered to any other hop */
  hopPassword?: (hop: HopRef) => string | undefined;
  /**
   * The server closed the connection while a person was still deciding about
   * its host key (sshd's LoginGraceTime): the question stays open, and an
   * accepted key is saved and connected with again.
   */
  onHostKeyWaitEnded?: (q: HostKeyQuestion) => void;
  /**
   * Fingerprints (SHA256:…) the user vouched for: an unknown key with one of
   * them is accepted (and saved to known_hosts unless saveTrusted is false).
   * A CHANGED key is never accepted this way.
   */
  trust?: string[];
  saveTrusted?: boolean;
  /** the app's prompt for an unknown key; without it unknown keys are refused */
  onUnknownHostKey?: (q: HostKeyQuestion) => Promise<UnknownHostKeyAnswer>;
  /** sudo password; defaults to `password` */
  sudoPassword?: string;
  /**
   * 'auto' (default): use root, or sudo without a password, or sudo with the
   * given password, whichever works; true: the same, but fail when none does;
   * false: never escalate.
   */
  sudo?: boolean | 'auto';
  /** per hop, for TCP connect + handshake + authentication (time spent in prompts excluded) */
  timeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  log?: (line: string) => void;
}

interface VerifiedHostKey {
  hop: HopRef;
  keyType: string;
  fingerprint: string;
  trustedBy: 'known-hosts' | 'fingerprint' | 'prompt';
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_MS = 15_000;

/** POSIX single-quoting, for our own fixed command strings only (never for user or host text). */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SUDO_MARK = 'pcl-sudo-ok';
// After sudo has read the password line, the next line must be our marker; if
// sudo did not read a password (a NOPASSWD rule matched after all) the password
// line arrives here instead and is dropped, never run.
const SUDO_NO_PASSWORD_READ = 'portcullis: sudo did not read the password line';
const SUDO_PW_WRAPPER = `IFS= read -r pcl_m; [ "$pcl_m" = ${SUDO_MARK} ] || { echo "${SUDO_NO_PASSWORD_READ}" >&2; exit 97; }; exec sh -c "$0"`;

function hopRef(h: ResolvedHop): HopRef {
  return { name: h.name, host: h.host, port: h.port, user: h.user };
}

/** A timer that stops while a person is being asked something. */
class PausableDeadline {
  private remaining: number;
  private started = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = 0;
  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
    this.resume();
  }
  private resume() {
    if (this.remaining <= 0) return;
    this.started = Date.now();
    this.timer = setTimeout(this.onExpire, this.remaining);
  }
  async during<T>(p: Promise<T>): Promise<T> {
    if (this.paused++ === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining -= Date.now() - this.started;
    }
    try {
      return await p;
    } finally {
      if (--this.paused === 0) this.resume();
    }
  }
  clear() {
    if (this.timer) clearTimeout(this.timer);
    this.remaining = 0;
  }
}

function socketReason(code: string | undefined, msg: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is sshd listening on that port?)';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host name';
    case 'ECONNRESET':
      return 'connection reset by the server (or a firewall)';
    default:
      return msg;
  }
}

interface HopConnection {
  client: SshClient;
  hop: ResolvedHop;
  key: VerifiedHostKey;
  /** the password this hop accepted, if one was used (asked or given) */
  password?: string;
}

/**
 * The server went away while the host-key question was open, and the person
 * then accepted the key: connect again with it (openRoute does). Never leaves
 * the host layer.
 */
class LateHostKeyAcceptance extends Error {
  constructor(
    readonly hop: HopRef,
    readonly fingerprint: string,
  ) {
    super(`${hop.name} stopped waiting for the host-key answer`);
  }
}

/** Likewise for a password typed after the server stopped waiting: connect again and offer it. */
class LatePassword extends Error {
  constructor(
    readonly hop: HopRef,
    readonly password: string,
  ) {
    super(`${hop.name} stopped waiting for the password`);
  }
}

/** The password this hop may be offered: its own, never another hop's. */
function passwordForHop(hop: ResolvedHop, isTarget: boolean, opts: SessionOptions, knownPassword: string | undefined): string | undefined {
  return knownPassword ?? opts.hopPassword?.(hopRef(hop)) ?? (isTarget ? opts.password : undefined);
}

/** What one connection attempt to a hop knows while it runs (shared by its ssh2 callbacks). */
interface HopAttempt {
  hop: ResolvedHop;
  ref: HopRef;
  opts: SessionOptions;
  deadline: PausableDeadline;
  /** the error to report when ssh2 ends the connection after we refused its key */
  failure?: HostError;
  verified?: VerifiedHostKey;
  settled: boolean;
  /** the transport closed: ssh2 must never get a verify answer after this (it throws from inside its kex) */
  gone: boolean;
  /** a host-key question a person has not answered yet */
  openQuestion?: { question: HostKeyQuestion; answered: Promise<UnknownHostKeyAnswer> };
}

/** ssh2's hostVerifier for one attempt: known_hosts, --trust, or the person's answer. */
function hostVerifierFor(st: HopAttempt, entries: KnownHostEntry[], lookupHost: string) {
  const { hop, ref, opts } = st;
  return (key: Buffer, sshVerify: (ok: boolean) => void): void => {
    const verify = (ok: boolean) => {
      if (st.gone || st.settled) return;
      try {
        sshVerify(ok);
      } catch (e) {
        opts.log?.(`${hop.name}: the host-key answer came after the connection ended (${(e as Error).message})`);
      }
    };
    const keyType = keyTypeOfBlob(key);
    const fingerprint = fingerprintSha256(key);
    const verdict = checkHostKey(entries, lookupHost, hop.port, key);
    switch (verdict.kind) {
      case 'trusted':
        st.verified = { hop: ref, keyType, fingerprint, trustedBy: 'known-hosts' };
        return verify(true);
      case 'revoked':
        st.failure = new HostKeyRevokedError(ref, keyType, fingerprint, { file: verdict.entry.file, line: verdict.entry.line });
        return verify(false);
      case 'changed':
        st.failure = new HostKeyChangedError(
          ref,
          keyType,
          fingerprint,
          verdict.expected.map((e) => ({ keyType: e.keyType, fingerprint: fingerprintSha256(e.key), file: e.file, line: e.line })),
        );
        return verify(false);
      case 'unknown': {
        const save = () => {
          const file = hop.knownHostsFiles[0];
          if (!file) return;
          try {
            appendKnownHost(file, lookupHost, hop.port, key);
            opts.log?.(`added ${lookupHost} (${keyType} ${fingerprint}) to ${file}`);
          } catch (e) {
            opts.log?.(`could not add the host key to ${file}: ${(e as Error).message}`);
          }
        };
        if (opts.trust?.includes(fingerprint)) {
          st.verified = { hop: ref, keyType, fingerprint, trustedBy: 'fingerprint' };
          if (opts.saveTrusted !== false) save();
          return verify(true);
        }
        if (opts.onUnknownHostKey) {
          const question: HostKeyQuestion = { hop: ref, keyType, fingerprint, otherKnownTypes: verdict.otherTypes };
          const answered = st.deadline.during(opts.onUnknownHostKey(question)).catch((): UnknownHostKeyAnswer => 'reject');
          st.openQuestion = { question, answered };
          void answered.then((answer) => {
            // the decision stands even when the server stopped waiting: an accepted key is saved
            if (answer === 'accept-and-save') save();
            if (st.gone) return; // the close handler takes it from here (connect again)
            st.openQuestion = undefined;
            if (answer === 'reject') {
              st.failure = new HostKeyUnknownError(ref, keyType, fingerprint, verdict.otherTypes);
              return verify(false);
            }
            st.verified = { hop: ref, keyType, fingerprint, trustedBy: 'prompt' };
            verify(true);
          });
          return;
        }
        st.failure = new HostKeyUnknownError(ref, keyType, fingerprint, verdict.otherTypes, opts.trust ?? []);
        return verify(false);
      }
    }
  };
}

/**
 * The connection is gone. If a person is still answering (a host key, a
 * password), wait for the answer and end the attempt so that openRoute
 * connects again with it; true when that is what happens.
 */
function waitForLateAnswer(st: HopAttempt, auth: AuthPlan, fail: (e: Error) => void): boolean {
  st.gone = true;
  if (st.settled) return false;
  const typing = auth.pendingPassword();
  if (typing && !st.openQuestion) {
    // the password is for this hop only: connect again and offer it there
    void typing.then((pw) => fail(pw === undefined ? new AuthError(st.ref, auth.allowed(), auth.attempts, auth.notTried) : new LatePassword(st.ref, pw)));
    return true;
  }
  const q = st.openQuestion;
  if (!q) return false;
  st.openQuestion = undefined;
  st.opts.onHostKeyWaitEnded?.(q.question);
  void q.answered.then((answer) =>
    fail(
      answer === 'reject'
        ? new HostKeyUnknownError(st.ref, q.question.keyType, q.question.fingerprint, q.question.otherKnownTypes)
        : new LateHostKeyAcceptance(st.ref, q.question.fingerprint),
    ),
  );
  return true;
}

/** ssh2's error event during connect, as our error (the refused host key's own when there is one). */
function connectFailure(st: HopAttempt, auth: AuthPlan, err: Error & { level?: string; code?: string }, timeoutMs: number): HostError {
  if (st.failure) return st.failure;
  const ref = st.ref;
  if (err.level === 'client-authentication') return new AuthError(ref, auth.allowed(), auth.attempts, auth.notTried);
  if (err.level === 'client-timeout') return new TimeoutError(/keepalive/i.test(err.message) ? 'keepalive' : 'connect', timeoutMs, ref);
  if (err.level === 'client-socket' || err.level === 'client-dns') return new ConnectError(ref, err.code ?? err.level, socketReason(err.code, err.message));
  return new ConnectError(ref, err.level ?? 'protocol', err.message);
}

async function connectHop(
  hop: ResolvedHop,
  sock: Duplex | undefined,
  opts: SessionOptions,
  explicitIdentities: Set<string>,
  isTarget: boolean,
  knownPassword?: string,
): Promise<HopConnection> {
  const ref = hopRef(hop);
  const kh = loadKnownHosts(hop.knownHostsFiles);
  for (const s of kh.skipped) opts.log?.(`known_hosts ${s.file}:${s.line}: ${s.reason}`);
  const lookupHost = hop.hostKeyAlias ?? knownHostsAddress(hop.host);
  const timeoutMs = opts.timeoutMs ?? hop.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  return new Promise<HopConnection>((resolve, reject) => {
    const client = new ssh2.Client();
    const fail = (e: Error) => {
      if (st.settled) return;
      st.settled = true;
      st.deadline.clear();
      client.removeAllListeners('ready');
      client.on('error', () => {});
      client.end();
      reject(e);
    };
    const st: HopAttempt = {
      hop,
      ref,
      opts,
      settled: false,
      gone: false,
      deadline: new PausableDeadline(timeoutMs, () => {
        // destroy first: end() on a socket still connecting only half-closes it, and
        // the pending connect (ARP, SYN retries) then holds the process for seconds
        client.destroy();
        fail(new TimeoutError('connect', timeoutMs, ref));
      }),
    };

    loadIdentities(hop, opts, explicitIdentities, (p) => st.deadline.during(p)).then(
      (keys) => {
        if (st.settled) return;
        // a copy per hop: a password given or asked for one hop must never be sent to another
        const creds: Credentials = { ...opts, password: passwordForHop(hop, isTarget, opts, knownPassword) };
        const auth = planAuth(hop, keys, creds, (p) => st.deadline.during(p), () => !st.gone && !st.settled);
        client.on('ready', () => {
          if (st.settled) return;
          st.settled = true;
          st.deadline.clear();
          resolve({ client, hop, key: st.verified!, password: creds.password });
        });
        client.on('error', (err: Error & { level?: string; code?: string }) => {
          if (err.level !== 'client-authentication' && waitForLateAnswer(st, auth, fail)) return;
          fail(connectFailure(st, auth, err, timeoutMs));
        });
        client.on('close', () => {
          if (waitForLateAnswer(st, auth, fail)) return;
          fail(st.failure ?? new ConnectError(ref, 'closed', 'the connection closed before the SSH session was ready (not an SSH server, or it dropped us)'));
        });
        try {
          client.connect(connectConfig(st, sock, kh.entries, lookupHost, auth));
          // Our requests are small writes that wait for replies: with Nagle on,
          // each exec stalled ~40 ms on a delayed ACK (measured in the lab).
          client.setNoDelay(true);
        } catch (e) {
          fail(new ConnectError(ref, 'config', (e as Error).message));
        }
      },
      (e: unknown) => fail(e instanceof HostError ? e : new ConnectError(ref, 'config', String(e))),
    );
  });
}

/** ssh2's connect options for a hop: our host-key check and algorithms, our auth sequence, our keepalive. */
function connectConfig(st: HopAttempt, sock: Duplex | undefined, known: KnownHostEntry[], lookupHost: string, auth: AuthPlan): ConnectConfig {
  const { hop, opts } = st;
  return {
    host: hop.host,
    port: hop.port,
    sock,
    username: hop.user,
    readyTimeout: 0, // ours pauses during prompts; ssh2's would not
    keepaliveInterval: opts.keepaliveIntervalMs ?? hop.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: opts.keepaliveCountMax ?? hop.keepaliveCountMax ?? 3,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(known, lookupHost, hop.port) as never },
    hostVerifier: hostVerifierFor(st, known, lookupHost),
    authHandler: auth.handler as never,
    tryKeyboard: true,
  };
}

function forwardTo(via: SshClient, hop: ResolvedHop, viaHop: ResolvedHop, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    // the jump host's own TCP connect can hang for minutes on a filtered address
    const timer = setTimeout(() => reject(new TimeoutError('connect', timeoutMs, hopRef(hop))), timeoutMs);
    via.forwardOut('127.0.0.1', 0, hop.host, hop.port, (err, stream) => {
      clearTimeout(timer);
      if (err)
        return reject(
          new ConnectError(hopRef(hop), 'jump', `${viaHop.name} could not open a connection to ${hop.host}:${hop.port}: ${err.message}`),
        );
      resolve(stream);
    });
  });
}

// One fixed script at session start: who we are, where the server sees us
// from, and whether sudo works without a password (only asked when not root).
// Sent to `sh -s` so the login shell only has to start sh, whatever it is.
const PROBE = `p() { printf 'pcl-probe %s %s\\n' "$1" "$2"; }
p uid "$(id -u)"; p user "$(id -un)"; p conn "$SSH_CONNECTION"
if [ "$(id -u)" = 0 ]; then p sudo not-tried
elif command -v sudo >/dev/null 2>&1; then if sudo -n true >/dev/null 2>&1; then p sudo nopasswd; else p sudo needs-password
  # a user with no sudo rule at all: sudo -v says so without asking for a password
  case $(sudo -n -v 2>&1) in *'may not run sudo'*) p sudodenied yes;; esac; fi
else p sudo absent; fi`;

/** Reads the probe's tagged lines; anything else (a chatty .bashrc) is ignored. */
export function parseProbe(text: string): ProbeResult {
  const v: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^pcl-probe (\w+) ?(.*)$/.exec(line);
    if (m) v[m[1]] = m[2].trim();
  }
  if (v.uid === undefined || !/^\d+$/.test(v.uid)) throw new Error(`unexpected probe output: ${text.slice(0, 200)}`);
  const [ca, cp, sa] = (v.conn ?? '').split(/\s+/);
  const sudo = v.sudo ?? 'absent';
  return {
    uid: Number(v.uid),
    user: v.user ?? '',
    clientAddress: ca || undefined,
    clientPort: cp ? Number(cp) : undefined,
    serverAddress: sa || undefined,
    sudo: (['absent', 'nopasswd', 'needs-password', 'not-tried'].includes(sudo) ? sudo : 'absent') as ProbeResult['sudo'],
    ...(v.sudodenied === 'yes' ? { sudoDenied: true } : {}),
  };
}

export class HostSession {
  private lost: HostError | undefined;
  private readonly pending = new Set<(e: HostError) => void>();
  private closedFlag = false;
  /** set by openSession after the probe */
  privilege: Privilege = { kind: 'none', reason: 'not probed' };
  probe!: ProbeResult;

  constructor(
    readonly route: Route,
    private readonly conns: HopConnection[],
    private readonly options: SessionOptions,
  ) {
    const last = conns[conns.length - 1];
    const onGone = (reason: string) => {
      if (this.closedFlag) return;
      this.lost ??= new ConnectionLostError(hopRef(last.hop), reason);
      for (const r of this.pending) r(this.lost);
      this.pending.clear();
    };
    for (const c of conns) {
      c.client.on('error', (e: Error & { level?: string }) =>
        onGone(e.level === 'client-timeout' ? `${c.hop.name} stopped answering keepalives` : `${c.hop.name}: ${e.message}`),
      );
      c.client.on('close', () => onGone(`${c.hop.name} closed the connection`));
    }
  }

  get target(): ResolvedHop {
    return this.conns[this.conns.length - 1].hop;
  }
  /** host keys of every hop, jump hosts first */
  get hostKeys(): VerifiedHostKey[] {
    return this.conns.map((c) => c.key);
  }
  get hostKeyFingerprint(): string {
    return this.conns[this.conns.length - 1].key.fingerprint;
  }
  /** the address the target sees this session coming from (through jump hosts: the last jump host's) */
  get clientAddress(): string | undefined {
    return this.probe?.clientAddress;
  }
  get closed(): boolean {
    return this.closedFlag || !!this.lost;
  }

  /**
   * Runs a FIXED command string. Anything variable (rulesets, file contents,
   * passwords) goes in `stdin`, never into `cmd`.
   */
  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (!opts.sudo) return this.rawExec(cmd, opts.stdin, opts.timeoutMs);
    const p = this.privilege;
    switch (p.kind) {
      case 'root':
        return this.rawExec(cmd, opts.stdin, opts.timeoutMs);
      case 'none':
        return Promise.reject(
          new PrivilegeError('needs-root', `this needs root on ${this.target.name}, and the session has no privilege: ${p.reason}`),
        );
      case 'sudo':
        if (!p.password) return this.rawExec(`sudo -n -- sh -c ${shQuote(cmd)}`, opts.stdin, opts.timeoutMs).then(checkSudo);
        return this.sudoWithPassword(cmd, opts);
    }
  }

  private async sudoWithPassword(cmd: string, opts: ExecOptions): Promise<ExecResult> {
    const r = await this.rawExec(
      `sudo -S -k -p '' -- sh -c ${shQuote(SUDO_PW_WRAPPER)} ${shQuote(cmd)}`,
      Buffer.concat([Buffer.from(`${this.sudoPassword() ?? ''}\n${SUDO_MARK}\n`), Buffer.from(opts.stdin ?? '')]),
      opts.timeoutMs,
    );
    if (r.code === 97 && r.stderr.includes(SUDO_NO_PASSWORD_READ)) {
      // sudoers lets this user run sh without a password (and the wrapper dropped
      // the unread password line). Every command we run is `sh -c`, so from now
      // on the session uses sudo -n.
      this.options.log?.('sudo runs sh without a password here; switching to sudo -n');
      this.privilege = { kind: 'sudo', password: false };
      return this.rawExec(`sudo -n -- sh -c ${shQuote(cmd)}`, opts.stdin, opts.timeoutMs).then(checkSudo);
    }
    return checkSudo(r);
  }

  /** exec, throwing CommandError unless the exit status is 0 */
  async run(cmd: string, opts: ExecOptions & { what?: string } = {}): Promise<ExecResult> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) throw new CommandError(cmd, r.code, r.signal, r.stderr, r.stdout, opts.what);
    return r;
  }

  /** the sudo password: given, else the one the target accepted at login (asked once) */
  sudoPassword(): string | undefined {
    return this.options.sudoPassword ?? this.conns[this.conns.length - 1].password ?? this.askedSudoPassword;
  }
  /** set by resolvePrivilege when it had to ask */
  askedSudoPassword: string | undefined;

  rawExec(cmd: string, stdin?: string | Buffer, timeoutMs?: number): Promise<ExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closedFlag) return Promise.reject(new ConnectionLostError(hopRef(this.target), 'session closed'));
    const client = this.conns[this.conns.length - 1].client;
    return new Promise<ExecResult>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let channel: ClientChannel | undefined;
      const finish = (e: HostError | undefined, r?: ExecResult) => {
        if (done) return;
        done = true;
        this.pending.delete(onLost);
        if (timer) clearTimeout(timer);
        if (e) reject(e);
        else resolve(r!);
      };
      const onLost = (e: HostError) => finish(e);
      this.pending.add(onLost);
      if (timeoutMs)
        timer = setTimeout(() => {
          channel?.close();
          finish(new TimeoutError('command', timeoutMs, hopRef(this.target), cmd));
        }, timeoutMs);
      client.exec(cmd, (err, ch) => {
        if (err) return finish(new ConnectionLostError(hopRef(this.target), `cannot start a command: ${err.message}`));
        channel = ch;
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let code: number | null = null;
        let signal: string | null = null;
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => errb.push(b));
        ch.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig ?? null;
        });
        ch.on('close', () => {
          const stdoutBytes = Buffer.concat(out);
          finish(undefined, {
            command: cmd,
            code,
            signal,
            stdoutBytes,
            stdout: stdoutBytes.toString('utf8'),
            stderr: Buffer.concat(errb).toString('utf8'),
          });
        });
        ch.on('error', () => {});
        ch.end(stdin ?? '');
      });
    });
  }

  /** Host facts in one round trip (see facts.ts). */
  facts(): Promise<HostFacts> {
    return gatherFacts(this);
  }

  /** The saved files and running rules (IPv4 and IPv6) with their hashes, in one round trip (see pull.ts). */
  pull(opts: PullOptions = {}): Promise<PullResult> {
    return pullRulesets(this, opts);
  }

  /** A NEW connection over the same route (every hop reconnected), same credentials and trust. */
  async reopen(): Promise<HostSession> {
    const trust = [...new Set([...(this.options.trust ?? []), ...this.hostKeys.filter((k) => k.trustedBy !== 'known-hosts').map((k) => k.fingerprint)])];
    // passwords a person typed are reused: the new connection must not wait on a prompt
    const opts = { ...this.options, trust, saveTrusted: false, sudoPassword: this.options.sudoPassword ?? this.askedSudoPassword };
    return openRoute(this.route, opts, this.conns.map((c) => c.password));
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const c of [...this.conns].reverse()) c.client.end();
  }
}

function checkSudo(r: ExecResult): ExecResult {
  if (r.code === 1 && /incorrect password|a password is required|not in the sudoers|may not run sudo|you must have a tty/.test(r.stderr)) {
    const tty = /must have a tty/.test(r.stderr);
    throw new PrivilegeError(
      tty ? 'sudo-refused' : /incorrect password/.test(r.stderr) ? 'sudo-wrong-password' : 'sudo-refused',
      tty ? 'sudo requires a tty on this host (Defaults requiretty); remove it or log in as root' : `sudo refused: ${r.stderr.trim()}`,
      r.stderr,
    );
  }
  return r;
}

async function resolvePrivilege(s: HostSession, opts: SessionOptions): Promise<Privilege> {
  const p = s.probe;
  const want = opts.sudo ?? 'auto';
  if (p.uid === 0) return { kind: 'root' };
  if (want === false) return { kind: 'none', reason: `logged in as ${p.user} and sudo is off` };
  let result: Privilege;
  if (p.sudo === 'nopasswd') result = { kind: 'sudo', password: false };
  else if (p.sudo === 'absent') result = { kind: 'none', reason: `logged in as ${p.user}; sudo is not installed` };
  else {
    let pw = s.sudoPassword();
    if (pw === undefined && want === true && opts.askPassword) {
      pw = await opts.askPassword(`[sudo] password for ${p.user}@${s.target.name}: `, hopRef(s.target));
      s.askedSudoPassword = pw;
    }
    if (pw === undefined)
      result = {
        kind: 'none',
        reason: p.sudoDenied
          ? `logged in as ${p.user}; sudo may not be allowed for ${p.user} on this host (sudo: "may not run sudo")`
          : `logged in as ${p.user}; sudo needs a password and none was given`,
      };
    else {
      // checked once here, with stdin closed after the password, so a wrong one fails fast
      const r = await s.rawExec(`sudo -S -k -p '' true`, `${pw}\n`, 30_000);
      if (r.code === 0) result = { kind: 'sudo', password: true };
      else if (/incorrect password|Sorry, try again/.test(r.stderr)) {
        if (want === true) throw new PrivilegeError('sudo-wrong-password', `sudo on ${s.target.name} did not accept the password`, r.stderr);
        result = { kind: 'none', reason: 'sudo did not accept the password' };
      } else result = { kind: 'none', reason: `sudo refused ${p.user}: ${r.stderr.trim().split('\n').pop()}` };
    }
  }
  if (want === true && result.kind === 'none') {
    throw new PrivilegeError(
      p.sudoDenied || !result.reason.includes('password') ? 'no-sudo' : 'sudo-needs-password',
      `cannot get root on ${s.target.name}: ${result.reason}`,
    );
  }
  return result;
}

async function openRoute(route: Route, opts: SessionOptions, knownPasswords: (string | undefined)[] = []): Promise<HostSession> {
  const conns: HopConnection[] = [];
  const explicit = new Set(opts.identityFiles ?? []);
  try {
    for (const [i, hop] of route.hops.entries()) conns.push(await connectHopOnRoute(route, i, conns, opts, explicit, knownPasswords[i]));
  } catch (e) {
    for (const c of conns.reverse()) c.client.end();
    throw e;
  }
  const s = new HostSession(route, conns, opts);
  try {
    const r = await s.rawExec('sh -s', PROBE + '\n', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      s.probe = parseProbe(r.stdout);
    } catch {
      throw new CommandError('sh -s (session probe)', r.code, r.signal, r.stderr, r.stdout, `logged in to ${route.hops[route.hops.length - 1].name}, but a POSIX sh did not run there`);
    }
    s.privilege = await resolvePrivilege(s, opts);
  } catch (e) {
    await s.close();
    throw e;
  }
  return s;
}

/**
 * One hop, through the hops before it. When its server stopped waiting while a
 * person decided about its key and the key was then accepted, the hop is
 * connected again with that key (already saved if the person chose to).
 */
async function connectHopOnRoute(
  route: Route,
  i: number,
  before: HopConnection[],
  opts: SessionOptions,
  explicit: Set<string>,
  knownPassword: string | undefined,
): Promise<HopConnection> {
  const hop = route.hops[i];
  let hopOpts = opts;
  let password = knownPassword;
  for (let attempt = 0; ; attempt++) {
    const prev = before[before.length - 1];
    const sock = prev ? await forwardTo(prev.client, hop, prev.hop, opts.timeoutMs ?? hop.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS) : undefined;
    try {
      return await connectHop(hop, sock, hopOpts, explicit, i === route.hops.length - 1, password);
    } catch (e) {
      const late = e instanceof LateHostKeyAcceptance || e instanceof LatePassword;
      if (!late || attempt >= 3) throw late ? new ConnectError(e.hop, 'closed', e.message) : e;
      if (e instanceof LateHostKeyAcceptance) {
        opts.log?.(`${hop.name} closed the connection while its host key was being checked; the key was accepted, connecting again`);
        hopOpts = { ...hopOpts, trust: [...(hopOpts.trust ?? []), e.fingerprint], saveTrusted: false };
      } else {
        opts.log?.(`${hop.name} closed the connection while its password was being typed; connecting again with it`);
        password = e.password;
      }
    }
  }
}

/** Connects to `target` (`[user@]host[:port]` or an ssh config alias) and probes it. */
export async function openSession(target: string | Route, options: SessionOptions = {}): Promise<HostSession> {
  const route = typeof target === 'string' ? resolveRoute(target, options) : target;
  for (const w of route.warnings) options.log?.(w);
  return openRoute(route, options);
}
