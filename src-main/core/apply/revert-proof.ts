// The revert is proven before it is needed and checked after it ran. A
// rollback timer that fires and silently fails to restore is worse than none:
// the admin believes the host is back. So before the proposal is loaded the
// runner reports what the host said about the armed timer, and this decides
// whether it is really there and due at the deadline; after a revert, the
// rules read back are compared with the backup, table by table.
import { differingTables, saveSections } from './backup.js';

/** the revert timer armed on the host: a transient systemd unit, or a setsid'd sleeper's pid */
export type TimerRef = { method: 'systemd-run'; unit: string } | { method: 'setsid'; pid: number };

/** What the arm step printed about the timer it armed (KEY=value lines of ARM_SCRIPT). */
interface TimerReport {
  /** systemd: the timer unit's ActiveState, its NextElapseUSecMonotonic, the host's /proc/uptime (s) */
  timerState?: string;
  timerNext?: string;
  /** when the timer became active (CLOCK_MONOTONIC, µs): the same clock as timerNext */
  timerEntered?: string;
  uptime?: string;
  /** setsid: whether the revert process lives, and the command line of its sleep */
  revertAlive?: string;
  revertSleep?: string;
}

export interface TimerProof {
  ok: boolean;
  /** what was checked, or what is wrong, in words */
  detail: string;
  /** how long until the revert fires, as the host reckons it */
  dueInMs?: number;
}

const SPAN_UNITS: Record<string, number> = {
  us: 1e-3,
  usec: 1e-3,
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_629_800_000,
  y: 31_557_600_000,
};

/** systemd's formatted time span ("5min 50.716990s", "1d 2h", or plain microseconds) in ms; undefined when unreadable. */
export function parseTimespanMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) / 1000;
  if (!t) return undefined;
  let total = 0;
  for (const part of t.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-zA-Z]+)$/.exec(part);
    if (!m || SPAN_UNITS[m[2]] === undefined) return undefined;
    total += Number(m[1]) * SPAN_UNITS[m[2]];
  }
  return total;
}

/** How far the due time may be from the deadline: the arm step itself takes a moment, systemd fires within 100 ms. */
const EARLY_SLACK_MS = 3000;
const LATE_SLACK_MS = 1000;

export function proveTimer(timer: TimerRef, r: TimerReport, seconds: number): TimerProof {
  const want = seconds * 1000;
  if (timer.method === 'systemd-run') {
    if (r.timerState !== 'active') return { ok: false, detail: `the timer ${timer.unit}.timer is ${r.timerState || 'not there'}, not active` };
    const next = parseTimespanMs(r.timerNext ?? '');
    // due in = next elapse - now; "now" is the moment the timer became active (it was armed just now),
    // in systemd's own clock: /proc/uptime counts suspended time too, CLOCK_MONOTONIC does not
    const entered = r.timerEntered && /^\d+$/.test(r.timerEntered.trim()) && Number(r.timerEntered) > 0 ? Number(r.timerEntered) / 1000 : undefined;
    const up = r.uptime !== undefined && r.uptime.trim() !== '' ? Number(r.uptime) * 1000 : NaN;
    const from = entered ?? up;
    if (next === undefined || !Number.isFinite(from)) return { ok: false, detail: `could not read when ${timer.unit}.timer fires (next "${r.timerNext ?? ''}", uptime "${r.uptime ?? ''}")` };
    return dueAt(`${timer.unit}.timer`, next - from, want);
  }
  if (r.revertAlive !== 'yes') return { ok: false, detail: `the revert process ${timer.pid} is not running` };
  const m = /^sleep (\d+)\s*$/.exec(r.revertSleep ?? '');
  if (!m) return { ok: false, detail: `the revert process ${timer.pid} is not waiting for the deadline (found "${r.revertSleep ?? ''}")` };
  return dueAt(`process ${timer.pid}`, Number(m[1]) * 1000, want);
}

function dueAt(what: string, dueIn: number, want: number): TimerProof {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (dueIn < want - EARLY_SLACK_MS || dueIn > want + LATE_SLACK_MS)
    return { ok: false, detail: `${what} fires in ${s(dueIn)}, not at the deadline in ${s(want)}`, dueInMs: dueIn };
  return { ok: true, detail: `${what} is due in ${s(dueIn)}`, dueInMs: dueIn };
}

/** The rules of the given tables as compared after a revert (what the hashes are taken of). */
function tableRules(text: string, tables: readonly string[]): string {
  const secs = new Map(saveSections(text).map((s) => [s.table, s]));
  return tables
    .map((t) => {
      const sec = secs.get(t);
      if (!sec) return '';
      const body = sec.lines.map((l) => (l.startsWith(':') ? l.replace(/\s*\[\d+:\d+\]\s*$/, '') : l.replace(/^\[\d+:\d+\]\s+/, '')));
      return body.join('\n') + '\n';
    })
    .join('');
}

/** After a revert: the rules read back against the backup, and their hashes (filled in by the runner). */
export interface RevertCheck {
  verified: boolean;
  /** tables whose rules differ from the backup */
  differ: string[];
  liveSha256?: string;
  backupSha256?: string;
}

export function checkRevert(liveText: string, backupText: string, tables: readonly string[], hash?: (s: string) => string): RevertCheck {
  const differ = differingTables(liveText, backupText, tables);
  return {
    verified: differ.length === 0,
    differ,
    ...(hash ? { liveSha256: hash(tableRules(liveText, tables)), backupSha256: hash(tableRules(backupText, tables)) } : {}),
  };
}
