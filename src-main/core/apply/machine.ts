// The safe-apply protocol as an explicit state machine. `transition(state,
// event)` is pure: it returns the next state and the commands for the runner
// (src-main/apply/) to carry out. Each transition asks for at most one ACTION
// (connect, lock, restore, probe …) whose result comes back as the next event;
// the other commands (progress, unlock, finish) are side effects with no reply.
//
// The promise it keeps: after the rules go live, the only way to exit 0 is a
// NEW SSH connection that reads the rules, then the cancelled host timer, then
// the persisted and re-read file. Every failure after the rules went live
// reverts — right away through the old session when it still works, else by
// the timer on the host, which never needed us.
import type { Finding } from '../findings.js';
import type { Family } from '../model.js';
import { parseRuleset, type ParseResult } from '../parse.js';
import { diffRulesets } from '../diff.js';
import type { Change } from '../diff.js';
import { checkProposal, describeSummary, planApply, savedFile, type ApplyPlan, type BaseRef, type ChangeSummary, type HostSnapshot, type HostView, type RefuseReason } from './plan.js';
import { differingTables } from './backup.js';
import type { ForeignReport } from './foreign.js';
import type { FamilyLockoutVerdict } from './lockout.js';
import { at as instant, messageText, ms as dur, msg, type Message } from './message.js';
import { checkRevert, type RevertCheck, type TimerProof, type TimerRef } from './revert-proof.js';

export type ConfirmMode = 'auto' | 'prompt';

/** seconds the host keeps an apply lock, before the revert timer is armed, past the holder's last step */
const PRE_ARM_LOCK_S = 120;

export interface ApplyInput {
  /** hex, unique per apply: names the host's work directory and timer */
  id: string;
  host: string;
  proposalName: string;
  proposalText: string;
  proposalSha256: string;
  confirmTimeoutS: number;
  confirm: ConfirmMode;
  force: boolean;
  base: BaseRef | null;
  /** the family of proposalText (default ipv4: iptables, /etc/sysconfig/iptables) */
  family?: Family;
  /**
   * the IPv6 proposal of a two-family apply (with family ipv4): one change, one host timer,
   * one decision. A family whose proposal changes neither its running rules nor its saved
   * file drops out of the apply (not reloaded, not rewritten).
   */
  other?: { family: Family; name: string; text: string; sha256: string };
}

/** The second family of a two-family apply, as far as the apply got with it. */
interface OtherFamily {
  family: Family;
  name: string;
  text: string;
  sha256: string;
  proposal?: ParseResult;
  snapshot?: HostSnapshot;
  plan?: Extract<ApplyPlan, { kind: 'go' | 'noop' }>;
  liveAfter?: { text: string; sha256: string };
  persisted?: { sha256Sent: string; sha256Host: string; previousBackup: string | null; restorecon: boolean };
  verified?: { savedSha256: string; liveRulesSha256: string };
  revertCheck?: RevertCheck;
}

/**
 * The work files of a family on the host: `candidate` (the proposal), `backup`, `expected`; IPv6's
 * end in 6. The names are the host side's (apply/scripts.ts), as a revert armed earlier reads them.
 */
type WorkFile = 'candidate' | 'backup' | 'expected' | 'candidate6' | 'backup6' | 'expected6';

const workFile = (name: 'candidate' | 'backup' | 'expected', family: Family): WorkFile => (family === 'ipv6' ? `${name}6` : name);

/** The families an apply changes: the primary proposal's, then the other's while it is in. */
export function applyFamilies(ctx: Pick<Context, 'input' | 'other'>): Family[] {
  return [ctx.input.family ?? 'ipv4', ...(ctx.other ? [ctx.other.family] : [])];
}

interface SessionInfo {
  user: string;
  privilege: string;
  hostKeyType: string;
  hostKeyFingerprint: string;
  /** every hop, jump hosts first (`user@host:port`) */
  route: string[];
}

export type { TimerRef };

export type Step =
  | 'validate'
  | 'connect'
  | 'lock'
  | 'read'
  | 'upload'
  | 'test'
  | 'arm'
  | 'restore'
  | 'probe'
  | 'ask'
  | 'cancel'
  | 'persist'
  | 'verify'
  | 'revert'
  | 'await-timer'
  | 'disarm';

export type ApplyEvent =
  | { kind: 'start'; at: number }
  | { kind: 'connected'; at: number; host: HostView; session: SessionInfo }
  /** boot: the host's boot id, to tell a reboot during the countdown */
  | { kind: 'locked'; at: number; tookOver?: string; boot?: string }
  | { kind: 'lock-busy'; at: number; holder: string }
  /** snapshot: the primary family's; other: the other family's (a two-family apply) */
  | { kind: 'state-read'; at: number; snapshot: HostSnapshot; other?: HostSnapshot }
  | { kind: 'uploaded'; at: number }
  /** backupOk: the backup passes iptables-restore --test too (a revert could not work otherwise) */
  | { kind: 'tested'; at: number; ok: boolean; message: string; backupOk?: boolean; backupMessage?: string; other?: { ok: boolean; message: string; backupOk?: boolean; backupMessage?: string } }
  /**
   * proof: the timer exists and is due at the deadline; guard: iptables.service's stop is guarded
   * (IPTABLES_SAVE_ON_STOP/RESTART would save the unconfirmed rules as the boot ruleset)
   */
  | {
      kind: 'armed';
      at: number;
      timer: TimerRef;
      proof?: TimerProof;
      guard?: boolean;
      saveOnStop?: boolean;
      saveOnRestart?: boolean;
      /** the same for the other family's service (ip6tables.service) */
      other?: { guard?: boolean; saveOnStop?: boolean; saveOnRestart?: boolean };
    }
  | { kind: 'restored'; at: number; liveText: string; liveRulesSha256: string; other?: { liveText: string; liveRulesSha256: string } }
  /** the running rules changed between the read and the restore: nothing was applied */
  | { kind: 'restore-refused'; at: number; message: string }
  /** iptables-restore failed: tables before the failing one may be live */
  | { kind: 'restore-failed'; at: number; message: string }
  /** also: what the confirmation proved over the other family (the route its lockout check assumed) */
  | { kind: 'probed'; at: number; liveRulesSha256: string; clientAddress?: string; ms: number; otherLiveRulesSha256?: string; also?: string }
  | { kind: 'probe-failed'; at: number; message: string }
  | { kind: 'answered'; at: number; keep: boolean; how: 'user' | 'timeout' }
  | { kind: 'cancelled'; at: number }
  | { kind: 'cancel-too-late'; at: number; outcome: string }
  /** family: which file (the primary family's when absent) */
  | { kind: 'persisted'; at: number; sha256Sent: string; sha256Host: string; previousBackup: string | null; restorecon: boolean; family?: Family }
  /** savedText: the file as read back (recognises the new file when the persist step lost its answer) */
  | { kind: 'verified'; at: number; savedSha256: string; liveRulesSha256: string; savedText?: string; other?: { savedSha256: string; liveRulesSha256: string; savedText?: string } }
  /** check: the rules read back against the backup; fileRestored: /etc/sysconfig/iptables was overwritten during the countdown and put back */
  | { kind: 'reverted'; at: number; outcome: 'reverted' | 'revert-failed'; liveText: string; by: 'client' | 'timer'; check?: RevertCheck; fileRestored?: string[]; otherCheck?: RevertCheck }
  | { kind: 'timer-checked'; at: number; reverted: boolean | null; message: string; check?: RevertCheck; fileRestored?: string[]; otherCheck?: RevertCheck }
  /**
   * the host booted since the apply took its lock: the countdown's timer, guard and work directory
   * went with the reboot; liveIsSaved: whether it runs what its saved file holds
   */
  | { kind: 'host-rebooted'; at: number; liveText: string; savedSha256: string; liveIsSaved: boolean | null; otherSavedSha256?: string }
  | { kind: 'disarmed'; at: number }
  | { kind: 'failed'; at: number; message: string; hostKey?: boolean };

