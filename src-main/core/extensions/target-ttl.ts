// -j TTL (libipt_TTL): set, increase or decrease the IPv4 TTL.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface TtlState {
  mode: 'set' | 'inc' | 'dec';
  value: number;
}


const OPS = ['ttl-set', 'ttl-dec', 'ttl-inc'] as const;

export const ttl: TargetExtension<TtlState> = {
  kind: 'target',
  name: 'TTL',
  // libipt_*: ip6tables has no such extension (it has the IPv6 counterpart)
  families: ['ipv4'],
  tables: ['mangle'],
  // rewrites the header and lets the packet continue
  terminal: false,
  options: [
    { name: 'ttl-set', arg: 'required', parse: ([v]) => xtUInt('TTL', 'ttl-set', v, 0, 255) },
    // changing by 0 is refused: it would do nothing
    { name: 'ttl-dec', arg: 'required', parse: ([v]) => xtUInt('TTL', 'ttl-dec', v, 1, 255) },
    { name: 'ttl-inc', arg: 'required', parse: ([v]) => xtUInt('TTL', 'ttl-inc', v, 1, 255) },
  ],
  finalize(options) {
    xtFcheck('TTL', options, OPS.map((name) => ({ name, excl: OPS })));
    if (options.length === 0)
      throw new ValueError('TTL: You must specify an action', 'missing-argument', 'add --ttl-set, --ttl-dec or --ttl-inc');
    const o = options[0];
    return { mode: o.name.slice(4) as TtlState['mode'], value: o.value as number };
  },
  save(t) {
    const s = t.state;
    return ` --ttl-${s.mode} ${s.value}`;
  },
};
