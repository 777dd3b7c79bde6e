// -j NETMAP (libipt_NETMAP): map a whole network onto another, host part kept.
import { ValueError, formatIPv4, formatIPv6, inetAton, maskToPrefix, maskToPrefix6, parseIPv6, parsePlenMask6, prefixToMask, strtoulWhole } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck } from './xt-options.js';

interface NetmapState {
  /** network address (masked) and its mask; bigints in ip6tables */
  addr: number | bigint;
  mask: number | bigint;
}

/** The IPv6 form: `host[/len|/mask]`, masked. */
function parseNetmapTo6(arg: string): NetmapState {
  const slash = arg.lastIndexOf('/');
  const hostText = slash < 0 ? arg : arg.slice(0, slash);
  const host = parseIPv6(hostText);
  if (host === null)
    throw new ValueError(`host/network \`${hostText}' not found`, 'invalid-argument', 'write a numeric IPv6 network, e.g. 2001:db8:1::/48');
  const mask = slash >= 0 ? parsePlenMask6(arg.slice(slash + 1), 'NETMAP', 'to') : (1n << 128n) - 1n;
  return { addr: host & mask, mask };
}


/** XTTYPE_HOSTMASK for IPv4 as iptables 1.8.9 parses it: `host[/len|/mask]`. */
function parseNetmapTo(arg: string): NetmapState {
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

export const netmap: TargetExtension<NetmapState> = {
  kind: 'target',
  name: 'NETMAP',
  tables: ['nat'],
  // valid in every nat hook: PREROUTING/OUTPUT map destinations, POSTROUTING/INPUT sources
  hooks: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  // a NAT verdict: the nat chain is left once the mapping is set up
  terminal: true,
  options: [{ name: 'to', arg: 'required', parse: ([v], ctx) => (ctx.family === 'ipv6' ? parseNetmapTo6(v) : parseNetmapTo(v)) }],
  finalize(options) {
    xtFcheck('NETMAP', options, [{ name: 'to', mand: true }]);
    return { ...(options[options.length - 1].value as NetmapState) };
  },
  save(t) {
    const s = t.state;
    if (typeof s.addr === 'bigint') return ` --to ${formatIPv6(s.addr)}/${maskToPrefix6(s.mask as bigint)}`;
    return ` --to ${formatIPv4(s.addr)}/${maskToPrefix(s.mask as number)}`;
  },
};
