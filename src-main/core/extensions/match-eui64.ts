// -m eui64 (libip6t_eui64): the source address's interface id is the EUI-64 of the source MAC.
import type { MatchExtension } from './types.js';

export const eui64: MatchExtension = {
  kind: 'match',
  name: 'eui64',
  families: ['ipv6'],
  options: [],
  // the kernel registers it for the hooks that have a source MAC
  kernelCheck(_state, _rule, ctx) {
    for (const h of ctx.hooks) if (h !== 'PREROUTING' && h !== 'INPUT' && h !== 'FORWARD') return `eui64 works only in PREROUTING, INPUT and FORWARD, not from ${h} (Invalid argument)`;
    return null;
  },
  save: () => '',
};
