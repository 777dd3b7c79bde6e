// -j REDIRECT (libxt_REDIRECT): DNAT to the local machine, optionally to other ports.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import { natFinalize, natSave, natTo, parseNatPorts, type NatRange } from './nat-range.js';
import type { NatState } from './nat-range.js';

export const redirect: TargetExtension<NatState> = {
  kind: 'target',
  name: 'REDIRECT',
  tables: ['nat'],
  hooks: ['PREROUTING', 'OUTPUT'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [
    { name: 'to-ports', arg: 'required', parse: ([v], ctx) => ({ addr: null, ...parseNatPorts(v, ctx) }) },
    { name: 'random', arg: 'none' },
  ],
  finalize(options) {
    for (const o of options)
      if (o.name === 'to-ports' && (o.value as NatRange).base !== null)
        throw new ValueError('Shifted portmap ranges not supported with this kernel', 'invalid-argument',
          'REDIRECT cannot shift ports; use DNAT --to-destination ADDR:LO-HI/BASE');
    return { ...natFinalize(options, 'to-ports', false) };
  },
  save: (t) => natSave(t.state, 'to-ports', true),
  // to this host: the address is the incoming interface's, the ports as given
  analysis: { action: (s, text) => ({ kind: 'dnat', name: 'REDIRECT', ...natTo(s), addr: null, addrHi: null, toLocal: true, text: text() }) },
};
