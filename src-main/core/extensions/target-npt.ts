// -j DNPT / -j SNPT (libip6t_DNPT, libip6t_SNPT): stateless IPv6 prefix translation (RFC 6296).
import type { TargetExtension } from './types.js';
import type { Hook } from '../model.js';
import { ValueError, formatIPv6, parseIPv6, prefixToMask6, strtoulWhole } from '../values.js';
import { xtFcheck } from './xt-options.js';

interface Prefix {
  addr: bigint;
  len: number;
}

/** XTTYPE_HOSTMASK in ip6tables: ADDR[/LEN], the address kept as written. */
function parsePrefix(ext: string, opt: string, arg: string): Prefix {
  const slash = arg.lastIndexOf('/');
  const addr = parseIPv6(slash >= 0 ? arg.slice(0, slash) : arg);
  if (addr === null) throw new ValueError(`${ext}: bad value for option "--${opt}"`, 'invalid-argument', 'write an IPv6 prefix such as 2001:db8:1::/48');
  const len = slash >= 0 ? strtoulWhole(arg.slice(slash + 1), 0, 128) : 128;
  if (len === null)
    throw new ValueError(`${ext}: bad value for option "--${opt}", neither a valid network mask nor valid CIDR (0-128).`, 'invalid-argument', 'a prefix length is 0 to 128');
  return { addr, len };
}

interface NptState {
  src: Prefix;
  dst: Prefix;
}

function npt(name: 'DNPT' | 'SNPT', hooks: Hook[]): TargetExtension<NptState> {
  return {
    kind: 'target',
    name,
    families: ['ipv6'],
    tables: ['mangle'],
    hooks,
    terminal: false,
    options: [
      { name: 'src-pfx', arg: 'required', parse: ([v]) => parsePrefix(name, 'src-pfx', v) },
      { name: 'dst-pfx', arg: 'required', parse: ([v]) => parsePrefix(name, 'dst-pfx', v) },
    ],
    finalize(options) {
      xtFcheck(name, options, [{ name: 'src-pfx', mand: true }, { name: 'dst-pfx', mand: true }]);
      return { src: options.find((o) => o.name === 'src-pfx')!.value as Prefix, dst: options.find((o) => o.name === 'dst-pfx')!.value as Prefix };
    },
    // ip6t_NPT's checkentry: prefixes of at most 64 bits, no bits set past them
    kernelCheck(state) {
      for (const p of [state.src, state.dst]) {
        if (p.len > 64) return `${name}: a prefix is at most /64 (Invalid argument)`;
        if ((p.addr & prefixToMask6(p.len)) !== p.addr) return `${name}: ${formatIPv6(p.addr)} has bits set past /${p.len} (Invalid argument)`;
      }
      return null;
    },
    save(t) {
      const f = (p: Prefix) => `${formatIPv6(p.addr)}/${p.len}`;
      return ` --src-pfx ${f(t.state.src)} --dst-pfx ${f(t.state.dst)}`;
    },
  };
}

export const dnpt = npt('DNPT', ['PREROUTING', 'OUTPUT']);
export const snpt = npt('SNPT', ['INPUT', 'POSTROUTING']);
