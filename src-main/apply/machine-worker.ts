// The apply's state machine off the main thread. Its pure steps include the
// expensive ones — validating and linting the proposal, planning against the
// host's rules (three parses and the lockout prediction), reading the result
// back — which for a 100,000-rule ruleset would hold the app's main process
// (its IPC, its WebSocket, every other host) for seconds. Here the machine
// lives in a worker thread: the main thread sends each event and gets the
// commands back with a light copy of the state (the parsed proposal stays in
// the worker), everything else in runApply unchanged.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { transition, type ApplyEvent, type ApplyState, type Transition } from '../core/apply/index.js';

/** How runApply steps the machine: in this thread, or in a worker. */
export interface MachineRunner {
  step(state: ApplyState, event: ApplyEvent): Transition | Promise<Transition>;
  close?(): void;
}

export const inThisThread: MachineRunner = { step: transition };

/** what the worker sends back: the state without what only the machine itself reads again */
export function lightState(s: ApplyState): ApplyState {
  if (!s.ctx.proposal) return s;
  return { ...s, ctx: { ...s.ctx, proposal: undefined } } as ApplyState;
}

type Reply = { ok: true; t: Transition } | { ok: false; message: string; worker?: boolean };

/**
 * A machine in a worker thread started from `file` (the bundled
 * apply-machine.cjs). Where that file is not there (tests from the sources),
 * or the worker cannot start, the machine runs in this thread (logged).
 */
export function machineInWorker(file: string, log?: (m: string) => void): MachineRunner {
  if (!existsSync(file)) {
    log?.(`apply: ${file} is missing; its state machine runs in the main thread`);
    return inThisThread;
  }
  let worker: Worker | null = null;
  let waiting: ((r: Reply) => void) | null = null;
  /** the worker could not start: the machine runs here (only decided before its first answer) */
  let here = false;
  let answered = false;
  const start = () => {
    const w = new Worker(file);
    const fail = (message: string) => {
      const k = waiting;
      waiting = null;
      k?.({ ok: false, worker: true, message });
    };
    w.on('message', (r: Reply) => {
      answered = true;
      const k = waiting;
      waiting = null;
      k?.(r);
    });
    w.on('error', (e) => fail(`the apply's worker failed: ${e.message}`));
    w.on('exit', (code) => fail(`the apply's worker stopped (${code})`));
    w.unref();
    return w;
  };
  return {
    step(state, event) {
      if (here) return transition(state, event);
      const first = !worker;
      worker ??= start();
      return new Promise<Transition>((resolve, reject) => {
        waiting = (r) => {
          if (r.ok) return resolve(r.t);
          // a worker that cannot start (a packaging problem) must not fail the apply: step here
          if (r.worker && first && !answered) {
            here = true;
            log?.(`apply: ${r.message}; its state machine runs in the main thread`);
            void worker?.terminate();
            return resolve(transition(state, event));
          }
          reject(new Error(r.message));
        };
        // the worker keeps its own full state: after the first step only events go over
        worker!.postMessage(first ? { state, event } : { event });
      });
    },
    close() {
      void worker?.terminate();
      worker = null;
    },
  };
}
