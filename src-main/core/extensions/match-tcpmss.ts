// -m tcpmss (libxt_tcpmss): the MSS option of TCP SYN segments, a value or a range.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';
import { parseUIntRange } from './match-length.js';

interface TcpMssMatch {
  min: number;
  max: number;
  invert: boolean;
}

export const tcpmss: MatchExtension<TcpMssMatch> = {
  kind: 'match',
  name: 'tcpmss',
  requiresProto: [6],
  options: [
    {
      name: 'mss',
      arg: 'required',
      invert: true,
      parse: ([v]) => {
        const r = parseUIntRange('tcpmss', 'mss', v, 0xffff);
        if (r.min > r.max) throw new ValueError('tcpmss: invalid range given', 'invalid-argument', `write the range as ${r.max}:${r.min}`);
        return r;
      },
    },
  ],
  finalize(options) {
    xtFcheck('tcpmss', options, [{ name: 'mss', mand: true }]);
    const o = options[options.length - 1];
    const r = o.value as { min: number; max: number };
    const s: TcpMssMatch = { min: r.min, max: r.max, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --mss ${s.min === s.max ? s.min : `${s.min}:${s.max}`}`;
  },
};
