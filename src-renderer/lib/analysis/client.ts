// The page's side of the analysis worker: typed jobs with ids, one at a time
// in order, answers put together from their parts, progress, and cancel.
// A cancel of the running job answers its caller at once and asks the worker
// to stop it: the worker checks between the pieces of an answer and, where
// the page can share memory with it, between the chains of a lint (the
// core's analyses are plain synchronous code: a message cannot reach it
// then). The next job waits until the worker says it stopped; one that does
// not within CANCEL_GRACE_MS (a long parse, or no shared memory) is ended
// with its worker, and the documents it held are sent again when next asked
// for (each request can carry its texts).
import type { DocRef, FromWorker, JobRequest, PartPath, Progress, ToWorker } from './protocol.js';

export class AnalysisCancelled extends Error {
  constructor(what: string) {
    super(`${what}: cancelled`);
    this.name = 'AnalysisCancelled';
  }
}

export function isCancelled(e: unknown): e is AnalysisCancelled {
  return e instanceof AnalysisCancelled;
}

/** what the client needs of a Worker (a real one, or the engine on this thread) */
export interface WorkerLike {
  postMessage(m: ToWorker): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

export interface JobOptions {
  /** what the admin sees while it runs ("Linting web1.rules") */
  label: string;
  onProgress?: (p: Progress) => void;
  /** ahead of the jobs waiting (not of the one running): a short job someone waits for, like the search's index */
  first?: boolean;
}

export interface Job<T> {
  readonly promise: Promise<T>;
  readonly label: string;
  cancel(): void;
}

/**
 * A kind of job of which only the newest counts (a document's lint, a host's
 * pair findings): starting one cancels the one before, and the answer or
 * failure of an older one is dropped, so a slow old answer never overwrites a
 * newer one.
 */
export class LatestJob<T> {
  private job: Job<T> | null = null;
  /** runs `job`; `done`/`failed` are called only if it is still the newest when it ends */
  start(job: Job<T>, done: (value: T) => void, failed: (e: unknown) => void): Promise<void> {
    this.job?.cancel();
    this.job = job;
    return job.promise.then(
      (value) => {
        if (this.job !== job) return;
        this.job = null;
        done(value);
      },
      (e: unknown) => {
        if (this.job !== job) return;
        this.job = null;
        failed(e);
      },
    );
  }
  /** stops the newest job; its `failed` still runs (with the cancellation) */
  cancel(): void {
    this.job?.cancel();
  }
  /** stops the newest job and drops it: neither of its callbacks runs */
  drop(): void {
    this.job?.cancel();
    this.job = null;
  }
}

/** a job as the activity indicator sees it */
export interface ActiveJob {
  readonly id: number;
  readonly label: string;
  /** performance.now() when the worker started on it (0 while it waits) */
  startedAt: number;
  progress: Progress | null;
  cancel(): void;
}

export interface ActivityObserver {
  changed(jobs: readonly ActiveJob[]): void;
}

interface Pending extends ActiveJob {
  request: JobRequest;
  value: unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (p: Progress) => void;
}

/**
 * How long a cancelled job may take to stop before its worker is ended. Ending
 * it loses every document it holds: the next job then reads a 100,000-rule
 * file again (a second or more of work, several on a loaded machine) and lints
 * it whole, so waiting for a stop within a few seconds is the cheaper one. A
 * lint stops between chains at once; what runs on is a parse, a diff, a
 * recipe's placement or the staged marks — a few hundred ms of work, which
 * on a machine loaded 10–20 per core takes seconds.
 */
export const CANCEL_GRACE_MS = 5000;

export class AnalysisClient {
  private worker: WorkerLike | null = null;
  /** shared with the current worker (where memory can be shared): a cancelled running job's id */
  private stop: Int32Array | null = null;
  /** the running job that was cancelled, until the worker says it stopped: the next job waits for that */
  private draining: { id: number; timer: ReturnType<typeof setTimeout> } | null = null;
  private readonly waiting: Pending[] = [];
  private current: Pending | null = null;
  private nextId = 1;
  /** workers started so far (a cancel the worker does not heed in time ends one, and the next job starts another) */
  spawned = 0;
  /** running jobs the worker stopped on a cancel, keeping its documents */
  stoppedInPlace = 0;

  constructor(
    private readonly spawn: () => WorkerLike,
    private readonly observer: ActivityObserver | null = null,
  ) {}

