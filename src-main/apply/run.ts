// Runs the safe-apply state machine (core/apply) over SSH sessions (host/).
// Each action of the machine becomes one fixed remote script from scripts.ts
// with its payload on stdin; its result becomes the next event. Two sessions:
// the first for everything up to the restore, and a NEW one (same route, every
// hop reconnected) that proves new connections get in, confirms and persists.
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  applyFamilies,
  auditRecord,
  initialState,
  isAction,
  sameRules,
  type ApplyCommand,
  type ApplyEvent,
  type ApplyInput,
  type ApplyResult,
  type ApplyState,
  type AuditRecord,
  type BaseRef,
  type ConfirmMode,
  type HostSnapshot,
  type HostView,
  type Message,
  type Step,
  type TimerRef,
  checkRevert,
  proveTimer,
  at as instant,
  messageText,
  msg,
} from '../core/apply/index.js';
import { isHostError, normalizeLiveRules, openSession, privilegeName, sha256Hex, type HostSession, type PullResult, type SessionOptions } from '../host/index.js';
import type { Family } from '../core/model.js';
import { inThisThread, type MachineRunner } from './machine-worker.js';
import {
  ARM_SCRIPT,
  CANCEL_SCRIPT,
  CHECK_SCRIPT,
  HOST_LOG_SCRIPT,
  LOCK_SCRIPT,
  PERSIST_SCRIPT,
  PUT_SCRIPT,
  RESTORE_SCRIPT,
  REVERT_NOW_SCRIPT,
  TEST_SCRIPT,
  UNLOCK_SCRIPT,
  WHERE_SCRIPT,
  parseKeyed,
  whereFirewalld,
} from './scripts.js';

export interface ApplyProgress {
  step: Step;
  /** the text of parts, as the CLI prints it */
  message: string;
  /** the message with its values as values (durations in ms, instants in epoch ms, names) */
  parts: Message;
  level: 'info' | 'warn';
  at: number;
}

export interface ApplyOptions {
  host: string;
  session: SessionOptions;
  candidateName: string;
  candidateText: string;
  confirmTimeoutS: number;
  confirm: ConfirmMode;
  force: boolean;
  base: BaseRef | null;
  /** the family of candidateText (default ipv4) */
  family?: Family;
  /** with family ipv4: the IPv6 candidate, applied with it as one change under one host timer */
  candidate6?: { name: string; text: string };
  onProgress?: (p: ApplyProgress) => void;
  /** --confirm prompt: keep the new rules? Resolve false to revert; the deadline is enforced here too. */
  ask?: (q: { summary: string; deadlineAt: number }) => Promise<boolean>;
  /**
   * Where the apply's audit record goes when it ends (confirmed, reverted, refused,
   * failed or interrupted): the CLI and the app pass services' appendHistory, the
   * local history. A sink, not an import, so apply never reaches up into services.
   * It may throw: a finished apply then warns that the history was not written.
   * Without it the record is kept nowhere (tests that drive runApply directly).
   */
  onRecord?: (record: AuditRecord | InterruptedRecord) => void;
  /** for tests: a fixed apply id (hex) */
  id?: string;
  now?: () => number;
  /**
   * Ctrl-C: stop where we are and close the sessions, leaving the host to its
   * revert timer (runApply rejects with ApplyInterruptedError, saying what the
   * host was left with). Before any change it releases the apply lock first.
   */
  signal?: AbortSignal;
  /** where the state machine steps (default: this thread; the app: a worker thread, machine-worker.ts) */
  machine?: MachineRunner;
}

/** What an interrupted apply left on the host. */
export type InterruptedPhase =
  /** nothing loaded, no timer armed (the apply lock was released) */
  | 'before-change'
  /** nothing loaded, but a revert timer may be armed: it puts back the same rules and frees the lock at revertAt */
  | 'armed'
  /** the new rules may be live: the host's timer reverts them at revertAt */
  | 'live'
  /** stopped while cancelling the timer: either the timer reverts at revertAt or the new rules stay */
  | 'deciding'
  /** confirmed (timer cancelled): the new rules stay live; saving the file may not have finished */
  | 'confirmed';

