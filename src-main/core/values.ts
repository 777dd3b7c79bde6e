// Value parsers and printers shared by the extensions. They follow libxtables
// (xtables_strtoui, xtables_parse_port, xtables_ipparse_*, xtables_save_string)
// so that what we accept and print is what iptables accepts and prints.
import { SERVICES_TEXT, PROTOCOLS_TEXT } from './netdb-data.js';
import { clipTokens } from './clip.js';
import type { FindingCode } from './findings.js';

/** An error in one option's value; the parser turns it into a finding on the right line. */
export class ValueError extends Error {
  override name = 'ValueError';
  constructor(
    message: string,
    readonly code: FindingCode = 'invalid-argument',
    readonly fix?: string,
  ) {
    // the value quoted in the message may be megabytes long
    super(clipTokens(message));
  }
}

// ---- numbers ---------------------------------------------------------------

/** Plain decimal digits without a leading zero, or null: the common case, without a regex. */
function decimal(s: string): number | null {
  const len = s.length;
  if (len === 0 || len > 15) return null;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (d === 0 && i === 0 && len > 1)) return null;
    n = n * 10 + d;
  }
  return n;
}

/** A whole number in [min, max]: decimal, 0x hex or 0 octal, nothing before or after it; null otherwise. */
export function parseUInt(s: string, min = 0, max = 0xffffffff): number | null {
  let n: number | null = decimal(s);
  if (n !== null) {
    return n < min || n > max ? null : n;
  }
  if (/^[1-9][0-9]*$/.test(s)) n = Number(s);
  else if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) n = parseInt(s.slice(1), 8);
  else return null;
  if (!Number.isFinite(n) || n < min || n > max) return null;
  return n;
}

export function requireUInt(s: string, what: string, min = 0, max = 0xffffffff): number {
  const n = parseUInt(s, min, max);
  if (n === null) throw new ValueError(`${what}: "${s}" is not a number from ${min} to ${max}`);
  return n;
}

// ---- services and protocols ------------------------------------------------

// Read from the tables on first use, not when the module loads: every command
// loads this module, few name a service (a start-up cost of every run).
let services: Map<string, number> | undefined; // `${proto}/${name}` → port
let protocols: { byName: Map<string, number>; byNum: Map<number, string> } | undefined;

function serviceTable(): Map<string, number> {
  if (services) return services;
  services = new Map();
  for (const line of SERVICES_TEXT.split('\n')) {
    const [proto, port, ...names] = line.split(' ');
    for (const n of names) if (!services.has(`${proto}/${n}`)) services.set(`${proto}/${n}`, Number(port));
  }
  return services;
}

function protocolTable(): { byName: Map<string, number>; byNum: Map<number, string> } {
  if (protocols) return protocols;
  const byName = new Map<string, number>();
  const byNum = new Map<number, string>();
  for (const line of PROTOCOLS_TEXT.split('\n')) {
    const [num, name, ...aliases] = line.split(' ');
    const n = Number(num);
    if (!byNum.has(n)) byNum.set(n, name);
    for (const a of [name, ...aliases]) if (!byName.has(a)) byName.set(a, n);
  }
  return (protocols = { byName, byNum });
}

/** getservbyname(name, proto); with no proto, tcp then udp as glibc does for NULL. */
export function serviceToPort(name: string, proto?: string): number | null {
  const table = serviceTable();
  if (proto) return table.get(`${proto}/${name}`) ?? null;
  return table.get(`tcp/${name}`) ?? table.get(`udp/${name}`) ?? null;
}

/** xtables_parse_port: a number 0–65535 or a service name for the protocol. */
export function parsePort(s: string, proto?: string): number {
  const n = parseUInt(s, 0, 65535);
  if (n !== null) return n;
  const p = serviceToPort(s, proto);
  if (p !== null) return p;
  throw new ValueError(`invalid port/service \`${s}' specified`, 'invalid-argument', 'use a port number from 0 to 65535 or a service name from /etc/services');
}

// One frozen { lo: p, hi: p } per port, shared by every rule that names it.
const SINGLE_PORTS: Array<{ readonly lo: number; readonly hi: number } | undefined> = new Array(65536);
export function singlePort(p: number): { lo: number; hi: number } {
  return (SINGLE_PORTS[p] ??= Object.freeze({ lo: p, hi: p }));
}

