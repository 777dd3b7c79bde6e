// How the app words times and durations for people: durations as "850 ms",
// "4.6 s", "2 min 5 s"; times in the local zone with the UTC time kept for a
// tooltip; messages from main (written for logs and the CLI: lower case, raw
// milliseconds, `HH:MM:SSZ` clocks) in sentence case with the same wording.

/** "850 ms", "4.6 s", "12 s", "2 min 5 s", "1 h 3 min" */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

export interface TimeText {
  /** local wall-clock time for the reader */
  text: string;
  /** the same instant in UTC, for a tooltip */
  title: string;
  /** ISO 8601 for <time datetime> */
  iso: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const utcClock = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const utcDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** a time of day (today's steps): local "14:03:07", title "12:03:07 UTC" */
export function clockTime(at: Date | number | string, timeZone?: string): TimeText {
  const d = new Date(at);
  return {
    text: d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone }),
    title: `${utcClock(d)} UTC`,
    iso: d.toISOString(),
  };
}

/** a date and time (history): local "30 Nov 2026, 14:03:07", title "2026-11-30 12:03:07 UTC" */
export function dateTime(at: Date | number | string, timeZone?: string): TimeText {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return { text: String(at), title: '', iso: '' };
  return {
    text: d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium', hour12: false, timeZone }),
    title: `${utcDate(d)} ${utcClock(d)} UTC`,
    iso: d.toISOString(),
  };
}

export type MessagePart = { text: string; time?: undefined } | { text: string; time: TimeText };

/**
 * A message from main as the app shows it: the first letter upper-case (not
 * when it starts with a command, a path or one of `names`, such as the host's
 * name), "4633 ms" as "4.6 s", and each "HH:MM:SSZ" clock as a local time
 * whose part carries the UTC time. `at` is when the message was written: the
 * clock is the next such time of day from about then.
 */
export function humanize(message: string, at: number = Date.now(), names: readonly string[] = [], timeZone?: string): MessagePart[] {
  let text = message.replace(/\b(\d+) ms\b/g, (_, ms: string) => duration(Number(ms)));
  if (!names.some((n) => n && text.startsWith(n)) && /^[a-z]+(?=[\s,;:()]|$)/.test(text)) text = text[0].toUpperCase() + text.slice(1);
  const parts: MessagePart[] = [];
  const re = /\b(\d{2}):(\d{2}):(\d{2})Z\b/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    const base = new Date(at);
    let when = Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), Number(m[1]), Number(m[2]), Number(m[3]));
    // a deadline written before midnight UTC falls on the next day
    if (when < at - 12 * 3600_000) when += 24 * 3600_000;
    const time = clockTime(when, timeZone);
    parts.push({ text: time.text, time });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** the plain text of humanize(), for places that take a string */
export function humanText(message: string, at?: number, names?: readonly string[]): string {
  return humanize(message, at, names)
    .map((p) => p.text)
    .join('');
}

/** an apply outcome as a label: "Confirmed", "Reverted" … */
export function outcomeLabel(outcome: string): string {
  return outcome ? outcome[0].toUpperCase() + outcome.slice(1) : outcome;
}
