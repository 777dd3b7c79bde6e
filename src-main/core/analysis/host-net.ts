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
 * `local`: `IP` or `IFACE=IP` (the first address given for an interface is
 * its primary address). `routes`: `NET/LEN=IFACE` or `default=IFACE`.
 */
export function readHostNet(local?: readonly string[], routes?: readonly string[], family: Family = 'ipv4'): HostNet {
  const net: HostNet = { family, locals: local ? [] : null, primary: new Map(), byIface: new Map(), routes: [] };
  for (const item of local ?? []) {
    const eq = item.indexOf('=');
    const iface = eq >= 0 ? item.slice(0, eq) : null;
    const a = readAddr(eq >= 0 ? item.slice(eq + 1) : item, family);
    if (a === null || iface === '') throw new HostNetError(`local address: "${item}" is not an ${familyWord(family)} address (or IFACE=ADDRESS)`);
    net.locals!.push(a);
    if (iface === null) continue;
    if (!net.primary.has(iface)) net.primary.set(iface, a);
    net.byIface.set(iface, [...(net.byIface.get(iface) ?? []), a]);
  }
  for (const item of routes ?? []) net.routes.push(readRoute(item, family));
  net.routes.sort((x, y) => y.bits - x.bits);
  return net;
}

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
export function addressTypes(types: readonly string[], a: Addr, local: boolean | undefined): boolean | undefined {
  if (typeof a === 'bigint') return addressTypes6(types, a, local);
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

/**
 * ipv6_addr_type: every address but multicast, :: and the IPv4-mapped
 * ::ffff:0:0/96 is UNICAST (the host's own and ::1 included). A local route
 * (the host's own addresses, ::1) is LOCAL; ANYCAST and UNREACHABLE depend on
 * routes we are not told, except that a local or multicast address is neither.
 */
function addressTypes6(types: readonly string[], a: bigint, local: boolean | undefined): boolean | undefined {
  const multicast = isMulticast(a);
  const unicast = !multicast && a !== 0n && a >> 32n !== 0xffffn;
  if (types.includes('MULTICAST') && !multicast) return false;
  if (types.includes('UNICAST') && !unicast) return false;
  if (types.includes('UNSPEC') && a !== 0n) return false;
  const lookup = types.filter((t) => t === 'LOCAL' || t === 'ANYCAST' || t === 'UNREACHABLE');
  if (types.some((t) => !['MULTICAST', 'UNICAST', 'UNSPEC', 'LOCAL', 'ANYCAST', 'UNREACHABLE'].includes(t))) return undefined;
  if (!lookup.length) return true;
  const isLocal = multicast ? false : isLoopback(a) ? true : local;
  let any: boolean | undefined = false;
  for (const t of lookup) {
    const v = t === 'LOCAL' ? isLocal : isLocal === true || multicast ? false : undefined;
    if (v === true) return true;
    if (v === undefined) any = undefined;
  }
  return any;
}

/**
 * The source MASQUERADE gives a packet leaving by `iface` for `dst`: IPv4 the
 * interface's primary address; IPv6 the kernel's source address selection
 * (RFC 6724), as far as it can be told from the addresses given: the
 * outgoing interface's addresses of the destination's scope (link-local or
 * not), the destination itself if it is one, then the longest common prefix
 * with the destination, counted up to 64 bits (the kernel stops at the
 * address's prefix length, which we are not told: /64 assumed); undefined when
 * that leaves a tie.
 */
export function masqueradeSource(net: HostNet, iface: string, dst: Addr | undefined): Addr | undefined {
  if (net.family === 'ipv4') return net.primary.get(iface);
  const all = (net.byIface.get(iface) ?? []).filter((a): a is bigint => typeof a === 'bigint');
  if (typeof dst !== 'bigint') return all.length === 1 ? all[0] : undefined;
  const scoped = all.filter((a) => isLinkLocal6(a) === isLinkLocal6(dst));
  if (scoped.length <= 1) return scoped[0];
  if (scoped.includes(dst)) return dst;
  const common = (a: bigint) => Math.min(64, a === dst ? 128 : 128 - (a ^ dst).toString(2).length);
  const best = Math.max(...scoped.map(common));
  const top = scoped.filter((a) => common(a) === best);
  return top.length === 1 ? top[0] : undefined;
}