/** `lo:hi`, `lo:`, `:hi` or `port` as libxt_tcp/udp parse it. */
export function parsePortRange(s: string, proto?: string, ordered = true): { lo: number; hi: number } {
  const i = s.indexOf(':');
  if (i < 0) return singlePort(parsePort(s, proto));
  const a = s.slice(0, i);
  const b = s.slice(i + 1);
  const lo = a ? parsePort(a, proto) : 0;
  const hi = b ? parsePort(b, proto) : 0xffff;
  if (ordered && lo > hi) throw new ValueError('invalid portrange (min > max)', 'invalid-argument', `write the range as ${hi}:${lo}`);
  return { lo, hi };
}

// libxtables' xtables_chain_protos: names iptables knows without /etc/protocols.
const CHAIN_PROTOS: Record<string, number> = { tcp: 6, sctp: 132, udp: 17, udplite: 136, icmp: 1, icmpv6: 58, esp: 50, ah: 51, 'ipv6-mh': 135, mh: 135, all: 0 };

/** `-p`: protocol name or number, lower-cased as iptables does. */
export function parseProtocol(s: string): number {
  const lower = lowerCase(s);
  const n = parseUInt(lower, 0, 255);
  if (n !== null) return n;
  const byName = protocolTable().byName.get(lower);
  if (byName !== undefined) return byName;
  if (lower in CHAIN_PROTOS) return CHAIN_PROTOS[lower];
  throw new ValueError(`unknown protocol "${s}" specified`, 'invalid-argument', 'use tcp, udp, icmp, all, a name from /etc/protocols or a number');
}

/** s.toLowerCase(), without a copy of a text that has no capital A-Z (`tcp` on every rule) */
export function lowerCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}

/** The name iptables-save prints for a protocol number (getprotobynumber, then its own list). */
export function protocolName(num: number): string {
  const n = protocolTable().byNum.get(num);
  if (n) return n;
  for (const [k, v] of Object.entries(CHAIN_PROTOS)) if (v === num) return k;
  return String(num);
}

/** The name the protocol match extension is loaded by (`-p 6 --dport 22` loads tcp). */
export function protocolMatchName(num: number, family: 'ipv4' | 'ipv6' = 'ipv4'): string | null {
  if (family === 'ipv6' && num === 58) return 'icmp6';
  switch (num) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 1: return 'icmp';
    case 132: return 'sctp';
    case 33: return 'dccp';
    case 136: return 'udplite';
    case 50: return 'esp';
    case 51: return 'ah';
    default: return null;
  }
}

// ---- IPv4 addresses ----------------------------------------------------------

/**
 * Exactly four dotted decimal octets (`198.18.0.1`; `010` is 10), as a person
 * types a host's address; null otherwise. parseIPv4 is iptables' wider reading.
 */
export function parseDottedQuad(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (b.some((x) => x > 255)) return null;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** xtables' numeric_to_ipaddr: 1 to 4 dotted parts (a network address may be shortened). */
export function parseIPv4(s: string, isMask = false): number | null {
  // fast path: four plain decimal octets
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || octet > 255) { v = -1; break; }
      v = v * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && !(digits === 1 && octet === 0)) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else { v = -1; break; }
  }
  if (v >= 0 && dots === 4) return v >>> 0;
  return parseIPv4Slow(s, isMask);
}

function parseIPv4Slow(s: string, isMask: boolean): number | null {
  const parts = s.split('.');
  if (parts.length > 4 || (isMask && parts.length !== 4)) return null;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    let b = 0;
    if (p !== undefined) {
      const n = parseUInt(p, 0, 255);
      if (n === null) return null;
      b = n;
    }
    v = v * 256 + b;
  }
  return v >>> 0;
}

// each byte's decimal text (with the dot after it): an address is four strings from these, not four numbers converted
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, k) => String(k));
const BYTE_DOT: readonly string[] = BYTE_TEXT.map((t) => t + '.');

export function formatIPv4(v: number): string {
  return BYTE_DOT[v >>> 24] + BYTE_DOT[(v >>> 16) & 255] + BYTE_DOT[(v >>> 8) & 255] + BYTE_TEXT[v & 255];
}

export function prefixToMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Number of leading one bits when the mask is contiguous, else -1. */
export function maskToPrefix(mask: number): number {
  if (mask === 0) return 0;
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return Math.clz32(inv);
}

