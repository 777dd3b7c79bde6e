// -j HL (libip6t_HL): set, increase or decrease the IPv6 hop limit (ip6tables' TTL).
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';

const OPS = ['hl-set', 'hl-dec', 'hl-inc'] as const;

interface HlState {
  mode: 'set' | 'dec' | 'inc';
  value: number;
}

export const hlTarget: TargetExtension<HlState> = {
  kind: 'target',
  name: 'HL',
  families: ['ipv6'],
  tables: ['mangle'],
  terminal: false,
  options: [
    { name: 'hl-set', arg: 'required', parse: ([v]) => xtUInt('HL', 'hl-set', v, 0, 255) },
    { name: 'hl-dec', arg: 'required', parse: ([v]) => xtUInt('HL', 'hl-dec', v, 1, 255) },
    { name: 'hl-inc', arg: 'required', parse: ([v]) => xtUInt('HL', 'hl-inc', v, 1, 255) },
  ],
  finalize(options) {
    xtFcheck('HL', options, OPS.map((name) => ({ name, excl: OPS })));
    if (options.length === 0) throw new ValueError('HL: You must specify an action', 'missing-argument', 'add --hl-set, --hl-dec or --hl-inc');
    const o = options[0];
    return { mode: o.name.slice(3) as HlState['mode'], value: o.value as number };
  },
  save: (t) => ` --hl-${t.state.mode} ${t.state.value}`,
};
