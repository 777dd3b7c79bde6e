// The product's main workflow on the main side: connect to a saved host
// (strict host keys, prompts for unknown keys and passwords), read its facts,
// pull its saved and running rules, and run safe applies with the admin
// deciding keep-or-revert. The renderer drives it through the contract and
// hears back through events; nothing here knows about windows or Electron.
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  FwFailure,
  type ApplyRequest,
  type ApplyResultDto,
  type AuditEntryDto,
  type HostVersionDto,
  type FwEvent,
  type HopDto,
  type HostConnectionInfo,
  type HostFacts,
  type HostProfile,
  type HostProfileInput,
  type FieldProblems,
  type PromptAnswer,
  type PullDto,
} from '../contract/index.js';
import { confirmMargin, messageText, msg, type ApplyResult, type AuditRecord, type Message } from '../core/apply/index.js';
import {
  hopKey,
  isHostError,
  lockoutInputsOf,
  normalizeLiveRules,
  openSession as realOpenSession,
  resolveRoute,
  type AnyHostError,
  type HostSession,
  type PullResult,
  type Route,
  type SessionOptions,
} from '../host/index.js';
import { runApply as realRunApply, type ApplyOptions, type MachineRunner } from '../apply/index.js';
import { appendHistory, readHistory } from './history.js';
import { HostVersions } from './host-versions.js';
import type { HostProfiles } from './host-profiles.js';
import { PromptBroker } from './prompts.js';
import { ProfileFiles } from './profile-files.js';
import { secretKey, type SecretStore } from './secrets.js';

interface WorkbenchDeps {
  profiles: HostProfiles;
  secrets: SecretStore;
  emit: (e: FwEvent) => void;
  prompts?: PromptBroker;
  /** ~/.ssh/config by default; null: none */
  sshConfigPath?: string | null;
  /** where the apply history lives (PORTCULLIS_STATE_DIR …); default process.env */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** seams for tests */
  openSession?: typeof realOpenSession;
  runApply?: (o: ApplyOptions) => Promise<ApplyResult>;
  /** where each apply's state machine steps (the app: a worker thread, so a large ruleset never holds the main process) */
  applyMachine?: () => MachineRunner;
  log?: (m: string) => void;
  /** the kept versions of each host's rules; default: under the state directory of `env` */
  versions?: HostVersions;
}

interface Connection {
  profile: HostProfile;
  session: HostSession;
  info: HostConnectionInfo;
  /** what a person typed (or the keychain gave) while connecting, per hop (`user@host:port`): reused by applies so they do not ask again */
  logins: Map<string, string>;
  sudo?: string;
  passphrases: Map<string, string>;
}

interface RunningApply {
  hostId: string;
  answer?: (keep: boolean) => void;
}

const hopDto = (h: { name: string; host: string; port: number; user: string }): HopDto => ({ name: h.name, host: h.host, port: h.port, user: h.user });

/** A host error as a failure the renderer can act on (host keys with their fingerprints). */
export function hostFailure(e: AnyHostError, note = ''): FwFailure {
  const msg = e.message + note;
  switch (e.kind) {
    case 'host-key-unknown':
      return new FwFailure('host-key', msg, { kind: 'host-key-unknown', offered: { hop: hopDto(e.hop), keyType: e.keyType, fingerprint: e.fingerprint } });
    case 'host-key-changed':
      return new FwFailure('host-key', msg, {
        kind: 'host-key-changed',
        offered: { hop: hopDto(e.hop), keyType: e.keyType, fingerprint: e.fingerprint },
        expected: e.expected.map((k) => ({ ...k })),
      });
    case 'host-key-revoked':
      return new FwFailure('host-key', msg, {
        kind: 'host-key-revoked',
        offered: { hop: hopDto(e.hop), keyType: e.keyType, fingerprint: e.fingerprint },
        file: e.where.file,
        line: e.where.line,
      });
    case 'auth':
      return new FwFailure('auth', note ? msg : msg + authAdvice(e));
    case 'connect':
      return new FwFailure('connect', msg + connectAdvice(e.code));
    case 'timeout':
    case 'connection-lost':
    case 'config':
      return new FwFailure('connect', msg);
    case 'privilege':
      return new FwFailure('privilege', msg);
    case 'command':
      return new FwFailure('host', msg);
  }
}

