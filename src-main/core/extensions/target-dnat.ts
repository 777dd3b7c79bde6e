// -j DNAT (libxt_DNAT, revision 2): rewrite the destination address and/or port.
import type { TargetExtension } from './types.js';
import { natFinalize, natSave, natTo, parseNatTo } from './nat-range.js';
import type { NatState } from './nat-range.js';
import { xtFcheck } from './xt-options.js';

export const dnat: TargetExtension<NatState> = {
  kind: 'target',
  name: 'DNAT',
  tables: ['nat'],
  hooks: ['PREROUTING', 'OUTPUT'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [
    { name: 'to-destination', arg: 'required', parse: ([v], ctx) => parseNatTo(v, ctx) },
    { name: 'random', arg: 'none' },
    { name: 'persistent', arg: 'none' },
  ],
  finalize(options) {
    xtFcheck('DNAT', options, [{ name: 'to-destination', mand: true }]);
    // revision 2 keeps the base port of a shifted port map
    return { ...natFinalize(options, 'to-destination', true) };
  },
  save: (t) => natSave(t.state, 'to-destination', false),
  analysis: { action: (s, text) => ({ kind: 'dnat', name: 'DNAT', ...natTo(s), toLocal: false, text: text() }) },
};
