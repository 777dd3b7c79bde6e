// What the analysis knows about a host's network: its own addresses, each
// interface's primary address (the one REDIRECT and MASQUERADE use) and, when
// told, its routes (which interface a forwarded packet leaves by). Every
// question about an address's kind — local, unicast, broadcast — is answered
// here, for both families: an IPv4 address is a number, an IPv6 address a
// bigint (128 bits), so the type of a value says its family.
import type { Family } from '../model.js';
import { formatIPv4, formatIPv6, parseIPv6, prefixToMask6, parseDottedQuad } from '../values.js';
import type { Addr } from './packet.js';

export type { Addr } from './packet.js';

export interface HostNet {
  family: Family;
  /** the host's own addresses; null when not told (then only loopback is known to be local) */
  locals: Addr[] | null;
  /** interface → primary address (the first address given for it) */
  primary: Map<string, Addr>;
  /** interface → every address given for it, in the order given */
  byIface: Map<string, Addr[]>;
  /** `IFACE=IP/LEN`: the prefix length of an address on an interface (key `IFACE=ADDRESS`, the address as formatAddr prints it) */
  lengths: Map<string, number>;
  /** the on-link prefixes the addresses given with a length make (the kernel's connected routes), longest first */
  onLink: Array<{ addr: Addr; mask: Addr; bits: number; iface: string | null }>;
  /** longest prefix first */
  routes: Array<{ addr: Addr; mask: Addr; bits: number; iface: string }>;
}

export class HostNetError extends Error {
  override name = 'HostNetError';
}

const maskOf = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
const familyWord = (f: Family) => (f === 'ipv6' ? 'IPv6' : 'IPv4');

/** One address of the family (IPv6 as inet_pton reads it, without brackets); null when it is not one. */
export function readAddr(s: string, family: Family): Addr | null {
  if (family === 'ipv4') return parseDottedQuad(s);
  return s.includes(':') ? parseIPv6(s) : null;
}

export function formatAddr(a: Addr): string {
  return typeof a === 'bigint' ? formatIPv6(a) : formatIPv4(a);
}

/** Does `a` lie in the network addr/mask (same family)? */
export function inNet(a: Addr, addr: Addr, mask: Addr): boolean {
  if (typeof a === 'bigint') return typeof addr === 'bigint' && typeof mask === 'bigint' && (a & mask) === addr;
  return typeof addr === 'number' && typeof mask === 'number' && ((a & mask) >>> 0) === addr;
}

/**
 * `local`: `IP`, `IFACE=IP`, either with `/LEN` as `ip addr` prints it (the
 * first address given for an interface is its primary address; the length
 * makes the on-link prefix and counts in IPv6 source selection).
 * `routes`: `NET/LEN=IFACE` or `default=IFACE`.
 */
export function readHostNet(local?: readonly string[], routes?: readonly string[], family: Family = 'ipv4'): HostNet {
  const net: HostNet = { family, locals: local ? [] : null, primary: new Map(), byIface: new Map(), lengths: new Map(), onLink: [], routes: [] };
  const max = family === 'ipv6' ? 128 : 32;
  for (const item of local ?? []) {
    const eq = item.indexOf('=');
    const iface = eq >= 0 ? item.slice(0, eq) : null;
    const m = /^(.*?)(?:\/(\d{1,3}))?$/.exec(eq >= 0 ? item.slice(eq + 1) : item)!;
    const a = readAddr(m[1], family);
    const bits = m[2] === undefined ? undefined : Number(m[2]);
    if (a === null || iface === '' || (bits !== undefined && bits > max)) {
      throw new HostNetError(`local address: "${item}" is not an ${familyWord(family)} address (or IFACE=ADDRESS, either with /LEN up to ${max})`);
    }
    net.locals!.push(a);
    if (bits !== undefined) {
      const mask = maskBits(bits, family);
      net.onLink.push({ addr: andMask(a, mask), mask, bits, iface });
    }
    if (iface === null) continue;
    if (bits !== undefined) net.lengths.set(`${iface}=${formatAddr(a)}`, bits);
    if (!net.primary.has(iface)) net.primary.set(iface, a);
    net.byIface.set(iface, [...(net.byIface.get(iface) ?? []), a]);
  }
  for (const item of routes ?? []) net.routes.push(readRoute(item, family));
  net.routes.sort((x, y) => y.bits - x.bits);
  net.onLink.sort((x, y) => y.bits - x.bits);
  return net;
}

