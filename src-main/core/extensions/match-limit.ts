// -m limit (libxt_limit): a token bucket, `--limit N/unit` with `--limit-burst`.
import type { Match, OptionValue } from '../model.js';
import { ValueError, parseUInt } from '../values.js';
import type { MatchExtension } from './types.js';

type RateUnit = 'sec' | 'min' | 'hour' | 'day';

/** A rate as iptables prints it: `count` per `unit`. */
export interface Rate {
  count: number;
  unit: RateUnit;
}

interface Limit {
  /** the kernel's form: XT_LIMIT_SCALE × seconds between packets */
  avg: number;
  /** the rate iptables-save prints for avg */
  rate: Rate;
  burst: number;
}

// XT_LIMIT_SCALE; iptables fills in 3/hour and a burst of 5
const SCALE = 10000;
const DEFAULT_AVG = (SCALE * 3600) / 3;
const DEFAULT_BURST = 5;
const UNIT_SECONDS: Record<RateUnit, number> = { day: 86400, hour: 3600, min: 60, sec: 1 };
const UNITS_BY_SIZE: readonly RateUnit[] = ['day', 'hour', 'min', 'sec'];

/** C atoi: blanks, sign, digits; stops at the first other character. */
const ATOI = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/;
export function atoi(s: string): number {
  const m = ATOI.exec(s)!;
  const n = m[2] ? Number(m[2]) : 0;
  return m[1] === '-' ? -n : n;
}

/**
 * The unit part of `N/unit`: any prefix of second, minute, hour, day (so `m` is
 * minute); 1 (per second) with no slash; null when it is not a unit.
 */
export function rateUnitSeconds(rate: string): number | null {
  const slash = rate.indexOf('/');
  if (slash < 0) return 1;
  const u = rate.slice(slash + 1).toLowerCase();
  if (u === '') return null;
  if ('second'.startsWith(u)) return 1;
  if ('minute'.startsWith(u)) return 60;
  if ('hour'.startsWith(u)) return 3600;
  if ('day'.startsWith(u)) return 86400;
  return null;
}

/** print_rate of libxt_limit/libxt_hashlimit: the largest unit that gives a whole count, as iptables rounds. */
export function periodToRate(period: number, scale: number): Rate {
  let i = 1;
  for (; i < UNITS_BY_SIZE.length; i++) {
    const mult = scale * UNIT_SECONDS[UNITS_BY_SIZE[i]];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const unit = UNITS_BY_SIZE[i - 1];
  return { count: Math.floor((scale * UNIT_SECONDS[unit]) / period), unit };
}

// parse_rate: the count goes through atoi into a uint32, so `-5` is a huge divisor.
function parseLimitRate(arg: string): number {
  const mult = rateUnitSeconds(arg);
  const r = atoi(arg) >>> 0;
  if (mult === null || r === 0) throw new ValueError(`bad rate "${arg}"'`, 'invalid-argument', 'write the rate as N/second, N/minute, N/hour or N/day');
  const avg = Math.floor((SCALE * mult) / r);
  if (avg === 0) throw new ValueError(`Rate too fast "${arg}"`, 'invalid-argument', 'at most 10000/second');
  return avg;
}

// The kernel's check (user2credits with HZ × CREDITS_PER_JIFFY = 32000, the value
// for HZ 250 and 1000): avg × burst must not overflow 32 bits of credits.
const CREDIT_FACTOR = 32000;
function userToCredits(user: number): number {
  if (user > Math.floor(0xffffffff / CREDIT_FACTOR)) return (Math.floor(user / SCALE) * CREDIT_FACTOR) % 2 ** 32;
  return Math.floor((user * CREDIT_FACTOR) / SCALE);
}
export function limitOverflows(avg: number, burst: number): boolean {
  return burst === 0 || userToCredits((avg * burst) % 2 ** 32) < userToCredits(avg);
}

export const limit: MatchExtension<Limit> = {
  kind: 'match',
  name: 'limit',
  options: [
    { name: 'limit', arg: 'required', parse: ([v]) => parseLimitRate(v) },
    {
      name: 'limit-burst',
      arg: 'required',
      parse: ([v]) => {
        const n = parseUInt(v, 0, 10000);
        if (n === null) throw new ValueError('limit: bad value for option "--limit-burst", or out of range (0-10000).', 'invalid-argument');
        return n;
      },
    },
  ],
  finalize(options: OptionValue[]) {
    const avg = (options.find((o) => o.name === 'limit')?.value as number | undefined) ?? DEFAULT_AVG;
    const burst = (options.find((o) => o.name === 'limit-burst')?.value as number | undefined) ?? DEFAULT_BURST;
    const l: Limit = { avg, rate: periodToRate(avg, SCALE), burst };
    return l;
  },
  kernelCheck(state) {
    const l = state;
    if (limitOverflows(l.avg, l.burst))
      return `limit ${l.rate.count}/${l.rate.unit} with burst ${l.burst} is out of the kernel's range (Numerical result out of range)`;
    return null;
  },
  save(m) {
    const l = m.state;
    // 1.8.9 always prints the rate, and the burst when it is not the default
    return ` --limit ${l.rate.count}/${l.rate.unit}` + (l.burst !== DEFAULT_BURST ? ` --limit-burst ${l.burst}` : '');
  },
  analysis: {
    chance: (l) => ({ holds: `under ${l.rate.count}/${l.rate.unit}`, fails: `over ${l.rate.count}/${l.rate.unit}` }),
  },
  // the burst when iptables-save prints it
  words: (l) => [`at most ${l.rate.count}/${l.rate.unit}${l.burst !== DEFAULT_BURST ? ` (bursts of ${l.burst})` : ''}`],
};
