// The apply's steps on the host: one method per action of the state machine
// (core/apply/machine.ts), each one fixed remote script from scripts.ts with
// its payload on stdin, its answer turned into the machine's next event; and
// the side effects (progress, unlock, the audit record). It holds the SSH
// sessions: the first for everything up to the restore, a NEW one (same route,
// every hop reconnected) that proves new connections get in, and any opened
// later when the others are gone.
import { userInfo } from 'node:os';
import {
  addressFamily,
  applyFamilies,
  checkRevert,
  messageText,
  msg,
  proveTimer,
  sameRules,
  type ApplyCommand,
  type ApplyEvent,
  type ApplyState,
  type HostSnapshot,
  type HostView,
  type OtherFamilyRoute,
  type TimerRef,
} from '../core/apply/index.js';
import type { Family } from '../core/model.js';
import { normalizeLiveRules, openSession, otherFamilyRouteOf, privilegeName, probeSshHostKey, sha256Hex, type HostSession, type PullResult } from '../host/index.js';
import type { ApplyOptions } from './options.js';
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
import { StepError, messageOf, sleep, within } from './step-util.js';

type Action = Extract<ApplyCommand, { kind: string }>;
type ActionOf<K extends Action['kind']> = Extract<Action, { kind: K }>;
type Saves = { save: string | null; save6: string | null };

const alive = (s: HostSession | undefined) => (s && !s.closed ? s : undefined);
/** the header line a script reads first: words we generated, checked again on the host */
const header = (...words: (string | number)[]) => words.join(' ') + '\n';
/** a family's key or work-file suffix in the scripts' answers */
const sfx = (f: Family) => (f === 'ipv6' ? '6' : '');
const saveOf = (p: Saves, f: Family) => (f === 'ipv6' ? p.save6 : p.save);
const liveHash = (p: PullResult, f: Family) => (f === 'ipv6' ? p.live6 : p.live).rulesSha256;
const savedOf = (p: PullResult, f: Family) => (f === 'ipv6' ? p.saved6 : p.saved);

/** what a pull read of one family, as the machine's snapshot */
function snapshotOf(p: PullResult, f: Family): HostSnapshot {
  const saved = savedOf(p, f);
  const live = f === 'ipv6' ? p.live6 : p.live;
  if (!live.ok) throw new StepError(`${f === 'ipv6' ? 'ip6tables-save' : 'iptables-save'} failed on the host: ${live.error ?? 'not installed'}`);
  if (saved.present && !saved.ok) throw new StepError(`cannot read ${saved.source}: ${saved.error}`);
  return { savedPresent: saved.present, savedText: saved.text, savedSha256: saved.sha256, liveText: live.text, liveRulesSha256: live.rulesSha256 };
}

export class HostSteps {
  s1: HostSession | undefined;
  s2: HostSession | undefined;
  /** sessions opened when the first two were gone (a reboot, sshd restarted) */
  readonly extra: HostSession[] = [];

  constructor(
    private readonly opts: ApplyOptions,
    private readonly id: string,
    private readonly now: () => number,
    /** the machine's state as the runner holds it now */
    private readonly state: () => ApplyState,
  ) {}

  /** Carries out one action; its result is the machine's next event. */
  perform(c: Action): Promise<ApplyEvent> {
    switch (c.kind) {
      case 'connect':
        return this.connect();
      case 'lock':
        return this.lock(c);
      case 'read-state':
        return this.readState();
      case 'upload':
        return this.upload(c);
      case 'test':
        return this.test();
      case 'arm':
        return this.arm(c);
      case 'restore':
        return this.restore();
      case 'probe':
        return this.probe(c);
      case 'ask':
        return this.ask(c);
      case 'cancel':
        return this.cancel();
      case 'persist':
        return this.persist(c);
      case 'verify':
        return this.verify();
      case 'revert-now':
        return this.revertNow();
      case 'await-timer':
        return this.awaitTimer(c);
      case 'disarm':
        return this.disarm();
    }
    return Promise.reject(new StepError(`internal: unknown action ${(c as { kind: string }).kind}`));
  }

