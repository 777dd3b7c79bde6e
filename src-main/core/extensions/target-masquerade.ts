// -j MASQUERADE (libxt_MASQUERADE): SNAT to the outgoing interface's address.
import type { TargetExtension } from './types.js';
import { natFinalize, natSave, natTo, parseNatPorts } from './nat-range.js';
import type { NatState } from './nat-range.js';

export const masquerade: TargetExtension<NatState> = {
  kind: 'target',
  name: 'MASQUERADE',
  tables: ['nat'],
  hooks: ['POSTROUTING'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [
    { name: 'to-ports', arg: 'required', parse: ([v], ctx) => ({ addr: null, ...parseNatPorts(v, ctx) }) },
    { name: 'random', arg: 'none' },
    { name: 'random-fully', arg: 'none' },
  ],
  finalize: (options) => ({ ...natFinalize(options, 'to-ports', false) }),
  save: (t) => natSave(t.state, 'to-ports', true),
  // the new source is the outgoing interface's address, known only on the way out
  analysis: { action: (s, text) => ({ kind: 'snat', name: 'MASQUERADE', ...natTo(s), fromInterface: true, text: text() }) },
};
