// -m conntrack (libxt_conntrack, revision 3): connection tracking state, status,
// tuple addresses and ports, expiry and direction.
import type { Match, OptionValue } from '../model.js';
import {
  ALL_ONES6, ValueError, formatIPv4, formatIPv6, inetAton, maskToPrefix, maskToPrefix6, parseHost6, parsePlenMask6, parseProtocol, parseUInt, prefixToMask, serviceToPort,
} from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import type { PortRange } from './match-tcp.js';
import { parseU32Range, type U32Range } from './xt-options.js';
import { not } from './util.js';
import { CONN_STATES, fieldCond, inv, type Cond, type ConnState, type Packet } from '../analysis/packet.js';
import { DIM, fromValues } from '../analysis/space.js';

// State names in the order iptables prints them; parsing tries them in PARSE_ORDER
// with prefix matching (`est` is ESTABLISHED), as strncasecmp(arg, name, len) does.
const CT_STATES = [...CONN_STATES, 'SNAT', 'DNAT'] as const;
export type CtState = (typeof CT_STATES)[number];
const STATE_PARSE_ORDER: readonly CtState[] = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'];

const CT_STATUSES = ['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'] as const;
type CtStatus = (typeof CT_STATUSES)[number];
const STATUS_PARSE_ORDER = ['NONE', ...CT_STATUSES] as const;

function prefixOf(item: string, name: string): boolean {
  return item.length > 0 && item.length <= name.length && name.startsWith(item.toUpperCase());
}

/**
 * A comma list of names where each item may be a prefix of a name, kept in the
 * print order with duplicates dropped. `what` names the option in errors.
 */
function parseNameList<T extends string>(arg: string, order: readonly T[], printOrder: readonly string[], what: string, stateOnly: boolean): T[] {
  const found = new Set<T>();
  let rest = arg;
  for (;;) {
    const comma = rest.indexOf(',');
    const item = comma < 0 ? rest : rest.slice(0, comma);
    if (comma < 0 && item === '' && stateOnly)
      throw new ValueError('"--state" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED', 'invalid-argument', 'write the states separated by commas only');
    const name = order.find((n) => prefixOf(item, n));
    if (!name) throw new ValueError(`Bad ${what} "${rest}"`, 'invalid-argument', `${what} is a comma list of ${printOrder.join(', ')}`);
    found.add(name);
    if (comma < 0) break;
    rest = rest.slice(comma + 1);
  }
  const list = printOrder.filter((n) => found.has(n as T)) as T[];
  // A ruleset repeats a few lists (RELATED,ESTABLISHED; NEW) on many rules: one
  // frozen array per distinct list serves them all.
  let lists = NAME_LISTS.get(printOrder);
  if (!lists) NAME_LISTS.set(printOrder, (lists = new Map()));
  const key = list.join(',');
  let shared = lists.get(key);
  if (!shared) {
    Object.freeze(list); // the model shares it: nobody may change it
    lists.set(key, (shared = list));
  }
  return shared as T[];
}
const NAME_LISTS = new WeakMap<readonly string[], Map<string, string[]>>();

// -m state knows the states of a connection only (no SNAT/DNAT status)
const STATE_ONLY_PARSE_ORDER: readonly ConnState[] = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'];

/** `--state` of -m state (no SNAT/DNAT there). */
export function parseStateList(arg: string): ConnState[] {
  return parseNameList(arg, STATE_ONLY_PARSE_ORDER, CONN_STATES, 'state', true);
}

function parseCtStateList(arg: string): CtState[] {
  return parseNameList(arg, STATE_PARSE_ORDER, CT_STATES, 'ctstate', false);
}

/** `--ctstatus`; NONE is no bit, and prints only when nothing else is set. */
function parseCtStatusList(arg: string): CtStatus[] {
  return parseNameList(arg, STATUS_PARSE_ORDER, CT_STATUSES, 'ctstatus', false) as CtStatus[];
}

/** An address with its mask; a host name that only the host can resolve is kept. */
type CtAddress =
  | { kind: 'net'; addr: number; mask: number }
  | { kind: 'net6'; addr: bigint; mask: bigint }
  | { kind: 'host-name'; name: string; mask: number; mask6?: bigint };

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;

