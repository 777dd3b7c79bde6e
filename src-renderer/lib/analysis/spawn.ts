// Starting the analysis worker. Vite sees `new Worker(new URL(…))` and bundles
// analysis.worker.ts as its own file next to the page's, so it loads from the
// same origin (app://portcullis/ in Electron, the loopback server in browser
// mode) under CSP `worker-src 'self'`. Where there is no Worker (unit tests
// in Node) the same engine runs on this thread, answering asynchronously.
import { createEngine } from './engine.js';
import type { WorkerLike } from './client.js';
import type { FromWorker, ToWorker } from './protocol.js';

export function spawnAnalysisWorker(): WorkerLike {
  if (typeof Worker === 'undefined') return inlineWorker();
  return new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'portcullis-analysis' }) as unknown as WorkerLike;
}

/** The engine on the caller's thread, with the worker's copy semantics (structuredClone) and asynchrony. */
export function inlineWorker(): WorkerLike {
  let stopped = false;
  const w: WorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage(m: ToWorker) {
      const copy = structuredClone(m);
      setTimeout(() => {
        if (!stopped) handle(copy);
      }, 0);
    },
    terminate() {
      stopped = true;
    },
  };
  const handle = createEngine((m: FromWorker, transfer?: Transferable[]) => {
    const copy = structuredClone(m, { transfer });
    setTimeout(() => {
      if (!stopped) w.onmessage?.({ data: copy } as MessageEvent<FromWorker>);
    }, 0);
  });
  return w;
}