  /** Carries out a side effect (no event comes of it). */
  async effect(c: ApplyCommand): Promise<void> {
    if (c.kind === 'progress') this.opts.onProgress?.({ step: c.step, message: c.message, parts: c.parts, level: c.level, at: this.now() });
    else if (c.kind === 'unlock') await this.unlock(c.cleanup);
    else if (c.kind === 'finish') await this.finish(c.result);
  }

  /** the session to go on with: the new one, else the first */
  live(): HostSession | undefined {
    return alive(this.s2) ?? alive(this.s1);
  }

  async closeAll(): Promise<void> {
    for (const s of [this.s2, this.s1, ...this.extra]) await s?.close().catch(() => undefined);
  }

  // ---- helpers -------------------------------------------------------------------------

  private get families(): Family[] {
    return applyFamilies(this.state().ctx);
  }

  /** the families as the scripts take them: one word, 4, 6 or 46 */
  private famWord(): string {
    return this.families
      .map((f) => (f === 'ipv6' ? '6' : '4'))
      .sort()
      .join('');
  }

  /** the boot id the lock was taken under: post-arm scripts answer `rebooted` when the host booted since */
  private boot(): string {
    return this.state().ctx.bootId ?? '';
  }

  private root(s: HostSession, script: string, stdin: string | Buffer, timeoutMs = 60_000) {
    return s.exec(script, { stdin, sudo: true, timeoutMs });
  }

  private async rootOk(s: HostSession, script: string, stdin: string | Buffer, what: string, timeoutMs = 60_000) {
    const r = await this.root(s, script, stdin, timeoutMs);
    if (r.code !== 0) throw new StepError(`${what} failed on the host (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' / ') || r.stdout.trim()}`);
    return r;
  }

  /** a new session over the same route when the others are gone (closed by the host: a reboot, sshd restarted) */
  private async reconnect(what: string): Promise<HostSession> {
    const s = await within(this.s1!.reopen(), 15_000, what, (late) => void late.close(), this.opts.signal);
    this.extra.push(s);
    return s;
  }

  /** a `rebooted` answer (pcl_boot) as the event, else undefined */
  private rebootedEvent(stdout: string): ApplyEvent | undefined {
    const p = parseKeyed(stdout);
    if (p.lines[0] !== 'rebooted') return undefined;
    const [f, o] = this.families;
    const liveText = saveOf(p, f) ?? '';
    const saved = this.state().ctx.snapshot;
    return {
      kind: 'host-rebooted',
      at: this.now(),
      liveText,
      savedSha256: p.keys.get(`saved${sfx(f)}-sha256`)?.[0] ?? '',
      liveIsSaved: saved?.savedPresent && saved.savedText ? sameRules(liveText, saved.savedText) : null,
      ...(o ? { otherSavedSha256: p.keys.get(`saved${sfx(o)}-sha256`)?.[0] ?? '' } : {}),
    };
  }

  /** the rules read back after a revert, per family, against that family's backup */
  private revertChecks(p: Saves) {
    const [f, o] = this.families;
    const { ctx } = this.state();
    const check = (text: string | null, backup: { text: string; tables: string[] } | undefined) =>
      backup && text !== null ? checkRevert(text, backup.text, backup.tables, sha256Hex) : undefined;
    return { check: check(saveOf(p, f), ctx.plan?.backup), ...(o ? { otherCheck: check(saveOf(p, o), ctx.other?.plan?.backup) } : {}) };
  }

  // ---- the actions ---------------------------------------------------------------------

