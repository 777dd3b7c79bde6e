// -m addrtype (libxt_addrtype, revision 1): the routing type of the source or destination address.
import type { Hook } from '../model.js';
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';
import { fieldCond, inv, type Cond } from '../analysis/packet.js';
import { addressTypes } from '../analysis/host-net.js';

/** linux/rtnetlink.h route types, in bit order (bit i = 1 << i). */
const ADDRESS_TYPES = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST',
  'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
] as const;
type AddressType = (typeof ADDRESS_TYPES)[number];

interface AddrTypeCondition {
  types: AddressType[];
  invert: boolean;
}

interface AddrTypeMatch {
  src: AddrTypeCondition | null;
  dst: AddrTypeCondition | null;
  limitIfaceIn: boolean;
  limitIfaceOut: boolean;
  /** an ip6tables rule (the kernel takes fewer types for IPv6) */
  ipv6: boolean;
}

/** what addrtype_mt_checkentry_v1 refuses for IPv6 (ip6tables-restore: "Invalid argument" at COMMIT; observed) */
const NOT_IPV6: ReadonlySet<AddressType> = new Set(['BLACKHOLE', 'BROADCAST', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE']);

/** parse_types: comma list; each item is a case-insensitive prefix of a type name, the first in bit order wins. */
function parseTypes(arg: string): number {
  let mask = 0;
  const items = arg.split(',');
  items.forEach((item, k) => {
    const upper = item.toUpperCase();
    const i = item === '' ? -1 : ADDRESS_TYPES.findIndex((t) => t.startsWith(upper));
    if (i < 0) {
      const rest = items.slice(k).join(',');
      throw new ValueError(k < items.length - 1 ? `addrtype: bad type \`${rest}'` : `addrtype: bad type "${rest}"`, 'invalid-argument',
        `types are ${ADDRESS_TYPES.join(', ')}`);
    }
    mask |= 1 << i;
  });
  return mask;
}

function typesOf(mask: number): AddressType[] {
  return ADDRESS_TYPES.filter((_, i) => mask & (1 << i));
}

const IN_ONLY: ReadonlySet<Hook> = new Set<Hook>(['PREROUTING', 'INPUT']);
const OUT_ONLY: ReadonlySet<Hook> = new Set<Hook>(['POSTROUTING', 'OUTPUT']);

/** `[!] --src-type` / `--dst-type` as a condition on the packet's address. */
function typeCond(field: 'src' | 'dst', c: AddrTypeCondition): Cond {
  const { types, invert } = c;
  const text = `${invert ? '! ' : ''}--${field}-type ${types.join(',')}`;
  return fieldCond(text, text, (p, ctx) => {
    const a = p[field];
    if (a === undefined) {
      // after a REDIRECT to an interface whose address we were not told: local, so of type LOCAL only
      if (field !== 'dst' || !p.dstLocal) return undefined;
      return inv(invert, types.includes('LOCAL'));
    }
    return inv(invert, addressTypes(types, a, ctx.isLocal(a), typeof a === 'bigint' ? ctx.routeKind?.(a) : undefined));
  });
}

export const addrtype: MatchExtension<AddrTypeMatch> = {
  kind: 'match',
  name: 'addrtype',
  options: [
    { name: 'src-type', arg: 'required', invert: true, parse: ([v]) => parseTypes(v) },
    { name: 'dst-type', arg: 'required', invert: true, parse: ([v]) => parseTypes(v) },
    { name: 'limit-iface-in', arg: 'none' },
    { name: 'limit-iface-out', arg: 'none' },
  ],
  finalize(options, ctx) {
    const s: AddrTypeMatch = { src: null, dst: null, limitIfaceIn: false, limitIfaceOut: false, ipv6: ctx.family === 'ipv6' };
    for (const o of options) {
      if (o.name === 'src-type') s.src = { types: typesOf(o.value as number), invert: o.invert };
      else if (o.name === 'dst-type') s.dst = { types: typesOf(o.value as number), invert: o.invert };
      else if (o.name === 'limit-iface-in') s.limitIfaceIn = true;
      else s.limitIfaceOut = true;
    }
    if (!s.src && !s.dst) throw new ValueError('addrtype: you must specify --src-type or --dst-type', 'missing-argument', 'add --src-type TYPE or --dst-type TYPE');
    xtFcheck('addrtype', options, [
      { name: 'src-type' },
      { name: 'dst-type' },
      { name: 'limit-iface-in', excl: ['limit-iface-out'] },
      { name: 'limit-iface-out', excl: ['limit-iface-in'] },
    ]);
    return s;
  },
  kernelCheck(state, _rule, { hooks }) {
    const s = state;
    const refused = s.ipv6 ? [...(s.src?.types ?? []), ...(s.dst?.types ?? [])].find((t) => NOT_IPV6.has(t)) : undefined;
    if (refused) return `addrtype: the kernel does not match ${refused} for IPv6 (it takes UNSPEC, UNICAST, LOCAL, ANYCAST, MULTICAST and UNREACHABLE)`;
    for (const h of hooks) {
      if (s.limitIfaceOut && IN_ONLY.has(h)) return `addrtype: --limit-iface-out is not valid in ${h} (no output interface yet)`;
      if (s.limitIfaceIn && OUT_ONLY.has(h)) return `addrtype: --limit-iface-in is not valid in ${h} (no input interface)`;
    }
    return null;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.src) out += (s.src.invert ? ' ! --src-type ' : ' --src-type ') + s.src.types.join(',');
    if (s.dst) out += (s.dst.invert ? ' ! --dst-type ' : ' --dst-type ') + s.dst.types.join(',');
    if (s.limitIfaceIn) out += ' --limit-iface-in';
    if (s.limitIfaceOut) out += ' --limit-iface-out';
    return out;
  },
  analysis: {
    // --limit-iface-in/out (only the packet's interface's addresses count) is not modelled
    conditions(s) {
      if (s.limitIfaceIn || s.limitIfaceOut) return null;
      const out: Cond[] = [];
      if (s.src) out.push(typeCond('src', s.src));
      if (s.dst) out.push(typeCond('dst', s.dst));
      return out;
    },
  },
};