export type ApplyCommand =
  // actions: the runner answers each with one event
  | { kind: 'connect' }
  | { kind: 'lock'; ttlS: number }
  | { kind: 'read-state' }
  | { kind: 'upload'; files: { name: WorkFile; text: string }[] }
  | { kind: 'test' }
  | { kind: 'arm'; seconds: number }
  | { kind: 'restore' }
  | { kind: 'probe'; deadlineAt: number }
  | { kind: 'ask'; deadlineAt: number; summary: string }
  | { kind: 'cancel' }
  /** family: which file (the primary family's when absent) */
  | { kind: 'persist'; text: string; family?: Family }
  | { kind: 'verify' }
  | { kind: 'revert-now' }
  | { kind: 'await-timer'; until: number }
  | { kind: 'disarm' }
  // side effects
  /** message: the text of parts (for the CLI); parts: the same with its values as values (for the app) */
  | { kind: 'progress'; step: Step; message: string; parts: Message; level: 'info' | 'warn' }
  | { kind: 'unlock'; cleanup: boolean }
  | { kind: 'finish'; result: ApplyResult };

export const ACTIONS = [
  'connect',
  'lock',
  'read-state',
  'upload',
  'test',
  'arm',
  'restore',
  'probe',
  'ask',
  'cancel',
  'persist',
  'verify',
  'revert-now',
  'await-timer',
  'disarm',
] as const;
type ActionKind = (typeof ACTIONS)[number];
export const isAction = (c: ApplyCommand): c is Extract<ApplyCommand, { kind: ActionKind }> => (ACTIONS as readonly string[]).includes(c.kind);

type Outcome = 'confirmed' | 'unchanged' | 'reverted' | 'refused' | 'error';
type ExitCode = 0 | 2 | 3 | 4 | 5;

export interface AuditRecord {
  id: string;
  startedAt: string;
  finishedAt: string;
  host: { name: string; user?: string; privilege?: string; hostKey?: string; hostKeyType?: string; route?: string[]; clientAddress?: string };
  /**
   * the proposal applied. The record's field keeps its first name: history.jsonl and the
   * host's /var/log/portcullis.log hold lines written with it (the app's AuditEntryDto says proposal)
   */
  candidate: { name: string; sha256: string };
  /** the families the apply changed (absent in lines written before it existed: IPv4) */
  families?: Family[];
  /** the other family of a two-family apply: its proposal (as `candidate`, above), hashes and changes */
  other?: {
    family: Family;
    candidate: { name: string; sha256: string };
    before?: { savedSha256: string; liveRulesSha256: string };
    after?: { savedSha256?: string; liveRulesSha256?: string };
    changes?: ChangeSummary;
    persisted?: { previousBackup: string | null; restorecon: boolean };
    revertCheck?: RevertCheck;
  };
  before?: { savedSha256: string; liveRulesSha256: string };
  after?: { savedSha256?: string; liveRulesSha256?: string };
  changes?: ChangeSummary & { list: Change[]; truncated: boolean };
  kept?: ForeignReport;
  lockout?: string;
  timer?: TimerRef & { seconds: number };
  probe?: { ok: boolean; ms?: number; message?: string; clientAddress?: string };
  confirm: ConfirmMode;
  force: boolean;
  outcome: Outcome;
  exitCode: ExitCode;
  refuseReason?: RefuseReason;
  message: string;
  /** the message with its values as values (durations, instants, names); absent in lines written before it existed */
  messageParts?: Message;
  warnings: string[];
  /** the warnings as data, one per warning (absent in lines written before it existed) */
  warningParts?: Message[];
  persisted?: { previousBackup: string | null; restorecon: boolean };
  revertedBy?: 'client' | 'timer';
  /** ms per step */
  timings: Partial<Record<Step, number>>;
  totalMs: number;
  /** from the start to the cancelled timer */
  confirmedAfterMs?: number;
  /** the revert timer as proven before the rules were loaded */
  timerProof?: TimerProof;
  /** after a revert: the rules read back against the backup */
  revertCheck?: RevertCheck;
  /** the host rebooted during the countdown */
  rebooted?: boolean;
  /** filled in by the runner: the local user, and whether the host's log got the record */
  localUser?: string;
  hostLog?: 'written' | 'failed' | 'no-session';
}

export interface ApplyResult {
  outcome: Outcome;
  exitCode: ExitCode;
  message: string;
  /** the message with its values as values */
  messageParts: Message;
  refuseReason?: RefuseReason;
  findings: Finding[];
  warnings: string[];
  /** the warnings as data, one per warning */
  warningParts: Message[];
  record: AuditRecord;
}

interface Context {
  input: ApplyInput;
  startedAt: number;
  proposal?: ParseResult;
  findings: Finding[];
  host?: HostView;
  session?: SessionInfo;
  snapshot?: HostSnapshot;
  plan?: Extract<ApplyPlan, { kind: 'go' | 'noop' }>;
  /** the second family of a two-family apply, while it is in the apply */
  other?: OtherFamily;
  locked: boolean;
  /** the restore may have changed the running rules */
  live: boolean;
  timer?: TimerRef;
  timerProof?: TimerProof;
  /** the host's boot id when the lock was taken */
  bootId?: string;
  revertCheck?: RevertCheck;
  rebooted?: boolean;
  /** /etc/sysconfig/iptables was overwritten during the countdown and put back */
  fileRestored?: boolean;
  /** why the apply is being reverted (revertMessage names it) */
  revertWhy?: Message;
  /** when the arm command went out: the host deadline is no earlier than this plus the timeout */
  armIssuedAt?: number;
  armedAt?: number;
  liveAfter?: { text: string; sha256: string };
  probe?: AuditRecord['probe'];
  confirmedAt?: number;
  persisted?: { sha256Sent: string; sha256Host: string; previousBackup: string | null; restorecon: boolean };
  persistFailed?: string;
  verified?: { savedSha256: string; liveRulesSha256: string };
  revertedBy?: 'client' | 'timer';
  /** as data (the record and the result also have them as text) */
  warnings: (Message | string)[];
  step?: Step;
  stepAt?: number;
  timings: Partial<Record<Step, number>>;
  /** the result to finish with once a clean-up action (disarm) is done */
  pending?: { outcome: Outcome; exitCode: ExitCode; message: Message; refuseReason?: RefuseReason };
}