// XTTYPE_HOSTMASK: the host through getaddrinfo (inet_aton numbers), the mask a
// prefix length or a dotted mask; a mask that is not a prefix comes out as /32.
/**
 * XTTYPE_PLENMASK (IPv4): a prefix length 0-32 or a dotted mask; a dotted mask
 * that is not a prefix (or a number that inet_aton reads as one, like 33) is /32.
 */
export function parsePlenMask(m: string, ext: string, opt: string): number {
  const bits = parseUInt(m, 0, 32);
  if (bits !== null) return prefixToMask(bits);
  const dotted = inetAton(m);
  if (dotted === null)
    throw new ValueError(`${ext}: bad value for option "--${opt}", neither a valid network mask nor valid CIDR (0-32).`, 'invalid-argument', 'write a prefix length, e.g. 24');
  return maskToPrefix(dotted) >= 0 ? dotted : 0xffffffff;
}

/** XTTYPE_HOST: one IPv4 host through getaddrinfo (inet_aton numbers, `localhost`); other names are kept for the host to resolve. */
export function parseHost(host: string): { kind: 'net'; addr: number } | { kind: 'host-name'; name: string } {
  const a = inetAton(host);
  if (a !== null) return { kind: 'net', addr: a };
  if (host === 'localhost') return { kind: 'net', addr: 0x7f000001 };
  if (!HOST_NAME.test(host)) throw new ValueError('getaddrinfo: Name or service not known', 'invalid-argument', 'write one IPv4 address');
  return { kind: 'host-name', name: host };
}

// XTTYPE_HOSTMASK: HOST[/PLENMASK]
function parseHostMask(arg: string, opt: string, family?: 'ipv4' | 'ipv6'): CtAddress {
  const slash = arg.indexOf('/');
  if (family === 'ipv6') {
    const mask = slash >= 0 ? parsePlenMask6(arg.slice(slash + 1), 'conntrack', opt) : ALL_ONES6;
    const h = parseHost6(slash >= 0 ? arg.slice(0, slash) : arg);
    return h.kind === 'net6' ? { kind: 'net6', addr: h.addr, mask } : { kind: 'host-name', name: h.name, mask: 0xffffffff, mask6: mask };
  }
  const mask = slash >= 0 ? parsePlenMask(arg.slice(slash + 1), 'conntrack', opt) : 0xffffffff;
  return { ...parseHost(slash >= 0 ? arg.slice(0, slash) : arg), mask };
}

function formatHostMask(a: CtAddress): string {
  if (a.kind === 'net6' || (a.kind === 'host-name' && a.mask6 !== undefined)) {
    const mask = a.kind === 'net6' ? a.mask : a.mask6!;
    const host = a.kind === 'net6' ? formatIPv6(a.addr) : a.name;
    return mask === ALL_ONES6 ? host : `${host}/${maskToPrefix6(mask)}`;
  }
  // iptables prints the address as given (not masked) and the prefix unless /32
  const host = a.kind === 'net' ? formatIPv4(a.addr) : a.name;
  return a.mask === 0xffffffff ? host : `${host}/${maskToPrefix(a.mask)}`;
}

// XTTYPE_PORTRC: `port`, `lo:hi`, `lo:`, `:hi`; numbers above 65535 wrap as getaddrinfo
// does with them, names come from /etc/services.
function parseCtPort(s: string): number {
  const n = parseUInt(s, 0, 65535);
  if (n !== null) return n;
  if (/^[0-9]+$/.test(s)) return Number(BigInt(s) % 65536n);
  const p = serviceToPort(s);
  if (p === null) throw new ValueError(`Port "${s}" does not resolve to anything.`, 'invalid-argument', 'use a port number or a service name from /etc/services');
  return p;
}

function parseCtPortRange(arg: string, opt: string): PortRange {
  const parts = arg.split(':');
  if (parts.length > 2) throw new ValueError(`conntrack: Too many components for option "--${opt}" (max: 2)`, 'invalid-argument', 'write PORT or LOW:HIGH');
  const lo = parts[0] === '' ? 0 : parseCtPort(parts[0]);
  if (parts.length === 1) return { lo, hi: lo };
  return { lo, hi: parts[1] === '' ? 0xffff : parseCtPort(parts[1]) };
}

