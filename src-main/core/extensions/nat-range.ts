// The address/port ranges of the NAT targets (libxt_NAT.c's parse_to, parse_ports
// and sprint_range), shared by DNAT, SNAT, MASQUERADE and REDIRECT.
import { ValueError, formatIPv4, formatIPv6, inetPton4, parseIPv6, serviceToPort, strtoulPrefix } from '../values.js';
import type { ParseContext } from './types.js';
import type { Target } from '../model.js';
import type { NatTo } from '../analysis/target-action.js';

export interface NatRange {
  /** NF_NAT_RANGE_MAP_IPS: addresses as 32-bit numbers (lo may exceed hi: the kernel takes it) */
  addr: { lo: number; hi: number } | null;
  /** the same in ip6tables (then `addr` is null) */
  addr6?: { lo: bigint; hi: bigint };
  /** NF_NAT_RANGE_PROTO_SPECIFIED */
  ports: { lo: number; hi: number } | null;
  /** NF_NAT_RANGE_PROTO_OFFSET: base port of a shifted port map (`1000-2000/3000`) */
  base: number | null;
}

// NAT can only rewrite ports of these protocols (tcp, udp, sctp, dccp; icmp's id)
const PORT_PROTOS: ReadonlySet<number> = new Set([6, 17, 132, 33, 1]);

function portsAllowed(ctx: ParseContext): boolean {
  return ctx.rule.proto !== null && PORT_PROTOS.has(ctx.rule.proto.num);
}

function badPort(s: string): ValueError {
  return new ValueError(`Port \`${s}' not valid`, 'invalid-argument', 'use a port number from 0 to 65535 or a service name');
}

/** parse_ports: `port`, `port-port` or `port-port/base`; a service name only for the first. */
export function parseNatPorts(arg: string, ctx: ParseContext): Pick<NatRange, 'ports' | 'base'> {
  if (!portsAllowed(ctx))
    throw new ValueError('Need TCP, UDP, SCTP or DCCP with port specification', 'invalid-argument', 'add -p tcp or -p udp before -j');
  let lo: number;
  let rest: string;
  const first = strtoulPrefix(arg, 0xffff);
  if (first) {
    lo = first.value;
    rest = arg.slice(first.end);
  } else {
    const p = serviceToPort(arg);
    if (p === null) throw badPort(arg);
    lo = p;
    rest = '';
  }
  if (rest === '') return { ports: { lo, hi: lo }, base: null };
  if (rest[0] === ':') throw new ValueError('Invalid port:port syntax - use dash', 'invalid-argument', `write ${arg.replace(':', '-')}`);
  if (rest[0] !== '-') throw new ValueError(`Garbage after port value: \`${rest}'`, 'invalid-argument');
  const maxArg = rest.slice(1);
  const second = strtoulPrefix(maxArg, 0xffff);
  if (!second) throw badPort(maxArg);
  if (second.value < lo) throw new ValueError(`Port range \`${maxArg}' funky`, 'invalid-argument', 'write the lower port first');
  const after = maxArg.slice(second.end);
  const ports = { lo, hi: second.value };
  if (after === '') return { ports, base: null };
  if (after[0] !== '/') throw new ValueError(`Garbage after port range: \`${after}'`, 'invalid-argument');
  const baseArg = after.slice(1);
  // like iptables, anything after the base port number is ignored
  const b = strtoulPrefix(baseArg, 0xffff);
  let base: number;
  if (b && b.value >= 1) base = b.value;
  else {
    const p = serviceToPort(baseArg);
    if (p === null) throw badPort(baseArg);
    base = p;
  }
  return { ports, base };
}

/** parse_to: `[addr[-addr]][:port[-port[/base]]]`. */
export function parseNatTo(arg: string, ctx: ParseContext): NatRange {
  if (ctx.family === 'ipv6') return parseNatTo6(arg, ctx);
  if (arg.includes('[')) throw new ValueError('Invalid address format', 'invalid-argument', 'brackets are for IPv6 addresses');
  let colon = arg.indexOf(':');
  // two colons: iptables takes it for an IPv6 address
  if (colon >= 0 && arg.indexOf(':', colon + 1) >= 0) colon = -1;
  let range: NatRange = { addr: null, ports: null, base: null };
  let ip = arg;
  if (colon >= 0) {
    range = { addr: null, ...parseNatPorts(arg.slice(colon + 1), ctx) };
    // "Starts with colon or [] colon? No IP info": iptables tests the offset, so `ab:80` has no address either
    if (colon === 0 || colon === 2) return range;
    ip = arg.slice(0, colon);
  }
  const dash = ip.indexOf('-');
  const loText = dash >= 0 ? ip.slice(0, dash) : ip;
  const lo = inetPton4(loText);
  if (lo === null) throw badAddress(loText);
  let hi = lo;
  if (dash >= 0) {
    const v = inetPton4(ip.slice(dash + 1));
    if (v === null) throw badAddress(ip.slice(dash + 1));
    hi = v;
  }
  range.addr = { lo, hi };
  return range;
}