/** `a.b.c.d/len` or `/dotted-mask` as iptables-save prints it. */
export function formatNet(addr: number, mask: number): string {
  const bits = maskToPrefix(mask);
  return `${formatIPv4(addr & mask)}/${bits >= 0 ? bits : formatIPv4(mask)}`;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;

type ParsedAddress = { kind: 'net'; addr: number; mask: number } | { kind: 'host-name'; name: string; mask: number | null };

/** One `addr[/mask]` item of `-s`/`-d`; a host name is kept (iptables resolves it on the host). */
export function parseAddressItem(s: string): ParsedAddress {
  const slash = s.indexOf('/');
  const host = slash < 0 ? s : s.slice(0, slash);
  let mask: number | null = null;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (m.includes('.')) {
      mask = parseIPv4(m, true);
      if (mask === null) throw new ValueError(`host/network \`${s}' not found`, 'invalid-argument');
    } else {
      const bits = parseUInt(m, 0, 32);
      if (bits === null) throw new ValueError(`invalid mask \`${m}' specified`, 'invalid-argument', 'a prefix length is 0 to 32');
      mask = prefixToMask(bits);
    }
  }
  const addr = parseIPv4(host);
  if (addr !== null) return { kind: 'net', addr: (addr & (mask ?? 0xffffffff)) >>> 0, mask: mask ?? 0xffffffff };
  if (HOSTNAME_RE.test(host) && !/^[0-9.]+$/.test(host)) return { kind: 'host-name', name: host, mask };
  throw new ValueError(`host/network \`${host}' not found`, 'invalid-argument', 'write an IPv4 address, optionally with /prefix');
}

// ---- strings -------------------------------------------------------------------

