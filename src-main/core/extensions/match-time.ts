// -m time (libxt_time): time of day, weekdays, days of the month and a date range, in UTC or the kernel's zone.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

interface TimeMatch {
  /** seconds since the epoch (UTC); 0 = no lower bound */
  dateStart: number;
  /** seconds since the epoch (UTC); 2^31-1 = no upper bound (still printed by iptables) */
  dateStop: number;
  /** seconds since midnight, 0 to 86399 */
  daytimeStart: number;
  daytimeStop: number;
  /** bit i set = day i of the month matches (1–31) */
  monthdays: number;
  /** bit i set = weekday i matches (1 = Monday … 7 = Sunday) */
  weekdays: number;
  /** --kerneltz (or the old --localtz): times are in the kernel's time zone, not UTC */
  kernelTz: boolean;
  /** --contiguous: a daytime range that wraps midnight is one period */
  contiguous: boolean;
}

const ALL_MONTHDAYS = 0xfffffffe;
const ALL_WEEKDAYS = 0xfe;
const MAX_DAYTIME = 24 * 60 * 60 - 1;
const DATE_UNBOUNDED = 0x7fffffff;
const WEEKDAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** strtoul(s, &e, 10) over a plain run of digits: the value and where it stopped */
function num(s: string, i: number): [number, number] {
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  return [j === i ? 0 : Number(s.slice(i, j)), j];
}

/** time_parse_date: YYYY[-MM[-DD[Thh[:mm[:ss]]]]] in UTC. */
function parseDate(s: string): number {
  const bad = () => new ValueError(`Invalid date "${s}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`, 'invalid-argument',
    'for example 2024-01-31T08:00:00');
  // [separator that may follow, largest value]
  const fields: Array<[string, number]> = [['-', 2038], ['-', 12], ['T', 31], [':', 23], [':', 59], ['', 59]];
  const v = [1970, 1, 1, 0, 0, 0];
  let i = 0;
  for (let k = 0; k < fields.length; k++) {
    const [n, e] = num(s, i);
    v[k] = n;
    const stop = e >= s.length;
    if ((!stop && s[e] !== fields[k][0]) || n > fields[k][1] || (k === 0 && n < 1970)) throw bad();
    if (stop) break;
    i = e + 1;
  }
  // mktime normalises out-of-range fields (month 0, day 0) the way Date.UTC does
  const t = Date.UTC(v[0], v[1] - 1, v[2], v[3], v[4], v[5]) / 1000;
  if (t < 0) throw new ValueError('mktime returned an error', 'invalid-argument');
  return t >>> 0;
}

/** time_parse_minutes: hh:mm[:ss] */
function parseDaytime(s: string): number {
  const bad = () => new ValueError(`invalid time "${s}" specified, should be hh:mm[:ss] format and within the boundaries`, 'invalid-argument',
    'for example 08:30 or 17:45:00');
  const [h, e1] = num(s, 0);
  if (s[e1] !== ':' || h > 23) throw bad();
  const [m, e2] = num(s, e1 + 1);
  if ((e2 < s.length && s[e2] !== ':') || m > 59) throw bad();
  if (e2 >= s.length) return h * 3600 + m * 60;
  const [sec, e3] = num(s, e2 + 1);
  if (e3 < s.length || sec > 59) throw bad();
  return h * 3600 + m * 60 + sec;
}

/** my_strseg: the comma-separated pieces, each cut to fit the caller's buffer as snprintf does. */
function segments(arg: string, keep: number): string[] {
  if (arg === '') return [];
  const parts = arg.split(',');
  if (parts[parts.length - 1] === '') parts.pop(); // a trailing comma ends the list
  return parts.map((p) => p.slice(0, keep));
}

/** strtoul(day, &err, 0) over the whole piece; null when something other than digits is left */
function wholeNumber(s: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return s.length > 1 ? parseInt(s.slice(1), 8) : 0;
  if (/^[1-9][0-9]*$/.test(s)) return Number(s);
  return s === '' ? 0 : null;
}

function parseMonthdays(arg: string): number {
  let mask = 0;
  for (const d of segments(arg, 2)) {
    const i = wholeNumber(d);
    if (i === null || i > 31) throw new ValueError(`${d} is not a valid day for --monthdays`, 'invalid-argument', 'days of the month are 1 to 31');
    mask |= 1 << i;
  }
  return mask >>> 0;
}