  private async connect(): Promise<ApplyEvent> {
    const s1 = (this.s1 = await openSession(this.opts.host, this.opts.session));
    if (s1.privilege.kind === 'none') throw new StepError(`no root on ${s1.target.name}: ${s1.privilege.reason}. Log in as root, or use a user with sudo (--sudo, --password-stdin)`);
    const w = await s1.exec(WHERE_SCRIPT, { timeoutMs: 20_000 });
    const k = parseKeyed(w.stdout).keys;
    const one = (key: string) => k.get(key)?.[0] || undefined;
    const route = one('route');
    const host: HostView = {
      name: s1.target.name,
      clientAddress: s1.probe.clientAddress ?? one('client'),
      serverAddress: s1.probe.serverAddress ?? one('server'),
      sshPort: Number(one('port')) || s1.target.port,
      inIface: route ? /\bdev (\S+)/.exec(route)?.[1] : undefined,
      localAddresses: k.get('addr') ?? [],
      firewalld: whereFirewalld(k),
    };
    const other = await this.otherFamily(s1, host);
    if (other) host.other = other;
    const last = s1.hostKeys[s1.hostKeys.length - 1];
    return {
      kind: 'connected',
      at: this.now(),
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

  /**
   * How the profile reaches the host over the family the session does not use, when this apply
   * changes that family's rules (host/other-family.ts: no second login; a TCP connection and key
   * exchange to the host's SSH port at most, bounded by PROBE_TIMEOUT_MS).
   */
  private async otherFamily(s1: HostSession, host: HostView): Promise<OtherFamilyRoute | undefined> {
    const session = host.clientAddress ? addressFamily(host.clientAddress)?.family : undefined;
    if (!session || this.families.every((f) => f === session)) return undefined;
    return otherFamilyRouteOf(s1, host.sshPort, host.localAddresses);
  }

  private async lock(c: ActionOf<'lock'>): Promise<ApplyEvent> {
    const r = await this.root(this.s1!, LOCK_SCRIPT, header(this.id, c.ttlS));
    if (r.code === 75) return { kind: 'lock-busy', at: this.now(), holder: r.stdout.trim().split('\n').pop() ?? 'unknown' };
    if (r.code !== 0 || !/^locked$/m.test(r.stdout)) throw new StepError(`taking the apply lock failed (exit ${r.code}): ${r.stderr.trim()}`);
    const took = /^took-over (.*)$/m.exec(r.stdout)?.[1];
    const boot = /^boot=([0-9a-f-]+)$/m.exec(r.stdout)?.[1];
    return { kind: 'locked', at: this.now(), ...(took ? { tookOver: took } : {}), ...(boot ? { boot } : {}) };
  }

  private async readState(): Promise<ApplyEvent> {
    // one pull reads both families; the apply takes what its families need
    const p = await this.s1!.pull();
    const [f, o] = this.families;
    return { kind: 'state-read', at: this.now(), snapshot: snapshotOf(p, f), ...(o ? { other: snapshotOf(p, o) } : {}) };
  }

  private async upload(c: ActionOf<'upload'>): Promise<ApplyEvent> {
    for (const f of c.files) {
      const bytes = Buffer.from(f.text, 'utf8');
      const r = await this.rootOk(this.s1!, PUT_SCRIPT, Buffer.concat([Buffer.from(header(this.id, f.name)), bytes]), `uploading the ${f.name}`);
      if (Number(r.stdout.trim()) !== bytes.length) throw new StepError(`the host stored ${r.stdout.trim()} bytes of the ${f.name}, not ${bytes.length}`);
    }
    return { kind: 'uploaded', at: this.now() };
  }

  private async test(): Promise<ApplyEvent> {
    const [f, o] = this.families;
    const r = await this.rootOk(this.s1!, TEST_SCRIPT, header(this.id), f === 'ipv6' ? 'ip6tables-restore --test' : 'iptables-restore --test');
    const k = parseKeyed(r.stdout).keys;
    const why = (name: string) => (k.get(`${name}-error`) ?? []).join('\n').trim();
    const tested = (x: Family) => ({
      ok: k.get(`candidate${sfx(x)}`)?.[0] === 'ok',
      message: why(`candidate${sfx(x)}`),
      backupOk: k.get(`backup${sfx(x)}`)?.[0] === 'ok',
      backupMessage: why(`backup${sfx(x)}`),
    });
    return { kind: 'tested', at: this.now(), ...tested(f), ...(o ? { other: tested(o) } : {}) };
  }

  private async arm(c: ActionOf<'arm'>): Promise<ApplyEvent> {
    const r = await this.rootOk(this.s1!, ARM_SCRIPT, header(this.id, c.seconds), 'arming the revert timer', 30_000);
    const m = /^(systemd-run|setsid) (\S+)$/m.exec(r.stdout);
    if (!m) throw new StepError(`arming the revert timer: unexpected answer "${r.stdout.trim()}"`);
    const k = parseKeyed(r.stdout).keys;
    const one = (key: string) => k.get(key)?.[0];
    const timer: TimerRef = m[1] === 'systemd-run' ? { method: 'systemd-run', unit: m[2] } : { method: 'setsid', pid: Number(m[2]) };
    const report = { timerState: one('timer-state'), timerNext: one('timer-next'), uptime: one('uptime'), revertAlive: one('revert-alive'), revertSleep: one('revert-sleep') };
    const [f, o] = this.families;
    const guarded = (x: Family) => ({
      guard: (k.get('guard') ?? []).includes(x === 'ipv6' ? 'ip6tables.service' : 'iptables.service'),
      saveOnStop: one(`save-on-stop${sfx(x)}`) === 'yes',
      saveOnRestart: one(`save-on-restart${sfx(x)}`) === 'yes',
    });
    return { kind: 'armed', at: this.now(), timer, proof: proveTimer(timer, report, c.seconds), ...guarded(f), ...(o ? { other: guarded(o) } : {}) };
  }

  private async restore(): Promise<ApplyEvent> {
    const r = await this.rootOk(this.s1!, RESTORE_SCRIPT, header(this.id), 'the restore', 120_000);
    const p = parseKeyed(r.stdout);
    const { lines } = p;
    const [f, o] = this.families;
    if (lines[0] === 'changed') return { kind: 'restore-refused', at: this.now(), message: 'the running rules changed between the read and the restore (another tool at work?)' };
    if (lines[0] === 'failed') return { kind: 'restore-failed', at: this.now(), message: lines.slice(1).join(' / ') || 'iptables-restore failed' };
    const save = saveOf(p, f);
    const otherSave = o ? saveOf(p, o) : null;
    if (lines[0] !== 'restored' || save === null || (o && otherSave === null)) throw new StepError(`the restore answered "${r.stdout.slice(0, 200)}"`);
    return {
      kind: 'restored',
      at: this.now(),
      liveText: save,
      liveRulesSha256: sha256Hex(normalizeLiveRules(save)),
      ...(o && otherSave !== null ? { other: { liveText: otherSave, liveRulesSha256: sha256Hex(normalizeLiveRules(otherSave)) } } : {}),
    };
  }

  private async probe(c: ActionOf<'probe'>): Promise<ApplyEvent> {
    const t0 = this.now();
    const left = () => c.deadlineAt - this.now();
    try {
      const s2 = (this.s2 = await within(this.s1!.reopen(), left(), 'a new SSH connection', (late) => void late.close(), this.opts.signal));
      const p = await within(s2.pull(), left(), 'reading the rules through the new connection', undefined, this.opts.signal);
      const [f, o] = this.families;
      for (const x of [f, ...(o ? [o] : [])]) {
        const live = x === 'ipv6' ? p.live6 : p.live;
        if (!live.ok) throw new StepError(`${x === 'ipv6' ? 'ip6tables-save' : 'iptables-save'} through the new connection failed: ${live.error}`);
      }
      const also = await this.probeOtherFamily(left());
      return { kind: 'probed', at: this.now(), liveRulesSha256: liveHash(p, f), clientAddress: s2.clientAddress, ms: this.now() - t0, ...(o ? { otherLiveRulesSha256: liveHash(p, o) } : {}), ...(also ? { also } : {}) };
    } catch (e) {
      return { kind: 'probe-failed', at: this.now(), message: messageOf(e) };
    }
  }

  /**
   * When the lockout check predicted the other family for a route the profile has over it, the
   * confirmation proves that route too: a new connection to the host's SSH port over that family
   * that gets to the same host key (host/other-family.ts; no login — the firewall decides on the
   * connection, not on what it authenticates). Throws (a failed probe) when it does not get there.
   */
  private async probeOtherFamily(leftMs: number): Promise<string | undefined> {
    const host = this.state().ctx.host;
    const o = host?.other;
    if (o?.kind !== 'reachable' || !o.server || !this.families.includes(o.family)) return undefined;
    const where = o.server.includes(':') ? `[${o.server}]:${host!.sshPort}` : `${o.server}:${host!.sshPort}`;
    const word = o.family === 'ipv6' ? 'IPv6' : 'IPv4';
    const last = this.s1!.hostKeys[this.s1!.hostKeys.length - 1];
    const a = await probeSshHostKey(o.server, host!.sshPort, last, Math.max(1000, Math.min(leftMs, 5000)));
    if (!a.ok) throw new StepError(`a new connection over ${word} to ${where} (the route the lockout check assumed) did not get in: ${a.why}`);
    return `over ${word}, a new connection from ${a.local} to ${where} reached sshd (the same host key)`;
  }

  private async ask(c: ActionOf<'ask'>): Promise<ApplyEvent> {
    if (!this.opts.ask) return { kind: 'answered', at: this.now(), keep: false, how: 'timeout' };
    try {
      const keep = await within(this.opts.ask({ summary: c.summary, deadlineAt: c.deadlineAt }), c.deadlineAt - this.now(), 'the answer', undefined, this.opts.signal);
      return { kind: 'answered', at: this.now(), keep, how: 'user' };
    } catch {
      return { kind: 'answered', at: this.now(), keep: false, how: 'timeout' };
    }
  }

  private async cancel(): Promise<ApplyEvent> {
    const s = this.live() ?? (await this.reconnect('a new SSH connection to confirm through'));
    const r = await this.rootOk(s, CANCEL_SCRIPT, header(this.id, this.boot()), 'cancelling the revert timer', 20_000);
    const rebooted = this.rebootedEvent(r.stdout);
    if (rebooted) return rebooted;
    const out = r.stdout.trim();
    if (out === 'cancelled') return { kind: 'cancelled', at: this.now() };
    const late = /^too-late (.*)$/.exec(out);
    if (late) return { kind: 'cancel-too-late', at: this.now(), outcome: late[1] };
    throw new StepError(`cancelling the revert timer answered "${out}"`);
  }

  private async persist(c: ActionOf<'persist'>): Promise<ApplyEvent> {
    const s = this.live();
    if (!s) throw new StepError('no session left to save through');
    const bytes = Buffer.from(c.text, 'utf8');
    const six = c.family === 'ipv6';
    const r = await this.rootOk(s, PERSIST_SCRIPT, Buffer.concat([Buffer.from(six ? header(this.id, 6) : header(this.id)), bytes]), `saving /etc/sysconfig/${six ? 'ip6tables' : 'iptables'}`);
    const k = parseKeyed(r.stdout).keys;
    return {
      kind: 'persisted',
      at: this.now(),
      ...(c.family ? { family: c.family } : {}),
      sha256Sent: sha256Hex(bytes),
      sha256Host: k.get('sha256')?.[0] ?? '',
      previousBackup: k.get('previous')?.[0] || null,
      restorecon: k.get('restorecon')?.[0] === 'yes',
    };
  }

  private async verify(): Promise<ApplyEvent> {
    let s = this.live();
    if (!s) {
      s = await this.s1!.reopen();
      this.extra.push(s);
      if (this.opts.signal?.aborted) await s.close(); // opened after an interrupt closed the others
    }
    const p = await s.pull();
    const [f, o] = this.families;
    const read = (x: Family) => ({ savedSha256: savedOf(p, x).sha256, liveRulesSha256: liveHash(p, x), savedText: savedOf(p, x).text });
    return { kind: 'verified', at: this.now(), ...read(f), ...(o ? { other: read(o) } : {}) };
  }

  private async revertNow(): Promise<ApplyEvent> {
    let lastErr: unknown;
    const { s1, s2 } = this;
    // both sessions gone (a reboot, a dropped link): one new connection may still revert now
    const sessions = alive(s1) || alive(s2) ? [alive(s1), alive(s2)] : [await this.reconnect('a new SSH connection to revert through').catch((e) => void (lastErr = e))];
    for (const s of sessions) {
      if (!s) continue;
      try {
        const r = await this.rootOk(s, REVERT_NOW_SCRIPT, header(this.id, this.famWord(), this.boot()), 'reverting', 60_000);
        const rebooted = this.rebootedEvent(r.stdout);
        if (rebooted) return rebooted;
        const p = parseKeyed(r.stdout);
        const save = saveOf(p, this.families[0]);
        const backup = this.state().ctx.plan!.backup;
        return {
          kind: 'reverted',
          at: this.now(),
          outcome: p.keys.get('outcome')?.[0] === 'reverted' ? 'reverted' : 'revert-failed',
          liveText: save ?? '',
          by: p.keys.get('by')?.[0] === 'timer' ? 'timer' : 'client',
          ...this.revertChecks(p),
          check: checkRevert(save ?? '', backup.text, backup.tables, sha256Hex),
          fileRestored: p.keys.get('file-restored'),
        };
      } catch (e) {
        lastErr = e;
      }
    }
    throw lastErr instanceof Error ? lastErr : new StepError('no session left to revert through');
  }

  private async awaitTimer(c: ActionOf<'await-timer'>): Promise<ApplyEvent> {
    await sleep(c.until - this.now(), this.opts.signal);
    try {
      let s = alive(this.s1) ?? alive(this.s2);
      if (!s) {
        s = await within(this.s1!.reopen(), 15_000, 'a new SSH connection to check the revert', (late) => void late.close(), this.opts.signal);
        this.extra.push(s);
      }
      const r = await this.rootOk(s, CHECK_SCRIPT, header(this.id, this.famWord(), this.boot()), 'checking the revert', 30_000);
      const rebooted = this.rebootedEvent(r.stdout);
      if (rebooted) return rebooted;
      const p = parseKeyed(r.stdout);
      const outcome = p.keys.get('outcome')?.[0] ?? 'none';
      const { check, otherCheck } = this.revertChecks(p);
      const same = !!check?.verified && (!this.state().ctx.other || !!otherCheck?.verified);
      return {
        kind: 'timer-checked',
        at: this.now(),
        reverted: outcome === 'reverted' && same,
        message: `the host reports "${outcome}"${same ? '' : ', and the rules are not the backup'}`,
        ...(outcome === 'reverted' && check ? { check } : {}),
        ...(outcome === 'reverted' && otherCheck ? { otherCheck } : {}),
        fileRestored: p.keys.get('file-restored'),
      };
    } catch (e) {
      return { kind: 'timer-checked', at: this.now(), reverted: null, message: `could not reach the host to check: ${messageOf(e)}` };
    }
  }

  private async disarm(): Promise<ApplyEvent> {
    const s = alive(this.s1) ?? alive(this.s2);
    if (s) await this.root(s, CANCEL_SCRIPT, header(this.id), 20_000).catch(() => undefined);
    return { kind: 'disarmed', at: this.now() };
  }

  // ---- the side effects ----------------------------------------------------------------

  private async unlock(cleanup: boolean): Promise<void> {
    const s = this.live();
    if (s) await this.root(s, UNLOCK_SCRIPT, header(this.id, cleanup ? 'yes' : 'no'), 20_000).catch(() => undefined);
  }

  /** frees the lock (and our files) through the first session, within 3 s: an apply interrupted before any change */
  async release(): Promise<void> {
    const s = alive(this.s1);
    if (s) await within(this.root(s, UNLOCK_SCRIPT, header(this.id, 'yes'), 3000), 3000, 'releasing the apply lock').catch(() => undefined);
  }

  /** the audit record: the local user, a line in the host's log, and the caller's history */
  private async finish(result: Extract<ApplyCommand, { kind: 'finish' }>['result']): Promise<void> {
    const rec = result.record;
    rec.localUser = localUser();
    const s = this.live() ?? this.extra.find((x) => !x.closed);
    if (!s) rec.hostLog = 'no-session';
    else {
      try {
        const r = await this.root(s, HOST_LOG_SCRIPT, JSON.stringify({ time: rec.finishedAt, event: 'apply', ...rec, changes: rec.changes ? { ...rec.changes, list: undefined } : undefined }) + '\n', 15_000);
        rec.hostLog = r.code === 0 ? 'written' : 'failed';
      } catch {
        rec.hostLog = 'failed';
      }
    }
    try {
      this.opts.onRecord?.(rec);
    } catch (e) {
      const w = msg`could not write the local history: ${messageOf(e)}`;
      result.warnings.push(messageText(w));
      result.warningParts.push(w);
    }
  }
}

/** who runs the apply on this machine, for the audit record */
export function localUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER;
  }
}