export type StateKind =
  | 'idle'
  | 'connecting'
  | 'locking'
  | 'reading'
  | 'uploading'
  | 'testing'
  | 'arming'
  | 'restoring'
  | 'probing'
  | 'asking'
  | 'cancelling'
  | 'persisting'
  | 'verifying'
  | 'reverting'
  | 'awaiting-timer'
  | 'disarming'
  | 'done';

export interface ApplyState {
  kind: StateKind;
  ctx: Context;
  result?: ApplyResult;
}

export interface Transition {
  state: ApplyState;
  commands: ApplyCommand[];
}

export function initialState(input: ApplyInput, now: number): ApplyState {
  return { kind: 'idle', ctx: { input, startedAt: now, findings: [], locked: false, live: false, warnings: [], timings: {} } };
}

/** Margin kept before the host's deadline: confirmation must be done by then. */
export function confirmMargin(timeoutS: number): number {
  return Math.min(Math.max(1000, timeoutS * 250), 15_000);
}

const GRACE_MS = 1500;

// ---- building blocks -----------------------------------------------------------------

function closeStep(ctx: Context, at: number): Context {
  if (!ctx.step || ctx.stepAt === undefined) return ctx;
  return { ...ctx, timings: { ...ctx.timings, [ctx.step]: (ctx.timings[ctx.step] ?? 0) + Math.max(0, at - ctx.stepAt) }, step: undefined, stepAt: undefined };
}

function to(kind: StateKind, ctx: Context, at: number, step: Step, action: ApplyCommand, ...effects: ApplyCommand[]): Transition {
  return { state: { kind, ctx: { ...ctx, step, stepAt: at } }, commands: [...effects, action] };
}

const asMessage = (m: Message | string): Message => (typeof m === 'string' ? [{ text: m }] : m);

function progress(step: Step, message: Message | string, level: 'info' | 'warn' = 'info'): ApplyCommand {
  const parts = asMessage(message);
  return { kind: 'progress', step, message: messageText(parts), parts, level };
}

/**
 * The audit record of an apply from what its context knows at `at`: the one builder for every
 * ending (this machine's outcomes, and the runner's record of an interrupted apply).
 */
export function auditRecord<O extends string, X extends number>(
  ctx: Context,
  at: number,
  ending: { outcome: O; exitCode: X; messageParts: Message; refuseReason?: RefuseReason },
): Omit<AuditRecord, 'outcome' | 'exitCode'> & { outcome: O; exitCode: X } {
  const { input, plan, snapshot, session, host } = ctx;
  const { outcome, exitCode, messageParts } = ending;
  const message = messageText(messageParts);
  const warningParts = ctx.warnings.map(asMessage);
  const warnings = warningParts.map(messageText);
  return {
    id: input.id,
    startedAt: new Date(ctx.startedAt).toISOString(),
    finishedAt: new Date(at).toISOString(),
    host: {
      name: host?.name ?? input.host,
      user: session?.user,
      privilege: session?.privilege,
      hostKey: session?.hostKeyFingerprint,
      hostKeyType: session?.hostKeyType,
      route: session?.route,
      clientAddress: host?.clientAddress,
    },
    candidate: { name: input.proposalName, sha256: input.proposalSha256 },
    ...(input.family === 'ipv6' || ctx.other ? { families: applyFamilies(ctx) } : {}),
    ...(ctx.other ? { other: otherRecord(ctx.other) } : {}),
    ...(snapshot ? { before: { savedSha256: snapshot.savedSha256, liveRulesSha256: snapshot.liveRulesSha256 } } : {}),
    ...(ctx.verified || ctx.liveAfter
      ? { after: { savedSha256: ctx.verified?.savedSha256, liveRulesSha256: ctx.verified?.liveRulesSha256 ?? ctx.liveAfter?.sha256 } }
      : {}),
    ...(plan
      ? {
          changes: { ...plan.summary, list: plan.changes.changes.slice(0, 200), truncated: plan.changes.changes.length > 200 },
          kept: plan.kept,
          lockout: lockoutRecord(plan.lockout),
        }
      : {}),
    ...(ctx.timer ? { timer: { ...ctx.timer, seconds: input.confirmTimeoutS } } : {}),
    ...(ctx.probe ? { probe: ctx.probe } : {}),
    confirm: input.confirm,
    force: input.force,
    outcome,
    exitCode,
    ...(ending.refuseReason ? { refuseReason: ending.refuseReason } : {}),
    message,
    messageParts,
    warnings,
    warningParts,
    ...(ctx.persisted ? { persisted: { previousBackup: ctx.persisted.previousBackup, restorecon: ctx.persisted.restorecon } } : {}),
    ...(ctx.revertedBy ? { revertedBy: ctx.revertedBy } : {}),
    timings: ctx.timings,
    totalMs: at - ctx.startedAt,
    ...(ctx.confirmedAt !== undefined ? { confirmedAfterMs: ctx.confirmedAt - ctx.startedAt } : {}),
    ...(ctx.timerProof ? { timerProof: ctx.timerProof } : {}),
    ...(ctx.revertCheck ? { revertCheck: ctx.revertCheck } : {}),
    ...(ctx.rebooted ? { rebooted: true } : {}),
  };
}

function otherRecord(o: OtherFamily): NonNullable<AuditRecord['other']> {
  return {
    family: o.family,
    candidate: { name: o.name, sha256: o.sha256 },
    ...(o.snapshot ? { before: { savedSha256: o.snapshot.savedSha256, liveRulesSha256: o.snapshot.liveRulesSha256 } } : {}),
    ...(o.verified || o.liveAfter ? { after: { savedSha256: o.verified?.savedSha256, liveRulesSha256: o.verified?.liveRulesSha256 ?? o.liveAfter?.sha256 } } : {}),
    ...(o.plan ? { changes: o.plan.summary } : {}),
    ...(o.persisted ? { persisted: { previousBackup: o.persisted.previousBackup, restorecon: o.persisted.restorecon } } : {}),
    ...(o.revertCheck ? { revertCheck: o.revertCheck } : {}),
  };
}

/** The saved files of the apply's families, as the messages name them. */
export function savedFilesOf(ctx: Pick<Context, 'input' | 'other'>): string {
  return applyFamilies(ctx).map(savedFile).join(' and ');
}

function finish(
  ctx0: Context,
  at: number,
  outcome: Outcome,
  exitCode: ExitCode,
  messageOrParts: Message | string,
  extra: { refuseReason?: RefuseReason; findings?: Finding[]; unlock?: boolean; cleanup?: boolean } = {},
): Transition {
  const ctx = closeStep(ctx0, at);
  const messageParts = asMessage(messageOrParts);
  const message = messageText(messageParts);
  const warningParts = ctx.warnings.map(asMessage);
  const warnings = warningParts.map(messageText);
  const record = auditRecord(ctx, at, { outcome, exitCode, messageParts, refuseReason: extra.refuseReason });
  const result: ApplyResult = {
    outcome,
    exitCode,
    message,
    messageParts,
    refuseReason: extra.refuseReason,
    findings: extra.findings ?? ctx.findings,
    warnings: [...warnings],
    warningParts: [...warningParts],
    record,
  };
  const commands: ApplyCommand[] = [];
  if (extra.unlock && ctx.locked) commands.push({ kind: 'unlock', cleanup: !!extra.cleanup });
  commands.push({ kind: 'finish', result });
  return { state: { kind: 'done', ctx: { ...ctx, locked: ctx.locked && !extra.unlock }, result }, commands };
}