  run<T>(request: JobRequest, opts: JobOptions): Job<T> {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res as (v: unknown) => void;
      reject = rej;
    });
    const p: Pending = {
      id: this.nextId++,
      label: opts.label,
      startedAt: 0,
      progress: null,
      request,
      value: undefined,
      resolve,
      reject,
      onProgress: opts.onProgress,
      cancel: () => this.cancel(p),
    };
    if (opts.first) this.waiting.unshift(p);
    else this.waiting.push(p);
    this.pump();
    this.notify();
    return { promise, label: opts.label, cancel: p.cancel };
  }

  /** the document is gone: the worker may forget its parse */
  drop(docId: number): void {
    this.worker?.postMessage({ type: 'drop', doc: docId });
    for (const k of [...this.held]) if (k.startsWith(`${docId}/`)) this.held.delete(k);
  }

  /** jobs running or waiting, running first */
  get active(): ActiveJob[] {
    return this.current ? [this.current, ...this.waiting] : [...this.waiting];
  }

  private pump(): void {
    if (this.current || this.draining || !this.waiting.length) return;
    const p = this.waiting.shift()!;
    this.current = p;
    p.startedAt = performance.now();
    const w = this.ensureWorker();
    w.postMessage({ type: 'run', id: p.id, job: withoutHeldTexts(p.request, this.held) });
  }

  /** documents (id and family) the current worker was sent the text of: later requests name them by id */
  private held = new Set<string>();

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.spawn();
    this.spawned++;
    this.held = new Set();
    this.stop = null;
    // shared memory exists on a cross-origin isolated page (and in Node); elsewhere a lint runs to its end once started
    if (typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false) {
      this.stop = new Int32Array(new SharedArrayBuffer(4));
      w.postMessage({ type: 'init', stop: this.stop });
    }
    w.onmessage = (e) => this.onMessage(w, e.data);
    // a worker that dies (out of memory, a bug) fails its job; the next job gets a new worker
    w.onerror = (e) => {
      e.preventDefault?.();
      if (this.worker !== w) return;
      this.stopWorker();
      this.drained();
      this.finish(this.current, new Error(`the analysis stopped: ${e.message || 'the worker failed'}`));
    };
    this.worker = w;
    return w;
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  /** the cancelled job is over (stopped, finished, or its worker ended): the next one may start */
  private drained(): void {
    if (!this.draining) return;
    clearTimeout(this.draining.timer);
    this.draining = null;
    if (this.stop) Atomics.store(this.stop, 0, 0);
    this.pump();
    this.notify();
  }

  private onMessage(from: WorkerLike, m: FromWorker): void {
    if (from !== this.worker) return;
    if (this.draining && m.id === this.draining.id) {
      // its answer is no one's; the parts need no acknowledgement (the cancel woke the worker's wait for them)
      if (m.type === 'cancelled') this.stoppedInPlace++;
      if (m.type === 'cancelled' || m.type === 'end' || m.type === 'error' || m.type === 'need') this.drained();
      return;
    }
    const p = this.current;
    if (!p || m.id !== p.id) return;
    switch (m.type) {
      case 'progress':
        p.progress = m.progress;
        p.onProgress?.(m.progress);
        this.notify();
        return;
      case 'head':
        p.value = m.value;
        return;
      case 'parts':
        for (const part of m.parts) appendAt(p.value, part.path, part.items);
        from.postMessage({ type: 'ack', id: m.id });
        return;
      case 'end':
        // an edit's result is held by this worker under the id the page gave it: later jobs name it by id alone
        if (p.request.kind === 'edit' && p.request.as !== undefined && (p.value as { ok?: boolean } | undefined)?.ok) this.held.add(heldKey({ id: p.request.as, family: p.request.doc.family }));
        return this.finish(p, null);
      case 'cancelled':
        // a cancel this page no longer waits for (never sent for the job running now)
        return this.finish(p, new AnalysisCancelled(p.label));
      case 'need':
        // the worker let the document go: the same request again, every text in it
        for (const k of [...this.held]) if (k.startsWith(`${m.doc}/`)) this.held.delete(k);
        from.postMessage({ type: 'run', id: p.id, job: p.request });
        for (const ref of docRefs(p.request)) this.held.add(heldKey(ref));
        return;
      case 'error':
        return this.finish(p, new Error(m.message));
    }
  }

  private finish(p: Pending | null, error: Error | null): void {
    if (!p) return;
    if (this.current === p) this.current = null;
    if (error) p.reject(error);
    else p.resolve(p.value);
    this.pump();
    this.notify();
  }

  private cancel(p: Pending): void {
    const k = this.waiting.indexOf(p);
    if (k >= 0) {
      this.waiting.splice(k, 1);
      p.reject(new AnalysisCancelled(p.label));
      this.notify();
      return;
    }
    if (this.current !== p) return; // already done
    const w = this.worker;
    if (w) {
      // the worker stops it at its next chance; the next job waits for that, or for the worker's end
      if (this.stop) Atomics.store(this.stop, 0, p.id);
      w.postMessage({ type: 'cancel', id: p.id });
      const timer = setTimeout(() => {
        if (this.draining?.id !== p.id) return;
        this.stopWorker();
        this.drained();
      }, CANCEL_GRACE_MS);
      this.draining = { id: p.id, timer };
    }
    this.finish(p, new AnalysisCancelled(p.label));
  }

  private notify(): void {
    this.observer?.changed(this.active);
  }
}

function appendAt(root: unknown, path: PartPath, items: unknown[]): void {
  let at = root as Record<string | number, unknown>;
  for (const k of path) at = at[k] as Record<string | number, unknown>;
  const arr = at as unknown as unknown[];
  for (const it of items) arr.push(it);
}

/** the documents a request names */
function docRefs(job: JobRequest): DocRef[] {
  switch (job.kind) {
    case 'diff':
      return [job.left, job.right];
    case 'pair':
      return [job.v4, job.v6];
    case 'marks':
      return [job.base, job.cur];
    default:
      return [job.doc];
  }
}

function heldKey(ref: DocRef): string {
  return `${ref.id}/${ref.family ?? 'ipv4'}`;
}

/** The request as posted: the texts of documents the worker was already sent left out (and the others noted as sent). */
function withoutHeldTexts(job: JobRequest, held: Set<string>): JobRequest {
  const strip = (ref: DocRef): DocRef => {
    const key = heldKey(ref);
    if (held.has(key)) return { id: ref.id, ...(ref.family ? { family: ref.family } : {}) };
    held.add(key);
    return ref;
  };
  switch (job.kind) {
    case 'diff':
      return { ...job, left: strip(job.left), right: strip(job.right) };
    case 'pair':
      return { ...job, v4: strip(job.v4), v6: strip(job.v6) };
    case 'marks':
      return { ...job, base: strip(job.base), cur: strip(job.cur) };
    default:
      return { ...job, doc: strip(job.doc) };
  }
}
