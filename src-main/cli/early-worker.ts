// The diff's parse worker, started by the bin (start.ts) before anything else
// when the command is `diff`. A worker thread takes about as long to start
// (Node's own start-up in a new isolate, then the bundle) as the main thread
// takes to reach the command: started by the command, the worker finishes its
// file that much after the main thread has finished the other, and the diff
// waits. Started here, both start together. It waits for its job (which file,
// which family), given by parseTextsInWorker once the command line is read;
// until then it does not keep the process alive, so a diff that stops early
// (a usage error, --help, standard input) ends as it would without it.
import { Worker } from 'node:worker_threads';

export const EARLY_JOB = 'portcullis-parse-texts-early';

const KEY = Symbol.for('portcullis.earlyParseWorker');

/** What happened to the early worker before anyone took it: an error, or its exit. */
interface EarlyWorker {
  worker: Worker;
  failed: boolean;
}

/** `bin` loads `bundle` (diff's, which does the job) in the worker, as it does on the main thread (start.ts) */
export function startEarlyParseWorker(bin: string, bundle: string): void {
  const w = new Worker(bin, { workerData: { job: EARLY_JOB, bundle }, argv: [], resourceLimits: { maxYoungGenerationSizeMb: 1 } });
  const early: EarlyWorker = { worker: w, failed: false };
  // an error with no listener would end the main thread; noted here, the taker falls back
  w.on('error', () => (early.failed = true));
  w.on('exit', () => (early.failed = true));
  w.unref();
  (globalThis as Record<symbol, unknown>)[KEY] = early;
}

/** The worker startEarlyParseWorker started, once (null when there is none or it failed). */
export function takeEarlyParseWorker(): Worker | null {
  const g = globalThis as Record<symbol, EarlyWorker | undefined>;
  const early = g[KEY];
  g[KEY] = undefined;
  if (!early) return null;
  if (early.failed) return null;
  return early.worker;
}