export type { U32Range };

const addrOpt = (name: string): OptionSpec => ({ name, arg: 'required', invert: true, parse: ([v], ctx) => parseHostMask(v, name, ctx.family) });
const portOpt = (name: string): OptionSpec => ({ name, arg: 'required', invert: true, parse: ([v]) => parseCtPortRange(v, name) });

// The order conntrack_dump prints them in.
const SAVE_ORDER = [
  'ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst',
  'ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire', 'ctdir',
] as const;

/** What one conntrack match tests; every field is absent when not given. */
interface Conntrack {
  ctstate?: { invert: boolean; states: CtState[] };
  ctproto?: { invert: boolean; proto: number };
  ctorigsrc?: { invert: boolean; addr: CtAddress };
  ctorigdst?: { invert: boolean; addr: CtAddress };
  ctreplsrc?: { invert: boolean; addr: CtAddress };
  ctrepldst?: { invert: boolean; addr: CtAddress };
  ctorigsrcport?: { invert: boolean; ports: PortRange };
  ctorigdstport?: { invert: boolean; ports: PortRange };
  ctreplsrcport?: { invert: boolean; ports: PortRange };
  ctrepldstport?: { invert: boolean; ports: PortRange };
  ctstatus?: { invert: boolean; statuses: CtStatus[] };
  ctexpire?: { invert: boolean; range: U32Range };
  ctdir?: 'ORIGINAL' | 'REPLY';
}

/**
 * `[!] --ctstate` / `--state` as a condition: the connection's state, or for
 * conntrack's virtual SNAT and DNAT states the packet's NAT status bits.
 */
export function ctStateCond(option: 'state' | 'ctstate', states: readonly CtState[], invert: boolean): Cond {
  const text = `${invert ? '! ' : ''}--${option} ${states.join(',')}`;
  const plain = states.filter((s): s is ConnState => s !== 'SNAT' && s !== 'DNAT');
  const dnat = states.includes('DNAT');
  const snat = states.includes('SNAT');
  return fieldCond(text, text, (p) => inv(invert, ctStateMatches(plain, dnat, snat, p)));
}

function ctStateMatches(states: readonly ConnState[], dnat: boolean, snat: boolean, p: Packet): boolean | undefined {
  if (states.includes(p.state)) return true;
  // no conntrack entry, no NAT status
  if (p.state === 'INVALID' || p.state === 'UNTRACKED') return false;
  let open = false;
  for (const [wanted, bit] of [[dnat, p.dnat], [snat, p.snat]] as const) {
    if (!wanted) continue;
    if (bit === true) return true;
    if (bit === undefined) open = true;
  }
  return open ? undefined : false;
}

/** The state dimension for a list of states; null when it names SNAT or DNAT (status bits, not states). */
export function ctStateSpace(states: readonly CtState[]): number[] | null {
  const idx: number[] = [];
  for (const s of states) {
    const k = (CONN_STATES as readonly string[]).indexOf(s);
    if (k < 0) return null;
    idx.push(k);
  }
  return fromValues(idx);
}

/** Connection states in words: the common sets by what they are for, others by name. */
export function ctStateWords(states: readonly CtState[], invert: boolean): string {
  const set = new Set(states);
  const words =
    set.size === 2 && set.has('RELATED') && set.has('ESTABLISHED') ? 'replies and related (established connections)'
    : set.size === 1 && set.has('NEW') ? 'new connections'
    : set.size === 1 && set.has('INVALID') ? 'invalid packets'
    : `connection state ${[...set].map((x) => x.toLowerCase()).join(', ')}`;
  return not(invert) + words;
}

/** Only --ctstate is modelled; any other conntrack option makes the match opaque. */
const onlyCtstate = (ct: Conntrack): boolean => Object.keys(ct).every((k) => k === 'ctstate');