/** What to do next after a refused login, from what was tried (the host layer's message says what happened). */
function authAdvice(e: { attempts: readonly { method: string }[]; allowed: readonly string[]; hop: { user: string } }): string {
  const tried = new Set(e.attempts.map((a) => a.method));
  if (tried.has('password') || tried.has('keyboard-interactive')) return '. The password was not accepted: connect again to type it once more.';
  if (tried.has('publickey') || tried.has('agent')) {
    return e.allowed.includes('publickey')
      ? `. The server did not accept the key: check the identity file (Edit…) and that its public key is in ~${e.hop.user}/.ssh/authorized_keys on the host.`
      : '. The server does not take keys for this user.';
  }
  return '';
}

/** What to check after a connection that never reached ssh. */
function connectAdvice(code: string): string {
  switch (code) {
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return '. Check the address, and whether the host is only reachable through a jump host (Edit…).';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return '. Check the host name (Edit…), or use an alias from ~/.ssh/config.';
    default:
      return '';
  }
}

/** a message as a history line holds it (lines are read back from a file: checked, not trusted) */
function isMessage(m: unknown): m is Message {
  return (
    Array.isArray(m) &&
    m.every(
      (p: unknown) =>
        !!p &&
        typeof p === 'object' &&
        (typeof (p as { text?: unknown }).text === 'string' ||
          typeof (p as { name?: unknown }).name === 'string' ||
          Number.isFinite((p as { ms?: unknown }).ms) ||
          Number.isFinite((p as { at?: unknown }).at)),
    )
  );
}
const isMessageList = (m: unknown): m is Message[] => Array.isArray(m) && m.every(isMessage);

export function auditEntry(r: AuditRecord): AuditEntryDto {
  return {
    id: r.id,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    outcome: r.outcome,
    message: r.message,
    ...(isMessage(r.messageParts) ? { messageParts: r.messageParts } : {}),
    proposal: r.candidate?.name ?? '',
    user: r.host?.user,
    clientAddress: r.host?.clientAddress,
    hostKey: r.host?.hostKey,
    changes: r.changes ? { add: r.changes.add, delete: r.changes.delete, replace: r.changes.replace, move: r.changes.move, policy: r.changes.policy, chainAdd: r.changes.chainAdd, chainDelete: r.changes.chainDelete, total: r.changes.total } : undefined,
    probeMs: r.probe?.ms,
    confirmedAfterMs: r.confirmedAfterMs,
    totalMs: r.totalMs,
    revertedBy: r.revertedBy,
    ...(r.rebooted ? { rebooted: true } : {}),
    ...(r.revertCheck ? { revertVerified: r.revertCheck.verified } : {}),
    previousBackup: r.persisted?.previousBackup,
    hostLog: r.hostLog,
    warnings: r.warnings ?? [],
    ...(isMessageList(r.warningParts) ? { warningParts: r.warningParts } : {}),
  };
}

function applyResultDto(r: ApplyResult): ApplyResultDto {
  return {
    outcome: r.outcome,
    message: r.message,
    messageParts: r.messageParts,
    refuseReason: r.refuseReason,
    findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, line: f.line, message: f.message })),
    warnings: r.warnings,
    warningParts: r.warningParts,
    audit: auditEntry(r.record),
  };
}

/**
 * The secrets of one connect: asked of the keychain first, else of the
 * person; what they typed with "Remember" is kept once the connect succeeds,
 * and what the keychain gave is forgotten when the server refused it.
 */
class ConnectSecrets {
  readonly passphrases: Connection['passphrases'] = new Map();
  /** per hop (`user@host:port`) */
  readonly logins = new Map<string, string>();
  sudo: string | undefined;
  private readonly toRemember: [string, string][] = [];
  private readonly fromKeychain: string[] = [];

