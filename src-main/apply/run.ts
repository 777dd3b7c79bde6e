// Runs the safe-apply state machine (core/apply) over SSH sessions (host/):
// the machine decides, the host steps (steps.ts) act, and each action's result
// is the next event, until the machine is done. Ctrl-C abandons the step under
// way and says what the host was left with (interrupt.ts).
import { randomBytes } from 'node:crypto';
import { initialState, isAction, type ApplyCommand, type ApplyEvent, type ApplyInput, type ApplyResult, type ApplyState } from '../core/apply/index.js';
import { isHostError, sha256Hex } from '../host/index.js';
import { inThisThread } from './machine-worker.js';
import { ApplyInterruptedError, type ApplyOptions } from './options.js';
import { interruptionError, recordInterruption } from './interrupt.js';
import { HostSteps } from './steps.js';
import { StepError, messageOf } from './step-util.js';

export { ApplyInterruptedError, type ApplyOptions, type InterruptedRecord } from './options.js';

const INTERRUPT = Symbol('interrupt');

/** The machine's input from the caller's options: hashes, and the families the proposals are for. */
function applyInput(opts: ApplyOptions, id: string): ApplyInput {
  return {
    id,
    host: opts.host,
    proposalName: opts.proposalName,
    proposalText: opts.proposalText,
    proposalSha256: sha256Hex(opts.proposalText),
    confirmTimeoutS: opts.confirmTimeoutS,
    confirm: opts.confirm,
    force: opts.force,
    base: opts.base,
    ...(opts.family === 'ipv6' ? { family: 'ipv6' as const } : {}),
    ...(opts.proposal6 && opts.family !== 'ipv6'
      ? { other: { family: 'ipv6' as const, name: opts.proposal6.name, text: opts.proposal6.text, sha256: sha256Hex(opts.proposal6.text) } }
      : {}),
  };
}

/** Resolves with INTERRUPT when the signal aborts; `off` stops listening. */
function interruptOf(signal: AbortSignal | undefined): { interrupted: Promise<typeof INTERRUPT>; off: () => void } {
  let stop: (() => void) | undefined;
  const interrupted = new Promise<typeof INTERRUPT>((resolve) => {
    stop = () => resolve(INTERRUPT);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
  return { interrupted, off: () => stop && signal?.removeEventListener('abort', stop) };
}

/** A step's failure as the machine's event (a host key problem is told apart: exit 5). */
function failedEvent(e: unknown, at: number): ApplyEvent {
  const hostKey = isHostError(e) && e.kind.startsWith('host-key');
  return { kind: 'failed', at, message: messageOf(e), hostKey: hostKey || (e instanceof StepError && e.hostKey) };
}

export async function runApply(opts: ApplyOptions): Promise<ApplyResult> {
  const now = opts.now ?? Date.now;
  const id = opts.id ?? randomBytes(8).toString('hex');
  if (!/^[0-9a-f]{8,64}$/.test(id)) throw new Error('apply id must be hex');
  let state: ApplyState = initialState(applyInput(opts, id), now());
  const steps = new HostSteps(opts, id, now, () => state);
  const machine = opts.machine ?? inThisThread;
  const { interrupted, off } = interruptOf(opts.signal);
  // Ctrl-C: whatever is under way is abandoned (its session is closed when the apply ends)
  const orInterrupt = async <T>(p: Promise<T>): Promise<T> => {
    const r = await Promise.race([p, interrupted]);
    if (r !== INTERRUPT) return r as T;
    const e = await interruptionError(state, opts, steps, now());
    recordInterruption(e, state, opts, now());
    throw e;
  };
  let done = false;
  const closeAll = () => (done ? steps.closeAll() : Promise.resolve());

  let event: ApplyEvent = { kind: 'start', at: now() };
  try {
    for (;;) {
      const t = await machine.step(state, event);
      state = t.state;
      let action: Extract<ApplyCommand, { kind: string }> | undefined;
      for (const c of t.commands) {
        if (isAction(c)) action = c;
        else await orInterrupt(steps.effect(c));
      }
      if (state.kind === 'done') return state.result!;
      if (!action) throw new Error(`internal: no action in state ${state.kind}`);
      const pending = steps.perform(action);
      // abandoned on an interrupt: its failure is nobody's business, and what it opened is closed
      pending.then(closeAll, closeAll).catch(() => undefined);
      try {
        event = await orInterrupt(pending);
      } catch (e) {
        if (e instanceof ApplyInterruptedError) throw e;
        event = failedEvent(e, now());
      }
    }
  } finally {
    machine.close?.();
    off();
    done = true;
    await closeAll();
  }
}