function revertNow(ctx: Context, at: number, why: Message | string): Transition {
  const w = asMessage(why);
  return to('reverting', { ...ctx, revertWhy: w, warnings: [...ctx.warnings, w] }, at, 'revert', { kind: 'revert-now' }, progress('revert', msg`${w}; reverting now`, 'warn'));
}

function awaitTimer(ctx: Context, at: number, why: Message | string): Transition {
  const w = asMessage(why);
  const hostDeadline = (ctx.armedAt ?? ctx.armIssuedAt ?? at) + ctx.input.confirmTimeoutS * 1000;
  const until = Math.max(at, hostDeadline) + GRACE_MS;
  return to(
    'awaiting-timer',
    { ...ctx, revertWhy: w, warnings: [...ctx.warnings, w] },
    at,
    'await-timer',
    { kind: 'await-timer', until },
    progress('await-timer', msg`${w}; the host reverts by itself at ${instant(hostDeadline)}; waiting to check`, 'warn'),
  );
}

/** What a failure means in each state. */
function onFailure(s: ApplyState, at: number, message: string, hostKey = false): Transition {
  const ctx = closeStep(s.ctx, at);
  switch (s.kind) {
    case 'idle':
    case 'connecting':
      return finish(ctx, at, 'error', hostKey ? 5 : 2, msg`${message}`);
    case 'locking':
    case 'reading':
    case 'uploading':
    case 'testing':
      return finish({ ...ctx, locked: true }, at, 'error', 2, msg`${message} (nothing was changed)`, { unlock: true });
    case 'arming':
      // a timer may be armed: take it back before letting go of the lock
      return to('disarming', { ...ctx, pending: { outcome: 'error', exitCode: 2, message: msg`${message} (nothing was changed)` } }, at, 'disarm', { kind: 'disarm' });
    case 'disarming':
      return finish(
        { ...ctx, warnings: [...ctx.warnings, msg`could not take back the revert timer: ${message}; it restores the unchanged rules when it fires`] },
        at,
        ctx.pending?.outcome ?? 'error',
        ctx.pending?.exitCode ?? 2,
        ctx.pending?.message ?? msg`${message}`,
        { refuseReason: ctx.pending?.refuseReason },
      );
    case 'restoring':
      return revertNow({ ...ctx, live: true }, at, msg`the restore did not report back (${message})`);
    case 'probing':
      return revertNow(ctx, at, msg`no new SSH connection: ${message}`);
    case 'asking':
    case 'cancelling':
      return revertNow(ctx, at, msg`${message}`);
    case 'persisting':
      // the rename may or may not have happened: find out before deciding
      return to('verifying', { ...ctx, persistFailed: message }, at, 'verify', { kind: 'verify' }, progress('verify', msg`saving failed (${message}); checking what the host holds`, 'warn'));
    case 'verifying':
      if (ctx.persistFailed)
        return finish(ctx, at, 'error', 2, msg`the new rules run and were confirmed, but saving failed (${[{ text: ctx.persistFailed }]}) and the file could not be checked (${[{ text: message }]}): look at ${savedFilesOf(ctx)} on the host`);
      return finish(ctx, at, 'error', 2, `the new rules run and were saved, but re-reading them failed: ${message}`);
    case 'reverting':
      return awaitTimer(ctx, at, `could not revert through the first session (${message})`);
    case 'awaiting-timer':
      return finish(ctx, at, 'reverted', 3, `not confirmed; the host timer was due to revert, but that could not be checked: ${message}`);
    case 'done':
      return { state: s, commands: [] };
  }
}

// ---- the transition function -----------------------------------------------------------

export function transition(s: ApplyState, e: ApplyEvent): Transition {
  if (s.kind === 'done') return { state: s, commands: [] };
  if (e.kind === 'failed') return onFailure(s, e.at, e.message, e.hostKey);
  const at = e.at;
  const unexpected = () => onFailure(s, at, `internal: event ${e.kind} while ${s.kind}`);
  return ON_EVENT[s.kind](closeStep(s.ctx, at), e, at, unexpected);
}

type Handler = (ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition) => Transition;

function onIdle(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind !== 'start') return unexpected();
  const check = checkProposal(input.proposalText, input.family ?? 'ipv4');
  if (!check.ok) return finish({ ...ctx, findings: check.findings }, at, 'refused', 4, msg`${input.proposalName}: ${[{ text: check.message }]}; nothing was changed`, { refuseReason: 'invalid' });
  const valid = [progress('validate', validMessage(input.proposalName, check.findings))];
  let other: OtherFamily | undefined;
  if (input.other) {
    const o = checkProposal(input.other.text, input.other.family);
    if (!o.ok) return finish({ ...ctx, findings: o.findings }, at, 'refused', 4, msg`${input.other.name}: ${[{ text: o.message }]}; nothing was changed`, { refuseReason: 'invalid' });
    other = { ...input.other, proposal: o.parsed };
    valid.push(progress('validate', validMessage(input.other.name, o.findings)));
  }
  return to(
    'connecting',
    { ...ctx, proposal: check.parsed, findings: check.findings, other, timings: { ...ctx.timings, validate: 0 } },
    at,
    'connect',
    { kind: 'connect' },
    ...valid,
  );
}

function onConnecting(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind !== 'connected') return unexpected();
  const c = { ...ctx, host: e.host, session: e.session };
  const where = e.host.clientAddress ? `, seen from ${e.host.clientAddress}${e.host.inIface ? ` on ${e.host.inIface}` : ''}` : '';
  return to(
    'locking',
    c,
    at,
    'lock',
    // before the timer is armed the host holds it while our SSH session lives, and at most
    // PRE_ARM_LOCK_S past our last step; arming extends it to the timer's deadline
    { kind: 'lock', ttlS: PRE_ARM_LOCK_S },
    progress('connect', msg`connected to ${e.host.name} as ${e.session.user} (${e.session.privilege}${where}); host key ${e.session.hostKeyFingerprint}`),
  );
}

function onLocking(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind === 'lock-busy')
    return finish(ctx, at, 'refused', 4, msg`another apply holds the lock on ${ctx.host?.name ?? input.host} (${e.holder}); nothing was changed`, { refuseReason: 'busy' });
  if (e.kind !== 'locked') return unexpected();
  const c = { ...ctx, locked: true, bootId: e.boot, warnings: e.tookOver ? [...ctx.warnings, msg`took over a stale apply lock (${e.tookOver})`] : ctx.warnings };
  return to('reading', c, at, 'read', { kind: 'read-state' }, progress('lock', 'apply lock taken'));
}

function onReading(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind !== 'state-read') return unexpected();
  return planned({ ...ctx, snapshot: e.snapshot }, at, e.other);
}

function onUploading(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind !== 'uploaded') return unexpected();
  const backups = [ctx.plan!, ...(ctx.other?.plan ? [ctx.other.plan] : [])].map((p, i) => {
    const empty = p.backup.emptyAdded;
    const fam = ctx.other ? `${FAMILY_WORD[applyFamilies(ctx)[i]]} ` : '';
    const unloaded = empty.length ? msg`; ${empty.join(', ')} not loaded now: the revert empties ${asMessage(empty.length === 1 ? 'it' : 'them')}` : [];
    return msg`${asMessage(fam)}backup of ${p.backup.tables.join(', ')}${unloaded}`;
  });
  const list = backups.flatMap((b, i) => (i ? [...asMessage('; '), ...b] : b));
  return to('testing', ctx, at, 'test', { kind: 'test' }, progress('upload', msg`proposal and backup on the host (${list})`));
}

