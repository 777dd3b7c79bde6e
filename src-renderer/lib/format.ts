// How the app words times and durations for people: durations as "850 ms",
// "4.6 s", "2 min 5 s"; times in the local zone with the UTC time kept for a
// tooltip; messages from main, which come as data (wording, names, durations
// in ms, instants in epoch ms: see MessagePart in the contract), in sentence
// case with their values formatted here. Nothing here parses main's English.
import type { ApplyOutcome, Message } from '../../src-main/contract/index.js';

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

interface TimeText {
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

/** one piece of a message as shown: text, or a time with its UTC title */
type ShownPart = { text: string; time?: undefined } | { text: string; time: TimeText };

/**
 * A message from main (wording, names, durations in ms, instants in epoch ms)
 * as the app shows it: the wording in sentence case (a message that starts
 * with a name, such as a host or a command, keeps it as written), durations
 * as people say them, instants as local times whose part carries the UTC time.
 * `fallback`: the plain text, for history lines written before messages came as data.
 */
export function showMessage(parts: Message | undefined, fallback = '', timeZone?: string): ShownPart[] {
  if (!parts) return fallback ? [{ text: fallback }] : [];
  const out: ShownPart[] = [];
  parts.forEach((p, k) => {
    if ('text' in p) out.push({ text: k === 0 ? sentenceCase(p.text) : p.text });
    else if ('name' in p) out.push({ text: p.name });
    else if ('ms' in p) out.push({ text: duration(p.ms) });
    else if ('option' in p) out.push({ text: OPTION_CONTROLS[p.option] ?? `the ${p.option} override` });
    else if ('at' in p) {
      const time = clockTime(p.at, timeZone);
      out.push({ text: time.text, time });
    }
  });
  return out;
}

/** the plain text of showMessage(), for places that take a string */
export function messageString(parts: Message | undefined, fallback = ''): string {
  return showMessage(parts, fallback)
    .map((p) => p.text)
    .join('');
}

/** the app's own control for each override the CLI takes as an option (a GUI never says `--force`) */
const OPTION_CONTROLS: Record<string, string> = { force: '“Go on despite…”' };

const sentenceCase = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** one table per outcome: the short label (history and version badges) and the apply panel's headline */
const OUTCOMES: Record<ApplyOutcome, { label: string; headline: string }> = {
  confirmed: { label: 'Confirmed', headline: 'Applied and saved' },
  unchanged: { label: 'Unchanged', headline: 'Nothing to do' },
  reverted: { label: 'Reverted', headline: 'Reverted' },
  refused: { label: 'Refused', headline: 'Refused — nothing was changed' },
  error: { label: 'Error', headline: 'Failed' },
  interrupted: { label: 'Interrupted', headline: 'Interrupted' },
};

/** an apply outcome as a label: "Confirmed", "Reverted" … (an outcome this build does not know: as written) */
export function outcomeLabel(outcome: ApplyOutcome): string {
  return OUTCOMES[outcome]?.label ?? outcome;
}

/** the headline of a finished apply: what happened, in words, with what its audit entry adds (a reboot, a verified revert) */
export function outcomeHeadline(outcome: ApplyOutcome, audit: { rebooted?: boolean; revertVerified?: boolean }): string {
  if (audit.rebooted) return 'Not confirmed — the host rebooted and runs its saved rules';
  if (outcome === 'reverted' && audit.revertVerified) return 'Reverted and verified';
  return OUTCOMES[outcome]?.headline ?? outcome;
}
