// -m rpfilter (libxt_rpfilter): reverse-path filtering, is the source routed back out the interface it came in on.
import type { MatchExtension } from './types.js';

interface RpFilterMatch {
  /** any route back counts, not only one via the incoming interface */
  loose: boolean;
  /** use the packet's mark in the reverse lookup */
  validmark: boolean;
  acceptLocal: boolean;
  /** match packets that fail the check */
  invert: boolean;
}

export const rpfilter: MatchExtension<RpFilterMatch> = {
  kind: 'match',
  name: 'rpfilter',
  options: [
    { name: 'loose', arg: 'none' },
    { name: 'validmark', arg: 'none' },
    { name: 'accept-local', arg: 'none' },
    { name: 'invert', arg: 'none' },
  ],
  finalize(options) {
    const given = new Set(options.map((o) => o.name));
    const s: RpFilterMatch = {
      loose: given.has('loose'), validmark: given.has('validmark'), acceptLocal: given.has('accept-local'), invert: given.has('invert'),
    };
    return s;
  },
  kernelCheck(_state, _rule, { table, hooks }) {
    if (table !== 'raw' && table !== 'mangle') return `rpfilter is only valid in the raw or mangle table, not in ${table}`;
    for (const h of hooks) if (h !== 'PREROUTING') return `rpfilter is only valid in PREROUTING, not in ${h}`;
    return null;
  },
  save(m) {
    const s = m.state;
    return (s.loose ? ' --loose' : '') + (s.validmark ? ' --validmark' : '') + (s.acceptLocal ? ' --accept-local' : '') + (s.invert ? ' --invert' : '');
  },
};
