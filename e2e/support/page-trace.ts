// Chromium's trace of the page's tasks (the 'toplevel' category: each task's
// wall time and its thread time), read for the longest task on the page's
// thread. On a machine whose cores are shared a task's wall time includes the
// time its thread waited for a core; its thread time is the work the page did.

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * Of a trace (Browser.stopTracing's buffer), the task on the page's thread —
 * the renderer main thread that ran the most tasks (one page, one renderer) —
 * that did the most work: its thread time and its wall time, in ms; and the
 * thread time of all the page's tasks together and of its workers' (the
 * analysis worker's: 'DedicatedWorker thread'), which a loaded machine does
 * not stretch as it does wall time.
 */
export function longestPageTask(trace: Buffer): { cpuMaxMs: number; wallMs: number; cpuTotalMs: number; workerCpuMs: number } {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const threads = (name: string) => new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === name).map((e) => `${e.pid}/${e.tid}`));
  const mains = threads('CrRendererMain');
  const workers = threads('DedicatedWorker thread');
  const tasks = new Map<string, TraceEvent[]>();
  let workerUs = 0;
  for (const e of events) {
    const at = `${e.pid}/${e.tid}`;
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask') continue;
    if (mains.has(at)) tasks.set(at, [...(tasks.get(at) ?? []), e]);
    if (workers.has(at)) workerUs += e.tdur ?? e.dur ?? 0;
  }
  const page = [...tasks.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  let top: TraceEvent | undefined;
  let totalUs = 0;
  for (const e of page) {
    totalUs += e.tdur ?? e.dur ?? 0;
    if (!top || (e.tdur ?? e.dur ?? 0) > (top.tdur ?? top.dur ?? 0)) top = e;
  }
  const ms = (us: number | undefined) => Math.round((us ?? 0) / 100) / 10;
  return { cpuMaxMs: ms(top?.tdur ?? top?.dur), wallMs: ms(top?.dur), cpuTotalMs: ms(totalUs), workerCpuMs: ms(workerUs) };
}

/**
 * The thread time the page's tasks and its workers' took between two
 * performance.mark()s of the page (the trace needs 'blink.user_timing'), in
 * ms: the page's tasks that started in that window, the workers' that ran
 * wholly in it (not a job that began before the second mark and goes on after
 * it). -1 where a mark is missing.
 */
export function cpuBetweenMarks(trace: Buffer, from: string, to: string): { pageCpuMs: number; workerCpuMs: number } {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: (TraceEvent & { ts: number; cat?: string })[] }).traceEvents;
  const mark = (name: string) => events.find((e) => e.name === name && (e.cat ?? '').includes('user_timing'))?.ts;
  const t0 = mark(from);
  const t1 = mark(to);
  if (t0 === undefined || t1 === undefined) return { pageCpuMs: -1, workerCpuMs: -1 };
  const threads = (name: string) => new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === name).map((e) => `${e.pid}/${e.tid}`));
  const mains = threads('CrRendererMain');
  const workers = threads('DedicatedWorker thread');
  const perMain = new Map<string, number>();
  let worker = 0;
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask' || e.ts < t0 || e.ts > t1) continue;
    const at = `${e.pid}/${e.tid}`;
    const us = e.tdur ?? e.dur ?? 0;
    if (mains.has(at)) perMain.set(at, (perMain.get(at) ?? 0) + us);
    if (workers.has(at) && e.ts + (e.dur ?? 0) <= t1) worker += us;
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return { pageCpuMs: ms(Math.max(0, ...perMain.values())), workerCpuMs: ms(worker) };
}