function onTesting(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind !== 'tested') return unexpected();
  if (ctx.other && e.other && (!e.other.ok || e.other.backupOk === false))
    return finish(
      ctx,
      at,
      'refused',
      4,
      !e.other.ok
        ? msg`${'ip6tables-restore --test'} on the host rejects ${ctx.other.name}: ${e.other.message}; nothing was changed`
        : msg`the backup of the running IPv6 rules does not pass ${'ip6tables-restore --test'} on the host, so a revert could not restore them: ${e.other.backupMessage || 'no reason given'}; nothing was changed`,
      { refuseReason: !e.other.ok ? 'invalid' : 'revert-unproven', unlock: true, cleanup: true },
    );
  if (!e.ok)
    return finish(ctx, at, 'refused', 4, msg`${`${restoreTool(input.family)} --test`} on the host rejects the proposal: ${e.message}; nothing was changed`, {
      refuseReason: 'invalid',
      unlock: true,
      cleanup: true,
    });
  if (e.backupOk === false)
    return finish(
      ctx,
      at,
      'refused',
      4,
      msg`the backup of the running rules does not pass ${`${restoreTool(input.family)} --test`} on the host, so a revert could not restore them: ${e.backupMessage || 'no reason given'}; nothing was changed`,
      { refuseReason: 'revert-unproven', unlock: true, cleanup: true },
    );
  // both families: iptables' first, worded as every IPv4 apply says it
  const tools = `${restoreTool(ctx.other ? 'ipv4' : input.family)} --test`;
  return {
    ...to('arming', { ...ctx, armIssuedAt: at }, at, 'arm', { kind: 'arm', seconds: input.confirmTimeoutS }, progress('test', msg`${tools} passes on the host${asMessage(ctx.other ? ', and ip6tables-restore --test' : '')}${asMessage(e.backupOk ? `, for the proposal${ctx.other ? 's' : ''} and for the backup${ctx.other ? 's' : ''} a revert restores` : '')}`)),
  };
}

function onArming(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind !== 'armed') return unexpected();
  const c: Context = { ...ctx, timer: e.timer, armedAt: at, timerProof: e.proof };
  const what = e.timer.method === 'systemd-run' ? msg`systemd timer ${e.timer.unit}` : msg`detached process ${e.timer.pid}`;
  if (e.proof && !e.proof.ok)
    return to(
      'disarming',
      { ...c, pending: { outcome: 'refused', exitCode: 4, message: msg`the revert timer could not be proven (${e.proof.detail}); nothing was changed`, refuseReason: 'revert-unproven' } },
      at,
      'disarm',
      { kind: 'disarm' },
    );
  const checked = e.proof ? msg`; checked: ${[{ text: e.proof.detail }]}` : [];
  const cmds = [progress('arm', msg`revert timer armed on the host (${what}, ${input.confirmTimeoutS} s${checked})`)];
  const guards = [{ family: input.family ?? 'ipv4', ...e }, ...(ctx.other && e.other ? [{ family: ctx.other.family, ...e.other }] : [])];
  for (const g of guards) {
    const V = g.family === 'ipv6' ? 'IP6TABLES' : 'IPTABLES';
    const unit = g.family === 'ipv6' ? 'ip6tables.service' : 'iptables.service';
    const flags = [g.saveOnStop ? `${V}_SAVE_ON_STOP` : '', g.saveOnRestart ? `${V}_SAVE_ON_RESTART` : ''].filter(Boolean).join(' and ');
    if (flags)
      cmds.push(
        progress(
          'arm',
          g.guard
            ? msg`${flags} is on: until this apply is decided, a stop, restart or shutdown of ${[{ text: unit }]} cannot make the unconfirmed rules the saved ones (guarded; the file is put back)`
            : msg`${flags} is on: a save during the countdown is undone when the revert runs`,
        ),
      );
  }
  return to('restoring', c, at, 'restore', { kind: 'restore' }, ...cmds);
}

function onRestoring(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind === 'restore-refused')
    return to(
      'disarming',
      { ...ctx, pending: { outcome: 'refused', exitCode: 4, message: msg`${e.message}; nothing was changed`, refuseReason: 'host-changed' } },
      at,
      'disarm',
      { kind: 'disarm' },
    );
  if (e.kind === 'restore-failed') return revertNow({ ...ctx, live: true }, at, msg`${'iptables-restore'} failed on the host: ${e.message}`);
  if (e.kind !== 'restored') return unexpected();
  const c: Context = {
    ...ctx,
    live: true,
    liveAfter: { text: e.liveText, sha256: e.liveRulesSha256 },
    ...(ctx.other && e.other ? { other: { ...ctx.other, liveAfter: { text: e.other.liveText, sha256: e.other.liveRulesSha256 } } } : {}),
  };
  const deadline = (ctx.armIssuedAt ?? at) + input.confirmTimeoutS * 1000;
  const confirmBy = deadline - confirmMargin(input.confirmTimeoutS);
  const cmds: ApplyCommand[] = [
    progress('restore', msg`rules running on ${ctx.host!.name}; the host reverts them at ${instant(deadline)} (in ${input.confirmTimeoutS} s) unless a new connection confirms`),
  ];
  // iptables-save prints what the kernel holds: a difference is our reading of a rule, worth a look, not a failure
  const differ = readbackDifferences(e.liveText, ctx.plan!.applyText, input.family) + (ctx.other?.plan && e.other ? readbackDifferences(e.other.liveText, ctx.other.plan.applyText, ctx.other.family) : 0);
  if (differ) c.warnings = [...c.warnings, msg`the running rules read back with ${differ} difference${differ === 1 ? '' : 's'} from what was sent; check with ${'portcullis diff'}`];
  return to('probing', c, at, 'probe', { kind: 'probe', deadlineAt: confirmBy }, ...cmds, progress('probe', 'opening a NEW SSH connection over the same route'));
}

function onProbing(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind === 'probe-failed') return revertNow({ ...ctx, probe: { ok: false, message: e.message } }, at, msg`no new SSH connection: ${e.message}`);
  if (e.kind !== 'probed') return unexpected();
  const c: Context = { ...ctx, probe: { ok: true, ms: e.ms, clientAddress: e.clientAddress } };
  const otherChanged = !!(ctx.other?.liveAfter && e.otherLiveRulesSha256 !== undefined && e.otherLiveRulesSha256 !== ctx.other.liveAfter.sha256);
  if ((ctx.liveAfter && e.liveRulesSha256 !== ctx.liveAfter.sha256) || otherChanged)
    c.warnings = [...c.warnings, 'the rules changed between the restore and the new connection (another tool at work?)'];
  const gotIn = progress('probe', msg`a new SSH connection got in (${dur(e.ms)}) and read the rules${asMessage(e.also ? `; ${e.also}` : '')}`);
  const deadline = (ctx.armIssuedAt ?? at) + input.confirmTimeoutS * 1000;
  if (input.confirm === 'prompt')
    return to('asking', c, at, 'ask', { kind: 'ask', deadlineAt: deadline - confirmMargin(input.confirmTimeoutS), summary: summaryOf(ctx) }, gotIn);
  return to('cancelling', c, at, 'cancel', { kind: 'cancel' }, gotIn);
}

