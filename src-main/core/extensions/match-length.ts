// -m length (libxt_length): the IP packet's total length, a value or a range.
import { ValueError, strtoulPrefix } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';
import { fieldCond, inv } from '../analysis/packet.js';

interface LengthMatch {
  min: number;
  max: number;
  invert: boolean;
}

/**
 * XTTYPE_UINT*RC (xtopt_parse_mint): `a`, `a:b`, `a:`, `:b` or `:`; a missing
 * first part is 0 and a missing second part is the type's maximum. 1.8.9 does
 * not require a <= b.
 */
export function parseUIntRange(ext: string, name: string, s: string, max: number): { min: number; max: number } {
  const vals: number[] = [];
  let i = 0;
  for (;;) {
    if (vals.length === 2) throw new ValueError(`${ext}: Too many components for option "--${name}" (max: 2)`, 'invalid-argument');
    let end = i;
    let v: number;
    if (i >= s.length || s[i] === ':') v = vals.length === 1 ? max : 0;
    else {
      const r = strtoulPrefix(s.slice(i), max);
      if (!r) throw new ValueError(`${ext}: bad value for option "--${name}" near "${s.slice(i)}", or out of range (0-${max}).`, 'invalid-argument',
        `give N or N:M with numbers from 0 to ${max}`);
      end = i + r.end;
      if (end < s.length && s[end] !== ':')
        throw new ValueError(`${ext}: Argument to "--${name}" has unexpected characters near "${s.slice(end)}".`, 'invalid-argument');
      v = r.value;
    }
    vals.push(v);
    if (end >= s.length) break;
    i = end + 1;
  }
  return { min: vals[0], max: vals.length > 1 ? vals[1] : vals[0] };
}

export const length: MatchExtension<LengthMatch> = {
  kind: 'match',
  name: 'length',
  options: [{ name: 'length', arg: 'required', invert: true, parse: ([v]) => parseUIntRange('length', 'length', v, 0xffff) }],
  finalize(options) {
    xtFcheck('length', options, [{ name: 'length', mand: true }]);
    const o = options[options.length - 1];
    const r = o.value as { min: number; max: number };
    const s: LengthMatch = { min: r.min, max: r.max, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --length ${s.min === s.max ? s.min : `${s.min}:${s.max}`}`;
  },
  analysis: {
    conditions({ min, max, invert }) {
      const text = `${invert ? '! ' : ''}--length ${min === max ? min : `${min}:${max}`}`;
      const lo = Math.min(min, max);
      const hi = Math.max(min, max);
      return [fieldCond(text, text, (p) => inv(invert, p.length === undefined ? undefined : p.length >= lo && p.length <= hi))];
    },
  },
};