  constructor(private readonly secrets: SecretStore) {}

  async ask(key: string, q: () => Promise<PromptAnswer>): Promise<string | undefined> {
    if (!this.fromKeychain.includes(key)) {
      const kept = await this.secrets.get(key);
      if (kept !== undefined) {
        this.fromKeychain.push(key);
        return kept;
      }
    }
    const a = await q();
    if (a.kind !== 'secret') return undefined;
    if (a.remember && this.secrets.available) this.toRemember.push([key, a.value]);
    return a.value;
  }

  async remember(log: (m: string) => void): Promise<void> {
    for (const [k, v] of this.toRemember) await this.secrets.set(k, v).catch((e) => log(`keychain: ${(e as Error).message}`));
  }

  /** a kept secret that no longer works is forgotten, so the next try asks; false when none was kept */
  async forgetKept(): Promise<boolean> {
    if (!this.fromKeychain.length) return false;
    for (const k of this.fromKeychain) await this.secrets.delete(k).catch(() => {});
    return true;
  }
}

/** An apply that threw instead of ending with a result: an `error` outcome with its message, for the page and its history. */
function stoppedApplyDto(e: unknown, applyId: string, proposal: string): ApplyResultDto {
  const messageParts = msg`the apply stopped: ${(e as Error)?.message ?? String(e)}`;
  const message = messageText(messageParts);
  const at = new Date().toISOString();
  return {
    outcome: 'error',
    message,
    messageParts,
    findings: [],
    warnings: [],
    warningParts: [],
    audit: { id: applyId, startedAt: at, finishedAt: at, outcome: 'error', message, messageParts, proposal, totalMs: 0, warnings: [] },
  };
}

export class HostWorkbench {
  readonly prompts: PromptBroker;
  /** the key and known_hosts files a profile from the page may name */
  readonly files: ProfileFiles;
  private connections = new Map<string, Connection>();
  private connecting = new Set<string>();
  /** connects in progress, by host: aborting one gives up on it (the admin pressed Cancel) */
  private connectAborts = new Map<string, AbortController>();
  private applies = new Map<string, RunningApply>();
  private readonly openSession: typeof realOpenSession;
  private readonly runApply: (o: ApplyOptions) => Promise<ApplyResult>;
  readonly versionStore: HostVersions;

  constructor(private readonly deps: WorkbenchDeps) {
    this.prompts = deps.prompts ?? new PromptBroker(deps.emit);
    this.files = new ProfileFiles(deps.homeDir ?? homedir());
    this.openSession = deps.openSession ?? realOpenSession;
    this.runApply = deps.runApply ?? realRunApply;
    this.versionStore = deps.versions ?? new HostVersions(deps.env);
  }

  private expand(p: string): string {
    return p.startsWith('~/') ? join(this.deps.homeDir ?? homedir(), p.slice(2)) : p;
  }

  /** Route options of a profile: what `portcullis facts` would get from the same flags. */
  routeOptions(p: HostProfile): SessionOptions {
    return {
      sshConfigPath: this.deps.sshConfigPath,
      ...(this.deps.homeDir ? { homeDir: this.deps.homeDir } : {}),
      identityFiles: p.identityFile ? [this.expand(p.identityFile)] : undefined,
      knownHostsFiles: p.knownHostsFile ? [this.expand(p.knownHostsFile)] : undefined,
      jump: p.jump || undefined,
      sudo: p.sudo === 'auto' ? 'auto' : p.sudo === 'always',
      log: this.deps.log,
    };
  }

  resolve(p: HostProfile): Route {
    try {
      return resolveRoute(p.target, this.routeOptions(p));
    } catch (e) {
      throw isHostError(e) ? hostFailure(e) : e;
    }
  }

  isConnected(hostId: string): boolean {
    const c = this.connections.get(hostId);
    return !!c && !c.session.closed;
  }

