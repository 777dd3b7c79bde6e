// Entry of the apply machine's worker thread (bundled as dist/main/apply-machine.cjs):
// holds the machine's full state and steps it on each event from the main thread.
import { parentPort } from 'node:worker_threads';
import { transition, type ApplyEvent, type ApplyState } from '../core/apply/index.js';
import { lightState } from './machine-worker.js';

let state: ApplyState | null = null;
parentPort!.on('message', (m: { state?: ApplyState; event: ApplyEvent }) => {
  try {
    if (m.state) state = m.state;
    if (!state) throw new Error('internal: the apply machine got an event before its state');
    const t = transition(state, m.event);
    state = t.state;
    parentPort!.postMessage({ ok: true, t: { ...t, state: lightState(t.state) } });
  } catch (e) {
    parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