const maskBits = (bits: number, family: Family): Addr => (family === 'ipv6' ? prefixToMask6(bits) : maskOf(bits));
const andMask = (a: Addr, mask: Addr): Addr => (typeof a === 'bigint' ? a & (mask as bigint) : (a & (mask as number)) >>> 0);

function readRoute(item: string, family: Family): HostNet['routes'][number] {
  const m = /^(default|([0-9a-fA-F.:]+)(?:\/(\d+))?)=(\S+)$/.exec(item);
  const max = family === 'ipv6' ? 128 : 32;
  const a = m?.[2] !== undefined ? readAddr(m[2], family) : family === 'ipv6' ? 0n : 0;
  const bits = m?.[1] === 'default' ? 0 : m?.[3] !== undefined ? Number(m[3]) : max;
  if (!m || a === null || bits > max) {
    throw new HostNetError(`route: "${item}" is not NET/LEN=IFACE or default=IFACE (${familyWord(family)}${family === 'ipv6' ? ', e.g. 2001:db8:1::/48=eth0' : ''})`);
  }
  if (typeof a === 'bigint') {
    const mask = prefixToMask6(bits);
    return { addr: a & mask, mask, bits, iface: m[4] };
  }
  const mask = maskOf(bits);
  return { addr: (a & mask) >>> 0, mask, bits, iface: m[4] };
}

/** The interface a packet to `dst` leaves by, when routes were given. */
export function routeOut(net: HostNet, dst: Addr): string | undefined {
  return net.routes.find((r) => inNet(dst, r.addr, r.mask))?.iface;
}

/** 127/8 is the host's own, except its broadcast address; in IPv6 only ::1 */
export const isLoopback = (a: Addr) => (typeof a === 'bigint' ? a === 1n : a >>> 24 === 127 && a !== 0x7fffffff);

/** The loopback address of the family (where REDIRECT sends a locally generated packet). */
export const loopbackOf = (f: Family): Addr => (f === 'ipv6' ? 1n : 0x7f000001);

export const isMulticast = (a: Addr) => (typeof a === 'bigint' ? a >> 120n === 0xffn : a >>> 28 === 14);

const isLinkLocal6 = (a: bigint) => a >> 118n === 0x3fan; // fe80::/10

/**
 * Is the address, as a match's address type asks, of all the named types?
 * IPv4 asks whether it is of any of them (inet_addr_type gives one type);
 * IPv6 asks as the kernel's match_type6 does: each of MULTICAST, UNICAST and
 * UNSPEC named must hold, and of LOCAL, ANYCAST and UNREACHABLE (a route
 * lookup) one must.
 */
export function addressTypes(types: readonly string[], a: Addr, local: boolean | undefined, route?: RouteKind): boolean | undefined {
  if (typeof a === 'bigint') return addressTypes6(types, a, local, route);
  let any: boolean | undefined = false;
  for (const t of types) {
    const v = addressType(t, a, local);
    if (v === true) return true;
    if (v === undefined) any = undefined;
  }
  return any;
}

/**
 * The kernel's address types (inet_addr_type): 0.0.0.0/8 and
 * 255.255.255.255 are BROADCAST, 224/4 MULTICAST, the host's own addresses
 * LOCAL, and the rest UNICAST unless a route says otherwise — a subnet's
 * broadcast address (its host part all ones, so its last two bits are 11)
 * cannot be told without the host's subnets. LOCAL and UNICAST never overlap.
 */
export function addressType(t: string, a: number, local: boolean | undefined): boolean | undefined {
  const special = a >>> 24 === 0 || a === 0xffffffff || a >>> 28 === 14;
  switch (t) {
    case 'LOCAL':
      return special ? false : isLoopback(a) ? true : local;
    case 'BROADCAST':
      if (a >>> 24 === 0 || a === 0xffffffff) return true;
      if (a >>> 28 === 14 || isLoopback(a) || local === true) return false;
      return (a & 3) === 3 ? undefined : false;
    case 'MULTICAST':
      return a >>> 28 === 14;
    case 'UNICAST':
      if (special || isLoopback(a) || local === true) return false;
      if (local === undefined) return undefined;
      return (a & 3) === 3 ? undefined : true;
    case 'UNSPEC':
      return false;
    default:
      return undefined;
  }
}