  async connect(hostId: string): Promise<HostConnectionInfo> {
    if (this.connecting.has(hostId)) throw new FwFailure('busy', 'already connecting to this host; answer its prompt or wait');
    const profile = await this.deps.profiles.get(hostId);
    const route = this.resolve(profile);
    await this.disconnect(hostId);
    this.connecting.add(hostId);
    this.deps.emit({ kind: 'connection', hostId, state: 'connecting' });
    const secrets = this.deps.secrets;
    const creds = new ConnectSecrets(secrets);
    // one login password per host, whichever hop it was typed for, is never offered to any hop
    for (const k of secretKey.legacy(hostId)) await secrets.delete(k).catch(() => {});
    const opts = this.connectOptions(hostId, profile, route, creds);
    let session: HostSession | undefined;
    const abort = new AbortController();
    this.connectAborts.set(hostId, abort);
    const cancelled = new Promise<never>((_, reject) =>
      abort.signal.addEventListener('abort', () => reject(new FwFailure('cancelled', `connecting to ${profile.name} was cancelled`)), { once: true }),
    );
    cancelled.catch(() => {});
    try {
      const opening = this.openSession(route, opts);
      // a session that opens after the cancel is closed at once
      opening.then((late) => abort.signal.aborted && void late.close().catch(() => {}), () => {});
      session = await Promise.race([opening, cancelled]);
      const facts: HostFacts = await Promise.race([session.facts(), cancelled]);
      // the lint's lockout check gets what the apply's gets: the client's interface, the other family's route
      const hostAddresses = [...(facts.addresses?.ipv4 ?? []), ...(facts.addresses?.ipv6 ?? [])].map((a) => a.address);
      const s = session;
      const lockout = await Promise.race([(async () => lockoutInputsOf(s, s.target.port, hostAddresses))().catch(() => ({})), cancelled]);
      const key = session.hostKeys[session.hostKeys.length - 1];
      const info: HostConnectionInfo = {
        hostId,
        connectedAt: new Date().toISOString(),
        // an IPv6 hop in brackets: user@[2001:db8::2]:22, never the ambiguous user@2001:db8::2:22
        route: session.route.hops.map(hopKey),
        hostKey: { hop: hopDto(key.hop), keyType: key.keyType, fingerprint: key.fingerprint, trustedBy: key.trustedBy },
        facts,
        lockout,
      };
      await creds.remember((m) => this.deps.log?.(m));
      this.connections.set(hostId, { profile, session, info, logins: creds.logins, sudo: creds.sudo ?? session.askedSudoPassword, passphrases: creds.passphrases });
      this.deps.emit({ kind: 'connection', hostId, state: 'connected' });
      return info;
    } catch (e) {
      await session?.close().catch(() => {});
      this.deps.emit({ kind: 'connection', hostId, state: 'disconnected', message: (e as Error).message });
      if (abort.signal.aborted) throw new FwFailure('cancelled', `connecting to ${profile.name} was cancelled`);
      if (!isHostError(e)) throw e;
      // a kept secret that no longer works is forgotten, so the next try asks
      let note = '';
      if ((e.kind === 'auth' || e.kind === 'privilege') && (await creds.forgetKept()))
        note = ' (the password kept in the keychain was refused and has been forgotten; connect again to type it)';
      throw hostFailure(e, note);
    } finally {
      this.connecting.delete(hostId);
      this.connectAborts.delete(hostId);
      this.prompts.cancelHost(hostId);
    }
  }

