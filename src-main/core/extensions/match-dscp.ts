// -m dscp (libxt_dscp): the DiffServ code point of the IP header, by value or by class name.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';
import { dscpClass } from './target-dscp.js';
import { hex2 } from './match-tos.js';

interface DscpMatch {
  /** 0–63 */
  dscp: number;
  invert: boolean;
}

export const dscp: MatchExtension<DscpMatch> = {
  kind: 'match',
  name: 'dscp',
  options: [
    { name: 'dscp', arg: 'required', invert: true, parse: ([v]) => xtUInt('dscp', 'dscp', v, 0, 63) },
    { name: 'dscp-class', arg: 'required', invert: true, parse: ([v]) => dscpClass(v) },
  ],
  finalize(options) {
    if (options.length === 0) throw new ValueError('DSCP match: Parameter --dscp is required', 'missing-argument', 'add --dscp N or --dscp-class CLASS');
    xtFcheck('dscp', options, [
      { name: 'dscp', excl: ['dscp-class'] },
      { name: 'dscp-class', excl: ['dscp'] },
    ]);
    const o = options[options.length - 1];
    const s: DscpMatch = { dscp: o.value as number, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --dscp ${hex2(s.dscp)}`;
  },
};