/** What the kernel's route lookup (match_lookup_rt6) says of an address besides LOCAL; undefined where it cannot be told. */
interface RouteKind {
  anycast: boolean | undefined;
  unreachable: boolean | undefined;
}

/**
 * ANYCAST and UNREACHABLE of an IPv6 address as addrtype asks the kernel's
 * route lookup (observed with ip6tables-legacy in a namespace, forwarding on
 * and off): the most specific route decides. No route, or an unreachable or
 * blackhole one: UNREACHABLE. An on-link route (no gateway) shorter than /127
 * whose network address IS the address: ANYCAST (the subnet-router anycast
 * address, 2001:db8:1:: under 2001:db8:1::1/64). The host's own addresses
 * (a local route) and multicast ones are neither. What we know of the routes:
 * the on-link prefixes of the addresses given with /LEN, and the routes given
 * (taken as the host's routing table: an address none covers is
 * UNREACHABLE; whether one of those has a gateway we are not told). Without
 * routes given, an address outside every on-link prefix cannot be told.
 */
export function routeKind6(net: HostNet, a: bigint, local: boolean | undefined): RouteKind {
  const neither = { anycast: false, unreachable: false };
  if (isMulticast(a) || isLoopback(a) || local === true) return neither;
  const asRemote = remoteRouteKind6(net, a);
  if (local === false) return asRemote;
  // perhaps one of the host's own (then neither): known only where both answers agree
  return { anycast: asRemote.anycast === false ? false : undefined, unreachable: asRemote.unreachable === false ? false : undefined };
}

function remoteRouteKind6(net: HostNet, a: bigint): RouteKind {
  const onLink = net.onLink.find((r) => inNet(a, r.addr, r.mask));
  const told = net.routes.find((r) => inNet(a, r.addr, r.mask));
  if (!onLink && !told) return net.routes.length ? { anycast: false, unreachable: true } : { anycast: undefined, unreachable: undefined };
  if (onLink && (!told || onLink.bits >= told.bits)) return { anycast: onLink.bits < 127 && a === onLink.addr, unreachable: false };
  // a route given, perhaps through a gateway (then never anycast)
  return { anycast: told!.bits < 127 && a === told!.addr ? undefined : false, unreachable: false };
}

/**
 * ipv6_addr_type: every address but multicast, :: and the IPv4-mapped
 * ::ffff:0:0/96 is UNICAST (the host's own and ::1 included). A local route
 * (the host's own addresses, ::1) is LOCAL; ANYCAST and UNREACHABLE are what
 * routeKind6 tells from the routes we know (without them only the host's own
 * and multicast addresses are known to be neither).
 */
function addressTypes6(types: readonly string[], a: bigint, local: boolean | undefined, route: RouteKind | undefined): boolean | undefined {
  const multicast = isMulticast(a);
  const unicast = !multicast && a !== 0n && a >> 32n !== 0xffffn;
  if (types.includes('MULTICAST') && !multicast) return false;
  if (types.includes('UNICAST') && !unicast) return false;
  if (types.includes('UNSPEC') && a !== 0n) return false;
  const lookup = types.filter((t) => t === 'LOCAL' || t === 'ANYCAST' || t === 'UNREACHABLE');
  if (types.some((t) => !['MULTICAST', 'UNICAST', 'UNSPEC', 'LOCAL', 'ANYCAST', 'UNREACHABLE'].includes(t))) return undefined;
  if (!lookup.length) return true;
  const isLocal = multicast ? false : isLoopback(a) ? true : local;
  const unknown = isLocal === true || multicast ? false : undefined;
  let any: boolean | undefined = false;
  for (const t of lookup) {
    const v = t === 'LOCAL' ? isLocal : t === 'ANYCAST' ? (route?.anycast ?? unknown) : (route?.unreachable ?? unknown);
    if (v === true) return true;
    if (v === undefined) any = undefined;
  }
  return any;
}

// ---- IPv6 source address selection (MASQUERADE) ------------------------------------

const LINK_SCOPE = 2;
const GLOBAL_SCOPE = 14;

/** __ipv6_addr_src_scope: a multicast address's own scope; link-local (and ::1) 2, site-local 5, the rest global */
function scope6(a: bigint): number {
  if (isMulticast(a)) return Number((a >> 112n) & 0xfn);
  if (isLinkLocal6(a) || a === 1n) return LINK_SCOPE;
  if (a >> 118n === 0x3fbn) return 5; // fec0::/10
  return GLOBAL_SCOPE;
}

