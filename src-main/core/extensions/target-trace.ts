// -j TRACE (libxt_TRACE): log every rule the packet traverses from here on.
import type { TargetExtension } from './types.js';

export const trace: TargetExtension = {
  kind: 'target',
  name: 'TRACE',
  tables: ['raw'],
  // only sets a flag on the packet
  terminal: false,
  options: [],
  save: () => '',
};