  /** The session's options for a connect: its prompts (host key, passwords, passphrases) go to the page, answers through `creds`. */
  private connectOptions(hostId: string, profile: HostProfile, route: Route, creds: ConnectSecrets): SessionOptions {
    const secrets = this.deps.secrets;
    const knownHostsFileOf = (hop: HopDto) => route.hops.find((h) => h.host === hop.host && h.port === hop.port)?.knownHostsFiles[0] ?? '';
    const hostKeyPrompts = new Map<string, string>();
    return {
      ...this.routeOptions(profile),
      onUnknownHostKey: async (q) => {
        const a = await this.prompts.ask(
          {
            kind: 'host-key',
            hostId,
            hostName: profile.name,
            offered: { hop: hopDto(q.hop), keyType: q.keyType, fingerprint: q.fingerprint },
            otherKnownTypes: q.otherKnownTypes,
            knownHostsFile: knownHostsFileOf(q.hop),
          },
          (id) => hostKeyPrompts.set(`${hopKey(q.hop)} ${q.fingerprint}`, id),
        );
        return a.kind === 'host-key' && a.accept ? 'accept-and-save' : 'reject';
      },
      onHostKeyWaitEnded: (q) => {
        const id = hostKeyPrompts.get(`${hopKey(q.hop)} ${q.fingerprint}`);
        if (id) this.prompts.update(id, { serverStoppedWaiting: true });
      },
      askPassword: async (prompt, hop) => {
        const which = prompt.startsWith('[sudo]') ? 'sudo' : 'login';
        const v = await creds.ask(secretKey.password(hostId, which, hopKey(hop)), () =>
          this.prompts.ask({ kind: 'password', hostId, hostName: profile.name, prompt, hop: hopDto(hop), canRemember: secrets.available }),
        );
        if (v !== undefined) {
          if (which === 'sudo') creds.sudo = v;
          else creds.logins.set(hopKey(hop), v);
        }
        return v;
      },
      passphrase: async (file) => {
        const v = await creds.ask(secretKey.passphrase(hostId, file), () =>
          this.prompts.ask({ kind: 'passphrase', hostId, hostName: profile.name, file, canRemember: secrets.available }),
        );
        if (v !== undefined) creds.passphrases.set(file, v);
        return v;
      },
    };
  }

  /** Gives up on a connect in progress (its prompts close); false when there is none. */
  cancelConnect(hostId: string): boolean {
    const a = this.connectAborts.get(hostId);
    if (!a) return false;
    a.abort();
    this.prompts.cancelHost(hostId);
    return true;
  }

  /** Closes the connection, or gives up on a connect still in progress. */
  async disconnect(hostId: string): Promise<null> {
    this.cancelConnect(hostId);
    const c = this.connections.get(hostId);
    this.connections.delete(hostId);
    if (c) {
      await c.session.close().catch(() => {});
      this.deps.emit({ kind: 'connection', hostId, state: 'disconnected' });
    }
    return null;
  }

  private live(hostId: string): Connection {
    const c = this.connections.get(hostId);
    if (!c) throw new FwFailure('not-connected', 'connect to the host first');
    if (c.session.closed) {
      this.connections.delete(hostId);
      this.deps.emit({ kind: 'connection', hostId, state: 'disconnected', message: 'the connection was lost' });
      throw new FwFailure('not-connected', `the connection to ${c.profile.name} was lost; connect again`);
    }
    return c;
  }

  async pull(hostId: string): Promise<PullDto> {
    const c = this.live(hostId);
    let p: PullResult;
    try {
      p = await c.session.pull();
    } catch (e) {
      if (isHostError(e)) throw hostFailure(e);
      throw e;
    }
    this.keepVersions(hostId, p);
    const strip = <T extends { bytes: Buffer }>({ bytes: _b, ...rest }: T) => rest;
    return { hostId, takenAt: p.takenAt, saved: strip(p.saved), running: strip(p.live), saved6: strip(p.saved6), running6: strip(p.live6) };
  }

  /** Keeps what a pull read; a full disk or a bad state directory never fails the pull (it is logged). */
  private keepVersions(hostId: string, p: PullResult): void {
    try {
      if (p.saved.present && p.saved.ok) this.versionStore.record(hostId, 'saved', p.saved.text, { source: p.saved.source });
      // without counters and the dump's date comments: the same rules seen again are the same version
      if (p.live.ok) this.versionStore.record(hostId, 'running', normalizeLiveRules(p.live.text), { source: p.live.source });
      if (p.saved6.present && p.saved6.ok) this.versionStore.record(hostId, 'saved', p.saved6.text, { source: p.saved6.source, family: 'ipv6' });
      // a host without ip6tables (or with no IPv6 tables loaded) has no IPv6 version to keep
      if (p.live6.ok && p.live6.text.trim()) this.versionStore.record(hostId, 'running', normalizeLiveRules(p.live6.text), { source: p.live6.source, family: 'ipv6' });
    } catch (e) {
      this.deps.log?.(`versions: not kept: ${(e as Error).message}`);
    }
  }

