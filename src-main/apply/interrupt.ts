// Ctrl-C during an apply: what the host was left with, said in words (the CLI's
// exit code and message) and kept in the local history. Which of the five it is
// follows from the state the machine was in when the interrupt came.
import { at as instant, auditRecord, msg, savedFilesOf, type ApplyState, type Message } from '../core/apply/index.js';
import { ApplyInterruptedError, type ApplyOptions, type InterruptedRecord } from './options.js';
import { localUser, type HostSteps } from './steps.js';

/** The error an interrupted apply rejects with; before any change the apply lock is freed first. */
export async function interruptionError(state: ApplyState, opts: ApplyOptions, steps: HostSteps, now: number): Promise<ApplyInterruptedError> {
  const { ctx } = state;
  const name = ctx.host?.name ?? opts.host;
  const files = savedFilesOf(ctx);
  const revertAt = ctx.armIssuedAt !== undefined ? ctx.armIssuedAt + opts.confirmTimeoutS * 1000 : null;
  const at: Message = revertAt !== null ? msg`${instant(revertAt)} (in ${Math.max(0, Math.round((revertAt - now) / 1000))} s)` : [];
  switch (state.kind) {
    case 'idle':
    case 'connecting':
    case 'locking':
    case 'reading':
    case 'uploading':
    case 'testing':
      // no timer yet: free the lock (and our files) so the next apply need not wait for it to go stale
      if (ctx.locked) await steps.release();
      return new ApplyInterruptedError('before-change', name, null, msg`interrupted before any change: nothing was loaded on ${name}`, 2);
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
        msg`interrupted after the new rules were confirmed: they keep running on ${name}, but ${[{ text: files }]} may not be saved; check with ${`portcullis pull ${opts.host}`}, and apply again to save them`,
        2,
      );
    default:
      return new ApplyInterruptedError('live', name, revertAt, msg`interrupted: the new rules may be running on ${name}; the host reverts them by itself at ${at}; ${[{ text: files }]} untouched`, 3);
  }
}

const HOST_LEFT: Record<ApplyInterruptedError['phase'], InterruptedRecord['interrupted']['hostLeft']> = {
  'before-change': 'unchanged',
  armed: 'unchanged',
  live: 'reverting',
  deciding: 'reverting-or-kept',
  confirmed: 'confirmed-not-saved',
};

/** The interrupted apply in the local history (best effort: the process is about to end). */
export function recordInterruption(e: ApplyInterruptedError, state: ApplyState, opts: ApplyOptions, now: number): void {
  // the same builder as every other ending, from what the context knew when it stopped
  const rec: InterruptedRecord = {
    ...auditRecord(state.ctx, now, { outcome: 'interrupted' as const, exitCode: e.exitCode, messageParts: e.parts }),
    interrupted: { phase: e.phase, step: state.kind, hostLeft: HOST_LEFT[e.phase], revertAt: e.revertAt === null ? null : new Date(e.revertAt).toISOString() },
  };
  rec.localUser = localUser();
  try {
    opts.onRecord?.(rec);
  } catch {
    /* the message on the terminal still says what the host was left with */
  }
}
