// -m ecn (libxt_ecn): the ECN bits of the IP header and the TCP ECE/CWR flags.
import type { Rule } from '../model.js';
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtUInt } from './xt-options.js';

interface EcnMatch {
  ece: { invert: boolean } | null;
  cwr: { invert: boolean } | null;
  /** the IP ECT codepoint, 0–3 */
  ect: { value: number; invert: boolean } | null;
}

function isTcp(r: Rule): boolean {
  return r.proto !== null && r.proto.num === 6 && !r.proto.invert;
}

export const ecn: MatchExtension<EcnMatch> = {
  kind: 'match',
  name: 'ecn',
  options: [
    { name: 'ecn-tcp-cwr', arg: 'none', invert: true },
    { name: 'ecn-tcp-ece', arg: 'none', invert: true },
    { name: 'ecn-ip-ect', arg: 'required', invert: true, parse: ([v]) => xtUInt('ecn', 'ecn-ip-ect', v, 0, 3) },
  ],
  finalize(options) {
    if (options.length === 0) throw new ValueError('ECN match: some option required', 'missing-argument', 'add --ecn-tcp-cwr, --ecn-tcp-ece or --ecn-ip-ect N');
    const s: EcnMatch = { ece: null, cwr: null, ect: null };
    for (const o of options) {
      if (o.name === 'ecn-tcp-cwr') s.cwr = { invert: o.invert };
      else if (o.name === 'ecn-tcp-ece') s.ece = { invert: o.invert };
      else s.ect = { value: o.value as number, invert: o.invert };
    }
    return s;
  },
  kernelCheck(state, rule) {
    const s = state;
    if ((s.ece || s.cwr) && !isTcp(rule)) return '--ecn-tcp-ece and --ecn-tcp-cwr need -p tcp in the same rule';
    return null;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.ece) out += s.ece.invert ? ' ! --ecn-tcp-ece' : ' --ecn-tcp-ece';
    if (s.cwr) out += s.cwr.invert ? ' ! --ecn-tcp-cwr' : ' --ecn-tcp-cwr';
    if (s.ect) out += `${s.ect.invert ? ' !' : ''} --ecn-ip-ect ${s.ect.value}`;
    return out;
  },
};