  async versions(hostId: string): Promise<HostVersionDto[]> {
    await this.deps.profiles.get(hostId);
    return this.versionStore.list(hostId);
  }

  async version(hostId: string, versionId: string): Promise<{ version: HostVersionDto; text: string }> {
    await this.deps.profiles.get(hostId);
    const v = this.versionStore.read(hostId, versionId);
    if (!v) throw new FwFailure('not-found', 'that version is no longer kept (older versions are removed beyond the limits)');
    return v;
  }

  async history(hostId: string): Promise<AuditEntryDto[]> {
    const profile = await this.deps.profiles.get(hostId);
    let last: string | undefined;
    let name: string | undefined;
    try {
      const hop = this.resolve(profile).hops.at(-1)!;
      last = `${hop.user}@${hop.host}:${hop.port}`;
      name = hop.name;
    } catch {
      // an unresolvable profile still has its history under the target it was applied to
    }
    const mine = (r: AuditRecord) =>
      (!!last && r.host?.route?.at(-1) === last) || r.host?.name === profile.target || (!r.host?.route && !!name && r.host?.name === name);
    return readHistory<AuditRecord>(this.deps.env)
      .filter((r) => r && typeof r === 'object' && typeof r.id === 'string' && mine(r))
      .map(auditEntry)
      .reverse();
  }

  /** Starts an apply; everything after the start arrives as events. */
  async startApply(hostId: string, req: ApplyRequest): Promise<{ applyId: string }> {
    const c = this.live(hostId);
    for (const a of this.applies.values()) if (a.hostId === hostId) throw new FwFailure('busy', `an apply to ${c.profile.name} is running`);
    if (!Number.isInteger(req.confirmTimeoutS) || req.confirmTimeoutS < 10 || req.confirmTimeoutS > 3600)
      throw new FwFailure('invalid-argument', 'the confirmation time is 10 to 3600 seconds');
    const applyId = randomBytes(8).toString('hex');
    const running: RunningApply = { hostId };
    this.applies.set(applyId, running);
    const emit = this.deps.emit;
    const margin = confirmMargin(req.confirmTimeoutS);
    const run = this.runApply({
      host: c.profile.target,
      session: this.applySessionOptions(c),
      proposalName: req.name,
      proposalText: req.text,
      confirmTimeoutS: req.confirmTimeoutS,
      confirm: 'prompt',
      force: req.force,
      base: req.base
        ? {
            kind: 'hashes',
            source: `the pull of ${req.base.takenAt}`,
            savedSha256: req.base.savedSha256,
            liveRulesSha256: req.base.runningRulesSha256,
            ...(req.base.saved6Sha256 ? { saved6Sha256: req.base.saved6Sha256 } : {}),
            ...(req.base.running6RulesSha256 ? { live6RulesSha256: req.base.running6RulesSha256 } : {}),
          }
        : null,
      // the IPv6 proposal alone, or beside the IPv4 one under the same host timer
      ...(req.family === 6 ? { family: 'ipv6' as const } : {}),
      ...(req.ipv6 && req.family !== 6 ? { proposal6: { name: req.ipv6.name, text: req.ipv6.text } } : {}),
      onRecord: (rec) => appendHistory(rec, this.deps.env),
      id: applyId,
      ...(this.deps.applyMachine ? { machine: this.deps.applyMachine() } : {}),
      onProgress: (p) => emit({ kind: 'apply-progress', applyId, hostId, step: p.step, message: p.message, parts: p.parts, level: p.level, at: p.at }),
      ask: ({ summary, deadlineAt }) =>
        new Promise<boolean>((resolve) => {
          running.answer = (keep) => {
            running.answer = undefined;
            resolve(keep);
          };
          emit({ kind: 'apply-ask', applyId, hostId, summary, confirmBy: deadlineAt, hostRevertAt: deadlineAt + margin });
        }),
    });
    void run
      .then(
        (r) => applyResultDto(r),
        (e: unknown) => stoppedApplyDto(e, applyId, req.name),
      )
      .then((result) => {
        this.applies.delete(applyId);
        // what went live (or was tried) is a version of its own: it can be compared and restored later
        if (result.outcome !== 'refused' && result.outcome !== 'unchanged') {
          try {
            const kept = { outcome: result.outcome, auditId: result.audit.id };
            // each family's proposal is a version of that family's rules
            this.versionStore.record(hostId, 'applied', req.text, { ...kept, source: req.name, ...(req.family === 6 ? { family: 'ipv6' as const } : {}) });
            if (req.ipv6 && req.family !== 6) this.versionStore.record(hostId, 'applied', req.ipv6.text, { ...kept, source: req.ipv6.name, family: 'ipv6' });
          } catch (e) {
            this.deps.log?.(`versions: not kept: ${(e as Error).message}`);
          }
        }
        emit({ kind: 'apply-done', applyId, hostId, result });
      });
    return { applyId };
  }

