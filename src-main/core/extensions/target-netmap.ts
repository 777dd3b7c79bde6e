// -j NETMAP (libipt_NETMAP): map a whole network onto another, host part kept.
import { ValueError, formatIPv4, inetAton, maskToPrefix, prefixToMask, strtoulWhole } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck } from './xt-options.js';

export interface NetmapState {
  /** network address (masked) and its mask */
  addr: number;
  mask: number;
}

export function netmapState(t: Target): NetmapState {
  return t.state as unknown as NetmapState;
}

/** XTTYPE_HOSTMASK for IPv4 as iptables 1.8.9 parses it: `host[/len|/mask]`. */
export function parseNetmapTo(arg: string): NetmapState {
  const slash = arg.indexOf('/');
  const hostText = slash < 0 ? arg : arg.slice(0, slash);
  const host = inetAton(hostText);
  if (host === null)
    throw new ValueError(`host/network \`${hostText}' not found`, 'invalid-argument',
      'write a numeric address; a host name is resolved by the host when the rules load');
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    const bits = strtoulWhole(m, 0, 32);
    if (bits !== null) mask = prefixToMask(bits);
    else {
      const dotted = inetAton(m);
      if (dotted === null)
        throw new ValueError('NETMAP: bad value for option "--to", neither a valid network mask nor valid CIDR (0-32).', 'invalid-argument');
      // 1.8.9 turns a mask that is not a prefix into /32
      mask = maskToPrefix(dotted) >= 0 ? dotted : 0xffffffff;
    }
  }
  return { addr: (host & mask) >>> 0, mask };
}

export const netmap: TargetExtension = {
  kind: 'target',
  name: 'NETMAP',
  // its IPv6 form (addresses, options) is not modelled yet: in ip6tables it is kept as written
  families: ['ipv4'],
  tables: ['nat'],
  // valid in every nat hook: PREROUTING/OUTPUT map destinations, POSTROUTING/INPUT sources
  hooks: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [{ name: 'to', arg: 'required', parse: ([v]) => parseNetmapTo(v) }],
  finalize(options) {
    xtFcheck('NETMAP', options, [{ name: 'to', mand: true }]);
    return { ...(options[options.length - 1].value as NetmapState) };
  },
  save(t) {
    const s = netmapState(t);
    return ` --to ${formatIPv4(s.addr)}/${maskToPrefix(s.mask)}`;
  },
};
