// -j SNAT (libxt_SNAT): rewrite the source address and/or port.
import type { TargetExtension } from './types.js';
import { natFinalize, natSave, natTo, parseNatTo } from './nat-range.js';
import type { NatState } from './nat-range.js';
import { xtFcheck } from './xt-options.js';

export const snat: TargetExtension<NatState> = {
  kind: 'target',
  name: 'SNAT',
  tables: ['nat'],
  hooks: ['POSTROUTING', 'INPUT'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [
    { name: 'to-source', arg: 'required', parse: ([v], ctx) => parseNatTo(v, ctx) },
    { name: 'random', arg: 'none' },
    { name: 'random-fully', arg: 'none' },
    { name: 'persistent', arg: 'none' },
  ],
  finalize(options) {
    xtFcheck('SNAT', options, [{ name: 'to-source', mand: true }]);
    return { ...natFinalize(options, 'to-source', false) };
  },
  save: (t) => natSave(t.state, 'to-source', false),
  analysis: { action: (s, text) => ({ kind: 'snat', name: 'SNAT', ...natTo(s), fromInterface: false, text: text() }) },
};
