// A match's options read back from the text iptables-save prints for it. The
// printed form is the one contract every extension honours (whatever shape its
// parsed state has, and also for extensions we keep token for token), so the
// tracer and the lint read matches through it instead of through each
// extension's internal state.
import type { Match, Rule } from '../model.js';
import { saveMatch, saveTarget } from '../canonical.js';
import { tokenizeLine } from '../tokenize.js';

export interface MatchOption {
  invert: boolean;
  args: string[];
}

export interface MatchOptions {
  name: string;
  /** the option names (without dashes) as printed, last occurrence wins */
  options: Map<string, MatchOption>;
  /** the match as iptables-save prints it (`-m name --opt v`) */
  text: string;
}

function parseTokens(tokens: string[]): Map<string, MatchOption> {
  const options = new Map<string, MatchOption>();
  let invert = false;
  let cur: MatchOption | null = null;
  for (const t of tokens) {
    if (t === '!') {
      invert = true;
      cur = null;
      continue;
    }
    if (t.startsWith('--') && t.length > 2) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(2, eq) : t.slice(2);
      cur = { invert, args: eq > 0 ? [t.slice(eq + 1)] : [] };
      options.set(name, cur);
      invert = false;
      continue;
    }
    if (cur) cur.args.push(t);
  }
  return options;
}

/**
 * Not cached: callers read a match once per analysis (the lint per run, the
 * tracer through its compiled conditions), and a cache on the model would
 * keep a second copy of every match alive as long as the ruleset.
 */
export function matchOptions(m: Match): MatchOptions {
  const text = saveMatch(m).trim();
  if (m.unknown) return { name: m.name, options: parseTokens(m.unknown.tokens), text };
  const words = tokenizeLine(text).words;
  const tokens: string[] = [];
  // words: -m NAME ...options
  for (let k = 2; k < words.length; k++) tokens.push(words[k].text);
  return { name: m.name, options: parseTokens(tokens), text };
}

export interface TargetOptions {
  name: string;
  options: Map<string, MatchOption>;
  text: string;
}

/** Not cached, like matchOptions (targetAction keeps what it needs). */
export function targetOptions(r: Rule): TargetOptions | null {
  const t = r.target;
  if (!t) return null;
  const text = saveTarget(t).trim();
  if (t.unknown) return { name: t.name, options: parseTokens(t.unknown.tokens), text };
  const words = tokenizeLine(text).words;
  const tokens: string[] = [];
  for (let k = 2; k < words.length; k++) tokens.push(words[k].text);
  return { name: t.name, options: parseTokens(tokens), text };
}

/** One option's single argument, or undefined. */
export function arg(o: MatchOptions | TargetOptions, name: string): string | undefined {
  return o.options.get(name)?.args[0];
}

// ---- value readers shared by the evaluators ------------------------------------------

/** `a`, `a:b`, `a:`, `:b` → inclusive range; null when unreadable. */
export function readPortRange(s: string): [number, number] | null {
  const m = /^(\d*)(?::(\d*))?$/.exec(s);
  if (!m) return null;
  if (m[2] === undefined) {
    const p = Number(m[1]);
    return m[1] !== '' && p <= 65535 ? [p, p] : null;
  }
  const lo = m[1] === '' ? 0 : Number(m[1]);
  const hi = m[2] === '' ? 65535 : Number(m[2]);
  if (lo > 65535 || hi > 65535) return null;
  return lo <= hi ? [lo, hi] : [hi, lo];
}

/** multiport's `80,443,1000:2000` → ranges. */
export function readPortList(s: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const item of s.split(',')) {
    const r = readPortRange(item);
    if (!r) return null;
    out.push(r);
  }
  return out;
}

export function readIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return null;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** `a.b.c.d[/len]` */
export function readNet(s: string): [number, number] | null {
  const [a, l] = s.split('/');
  const addr = readIPv4(a);
  if (addr === null) return null;
  if (l === undefined) return [addr, addr];
  const bits = Number(l);
  if (!/^\d+$/.test(l) || bits > 32) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const lo = (addr & mask) >>> 0;
  return [lo, (lo | (~mask >>> 0)) >>> 0];
}

/** iprange's `a-b` (or a single address) */
export function readAddrRange(s: string): [number, number] | null {
  const [a, b] = s.split('-');
  const lo = readIPv4(a);
  const hi = b === undefined ? lo : readIPv4(b);
  if (lo === null || hi === null || lo > hi) return null;
  return [lo, hi];
}

import { CONN_STATES, type ConnState } from './packet.js';
export { CONN_STATES as STATE_NAMES, type ConnState };

/** `NEW,ESTABLISHED` (prefixes allowed as in -m state); null when SNAT/DNAT or unknown names appear. */
export function readStates(s: string): ConnState[] | null {
  const out: ConnState[] = [];
  for (const item of s.split(',')) {
    const u = item.toUpperCase();
    const hit = u ? CONN_STATES.find((n) => n.startsWith(u)) : undefined;
    if (!hit) return null;
    if (!out.includes(hit)) out.push(hit);
  }
  return out;
}

const ICMP_NAMES: Record<string, [number, number | null]> = {
  'echo-reply': [0, null], pong: [0, null], 'destination-unreachable': [3, null], 'network-unreachable': [3, 0],
  'host-unreachable': [3, 1], 'protocol-unreachable': [3, 2], 'port-unreachable': [3, 3], 'fragmentation-needed': [3, 4],
  'source-quench': [4, null], redirect: [5, null], 'echo-request': [8, null], ping: [8, null],
  'router-advertisement': [9, null], 'router-solicitation': [10, null], 'time-exceeded': [11, null], 'ttl-exceeded': [11, null],
  'ttl-zero-during-transit': [11, 0], 'parameter-problem': [12, null], 'timestamp-request': [13, null],
  'timestamp-reply': [14, null], 'address-mask-request': [17, null], 'address-mask-reply': [18, null],
};

/** `--icmp-type T[/C]` or a name → [type, code|null]; 'any' → null type (all). */
export function readIcmpType(s: string): { type: number | null; code: number | null } | null {
  if (s === 'any') return { type: null, code: null };
  const named = ICMP_NAMES[s.toLowerCase()];
  if (named) return { type: named[0], code: named[1] };
  const m = /^(\d+)(?:\/(\d+))?$/.exec(s);
  if (!m) return null;
  return { type: Number(m[1]), code: m[2] === undefined ? null : Number(m[2]) };
}

const TCP_FLAGS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ALL: 63, NONE: 0 };
export function readTcpFlags(s: string): number | null {
  let v = 0;
  for (const f of s.split(',')) {
    const b = TCP_FLAGS[f.toUpperCase()];
    if (b === undefined) return null;
    v |= b;
  }
  return v;
}

/** `0x10/0xff` or `16` → [value, mask] */
export function readMark(s: string): [number, number] | null {
  const [v, m] = s.split('/');
  const num = (x: string): number | null => {
    if (/^0x[0-9a-f]+$/i.test(x)) return parseInt(x.slice(2), 16) >>> 0;
    if (/^\d+$/.test(x)) return Number(x) >>> 0;
    return null;
  };
  const value = num(v);
  const mask = m === undefined ? 0xffffffff : num(m);
  if (value === null || mask === null) return null;
  return [value, mask];
}

/** Matches whose result depends on what came before or on chance, not on the packet alone. */
export const HISTORY_MATCHES = new Set(['limit', 'hashlimit', 'recent', 'connlimit', 'statistic', 'quota', 'connbytes', 'rateest', 'nth', 'condition', 'time', 'cluster']);