/**
 * What an interrupted apply leaves in the local history: the fields of an
 * apply's audit record that were known when it stopped (so readers of older
 * lines read these too), outcome "interrupted", and what the host was left with.
 */
export type InterruptedRecord = Omit<AuditRecord, 'outcome' | 'exitCode'> & {
  outcome: 'interrupted';
  exitCode: 2 | 3;
  interrupted: {
    phase: InterruptedPhase;
    /** the step it stopped in */
    step: string;
    /** nothing changed | the new rules may be live, reverting at revertAt | either of the two | confirmed but maybe not saved */
    hostLeft: 'unchanged' | 'reverting' | 'reverting-or-kept' | 'confirmed-not-saved';
    /** when the host's revert timer fires (ISO), where one may be armed */
    revertAt: string | null;
  };
};

export class ApplyInterruptedError extends Error {
  override name = 'ApplyInterruptedError';
  constructor(
    readonly phase: InterruptedPhase,
    readonly host: string,
    /** when the host's revert timer fires (ms since the epoch), where one may be armed */
    readonly revertAt: number | null,
    /** the message with its values as values; `message` is its text */
    readonly parts: Message,
    readonly exitCode: 2 | 3,
  ) {
    super(messageText(parts));
  }
}

const INTERRUPT = Symbol('interrupt');

class StepError extends Error {
  constructor(
    message: string,
    readonly hostKey = false,
  ) {
    super(message);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * p, or a StepError once ms pass (or the signal aborts); what p yields after
 * that goes to onLate (a session opened too late is closed there).
 */
function within<T>(p: Promise<T>, ms: number, what: string, onLate?: (v: T) => void, signal?: AbortSignal): Promise<T> {
  if (ms <= 0 || signal?.aborted) {
    p.then((v) => onLate?.(v), () => {});
    return Promise.reject(new StepError(signal?.aborted ? `${what}: interrupted` : `${what}: no time left`));
  }
  return new Promise<T>((resolve, reject) => {
    let over = false;
    const giveUp = (why: string) => {
      over = true;
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      reject(new StepError(why));
    };
    const onAbort = () => giveUp(`${what}: interrupted`);
    const t = setTimeout(() => giveUp(`${what} did not finish within ${(ms / 1000).toFixed(1)} s`), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        if (over) onLate?.(v);
        else resolve(v);
      },
      (e) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        if (!over) reject(e);
      },
    );
  });
}

