// -m quota (libxt_quota): matches until a byte budget is used up.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

interface QuotaMatch {
  bytes: bigint;
  invert: boolean;
}

export const U64_MAX = 2n ** 64n - 1n;
const UINT_RE = /^[ \t\n\v\f\r]*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/;

/** xtables_strtoul with base 0 over 64 bits: the value and where the number stopped, or null. */
export function strtoull(s: string): { value: bigint; end: number } | null {
  const m = UINT_RE.exec(s);
  if (!m) return null;
  const t = m[1];
  const value = t.length > 1 && t[0] === '0' && t[1] !== 'x' && t[1] !== 'X' ? BigInt('0o' + t.slice(1)) : BigInt(t);
  return value > U64_MAX ? null : { value, end: m[0].length };
}

export const quota: MatchExtension<QuotaMatch> = {
  kind: 'match',
  name: 'quota',
  options: [
    {
      name: 'quota',
      arg: 'required',
      invert: true,
      parse: ([v]) => {
        const r = strtoull(v);
        if (!r || r.end !== v.length)
          throw new ValueError(`quota: bad value for option "--quota", or out of range (0-${U64_MAX}).`, 'invalid-argument', 'give the quota in bytes');
        return r.value;
      },
    },
  ],
  finalize(options) {
    xtFcheck('quota', options, [{ name: 'quota', mand: true }]);
    const o = options[options.length - 1];
    const s: QuotaMatch = { bytes: o.value as bigint, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --quota ${s.bytes}`;
  },
  // depends on what is left of the quota, not on the packet
  analysis: { chance: () => null },
};