function onAsking(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind !== 'answered') return unexpected();
  if (!e.keep) return revertNow(ctx, at, e.how === 'timeout' ? 'no answer in time' : 'the new rules were not kept');
  return to('cancelling', ctx, at, 'cancel', { kind: 'cancel' });
}

function onCancelling(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind === 'host-rebooted') return finishRebooted(ctx, at, e);
  if (e.kind === 'cancel-too-late') return to('awaiting-timer', { ...ctx, revertedBy: 'timer' }, at, 'await-timer', { kind: 'await-timer', until: at }, progress('cancel', `too late: the host timer already ${e.outcome === 'reverted' ? 'reverted' : 'started reverting'}`, 'warn'));
  if (e.kind !== 'cancelled') return unexpected();
  const c: Context = { ...ctx, confirmedAt: at };
  return to('persisting', c, at, 'persist', persistCommand(ctx.plan!.persistText, input.family), progress('cancel', msg`confirmed after ${dur(at - ctx.startedAt)}; revert timer cancelled`));
}

function onPersisting(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind !== 'persisted') return unexpected();
  const primary = (e.family ?? 'ipv4') === (input.family ?? 'ipv4');
  const { kind: _k, at: _a, family: _f, ...saved } = e;
  const c: Context = primary ? { ...ctx, persisted: saved } : { ...ctx, other: { ...ctx.other!, persisted: saved } };
  if (e.sha256Host !== e.sha256Sent) return onFailure({ kind: 'persisting', ctx: c }, at, `the host wrote a file with sha256 ${e.sha256Host}, not the ${e.sha256Sent} sent`);
  const said = progress('persist', msg`saved ${savedFile(e.family ?? input.family)}${e.previousBackup ? msg`; previous file kept as ${e.previousBackup}` : []}${asMessage(e.restorecon ? '; SELinux context restored' : '')}`);
  // the other family's file next, then one read-back of both
  if (primary && c.other?.plan) return to('persisting', c, at, 'persist', persistCommand(c.other.plan.persistText, c.other.family), said);
  return to('verifying', c, at, 'verify', { kind: 'verify' }, said);
}

function onVerifying(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind !== 'verified') return unexpected();
  const c: Context = { ...ctx, verified: { savedSha256: e.savedSha256, liveRulesSha256: e.liveRulesSha256 } };
  if (ctx.persistFailed) {
    if ((ctx.persisted && e.savedSha256 === ctx.persisted.sha256Sent) || (e.savedText !== undefined && e.savedText === ctx.plan?.persistText))
      return finishConfirmed(c, at, `saving reported a problem (${ctx.persistFailed}) but the file is the new one`);
    if (ctx.snapshot && e.savedSha256 === ctx.snapshot.savedSha256) return revertNow(c, at, `saving failed (${ctx.persistFailed}); the file is unchanged, so the running rules go back to match it`);
    return finish(c, at, 'error', 2, msg`saving failed (${[{ text: ctx.persistFailed }]}) and ${savedFilesOf(ctx)} ${asMessage(ctx.other ? 'are neither the old nor the new files' : 'is neither the old nor the new file')} (sha256 ${e.savedSha256}): look at the host`);
  }
  if (e.savedSha256 !== ctx.persisted!.sha256Sent)
    return finish(c, at, 'error', 2, msg`${savedFile(input.family)} read back with sha256 ${e.savedSha256}, not the ${ctx.persisted!.sha256Sent} written: look at the host`, { unlock: true });
  if (ctx.other) {
    c.other = { ...ctx.other, ...(e.other ? { verified: { savedSha256: e.other.savedSha256, liveRulesSha256: e.other.liveRulesSha256 } } : {}) };
    if (e.other?.savedSha256 !== ctx.other.persisted?.sha256Sent)
      return finish(c, at, 'error', 2, msg`${savedFile(ctx.other.family)} read back with sha256 ${e.other?.savedSha256 ?? 'unknown'}, not the ${ctx.other.persisted?.sha256Sent ?? 'unknown'} written: look at the host`, { unlock: true });
  }
  if (ctx.liveAfter && e.liveRulesSha256 !== ctx.liveAfter.sha256)
    c.warnings = [
      ...c.warnings,
      ctx.snapshot && e.liveRulesSha256 === ctx.snapshot.liveRulesSha256
        ? msg`the host runs the rules from before this apply again (iptables.service stopped or restarted during the countdown?), while ${'/etc/sysconfig/iptables'} now holds the new ones: they load at the next boot or restart; apply again to load them now`
        : 'the running rules changed after the restore (another tool at work?)',
    ];
  return finishConfirmed(c, at);
}

function onReverting(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  const { input } = ctx;
  if (e.kind === 'host-rebooted') return finishRebooted(ctx, at, e);
  if (e.kind !== 'reverted') return unexpected();
  const backup = ctx.plan!.backup;
  const check = e.check ?? checkRevert(e.liveText, backup.text, backup.tables);
  const c: Context = { ...withFileRestored(ctx, e.fileRestored), revertedBy: e.by, revertCheck: e.outcome === 'reverted' ? check : undefined };
  if (c.other && e.otherCheck) c.other = { ...c.other, revertCheck: e.otherCheck };
  if (e.outcome !== 'reverted')
    return finish(c, at, 'error', 2, msg`REVERT FAILED on ${ctx.host!.name}: ${ctx.other ? 'iptables-restore or ip6tables-restore' : restoreTool(input.family)} of the backup did not succeed; the host runs the proposal or part of it — log in and check now`);
  if (!check.verified) return finish(c, at, 'error', 2, mismatchMessage(c, e.by, check));
  if (ctx.other && e.otherCheck && !e.otherCheck.verified) return finish(c, at, 'error', 2, mismatchMessage(c, e.by, e.otherCheck, ctx.other.family));
  // decided and verified: the work directory has served (a failed revert keeps it for a look)
  return finish(c, at, 'reverted', 3, revertMessage(c, e.by), { unlock: true, cleanup: true });
}

function onAwaitingTimer(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind === 'host-rebooted') return finishRebooted(ctx, at, e);
  if (e.kind !== 'timer-checked') return unexpected();
  const c: Context = { ...withFileRestored(ctx, e.fileRestored), revertedBy: 'timer', revertCheck: e.check };
  if (c.other && e.otherCheck) c.other = { ...c.other, revertCheck: e.otherCheck };
  if (e.check && e.reverted !== null && !e.check.verified) return finish(c, at, 'error', 2, mismatchMessage(c, 'timer', e.check));
  if (ctx.other && e.otherCheck && e.reverted !== null && !e.otherCheck.verified) return finish(c, at, 'error', 2, mismatchMessage(c, 'timer', e.otherCheck, ctx.other.family));
  if (e.reverted === false) return finish(c, at, 'error', 2, `the host timer should have reverted by now, but the rules are not the backup: ${e.message}`);
  if (e.reverted) return finish(c, at, 'reverted', 3, revertMessage(c, 'timer'), { unlock: true, cleanup: true });
  return finish(c, at, 'reverted', 3, `not confirmed; the host timer reverts by itself (${e.message})`);
}

