// What the analysis knows about a host's network: its own addresses, each
// interface's primary address (the one REDIRECT and MASQUERADE use) and, when
// told, its routes (which interface a forwarded packet leaves by). Every
// question about an address's kind — local, unicast, broadcast — is answered
// here, so that another address family is added in one place.
import { readIPv4 } from './match-options.js';

export interface HostNet {
  /** the host's own addresses; null when not told (then only loopback is known to be local) */
  locals: number[] | null;
  /** interface → primary address (the first address given for it) */
  primary: Map<string, number>;
  /** longest prefix first */
  routes: Array<{ addr: number; mask: number; iface: string }>;
}

export class HostNetError extends Error {
  override name = 'HostNetError';
}

const maskOf = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

/**
 * `local`: `IP` or `IFACE=IP` (the first address given for an interface is
 * its primary address). `routes`: `NET/LEN=IFACE` or `default=IFACE`.
 */
export function readHostNet(local?: readonly string[], routes?: readonly string[]): HostNet {
  const net: HostNet = { locals: local ? [] : null, primary: new Map(), routes: [] };
  for (const item of local ?? []) {
    const eq = item.indexOf('=');
    const iface = eq >= 0 ? item.slice(0, eq) : null;
    const text = eq >= 0 ? item.slice(eq + 1) : item;
    const a = readIPv4(text);
    if (a === null || iface === '') throw new HostNetError(`local address: "${item}" is not an IPv4 address (or IFACE=ADDRESS)`);
    net.locals!.push(a);
    if (iface !== null && !net.primary.has(iface)) net.primary.set(iface, a);
  }
  for (const item of routes ?? []) {
    const m = /^(default|(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?)=(\S+)$/.exec(item);
    const a = m?.[2] !== undefined ? readIPv4(m[2]) : 0;
    const bits = m?.[1] === 'default' ? 0 : m?.[3] !== undefined ? Number(m[3]) : 32;
    if (!m || a === null || bits > 32) throw new HostNetError(`route: "${item}" is not NET/LEN=IFACE or default=IFACE`);
    const mask = maskOf(bits);
    net.routes.push({ addr: (a & mask) >>> 0, mask, iface: m[4] });
  }
  net.routes.sort((x, y) => y.mask - x.mask);
  return net;
}

/** The interface a packet to `dst` leaves by, when routes were given. */
export function routeOut(net: HostNet, dst: number): string | undefined {
  return net.routes.find((r) => ((dst & r.mask) >>> 0) === r.addr)?.iface;
}

/** 127/8 is the host's own, except its broadcast address */
export const isLoopback = (a: number) => a >>> 24 === 127 && a !== 0x7fffffff;

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