/** resolves after ms, or at once when the signal aborts (an interrupted apply must not wait for the host's deadline) */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runApply(opts: ApplyOptions): Promise<ApplyResult> {
  const now = opts.now ?? Date.now;
  const id = opts.id ?? randomBytes(8).toString('hex');
  if (!/^[0-9a-f]{8,64}$/.test(id)) throw new Error('apply id must be hex');
  const input: ApplyInput = {
    id,
    host: opts.host,
    candidateName: opts.candidateName,
    candidateText: opts.candidateText,
    candidateSha256: sha256Hex(opts.candidateText),
    confirmTimeoutS: opts.confirmTimeoutS,
    confirm: opts.confirm,
    force: opts.force,
    base: opts.base,
    ...(opts.family === 'ipv6' ? { family: 'ipv6' as const } : {}),
    ...(opts.candidate6 && opts.family !== 'ipv6'
      ? { other: { family: 'ipv6' as const, name: opts.candidate6.name, text: opts.candidate6.text, sha256: sha256Hex(opts.candidate6.text) } }
      : {}),
  };

  let s1: HostSession | undefined;
  let s2: HostSession | undefined;
  const extra: HostSession[] = [];
  const alive = (s: HostSession | undefined) => (s && !s.closed ? s : undefined);
  const header = (...words: (string | number)[]) => words.join(' ') + '\n';

  const root = async (s: HostSession, script: string, stdin: string | Buffer, timeoutMs = 60_000) => s.exec(script, { stdin, sudo: true, timeoutMs });
  const rootOk = async (s: HostSession, script: string, stdin: string | Buffer, what: string, timeoutMs = 60_000) => {
    const r = await root(s, script, stdin, timeoutMs);
    if (r.code !== 0) throw new StepError(`${what} failed on the host (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' / ') || r.stdout.trim()}`);
    return r;
  };

  let state: ApplyState = initialState(input, now());
  /** a new session over the same route when the others are gone (closed by the host: a reboot, sshd restarted) */
  const reconnect = async (what: string): Promise<HostSession> => {
    const s = await within(s1!.reopen(), 15_000, what, (late) => void late.close(), opts.signal);
    extra.push(s);
    return s;
  };
  /** the boot id the lock was taken under: post-arm scripts answer `rebooted` when the host booted since */
  const boot = () => state.ctx.bootId ?? '';
  /** the apply's families: the primary candidate's first */
  const families = () => applyFamilies(state.ctx);
  /** the families as the scripts take them: one word, 4, 6 or 46 */
  const famWord = () => families().map((f) => (f === 'ipv6' ? '6' : '4')).sort().join('');
  /** a family's key or work-file suffix in the scripts' answers */
  const sfx = (f: Family) => (f === 'ipv6' ? '6' : '');
  const saveOf = (p: { save: string | null; save6: string | null }, f: Family) => (f === 'ipv6' ? p.save6 : p.save);
  /** a `rebooted` answer (pcl_boot) as the event, else undefined */
  const rebootedEvent = (stdout: string): ApplyEvent | undefined => {
    const p = parseKeyed(stdout);
    if (p.lines[0] !== 'rebooted') return undefined;
    const [f, o] = families();
    const liveText = saveOf(p, f) ?? '';
    const saved = state.ctx.snapshot;
    return {
      kind: 'host-rebooted',
      at: now(),
      liveText,
      savedSha256: p.keys.get(`saved${sfx(f)}-sha256`)?.[0] ?? '',
      liveIsSaved: saved?.savedPresent && saved.savedText ? sameRules(liveText, saved.savedText) : null,
      ...(o ? { otherSavedSha256: p.keys.get(`saved${sfx(o)}-sha256`)?.[0] ?? '' } : {}),
    };
  };
  /** what a pull read of one family, as the machine's snapshot */
  const snapshotOf = (p: PullResult, f: Family): HostSnapshot => {
    const saved = f === 'ipv6' ? p.saved6 : p.saved;
    const live = f === 'ipv6' ? p.live6 : p.live;
    const tool = f === 'ipv6' ? 'ip6tables-save' : 'iptables-save';
    if (!live.ok) throw new StepError(`${tool} failed on the host: ${live.error ?? 'not installed'}`);
    if (saved.present && !saved.ok) throw new StepError(`cannot read ${saved.source}: ${saved.error}`);
    return { savedPresent: saved.present, savedText: saved.text, savedSha256: saved.sha256, liveText: live.text, liveRulesSha256: live.rulesSha256 };
  };
  const liveHash = (p: PullResult, f: Family) => (f === 'ipv6' ? p.live6 : p.live).rulesSha256;
  const savedOf = (p: PullResult, f: Family) => (f === 'ipv6' ? p.saved6 : p.saved);
  /** the rules read back after a revert, per family, against that family's backup */
  const revertChecks = (p: { save: string | null; save6: string | null }) => {
    const [f, o] = families();
    const b = state.ctx.plan?.backup;
    const ob = state.ctx.other?.plan?.backup;
    const check = (text: string | null, backup: typeof b) => (backup && text !== null ? checkRevert(text, backup.text, backup.tables, sha256Hex) : undefined);
    return { check: check(saveOf(p, f), b), ...(o ? { otherCheck: check(saveOf(p, o), ob) } : {}) };
  };

  async function perform(c: Extract<ApplyCommand, { kind: string }>): Promise<ApplyEvent> {
    const at = () => now();
    switch (c.kind) {
      case 'connect': {
        s1 = await openSession(opts.host, opts.session);
        if (s1.privilege.kind === 'none') throw new StepError(`no root on ${s1.target.name}: ${s1.privilege.reason}. Log in as root, or use a user with sudo (--sudo, --password-stdin)`);
        const w = await s1.exec(WHERE_SCRIPT, { timeoutMs: 20_000 });
        const k = parseKeyed(w.stdout).keys;
        const one = (key: string) => k.get(key)?.[0] || undefined;
        const route = one('route');
        const dev = route ? /\bdev (\S+)/.exec(route)?.[1] : undefined;
        const firewalld: HostView['firewalld'] = whereFirewalld(k);
        const host: HostView = {
          name: s1.target.name,
          clientAddress: s1.probe.clientAddress ?? one('client'),
          serverAddress: s1.probe.serverAddress ?? one('server'),
          sshPort: Number(one('port')) || s1.target.port,
          inIface: dev,
          localAddresses: k.get('addr') ?? [],
          firewalld,
        };
        const last = s1.hostKeys[s1.hostKeys.length - 1];
        return {
          kind: 'connected',
          at: at(),
          host,
          session: {
            user: s1.probe.user,
            privilege: privilegeName(s1.privilege),
            hostKeyType: last.keyType,
            hostKeyFingerprint: last.fingerprint,
            route: s1.route.hops.map((h) => `${h.user}@${h.host}:${h.port}`),
          },
        };
      }
      case 'lock': {
        const r = await root(s1!, LOCK_SCRIPT, header(id, c.ttlS));
        if (r.code === 75) return { kind: 'lock-busy', at: at(), holder: r.stdout.trim().split('\n').pop() ?? 'unknown' };
        if (r.code !== 0 || !/^locked$/m.test(r.stdout)) throw new StepError(`taking the apply lock failed (exit ${r.code}): ${r.stderr.trim()}`);
        const took = /^took-over (.*)$/m.exec(r.stdout)?.[1];
        const boot = /^boot=([0-9a-f-]+)$/m.exec(r.stdout)?.[1];
        return { kind: 'locked', at: at(), ...(took ? { tookOver: took } : {}), ...(boot ? { boot } : {}) };
      }
      case 'read-state': {
        // one pull reads both families; the apply takes what its families need
        const p = await s1!.pull();
        const [f, o] = families();
        return { kind: 'state-read', at: at(), snapshot: snapshotOf(p, f), ...(o ? { other: snapshotOf(p, o) } : {}) };
      }
      case 'upload': {
        for (const f of c.files) {
          const bytes = Buffer.from(f.text, 'utf8');
          const r = await rootOk(s1!, PUT_SCRIPT, Buffer.concat([Buffer.from(header(id, f.name)), bytes]), `uploading the ${f.name}`);
          if (Number(r.stdout.trim()) !== bytes.length) throw new StepError(`the host stored ${r.stdout.trim()} bytes of the ${f.name}, not ${bytes.length}`);
        }
        return { kind: 'uploaded', at: at() };
      }
      case 'test': {
        const [f, o] = families();
        const r = await rootOk(s1!, TEST_SCRIPT, header(id), f === 'ipv6' ? 'ip6tables-restore --test' : 'iptables-restore --test');
        const k = parseKeyed(r.stdout).keys;
        const why = (name: string) => (k.get(`${name}-error`) ?? []).join('\n').trim();
        const tested = (x: Family) => ({
          ok: k.get(`candidate${sfx(x)}`)?.[0] === 'ok',
          message: why(`candidate${sfx(x)}`),
          backupOk: k.get(`backup${sfx(x)}`)?.[0] === 'ok',
          backupMessage: why(`backup${sfx(x)}`),
        });
        return { kind: 'tested', at: at(), ...tested(f), ...(o ? { other: tested(o) } : {}) };
      }
      case 'arm': {
        const r = await rootOk(s1!, ARM_SCRIPT, header(id, c.seconds), 'arming the revert timer', 30_000);
        const m = /^(systemd-run|setsid) (\S+)$/m.exec(r.stdout);
        if (!m) throw new StepError(`arming the revert timer: unexpected answer "${r.stdout.trim()}"`);
        const k = parseKeyed(r.stdout).keys;
        const one = (key: string) => k.get(key)?.[0];
        const timer: TimerRef = m[1] === 'systemd-run' ? { method: 'systemd-run', unit: m[2] } : { method: 'setsid', pid: Number(m[2]) };
        const report = { timerState: one('timer-state'), timerNext: one('timer-next'), uptime: one('uptime'), revertAlive: one('revert-alive'), revertSleep: one('revert-sleep') };
        const [f, o] = families();
        const guarded = (x: Family) => ({
          guard: (k.get('guard') ?? []).includes(x === 'ipv6' ? 'ip6tables.service' : 'iptables.service'),
          saveOnStop: one(`save-on-stop${sfx(x)}`) === 'yes',
          saveOnRestart: one(`save-on-restart${sfx(x)}`) === 'yes',
        });
        return { kind: 'armed', at: at(), timer, proof: proveTimer(timer, report, c.seconds), ...guarded(f), ...(o ? { other: guarded(o) } : {}) };
      }
      case 'restore': {
        const r = await rootOk(s1!, RESTORE_SCRIPT, header(id), 'the restore', 120_000);
        const p = parseKeyed(r.stdout);
        const { lines } = p;
        const [f, o] = families();
        if (lines[0] === 'changed') return { kind: 'restore-refused', at: at(), message: 'the running rules changed between the read and the restore (another tool at work?)' };
        if (lines[0] === 'failed') return { kind: 'restore-failed', at: at(), message: lines.slice(1).join(' / ') || 'iptables-restore failed' };
        const save = saveOf(p, f);
        const otherSave = o ? saveOf(p, o) : null;
        if (lines[0] !== 'restored' || save === null || (o && otherSave === null)) throw new StepError(`the restore answered "${r.stdout.slice(0, 200)}"`);
        return {
          kind: 'restored',
          at: at(),
          liveText: save,
          liveRulesSha256: sha256Hex(normalizeLiveRules(save)),
          ...(o && otherSave !== null ? { other: { liveText: otherSave, liveRulesSha256: sha256Hex(normalizeLiveRules(otherSave)) } } : {}),
        };
      }
      case 'probe': {
        const t0 = now();
        const left = () => c.deadlineAt - now();
        try {
          s2 = await within(s1!.reopen(), left(), 'a new SSH connection', (late) => void late.close(), opts.signal);
          const p = await within(s2.pull(), left(), 'reading the rules through the new connection', undefined, opts.signal);
          const [f, o] = families();
          for (const x of [f, ...(o ? [o] : [])]) {
            const live = x === 'ipv6' ? p.live6 : p.live;
            if (!live.ok) throw new StepError(`${x === 'ipv6' ? 'ip6tables-save' : 'iptables-save'} through the new connection failed: ${live.error}`);
          }
          return { kind: 'probed', at: at(), liveRulesSha256: liveHash(p, f), clientAddress: s2.clientAddress, ms: now() - t0, ...(o ? { otherLiveRulesSha256: liveHash(p, o) } : {}) };
        } catch (e) {
          return { kind: 'probe-failed', at: at(), message: messageOf(e) };
        }
      }
      case 'ask': {
        if (!opts.ask) return { kind: 'answered', at: at(), keep: false, how: 'timeout' };
        try {
          const keep = await within(opts.ask({ summary: c.summary, deadlineAt: c.deadlineAt }), c.deadlineAt - now(), 'the answer', undefined, opts.signal);
          return { kind: 'answered', at: at(), keep, how: 'user' };
        } catch {
          return { kind: 'answered', at: at(), keep: false, how: 'timeout' };
        }
      }
      case 'cancel': {
        const s = alive(s2) ?? alive(s1) ?? (await reconnect('a new SSH connection to confirm through'));
        const r = await rootOk(s, CANCEL_SCRIPT, header(id, boot()), 'cancelling the revert timer', 20_000);
        const rebooted = rebootedEvent(r.stdout);
        if (rebooted) return rebooted;
        const out = r.stdout.trim();
        if (out === 'cancelled') return { kind: 'cancelled', at: at() };
        const late = /^too-late (.*)$/.exec(out);
        if (late) return { kind: 'cancel-too-late', at: at(), outcome: late[1] };
        throw new StepError(`cancelling the revert timer answered "${out}"`);
      }
      case 'persist': {
        const s = alive(s2) ?? alive(s1);
        if (!s) throw new StepError('no session left to save through');
        const bytes = Buffer.from(c.text, 'utf8');
        const six = c.family === 'ipv6';
        const r = await rootOk(s, PERSIST_SCRIPT, Buffer.concat([Buffer.from(six ? header(id, 6) : header(id)), bytes]), `saving /etc/sysconfig/${six ? 'ip6tables' : 'iptables'}`);
        const k = parseKeyed(r.stdout).keys;
        return {
          kind: 'persisted',
          at: at(),
          ...(c.family ? { family: c.family } : {}),
          sha256Sent: sha256Hex(bytes),
          sha256Host: k.get('sha256')?.[0] ?? '',
          previousBackup: k.get('previous')?.[0] || null,
          restorecon: k.get('restorecon')?.[0] === 'yes',
        };
      }
      case 'verify': {
        let s = alive(s2) ?? alive(s1);
        if (!s) {
          s = await s1!.reopen();
          extra.push(s);
          if (opts.signal?.aborted) await s.close(); // opened after an interrupt closed the others
        }
        const p = await s.pull();
        const [f, o] = families();
        const read = (x: Family) => ({ savedSha256: savedOf(p, x).sha256, liveRulesSha256: liveHash(p, x), savedText: savedOf(p, x).text });
        return { kind: 'verified', at: at(), ...read(f), ...(o ? { other: read(o) } : {}) };
      }
      case 'revert-now': {
        let lastErr: unknown;
        // both sessions gone (a reboot, a dropped link): one new connection may still revert now
        const sessions = alive(s1) || alive(s2) ? [alive(s1), alive(s2)] : [await reconnect('a new SSH connection to revert through').catch((e) => void (lastErr = e))];
        for (const s of sessions) {
          if (!s) continue;
          try {
            const r = await rootOk(s, REVERT_NOW_SCRIPT, header(id, famWord(), boot()), 'reverting', 60_000);
            const rebooted = rebootedEvent(r.stdout);
            if (rebooted) return rebooted;
            const p = parseKeyed(r.stdout);
            const outcome = p.keys.get('outcome')?.[0];
            const save = saveOf(p, families()[0]);
            const backup = state.ctx.plan!.backup;
            return {
              kind: 'reverted',
              at: at(),
              outcome: outcome === 'reverted' ? 'reverted' : 'revert-failed',
              liveText: save ?? '',
              by: p.keys.get('by')?.[0] === 'timer' ? 'timer' : 'client',
              ...revertChecks(p),
              check: checkRevert(save ?? '', backup.text, backup.tables, sha256Hex),
              fileRestored: p.keys.get('file-restored'),
            };
          } catch (e) {
            lastErr = e;
          }
        }
        throw lastErr instanceof Error ? lastErr : new StepError('no session left to revert through');
      }
      case 'await-timer': {
        await sleep(c.until - now(), opts.signal);
        const backup = state.ctx.plan?.backup;
        try {
          let s = alive(s1) ?? alive(s2);
          if (!s) {
            s = await within(s1!.reopen(), 15_000, 'a new SSH connection to check the revert', (late) => void late.close(), opts.signal);
            extra.push(s);
          }
          const r = await rootOk(s, CHECK_SCRIPT, header(id, famWord(), boot()), 'checking the revert', 30_000);
          const rebooted = rebootedEvent(r.stdout);
          if (rebooted) return rebooted;
          const p = parseKeyed(r.stdout);
          const outcome = p.keys.get('outcome')?.[0] ?? 'none';
          const { check, otherCheck } = revertChecks(p);
          const same = !!check?.verified && (!state.ctx.other || !!otherCheck?.verified);
          return {
            kind: 'timer-checked',
            at: at(),
            reverted: outcome === 'reverted' && same,
            message: `the host reports "${outcome}"${same ? '' : ', and the rules are not the backup'}`,
            ...(outcome === 'reverted' && check ? { check } : {}),
            ...(outcome === 'reverted' && otherCheck ? { otherCheck } : {}),
            fileRestored: p.keys.get('file-restored'),
          };
        } catch (e) {
          return { kind: 'timer-checked', at: at(), reverted: null, message: `could not reach the host to check: ${messageOf(e)}` };
        }
      }
      case 'disarm': {
        const s = alive(s1) ?? alive(s2);
        if (s) await root(s, CANCEL_SCRIPT, header(id), 20_000).catch(() => undefined);
        return { kind: 'disarmed', at: at() };
      }
    }
    throw new StepError(`internal: unknown action ${(c as { kind: string }).kind}`);
  }

  async function effect(c: ApplyCommand): Promise<void> {
    switch (c.kind) {
      case 'progress':
        opts.onProgress?.({ step: c.step, message: c.message, parts: c.parts, level: c.level, at: now() });
        return;
      case 'unlock': {
        const s = alive(s2) ?? alive(s1);
        if (!s) return;
        await root(s, UNLOCK_SCRIPT, header(id, c.cleanup ? 'yes' : 'no'), 20_000).catch(() => undefined);
        return;
      }
      case 'finish': {
        const rec = c.result.record;
        try {
          rec.localUser = userInfo().username;
        } catch {
          rec.localUser = process.env.USER;
        }
        const s = alive(s2) ?? alive(s1) ?? extra.find((x) => !x.closed);
        if (!s) rec.hostLog = 'no-session';
        else {
          try {
            const r = await root(s, HOST_LOG_SCRIPT, JSON.stringify({ time: rec.finishedAt, event: 'apply', ...rec, changes: rec.changes ? { ...rec.changes, list: undefined } : undefined }) + '\n', 15_000);
            rec.hostLog = r.code === 0 ? 'written' : 'failed';
          } catch {
            rec.hostLog = 'failed';
          }
        }
        try {
          opts.onRecord?.(rec);
        } catch (e) {
          const w = msg`could not write the local history: ${messageOf(e)}`;
          c.result.warnings.push(messageText(w));
          c.result.warningParts.push(w);
        }
        return;
      }
      default:
        return;
    }
  }

  let done = false;
  async function closeAll(): Promise<void> {
    if (!done) return;
    for (const s of [s2, s1, ...extra]) await s?.close().catch(() => undefined);
  }

  // Ctrl-C: whatever is under way is abandoned (its session is closed below)
  let stop: (() => void) | undefined;
  const interrupted = new Promise<typeof INTERRUPT>((resolve) => {
    stop = () => resolve(INTERRUPT);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
  const orInterrupt = async <T>(p: Promise<T>): Promise<T> => {
    const r = await Promise.race([p, interrupted]);
    if (r === INTERRUPT) throw await interruption();
    return r as T;
  };

  /** The interrupted apply in the local history (best effort: the process is about to end). */
  function recordInterruption(e: ApplyInterruptedError): void {
    const { ctx } = state;
    const at = now();
    const hostLeft: InterruptedRecord['interrupted']['hostLeft'] =
      e.phase === 'before-change' || e.phase === 'armed' ? 'unchanged' : e.phase === 'live' ? 'reverting' : e.phase === 'deciding' ? 'reverting-or-kept' : 'confirmed-not-saved';
    // the same builder as every other ending, from what the context knew when it stopped
    const rec: InterruptedRecord = {
      ...auditRecord(ctx, at, { outcome: 'interrupted' as const, exitCode: e.exitCode, messageParts: e.parts }),
      interrupted: { phase: e.phase, step: state.kind, hostLeft, revertAt: e.revertAt === null ? null : new Date(e.revertAt).toISOString() },
    };
    try {
      rec.localUser = userInfo().username;
    } catch {
      rec.localUser = process.env.USER;
    }
    try {
      opts.onRecord?.(rec);
    } catch {
      /* the message on the terminal still says what the host was left with */
    }
  }

  async function interruption(): Promise<ApplyInterruptedError> {
    const e = await interruptionError();
    recordInterruption(e);
    return e;
  }

  async function interruptionError(): Promise<ApplyInterruptedError> {
    const { ctx } = state;
    const name = ctx.host?.name ?? opts.host;
    const revertAt = ctx.armIssuedAt !== undefined ? ctx.armIssuedAt + opts.confirmTimeoutS * 1000 : null;
    const at: Message = revertAt !== null ? msg`${instant(revertAt)} (in ${Math.max(0, Math.round((revertAt - now()) / 1000))} s)` : [];
    switch (state.kind) {
      case 'idle':
      case 'connecting':
      case 'locking':
      case 'reading':
      case 'uploading':
      case 'testing': {
        // no timer yet: free the lock (and our files) so the next apply need not wait for it to go stale
        const s = alive(s1);
        if (s && ctx.locked) await within(root(s, UNLOCK_SCRIPT, header(id, 'yes'), 3000), 3000, 'releasing the apply lock').catch(() => undefined);
        return new ApplyInterruptedError('before-change', name, null, msg`interrupted before any change: nothing was loaded on ${name}`, 2);
      }
      case 'arming':
      case 'disarming':
        return new ApplyInterruptedError(
          'armed',
          name,
          revertAt,
          msg`interrupted before the rules were loaded: nothing changed on ${name}; a revert timer may be armed there: at ${at} it puts back the same rules and frees the apply lock`,
          2,
        );
      case 'cancelling':
        return new ApplyInterruptedError(
          'deciding',
          name,
          revertAt,
          msg`interrupted while cancelling the revert timer: either the host reverts to the previous rules at ${at}, or the new rules stay without being saved; check with ${`portcullis pull ${opts.host} --live`} after that`,
          2,
        );
      case 'persisting':
      case 'verifying':
        return new ApplyInterruptedError(
          'confirmed',
          name,
          null,
          msg`interrupted after the new rules were confirmed: they stay live on ${name}, but /etc/sysconfig/iptables may not be saved; check with ${`portcullis pull ${opts.host}`}, and apply again to save them`,
          2,
        );
      default:
        return new ApplyInterruptedError(
          'live',
          name,
          revertAt,
          msg`interrupted: the new rules may be live on ${name}; the host reverts them by itself at ${at}; /etc/sysconfig/iptables untouched`,
          3,
        );
    }
  }

  const machine = opts.machine ?? inThisThread;
  let event: ApplyEvent = { kind: 'start', at: now() };
  try {
    for (;;) {
      const t = await machine.step(state, event);
      state = t.state;
      let action: Extract<ApplyCommand, { kind: string }> | undefined;
      for (const c of t.commands) {
        if (isAction(c)) action = c;
        else await orInterrupt(effect(c));
      }
      if (state.kind === 'done') return state.result!;
      if (!action) throw new Error(`internal: no action in state ${state.kind}`);
      const pending = perform(action);
      // abandoned on an interrupt: its failure is nobody's business, and what it opened is closed
      pending.then(closeAll, closeAll).catch(() => undefined);
      try {
        event = await orInterrupt(pending);
      } catch (e) {
        if (e instanceof ApplyInterruptedError) throw e;
        const hostKey = isHostError(e) && e.kind.startsWith('host-key');
        event = { kind: 'failed', at: now(), message: messageOf(e), hostKey: hostKey || (e instanceof StepError && e.hostKey) };
      }
    }
  } finally {
    machine.close?.();
    if (stop) opts.signal?.removeEventListener('abort', stop);
    done = true;
    await closeAll();
  }
}
