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
 * that did the most work: its thread time and its wall time, in ms.
 */
export function longestPageTask(trace: Buffer): { cpuMaxMs: number; wallMs: number } {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const tasks = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const at = `${e.pid}/${e.tid}`;
    if (e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(at)) tasks.set(at, [...(tasks.get(at) ?? []), e]);
  }
  const page = [...tasks.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  let top: TraceEvent | undefined;
  for (const e of page) if (!top || (e.tdur ?? e.dur ?? 0) > (top.tdur ?? top.dur ?? 0)) top = e;
  const ms = (us: number | undefined) => Math.round((us ?? 0) / 100) / 10;
  return { cpuMaxMs: ms(top?.tdur ?? top?.dur), wallMs: ms(top?.dur) };
}
