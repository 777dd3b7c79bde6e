// -j TEE (libxt_TEE): send a copy of the packet to another gateway.
import { ValueError, formatIPv4, formatIPv6, inetAton, parseIPv6 } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtString } from './xt-options.js';

interface TeeState {
  /** a bigint in ip6tables */
  gateway: number | bigint;
  /** '' when not given */
  oif: string;
}


export const tee: TargetExtension<TeeState> = {
  kind: 'target',
  name: 'TEE',
  // the original packet goes on through the chain
  terminal: false,
  options: [
    {
      name: 'gateway',
      arg: 'required',
      parse: ([v], ctx) => {
        const a = ctx.family === 'ipv6' ? parseIPv6(v) : inetAton(v);
        if (a === null)
          throw new ValueError(`host/network \`${v}' not found`, 'invalid-argument',
            'write a numeric address; a host name is resolved by the host when the rules load');
        return a;
      },
    },
    // char oif[16]
    { name: 'oif', arg: 'required', parse: ([v]) => xtString(v, 16) },
  ],
  finalize(options) {
    xtFcheck('TEE', options, [{ name: 'gateway', mand: true }]);
    const s: TeeState = { gateway: 0, oif: '' };
    for (const o of options) {
      if (o.name === 'gateway') s.gateway = o.value as number | bigint;
      else s.oif = o.value as string;
    }
    return { ...s };
  },
  save(t) {
    const s = t.state;
    return ` --gateway ${typeof s.gateway === 'bigint' ? formatIPv6(s.gateway) : formatIPv4(s.gateway)}` + (s.oif ? ` --oif ${s.oif}` : '');
  },
};