/** parse_to for ip6tables: `addr[-addr]`, or `[addr[-addr]]:port[-port[/base]]` (one colon without brackets is a port). */
function parseNatTo6(arg: string, ctx: ParseContext): NatRange {
  const open = arg.indexOf('[');
  let start = 0;
  let end = arg.length;
  let colon: number;
  if (open < 0) {
    colon = arg.indexOf(':');
    if (colon >= 0 && arg.indexOf(':', colon + 1) >= 0) colon = -1;
    if (colon >= 0) end = colon;
  } else {
    start = open + 1;
    const close = arg.indexOf(']', start);
    if (close < 0) throw new ValueError('Invalid address format', 'invalid-argument', 'close the bracket: [2001:db8::1]:80');
    end = close;
    colon = arg.indexOf(':', close + 1);
  }
  let range: NatRange = { addr: null, ports: null, base: null };
  if (colon >= 0) {
    range = { addr: null, ...parseNatPorts(arg.slice(colon + 1), ctx) };
    if (colon === 0 || colon === 2) return range;
  }
  const ip = arg.slice(start, end);
  const dash = ip.indexOf('-');
  const loText = dash >= 0 ? ip.slice(0, dash) : ip;
  const lo = parseIPv6(loText);
  if (lo === null) throw badAddress6(loText);
  let hi = lo;
  if (dash >= 0) {
    const v = parseIPv6(ip.slice(dash + 1));
    if (v === null) throw badAddress6(ip.slice(dash + 1));
    hi = v;
  }
  range.addr6 = { lo, hi };
  return range;
}

function badAddress6(s: string): ValueError {
  return new ValueError(`Bad IP address "${s}"`, 'invalid-argument', 'write an IPv6 address such as 2001:db8::10, a range 2001:db8::10-2001:db8::20, and [2001:db8::10]:80 with a port');
}

function badAddress(s: string): ValueError {
  return new ValueError(`Bad IP address "${s}"`, 'invalid-argument', 'write a dotted IPv4 address such as 192.0.2.10, or a range 192.0.2.10-192.0.2.20');
}

/** sprint_range; `skipColon` for --to-ports, which prints the ports alone. */
function formatNatRange(r: NatRange, skipColon = false): string {
  let s = '';
  if (r.addr) {
    s += formatIPv4(r.addr.lo);
    if (r.addr.hi !== r.addr.lo) s += '-' + formatIPv4(r.addr.hi);
  }
  if (r.addr6) {
    // brackets only when a port follows
    const brackets = r.ports !== null;
    s += (brackets ? '[' : '') + formatIPv6(r.addr6.lo) + (r.addr6.hi !== r.addr6.lo ? '-' + formatIPv6(r.addr6.hi) : '') + (brackets ? ']' : '');
  }
  if (r.ports) {
    if (s || !skipColon) s += ':';
    s += r.ports.lo;
    if (r.ports.hi !== r.ports.lo) s += '-' + r.ports.hi;
    if (r.base !== null) s += '/' + r.base;
  }
  return s;
}

/** The addresses and ports a NAT target picks from, as the analysis reads them (null: kept). */
export function natTo(s: NatState): NatTo {
  const r = s.range;
  const a = r?.addr ?? r?.addr6 ?? null;
  return { addr: a?.lo ?? null, addrHi: a?.hi ?? null, port: r?.ports?.lo ?? null, portHi: r?.ports?.hi ?? null };
}

export interface NatState {
  range: NatRange | null;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
}


/** The state of a NAT target from its options; `rangeOption` holds the range. */
export function natFinalize(options: Target['options'], rangeOption: string, keepBase: boolean): NatState {
  const s: NatState = { range: null, random: false, randomFully: false, persistent: false };
  for (const o of options) {
    if (o.name === rangeOption) {
      const r = o.value as NatRange;
      // the IPv4 compat struct of SNAT/MASQUERADE/REDIRECT has no base port: it comes back as 0
      s.range = keepBase || r.base === null ? r : { ...r, base: 0 };
    } else if (o.name === 'random') s.random = true;
    else if (o.name === 'random-fully') s.randomFully = true;
    else if (o.name === 'persistent') s.persistent = true;
  }
  return s;
}

/** __NAT_print in save mode. */
export function natSave(s: NatState, rangeOption: string, skipColon: boolean): string {
  let out = '';
  if (s.range) {
    const r = formatNatRange(s.range, skipColon);
    if (r) out += ` --${rangeOption} ${r}`;
  }
  if (s.random) out += ' --random';
  if (s.randomFully) out += ' --random-fully';
  if (s.persistent) out += ' --persistent';
  return out;
}