  /** The apply's own sessions: the connect's trusted keys, and each hop's password as typed for it (never another's). */
  private applySessionOptions(c: Connection): SessionOptions {
    const keys = c.session.hostKeys.filter((k) => k.trustedBy !== 'known-hosts').map((k) => k.fingerprint);
    return {
      ...this.routeOptions(c.profile),
      // the keys the admin accepted on connect, in case known_hosts could not be written
      trust: keys,
      saveTrusted: false,
      // each hop gets the password typed for it, and no other
      hopPassword: (h) => c.logins.get(hopKey(h)),
      sudoPassword: c.sudo,
      passphrase: async (file) => c.passphrases.get(file),
    };
  }

  answerApply(applyId: string, keep: boolean): null {
    const a = this.applies.get(applyId);
    if (!a) throw new FwFailure('not-found', 'that apply has finished');
    if (!a.answer) throw new FwFailure('invalid-argument', 'that apply is not waiting for an answer (yet)');
    a.answer(keep);
    return null;
  }

  async removeHost(hostId: string): Promise<void> {
    await this.disconnect(hostId);
    this.versionStore.forget(hostId);
    this.prompts.cancelHost(hostId);
    await this.deps.secrets.deletePrefix(secretKey.prefix(hostId));
  }

  /**
   * Saves a profile from the page: its key and known_hosts files must be ones
   * the person picked (or under ~/.ssh; see profile-files.ts). A changed
   * address, port, user or jump route drops what the
   * keychain kept for the host (and its connection); a changed identity file drops the passphrases.
   */
  async saveProfile(input: HostProfileInput): Promise<HostProfile> {
    const old = input.id ? await this.deps.profiles.get(input.id).catch(() => undefined) : undefined;
    const fields: FieldProblems = {};
    const id = this.files.problem(input.identityFile, old?.identityFile);
    if (id) fields.identityFile = id;
    const kh = this.files.problem(input.knownHostsFile, old?.knownHostsFile);
    if (kh) fields.knownHostsFile = kh;
    if (Object.keys(fields).length) throw new FwFailure('invalid-argument', `check ${Object.keys(fields).join(', ')}`, { kind: 'fields', fields });
    const saved = await this.deps.profiles.save(input);
    if (old && (old.target !== saved.target || old.jump !== saved.jump)) {
      await this.disconnect(saved.id);
      await this.deps.secrets.deletePrefix(secretKey.prefix(saved.id));
    } else if (old && old.identityFile !== saved.identityFile) await this.deps.secrets.deletePrefix(secretKey.passphrasePrefix(saved.id));
    return saved;
  }

  async forgetSecrets(hostId: string): Promise<null> {
    await this.deps.secrets.deletePrefix(secretKey.prefix(hostId));
    return null;
  }

  async closeAll(): Promise<void> {
    this.prompts.cancelAll();
    for (const id of [...this.connections.keys()]) await this.disconnect(id);
  }
}
