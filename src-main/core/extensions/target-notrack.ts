// -j NOTRACK (libxt_CT's alias, revision 2): CT --notrack, which iptables 1.8.9 still saves as NOTRACK.
import type { TargetExtension } from './types.js';

export const notrack: TargetExtension = {
  kind: 'target',
  name: 'NOTRACK',
  tables: ['raw'],
  // marks the packet untracked and lets it continue
  terminal: false,
  options: [],
  finalize: () => ({ notrack: true }),
  save: () => '',
  analysis: { action: () => ({ kind: 'notrack' }) },
};