const NO_QUOTE = /^[A-Za-z0-9_-]+$/;
const ESCAPED = /["\\']/;
/** xtables_save_string: bare when safe, else double-quoted with \" \\ \' escaped. Includes the leading space. */
export function saveString(v: string): string {
  if (NO_QUOTE.test(v)) return ' ' + v;
  // most quoted texts (a comment with a space) have nothing to escape: no replace and its closure
  return ' "' + (ESCAPED.test(v) ? v.replace(/["\\']/g, (c) => '\\' + c) : v) + '"';
}

/** length in bytes of the UTF-8 text, as the kernel counts it (TextEncoder's count: a lone surrogate is U+FFFD, 3 bytes) */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// ---- C library parsing (strtoul, inet_aton) ----------------------------------------

const ULONG_MAX = 2 ** 64 - 1;

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/**
 * glibc strtoul(s + start, &end, base): leading blanks, an optional sign, `0x`/`0`
 * prefixes when base is 0. A minus sign wraps the value (so `-1` comes out huge, as
 * in C). `end === start` when no digit was read. Values beyond 2^53 lose precision,
 * which only matters to callers that wrap them (they are out of any range anyway).
 */
export function strtoul(s: string, start = 0, base = 0): { value: number; end: number } {
  let i = start;
  while (i < s.length && isBlank(s, i)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s.charCodeAt(i + 2)) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) base = s[i] === '0' ? 8 : 10;
  const first = i;
  let v = 0;
  while (i < s.length) {
    const d = digitValue(s.charCodeAt(i));
    if (d >= base) break;
    v = v * base + d;
    i++;
  }
  if (i === first) return { value: 0, end: start };
  if (v > ULONG_MAX) v = ULONG_MAX;
  else if (neg && v !== 0) v = ULONG_MAX + 1 - v;
  return { value: v, end: i };
}

function isBlank(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * xtables_strtoul_base(s, &end, …, 0, max, base): blanks and `+` may lead, `-`
 * may not; base 0 reads 0x hex, 0 octal, else decimal. Returns the value and
 * the index where the number stopped, or null when no digit was read or the
 * value is above max.
 */
export function strtoulPrefix(s: string, max = 0xffffffff, base: 0 | 10 | 16 = 0): { value: number; end: number } | null {
  let i = 0;
  while (i < s.length && isBlank(s, i)) i++;
  if (s[i] === '-') return null;
  const r = strtoul(s, 0, base);
  if (r.end === 0 || r.value > max) return null;
  return r;
}

/** xtables_strtoui with no end pointer: the whole word must be the number (blanks and `+` may lead). */
export function strtoulWhole(s: string, min = 0, max = 0xffffffff): number | null {
  const r = strtoulPrefix(s, max);
  if (!r || r.end !== s.length || r.value < min) return null;
  return r.value;
}

/** inet_pton(AF_INET): exactly four decimal parts 0–255, no leading zeros. */
export function inetPton4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** glibc inet_aton (what getaddrinfo does with a numeric IPv4 host): `a`, `a.b`, `a.b.c` or `a.b.c.d`, each part decimal, 0x hex or 0 octal. */
export function inetAton(s: string): number | null {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    const c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return null;
    const r = strtoul(s, i, 0);
    if (r.end === i || r.value > 0xffffffff) return null;
    parts.push(r.value);
    i = r.end;
    if (i === s.length) break;
    if (s[i] !== '.' || parts.length === 4) return null;
    i++;
  }
  const last = parts[parts.length - 1];
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length - 1];
  if (last > lastMax) return null;
  let v = 0;
  for (let k = 0; k < parts.length - 1; k++) {
    if (parts[k] > 255) return null;
    v = v * 256 + parts[k];
  }
  return (v * (lastMax + 1) + last) >>> 0;
}

// ---- IPv6 addresses ----------------------------------------------------------
// ip6tables parses with inet_pton(AF_INET6) and prints with glibc's inet_ntop;
// an address is a 128-bit bigint.

export const ALL_ONES6 = (1n << 128n) - 1n;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** glibc inet_pton(AF_INET6): hex groups, one `::`, a dotted IPv4 tail; null when invalid. */
export function parseIPv6(s: string): bigint | null {
  const n = s.length;
  if (n === 0) return null;
  let i = 0;
  if (s[0] === ':') {
    if (n < 2 || s[1] !== ':') return null;
    i = 1;
  }
  // the groups in a scratch array (count of them so far), not a new array per address
  const groups = GROUPS;
  let count = 0;
  let gap = -1; // index in groups where `::` stands
  let curtok = i;
  let digits = 0;
  let val = 0;
  while (i < n) {
    const ch = s.charCodeAt(i++);
    const d = hexValue(ch);
    if (d >= 0) {
      if (digits === 4) return null;
      val = (val << 4) | d;
      digits++;
      continue;
    }
    if (ch === 58) {
      curtok = i;
      if (digits === 0) {
        if (gap >= 0) return null;
        gap = count;
        continue;
      } else if (i === n) return null;
      if (count >= 8) return null;
      groups[count++] = val;
      digits = 0;
      val = 0;
      continue;
    }
    if (ch === 46 && count + 2 <= 8) {
      const v4 = inetPton4(s.slice(curtok));
      if (v4 === null) return null;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      digits = 0;
      i = n;
      break;
    }
    return null;
  }
  if (digits > 0) {
    if (count >= 8) return null;
    groups[count++] = val;
  }
  if (gap >= 0) {
    if (count === 8) return null;
    // the groups after `::` move to the end, zeros in between
    const fill = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + fill] = groups[k];
    for (let k = gap; k < gap + fill; k++) groups[k] = 0;
    count = 8;
  }
  if (count !== 8) return null;
  // the groups as two 64-bit halves: four BigInts per address instead of three per group
  for (let k = 0; k < 8; k++) halves.setUint16(2 * k, groups[k]);
  return (halves.getBigUint64(0) << 64n) | halves.getBigUint64(8);
}

const halves = new DataView(new ArrayBuffer(16));
/** parseIPv6's groups, and formatIPv6's / formatNet6's words (each done with them before it returns) */
const GROUPS: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
const WORDS: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
const MASK_WORDS: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The eight 16-bit groups of v (modulo 2^128) into out: through two 64-bit
 * halves, one BigInt made (v >> 64n) instead of three per group (a shift
 * count, the shift, the mask): IPv6 canon printed 100,000 rules' addresses
 * with ~25 BigInts each, a quarter of all it allocated.
 */
function groupsOf6(v: bigint, out: number[]): void {
  halves.setBigUint64(0, v >> 64n);
  halves.setBigUint64(8, v);
  for (let k = 0; k < 8; k++) out[k] = halves.getUint16(2 * k);
}

/** glibc inet_ntop(AF_INET6): the longest run of two or more zero groups as `::`, IPv4-mapped and -compatible tails dotted. */
export function formatIPv6(v: bigint): string {
  groupsOf6(v, WORDS);
  return formatGroups6(WORDS);
}

/** formatIPv6 of the address whose eight groups are `words` */
function formatGroups6(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(words[6] * 0x10000 + words[7]);
      return out;
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

export function prefixToMask6(bits: number): bigint {
  // one BigInt per length, made on first use: a blocklist's 100,000 /128 and /64 masks share two
  let m = MASKS6[bits];
  if (m === undefined) MASKS6[bits] = m = bits === 0 ? 0n : (ALL_ONES6 << BigInt(128 - bits)) & ALL_ONES6;
  return m;
}

const MASKS6: bigint[] = [];

/** Number of leading one bits when the mask is contiguous, else -1. */
export function maskToPrefix6(mask: bigint): number {
  const inv = ~mask & ALL_ONES6;
  if ((inv & (inv + 1n)) !== 0n) return -1;
  if (inv === 0n) return 128;
  // the host part's bit length from its hex digits (a quarter of the binary text lint asks for per rule)
  const h = inv.toString(16);
  return 128 - ((h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0], 16))));
}

