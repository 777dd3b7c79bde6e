// Small pieces the apply's steps share: a step's own failure, and waiting with a
// deadline or an interrupt.

export class StepError extends Error {
  constructor(
    message: string,
    readonly hostKey = false,
  ) {
    super(message);
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * p, or a StepError once ms pass (or the signal aborts); what p yields after
 * that goes to onLate (a session opened too late is closed there).
 */
export function within<T>(p: Promise<T>, ms: number, what: string, onLate?: (v: T) => void, signal?: AbortSignal): Promise<T> {
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
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
