// -j CHECKSUM (libxt_CHECKSUM): fill in a missing checksum (for old DHCP clients behind virtio).
import type { TargetExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

export const checksum: TargetExtension = {
  kind: 'target',
  name: 'CHECKSUM',
  tables: ['mangle'],
  // fixes the packet and lets it continue
  terminal: false,
  options: [{ name: 'checksum-fill', arg: 'none' }],
  finalize(options) {
    xtFcheck('CHECKSUM', options, [{ name: 'checksum-fill', mand: true }]);
    return { fill: true };
  },
  save: () => ' --checksum-fill',
};