function onDisarming(ctx: Context, e: ApplyEvent, at: number, unexpected: () => Transition): Transition {
  if (e.kind !== 'disarmed') return unexpected();
  const p: NonNullable<Context['pending']> = ctx.pending ?? { outcome: 'error', exitCode: 2, message: [{ text: 'stopped' }] };
  return finish({ ...ctx, timer: undefined }, at, p.outcome, p.exitCode, p.message, { refuseReason: p.refuseReason, unlock: true, cleanup: true });
}

/** What each state does with the event its action answered with. */
const ON_EVENT: Record<Exclude<StateKind, 'done'>, Handler> = {
  idle: onIdle,
  connecting: onConnecting,
  locking: onLocking,
  reading: onReading,
  uploading: onUploading,
  testing: onTesting,
  arming: onArming,
  restoring: onRestoring,
  probing: onProbing,
  asking: onAsking,
  cancelling: onCancelling,
  persisting: onPersisting,
  verifying: onVerifying,
  reverting: onReverting,
  'awaiting-timer': onAwaitingTimer,
  disarming: onDisarming,
};

/**
 * After the read: plans each family against what its host side holds, refuses when either
 * refuses, drops a family that changes nothing (it is not reloaded or rewritten), and uploads
 * the files of the families left.
 */
function planned(c0: Context, at: number, otherSnapshot: HostSnapshot | undefined): Transition {
  const { input } = c0;
  const family = input.family ?? 'ipv4';
  const plan = planApply({ family, proposal: c0.proposal!, proposalText: input.proposalText, findings: c0.findings, host: c0.host!, snapshot: c0.snapshot!, base: input.base, force: input.force });
  const two = !!c0.other;
  const tag = (f: Family, w: Message | string): Message => (two ? msg`${asMessage(FAMILY_WORD[f])} rules: ${asMessage(w)}` : asMessage(w));
  let warnings: (Message | string)[] = [...c0.warnings, ...plan.warnings.map((w) => tag(family, w))];
  const refused = (p: Extract<ApplyPlan, { kind: 'refuse' }>, f: Family) =>
    withEffects(
      finish({ ...c0, warnings }, at, 'refused', 4, msg`${tag(f, p.message)}; nothing was changed`, { refuseReason: p.reason, findings: p.findings, unlock: true, cleanup: true }),
      warnings.slice(c0.warnings.length).map((w) => progress('read', w, 'warn')),
    );
  if (plan.kind === 'refuse') return refused(plan, family);
  let other = c0.other;
  let otherPlan: ApplyPlan | undefined;
  if (other) {
    if (!otherSnapshot) return finish({ ...c0, warnings }, at, 'error', 2, msg`the host did not report its ${asMessage(FAMILY_WORD[other.family])} rules (${asMessage(other.family === 'ipv6' ? 'ip6tables-save' : 'iptables-save')}); nothing was changed`, { unlock: true, cleanup: true });
    otherPlan = planApply({
      family: other.family,
      proposal: other.proposal!,
      proposalText: other.text,
      findings: [],
      host: c0.host!,
      snapshot: otherSnapshot,
      base: input.base?.kind === 'hashes' ? input.base : null,
      force: input.force,
    });
    warnings = [...warnings, ...otherPlan.warnings.map((w) => tag(other!.family, w))];
    if (otherPlan.kind === 'refuse') return refused(otherPlan, other.family);
    other = { ...other, snapshot: otherSnapshot, plan: otherPlan };
  }
  const warnCmds = warnings.slice(c0.warnings.length).map((w) => progress('read', w, 'warn'));
  let c: Context = { ...c0, plan, other, warnings };
  const keptCmds = [plan, ...(otherPlan && otherPlan.kind !== 'refuse' ? [otherPlan] : [])].flatMap((p) => describeKept(p.kept)).map((m) => progress('read', m));
  const left: ApplyCommand[] = [];
  // a family that changes nothing drops out: the other one is the apply
  if (other?.plan && plan.kind === 'noop' && other.plan.kind === 'go') {
    left.push(progress('read', msg`${asMessage(FAMILY_WORD[family])}: ${c0.host!.name} already runs and saves this ruleset; left alone`));
    c = {
      ...c,
      input: { ...input, family: other.family, proposalName: other.name, proposalText: other.text, proposalSha256: other.sha256, other: undefined },
      proposal: other.proposal,
      snapshot: other.snapshot,
      plan: other.plan,
      other: undefined,
    };
  } else if (other?.plan && other.plan.kind === 'noop') {
    left.push(progress('read', msg`${asMessage(FAMILY_WORD[other.family])}: ${c0.host!.name} already runs and saves this ruleset; left alone`));
    c = { ...c, other: undefined };
  }
  if (c.plan!.kind === 'noop')
    return withEffects(finish(c, at, 'unchanged', 0, msg`${c0.host!.name} already runs and saves ${asMessage(two ? 'these rulesets' : 'this ruleset')}; nothing to do`, { unlock: true, cleanup: true }), [...warnCmds, ...keptCmds]);
  const files = [c.plan!, ...(c.other?.plan ? [c.other.plan] : [])].flatMap((p, i) => {
    const f = applyFamilies(c)[i];
    return [
      { name: workFile('candidate', f), text: p.applyText },
      { name: workFile('backup', f), text: p.backup.text },
      { name: workFile('expected', f), text: p.expectedText },
    ];
  });
  const lockout = lockoutLine([c.plan!, ...(c.other?.plan ? [c.other.plan] : [])].map((p) => p.lockout), applyFamilies(c));
  return to('uploading', c, at, 'upload', { kind: 'upload', files }, ...warnCmds, ...keptCmds, ...left, progress('read', `${summaryOf(c)}; lockout check: ${lockout}`));
}

function finishConfirmed(c: Context, at: number, note?: string): Transition {
  const ms = (c.confirmedAt ?? at) - c.startedAt;
  const warnings = note ? [...c.warnings, note] : c.warnings;
  return finish({ ...c, warnings }, at, 'confirmed', 0, msg`applied, confirmed through a new SSH connection (${dur(ms)} after the start) and saved to ${[{ text: savedFilesOf(c) }]}`, {
    unlock: true,
    cleanup: true,
  });
}

const short = (sha?: string) => (sha ? sha.slice(0, 12) : '');

function revertMessage(c: Context, by: 'client' | 'timer'): Message {
  const why = c.revertWhy ?? asMessage(c.warnings[c.warnings.length - 1] ?? 'not confirmed');
  const sha = c.revertCheck?.backupSha256 ? `, sha256 ${short(c.revertCheck.backupSha256)}…` : '';
  const proof = c.revertCheck?.verified ? asMessage(`: reverted and verified (the running rules read back match the backup${sha})`) : [];
  const files = savedFilesOf(c);
  const file = asMessage(c.fileRestored ? `${files} as ${c.other ? 'they were' : 'it was'} before (put back)` : `${files} untouched`);
  return msg`not confirmed (${why}); the host ${asMessage(by === 'timer' ? 'reverted by itself' : 'was reverted')} to the rules it ran before${proof}; ${file}`;
}