/** the kernel's default address label table (ip6addrlbl_init_table), longest prefix first */
const LABELS: Array<{ addr: bigint; mask: bigint; label: number }> = (
  [['::1', 128, 0], ['::ffff:0:0', 96, 4], ['::', 96, 3], ['2001::', 32, 6], ['2001:10::', 28, 7], ['2002::', 16, 2], ['3ffe::', 16, 12], ['fec0::', 10, 11], ['fc00::', 7, 5], ['::', 0, 1]] as const
).map(([a, bits, label]) => ({ addr: parseIPv6(a)!, mask: prefixToMask6(bits), label }));
const label6 = (a: bigint) => LABELS.find((l) => (a & l.mask) === l.addr)!.label;
const isOrchid = (a: bigint) => a >> 100n === 0x2001001n; // 2001:10::/28

const commonPrefix = (a: bigint, b: bigint) => (a === b ? 128 : 128 - (a ^ b).toString(2).length);

/**
 * The source MASQUERADE gives a packet leaving by `iface` for `dst`: IPv4 the
 * interface's primary address; IPv6 the kernel's source address selection
 * (ipv6_dev_get_saddr, RFC 6724) over the addresses given, rule by rule:
 * the destination itself; the smallest scope that reaches it (a global
 * address for a global destination, even one of another interface when the
 * outgoing one has only link-local ones); the outgoing interface's; the same
 * label; the longest common prefix, counted up to the address's own prefix
 * length (`IFACE=IP/LEN`; /64 where not given, as almost every IPv6 network
 * is). A link-local or multicast destination takes only the outgoing
 * interface's addresses. A full tie goes to the first address as `ip -6 addr
 * show` lists them (the order to give them in); undefined when it cannot be
 * told (the outgoing interface's addresses not given, a tie across
 * interfaces, or an address without interface that could win).
 */
export function masqueradeSource(net: HostNet, iface: string, dst: Addr | undefined): Addr | undefined {
  if (net.family === 'ipv4') return net.primary.get(iface);
  const own = (net.byIface.get(iface) ?? []).filter((a): a is bigint => typeof a === 'bigint');
  if (!own.length) return undefined;
  if (typeof dst !== 'bigint') return own.length === 1 ? own[0] : undefined;
  const oifOnly = isMulticast(dst) || scope6(dst) <= LINK_SCOPE;
  const cands: Array<{ a: bigint; iface: string | null }> = oifOnly ? own.map((a) => ({ a, iface })) : saddrCandidates(net);
  const dstScope = scope6(dst);
  const dstLabel = label6(dst);
  const score = (c: { a: bigint; iface: string | null }): number[] => {
    const s = scope6(c.a);
    const len = (c.iface !== null ? net.lengths.get(`${c.iface}=${formatIPv6(c.a)}`) : undefined) ?? 64;
    return [
      c.a === dst ? 1 : 0,
      s >= dstScope ? -s : s - 128,
      // an address without interface might be on the outgoing one: counted so, it must not win
      c.iface === iface || c.iface === null ? 1 : 0,
      label6(c.a) === dstLabel ? 1 : 0,
      isOrchid(c.a) === isOrchid(dst) ? 1 : 0,
      Math.min(commonPrefix(c.a, dst), len),
    ];
  };
  const scored = cands.map((c) => ({ ...c, s: score(c) }));
  const best = scored.reduce((b, c) => (compareScores(c.s, b.s) > 0 ? c : b));
  const top = scored.filter((c) => compareScores(c.s, best.s) === 0);
  if (top.some((c) => c.iface === null)) return undefined;
  return top.every((c) => c.iface === best.iface) ? top[0].a : undefined;
}

/** lexicographic: the first rule that tells them apart decides */
function compareScores(x: number[], y: number[]): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** every address given, with its interface (null when given without one), loopback left out */
function saddrCandidates(net: HostNet): Array<{ a: bigint; iface: string | null }> {
  const out: Array<{ a: bigint; iface: string | null }> = [];
  const placed = new Set<bigint>();
  for (const [iface, list] of net.byIface) {
    for (const a of list) if (typeof a === 'bigint') (out.push({ a, iface }), placed.add(a));
  }
  for (const a of net.locals ?? []) if (typeof a === 'bigint' && a !== 1n && !placed.has(a)) out.push({ a, iface: null });
  return out;
}
