// -m statistic (libxt_statistic): random sampling or every-nth-packet matching.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';

type StatisticMatch =
  | {
      mode: 'random';
      invert: boolean;
      /** what the kernel stores: lround(probability * 2^31) */
      probabilityRaw: number;
    }
  | {
      mode: 'nth';
      invert: boolean;
      /** match one packet in `every` */
      every: number;
      /** initial counter, 0 <= packet < every */
      packet: number;
    };

// strtod's decimal forms (no hex floats, infinities or NaN: none is in range anyway)
const FLOAT_RE = /^[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function parseProbability(s: string): number {
  const v = FLOAT_RE.test(s) ? Number(s.trim()) : NaN;
  if (!(v >= 0 && v <= 1))
    throw new ValueError('statistic: bad value for option "--probability", or out of range (0-1).', 'invalid-argument',
      'give a probability from 0 to 1, e.g. 0.25');
  return Math.floor(v * 0x80000000 + 0.5); // lround; v * 2^31 is exact
}

const SCALE = 10n ** 11n;
const TWO31 = 2n ** 31n;

/** printf("%.11f", raw / 2^31) as glibc prints it: exact value, ties to even. */
export function formatProbability(raw: number): string {
  const num = BigInt(raw) * SCALE;
  let q = num / TWO31;
  const r2 = (num % TWO31) * 2n;
  if (r2 > TWO31 || (r2 === TWO31 && (q & 1n) === 1n)) q += 1n;
  return `${q / SCALE}.${(q % SCALE).toString().padStart(11, '0')}`;
}

export const statistic: MatchExtension<StatisticMatch> = {
  kind: 'match',
  name: 'statistic',
  options: [
    {
      name: 'mode',
      arg: 'required',
      parse: ([v]) => {
        if (v !== 'random' && v !== 'nth') throw new ValueError(`Bad mode "${v}"`, 'invalid-argument', 'the mode is random or nth');
        return v;
      },
    },
    { name: 'probability', arg: 'required', invert: true, parse: ([v]) => parseProbability(v) },
    { name: 'every', arg: 'required', invert: true, parse: ([v]) => xtUInt('statistic', 'every', v, 1, 0xffffffff) },
    { name: 'packet', arg: 'required', parse: ([v]) => xtUInt('statistic', 'packet', v, 0, 0xffffffff) },
  ],
  finalize(options) {
    let mode: 'random' | 'nth' = 'random'; // XT_STATISTIC_MODE_RANDOM is 0, the default
    let invert = false;
    let raw: number | null = null;
    let every: number | null = null;
    let packet: number | null = null;
    for (const o of options) {
      if (o.invert) invert = true;
      if (o.name === 'mode') mode = o.value as 'random' | 'nth';
      else if (o.name === 'probability') raw = o.value as number;
      else if (o.name === 'every') every = o.value as number;
      else packet = o.value as number;
    }
    // statistic_check runs before the generic option checks
    if (mode === 'random' && raw === null)
      throw new ValueError('--probability must be specified when using random mode', 'missing-argument', 'add --probability P');
    if (mode === 'nth' && every === null && packet === null)
      throw new ValueError('--every and --packet must be specified when using nth mode', 'missing-argument', 'add --every N --packet P');
    if ((packet ?? 0) > (every ?? 1) - 1)
      throw new ValueError('the --packet p must be 0 <= p <= n-1', 'invalid-argument', `with --every ${every ?? 0}, --packet is 0 to ${(every ?? 1) - 1}`);
    xtFcheck('statistic', options, [
      { name: 'mode', mand: true },
      { name: 'probability', excl: ['every', 'packet'] },
      { name: 'every', excl: ['probability'], also: ['packet'] },
      { name: 'packet', excl: ['probability'], also: ['every'] },
    ]);
    const s: StatisticMatch = mode === 'random'
      ? { mode, invert, probabilityRaw: raw! }
      : { mode, invert, every: every!, packet: packet! };
    return s;
  },
  save(m) {
    const s = m.state;
    const inv = s.invert ? ' !' : '';
    if (s.mode === 'random') return ` --mode random${inv} --probability ${formatProbability(s.probabilityRaw)}`;
    return ` --mode nth${inv} --every ${s.every} --packet ${s.packet}`;
  },
  analysis: {
    chance(s) {
      const but = s.invert ? 'all but ' : '';
      if (s.mode === 'nth') {
        return { holds: `${but}1 packet in ${s.every} of those reaching this rule`, fails: `${s.invert ? '' : 'all but '}1 packet in ${s.every} of those reaching this rule` };
      }
      const p = formatProbability(s.probabilityRaw);
      return { holds: `with probability ${s.invert ? `1-${p}` : p}`, fails: `with probability ${s.invert ? p : `1-${p}`}` };
    },
  },
};