function mismatchMessage(c: Context, by: 'client' | 'timer', check: RevertCheck, family?: Family): Message {
  const n = check.differ.length;
  const hashes = check.liveSha256 && check.backupSha256 ? ` (read back sha256 ${short(check.liveSha256)}…, backup ${short(check.backupSha256)}…)` : '';
  const rules = asMessage(c.other || family ? `running ${FAMILY_WORD[family ?? c.input.family ?? 'ipv4']} rules` : 'running rules');
  return msg`not confirmed; the host ${asMessage(by === 'timer' ? 'reverted by itself' : 'was reverted')}, but the ${rules} read back do NOT match the backup: the ${check.differ.join(', ')} table${asMessage(n === 1 ? '' : 's')} differ${asMessage(n === 1 ? 's' : '')}${asMessage(hashes)} — look at ${c.host?.name ?? c.input.host} now`;
}

const FAMILY_WORD: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

const restoreTool = (family?: Family) => (family === 'ipv6' ? 'ip6tables-restore' : 'iptables-restore');

function persistCommand(text: string, family?: Family): ApplyCommand {
  return family === 'ipv6' ? { kind: 'persist', text, family } : { kind: 'persist', text };
}

function validMessage(name: string, findings: Finding[]): Message {
  const warn = findings.filter((f) => f.severity === 'warning').length;
  return msg`${name}: valid${asMessage(warn ? `, ${warn} lint warning${warn === 1 ? '' : 's'}` : '')}`;
}

/** What the apply changes, per family when there are two. */
function summaryOf(ctx: Context): string {
  if (!ctx.other?.plan) return describeSummary(ctx.plan!.summary);
  const [a, b] = applyFamilies(ctx);
  return `${FAMILY_WORD[a]}: ${describeSummary(ctx.plan!.summary)}; ${FAMILY_WORD[b]}: ${describeSummary(ctx.other.plan.summary)}`;
}

/** /etc/sysconfig/iptables was written during the countdown and put back: say so, and where the written one is kept */
function withFileRestored(c: Context, restored?: string[]): Context {
  if (!restored?.length) return c;
  const kept = restored.map((r) => r.split(' ')[1]).filter(Boolean);
  const file = c.other ? 'a saved ruleset' : savedFile(c.input.family);
  const w = msg`${file} was overwritten during the countdown (a save of the unconfirmed rules: ${asMessage(c.input.family === 'ipv6' ? 'IP6TABLES' : 'IPTABLES')}_SAVE_ON_STOP or a restart?) and put back${asMessage(kept.length ? `; what was written is kept as ${kept.join(', ')}` : '')}`;
  return { ...c, fileRestored: true, warnings: [...c.warnings, w] };
}

/** The host rebooted before confirmation: its timer, guard and work directory went with the reboot; it runs what it booted with. */
function finishRebooted(ctx: Context, at: number, e: Extract<ApplyEvent, { kind: 'host-rebooted' }>): Transition {
  const c: Context = { ...ctx, rebooted: true, live: false, locked: false };
  const name = ctx.host?.name ?? ctx.input.host;
  const before = ctx.snapshot;
  const otherBefore = ctx.other?.snapshot;
  const fileChanged =
    (before && e.savedSha256 !== (before.savedPresent ? before.savedSha256 : 'absent')) ||
    (otherBefore && e.otherSavedSha256 !== undefined && e.otherSavedSha256 !== (otherBefore.savedPresent ? otherBefore.savedSha256 : 'absent'));
  if (fileChanged)
    return finish(c, at, 'error', 2, msg`the host rebooted before confirmation, and ${savedFilesOf(ctx)} ${asMessage(ctx.other ? 'are not the files' : 'is not the file')} it had before this apply (sha256 ${short(e.savedSha256)}…): it may have booted with unconfirmed rules — look at ${name} now`);
  const runs = e.liveIsSaved === false ? asMessage(', though the running rules differ from that file (another tool at work?)') : [];
  return finish(c, at, 'reverted', 3, msg`not confirmed: the host rebooted before confirmation and runs its saved rules (${savedFilesOf(ctx)}, unchanged)${runs}; the new rules are gone, and nothing of this apply is left on ${name} to revert anything later`);
}

function withEffects(t: Transition, before: ApplyCommand[]): Transition {
  return { state: t.state, commands: [...before, ...t.commands] };
}

function describeKept(k: ForeignReport): Message[] {
  const out: Message[] = [];
  for (const c of k.chains) {
    const jumps = k.jumps.filter((j) => j.table === c.table && j.rule.endsWith(` ${c.chain}`));
    const from = jumps.length ? msg` and its jump${asMessage(jumps.length === 1 ? '' : 's')} from ${jumps.map((j) => `${j.chain} #${j.index}`).join(', ')}` : [];
    out.push(msg`keeping ${c.tool} chain ${c.table} ${c.chain} (${asMessage(`${c.rules} rule${c.rules === 1 ? '' : 's'}`)})${from}; not written to ${'/etc/sysconfig/iptables'}`);
  }
  for (const u of k.untouched) out.push(msg`the ${u.table} table is not in the proposal: it stays as it runs (${u.chains.join(', ')})`);
  return out;
}

/** Changes between what was sent and what the kernel reports, in the tables sent. */
function readbackDifferences(liveText: string, sentText: string, family: Family = 'ipv4'): number {
  const sent = parseRuleset(sentText, { family }).ruleset;
  const live = parseRuleset(liveText, { family }).ruleset;
  const liveSent = { ...live, tables: live.tables.filter((t) => sent.tables.some((x) => x.name === t.name)) };
  return diffRulesets(sent, liveSent).changes.length;
}

/** the audit record's lockout: what was predicted (a family not checked says so, never "gets in") */
function lockoutRecord(v: FamilyLockoutVerdict): string {
  const over = (v.kind === 'locked' || v.kind === 'unknown') && v.over ? ` (${v.over})` : '';
  if (v.kind === 'locked') return v.finding.message + over;
  if (v.kind === 'unknown') return `unknown${over}: ${v.reason}`;
  if (v.kind === 'unchecked') return `not checked: ${v.reason}`;
  return 'a new SSH connection gets in';
}

/** the plan's lockout line: every family checked and open, FORCED past a refusal, or which family was not checked */
function lockoutLine(verdicts: FamilyLockoutVerdict[], families: Family[]): string {
  if (verdicts.some((v) => v.kind === 'locked' || v.kind === 'unknown')) return 'FORCED';
  const unchecked = families.filter((_, i) => verdicts[i]?.kind === 'unchecked');
  // the other family checked for the route the runner found: say which it assumed
  const assumed = verdicts.flatMap((v) => (v.kind === 'open' && v.over ? [` (also ${v.over})`] : [])).join('');
  if (!unchecked.length) return `a new SSH connection gets in${assumed}`;
  const checked = families.filter((f) => !unchecked.includes(f));
  const gets = checked.length ? `a new SSH connection gets in over ${checked.map((f) => FAMILY_WORD[f]).join(' and ')}; ` : '';
  return `${gets}${unchecked.map((f) => FAMILY_WORD[f]).join(' and ')} not checked (the reason above)`;
}