function parseWeekdays(arg: string): number {
  let mask = 0;
  for (const d of segments(arg, 3)) {
    const i = wholeNumber(d);
    if (i !== null) {
      if (i === 0) throw new ValueError('No, the week does NOT begin with Sunday.', 'invalid-argument', 'weekdays are 1 (Mon) to 7 (Sun)');
      if (i > 7) throw new ValueError(`${d} is not a valid day specifier`, 'invalid-argument', 'weekdays are 1 (Mon) to 7 (Sun)');
      mask |= 1 << i;
      continue;
    }
    const k = WEEKDAYS.findIndex((w, n) => n > 0 && d.length >= 2 && w.startsWith(d.slice(0, 2)));
    if (k < 0) throw new ValueError(`${d} is not a valid day specifier`, 'invalid-argument', 'use Mon, Tue, Wed, Thu, Fri, Sat, Sun or 1 to 7');
    mask |= 1 << k;
  }
  return mask;
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function formatDaytime(t: number): string {
  return `${pad(Math.floor(t / 3600))}:${pad(Math.floor(t / 60) % 60)}:${pad(t % 60)}`;
}

function formatDate(t: number): string {
  const d = new Date(t * 1000);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export const time: MatchExtension<TimeMatch> = {
  kind: 'match',
  name: 'time',
  options: [
    { name: 'datestart', arg: 'required', parse: ([v]) => parseDate(v) },
    { name: 'datestop', arg: 'required', parse: ([v]) => parseDate(v) },
    { name: 'timestart', arg: 'required', parse: ([v]) => parseDaytime(v) },
    { name: 'timestop', arg: 'required', parse: ([v]) => parseDaytime(v) },
    { name: 'contiguous', arg: 'none' },
    { name: 'weekdays', arg: 'required', invert: true, parse: ([v]) => parseWeekdays(v) },
    { name: 'monthdays', arg: 'required', invert: true, parse: ([v]) => parseMonthdays(v) },
    { name: 'localtz', arg: 'none' },
    { name: 'utc', arg: 'none' },
    { name: 'kerneltz', arg: 'none' },
  ],
  finalize(options) {
    const s: TimeMatch = {
      dateStart: 0, dateStop: DATE_UNBOUNDED, daytimeStart: 0, daytimeStop: MAX_DAYTIME,
      monthdays: ALL_MONTHDAYS, weekdays: ALL_WEEKDAYS, kernelTz: false, contiguous: false,
    };
    for (const o of options) {
      const v = o.value as number;
      switch (o.name) {
        case 'datestart': s.dateStart = v; break;
        case 'datestop': s.dateStop = v; break;
        case 'timestart': s.daytimeStart = v; break;
        case 'timestop': s.daytimeStop = v; break;
        case 'contiguous': s.contiguous = true; break;
        case 'weekdays': s.weekdays = o.invert ? v ^ ALL_WEEKDAYS : v; break;
        case 'monthdays': s.monthdays = (o.invert ? v ^ ALL_MONTHDAYS : v) >>> 0; break;
        case 'localtz': case 'kerneltz': s.kernelTz = true; break;
      }
    }
    if (s.contiguous && s.daytimeStart < s.daytimeStop)
      throw new ValueError('time: --contiguous only makes sense when stoptime is smaller than starttime', 'invalid-argument', 'remove --contiguous');
    xtFcheck('time', options, [
      { name: 'datestart' }, { name: 'datestop' }, { name: 'timestart' }, { name: 'timestop' }, { name: 'contiguous' },
      { name: 'monthdays' }, { name: 'weekdays' },
      { name: 'localtz', excl: ['utc'] },
      { name: 'utc', excl: ['localtz', 'kerneltz'] },
      { name: 'kerneltz', excl: ['utc'] },
    ]);
    return s;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.daytimeStart !== 0 || s.daytimeStop !== MAX_DAYTIME)
      out += ` --timestart ${formatDaytime(s.daytimeStart)} --timestop ${formatDaytime(s.daytimeStop)}`;
    if (s.monthdays !== ALL_MONTHDAYS) {
      const days: number[] = [];
      for (let i = 1; i <= 31; i++) if (s.monthdays & (1 << i)) days.push(i);
      out += ' --monthdays ' + days.join(',');
    }
    if (s.weekdays !== ALL_WEEKDAYS) out += ' --weekdays ' + WEEKDAYS.filter((_, i) => i > 0 && s.weekdays & (1 << i)).join(',');
    if (s.dateStart !== 0) out += ' --datestart ' + formatDate(s.dateStart);
    if (s.dateStop !== 0) out += ' --datestop ' + formatDate(s.dateStop);
    if (s.kernelTz) out += ' --kerneltz';
    if (s.contiguous) out += ' --contiguous';
    return out;
  },
  // depends on the clock, not on the packet
  analysis: { chance: () => null },
};