/** `addr/len`, or `addr/mask-address` for a mask that is not a prefix, as ip6tables-save prints it. */
export function formatNet6(addr: bigint, mask: bigint): string {
  // addr & mask and the prefix length by groups, not by BigInt operations (see groupsOf6)
  groupsOf6(mask, MASK_WORDS);
  const bits = prefixOfGroups6(MASK_WORDS);
  groupsOf6(addr, WORDS);
  for (let k = 0; k < 8; k++) WORDS[k] &= MASK_WORDS[k];
  const net = formatGroups6(WORDS);
  return `${net}/${bits >= 0 ? bits : formatGroups6(MASK_WORDS)}`;
}

/** maskToPrefix6 of the mask whose groups are `g`: its prefix length, -1 when its ones are not a prefix */
function prefixOfGroups6(g: readonly number[]): number {
  let k = 0;
  while (k < 8 && g[k] === 0xffff) k++;
  if (k === 8) return 128;
  const w = g[k];
  // a group of leading ones then zeros: its complement + 1 is a power of two
  const inv = ~w & 0xffff;
  if ((inv & (inv + 1)) !== 0) return -1;
  for (let j = k + 1; j < 8; j++) if (g[j] !== 0) return -1;
  return k * 16 + (16 - (32 - Math.clz32(inv)));
}

type ParsedAddress6 = { kind: 'net6'; addr: bigint; mask: bigint } | { kind: 'host-name'; name: string; mask6: bigint | null };

/** xtables_ip6parse_any for one item of `-s`/`-d`: `addr[/len|/mask]` (the last `/`); a name is kept for the host to resolve. */
export function parseAddressItem6(s: string): ParsedAddress6 {
  const slash = s.lastIndexOf('/');
  const host = slash < 0 ? s : s.slice(0, slash);
  let mask: bigint | null = null;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (m.includes(':')) {
      mask = parseIPv6(m);
      if (mask === null) throw new ValueError(`host/network \`${m}' not found`, 'invalid-argument', 'write the mask as a prefix length 0 to 128');
    } else {
      const bits = strtoulWhole(m, 0, 128);
      if (bits === null) throw new ValueError(`invalid mask \`${m}' specified`, 'invalid-argument', 'an IPv6 prefix length is 0 to 128');
      mask = prefixToMask6(bits);
    }
  }
  const addr = parseIPv6(host);
  const full = mask ?? ALL_ONES6;
  if (addr !== null) return { kind: 'net6', addr: addr & full, mask: full };
  // "if a null mask is given, the name is ignored, like in any/0"
  if (mask === 0n) return { kind: 'net6', addr: 0n, mask: 0n };
  if (inetAton(host) !== null || /^[0-9.]+$/.test(host))
    throw new ValueError(`host/network \`${host}' not found`, 'invalid-argument',
      'this is an IPv4 address: it belongs in the IPv4 (iptables) ruleset; here write an IPv6 address such as 2001:db8::1 or ::ffff:' + host);
  if (HOSTNAME_RE.test(host)) return { kind: 'host-name', name: host, mask6: mask };
  throw new ValueError(`host/network \`${host}' not found`, 'invalid-argument', 'write an IPv6 address, optionally with /prefix (2001:db8::/32)');
}

/** XTTYPE_PLENMASK in ip6tables: a prefix length 0-128 or an IPv6 mask (one that is not a prefix counts as /128). */
export function parsePlenMask6(m: string, ext: string, opt: string): bigint {
  const bits = parseUInt(m, 0, 128);
  if (bits !== null) return prefixToMask6(bits);
  const mask = m.includes(':') ? parseIPv6(m) : null;
  if (mask === null)
    throw new ValueError(`${ext}: bad value for option "--${opt}", neither a valid network mask nor valid CIDR (0-128).`, 'invalid-argument', 'write a prefix length, e.g. 64');
  return maskToPrefix6(mask) >= 0 ? mask : ALL_ONES6;
}

/** XTTYPE_HOST in ip6tables: one IPv6 address (getaddrinfo AF_INET6); a name is kept for the host to resolve. */
export function parseHost6(host: string): { kind: 'net6'; addr: bigint } | { kind: 'host-name'; name: string } {
  const a = parseIPv6(host);
  if (a !== null) return { kind: 'net6', addr: a };
  if (inetAton(host) !== null)
    throw new ValueError('getaddrinfo: Address family for hostname not supported', 'invalid-argument', `${host} is an IPv4 address; this is an IPv6 (ip6tables) ruleset`);
  if (!HOSTNAME_RE.test(host)) throw new ValueError('getaddrinfo: Name or service not known', 'invalid-argument', 'write one IPv6 address');
  return { kind: 'host-name', name: host };
}