/** The options in iptables-save's order, each with its leading space. */
function saveConntrack(ct: Conntrack): string {
  let out = '';
  for (const name of SAVE_ORDER) {
    const v = ct[name];
    if (v === undefined) continue;
    if (typeof v === 'string') {
      out += ` --ctdir ${v}`;
      continue;
    }
    out += `${v.invert ? ' !' : ''} --${name} `;
    if ('states' in v) out += v.states.join(',');
    else if ('statuses' in v) out += v.statuses.length ? v.statuses.join(',') : 'NONE';
    else if ('proto' in v) out += v.proto;
    else if ('addr' in v) out += formatHostMask(v.addr);
    else if ('ports' in v) out += v.ports.hi === 0 || v.ports.lo === v.ports.hi ? v.ports.lo : `${v.ports.lo}:${v.ports.hi}`;
    else out += v.range.lo === v.range.hi ? v.range.lo : `${v.range.lo}:${v.range.hi}`;
  }
  return out;
}

export const conntrack: MatchExtension<Conntrack> = {
  kind: 'match',
  name: 'conntrack',
  options: [
    { name: 'ctstate', arg: 'required', invert: true, parse: ([v]) => parseCtStateList(v) },
    { name: 'ctproto', arg: 'required', invert: true, parse: ([v]) => parseProtocol(v) },
    addrOpt('ctorigsrc'),
    addrOpt('ctorigdst'),
    addrOpt('ctreplsrc'),
    addrOpt('ctrepldst'),
    { name: 'ctstatus', arg: 'required', invert: true, parse: ([v]) => parseCtStatusList(v) },
    { name: 'ctexpire', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'conntrack', 'ctexpire') },
    portOpt('ctorigsrcport'),
    portOpt('ctorigdstport'),
    portOpt('ctreplsrcport'),
    portOpt('ctrepldstport'),
    {
      name: 'ctdir',
      arg: 'required',
      parse: ([v]) => {
        const u = v.toUpperCase();
        if (u !== 'ORIGINAL' && u !== 'REPLY') throw new ValueError(`conntrack: Bad value for "--ctdir" option: "${v}"`, 'invalid-argument', 'use ORIGINAL or REPLY');
        return u;
      },
    },
  ],
  finalize(options: OptionValue[]) {
    if (options.length === 0) throw new ValueError('conntrack: At least one option is required', 'missing-argument', 'add --ctstate STATES (e.g. ESTABLISHED,RELATED)');
    const ct: Conntrack = {};
    for (const o of options) {
      const inv = o.invert;
      switch (o.name) {
        case 'ctstate': ct.ctstate = { invert: inv, states: o.value as CtState[] }; break;
        case 'ctproto': ct.ctproto = { invert: inv, proto: o.value as number }; break;
        case 'ctstatus': ct.ctstatus = { invert: inv, statuses: o.value as CtStatus[] }; break;
        case 'ctexpire': ct.ctexpire = { invert: inv, range: o.value as U32Range }; break;
        case 'ctdir': ct.ctdir = o.value as 'ORIGINAL' | 'REPLY'; break;
        case 'ctorigsrc': case 'ctorigdst': case 'ctreplsrc': case 'ctrepldst':
          ct[o.name] = { invert: inv, addr: o.value as CtAddress };
          break;
        default:
          ct[o.name as 'ctorigsrcport'] = { invert: inv, ports: o.value as PortRange };
      }
    }
    return ct;
  },
  save: (m) => saveConntrack(m.state),
  // the states in words; the other options as printed
  words(ct) {
    const { ctstate, ...rest } = ct;
    const others = saveConntrack(rest).trim();
    return [...(ctstate ? [ctStateWords(ctstate.states, ctstate.invert)] : []), ...(others ? [others] : [])];
  },
  analysis: {
    conditions(ct) {
      return ct.ctstate && onlyCtstate(ct) ? [ctStateCond('ctstate', ct.ctstate.states, ct.ctstate.invert)] : null;
    },
    space(ct, space) {
      const s = ct.ctstate && onlyCtstate(ct) ? ctStateSpace(ct.ctstate.states) : null;
      if (!s) return false;
      space.set(DIM.state, s, ct.ctstate!.invert);
      return true;
    },
  },
};
