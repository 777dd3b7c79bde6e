// The canonical text of an option's value as iptables-save prints it, for the
// values line-templates.ts swaps in a line (`--dport 80`, `--limit 5/min`,
// `--to-destination 172.17.0.2:80`), read straight from the line's characters.
// Each reader takes only a plain form it fully understands and says null for
// anything else (leading zeros, hex, service names, the full port range, a
// burst of 5 that save leaves out …): such a line is parsed in full, where the
// same value gives the same rule and a bad one its error. slot-values.test.ts
// holds every reader to the full parser's output on random and edge values.
import { periodToRate, limitOverflows } from './extensions/match-limit.js';

/** What a slot holds, by the `extension:option` that read it (see kindOf). */
export const Slot = {
  /** -s / -d: read by line-templates.ts itself */
  NET: 1,
  /** `--dport` / `--sport` of tcp or udp: `P` or `P:Q` */
  PORT: 2,
  /** `--limit` of -m limit: `N/unit` */
  LIMIT: 3,
  /** `--limit-burst` of -m limit */
  BURST: 4,
  /** DNAT's `--to-destination` / SNAT's `--to-source`: an IPv4 address, no port */
  NAT4: 5,
  /** the same with `:PORT` */
  NAT4_PORT: 6,
  /** -m iprange's `--src-range` / `--dst-range`, IPv4: `A-B` */
  RANGE4: 7,
} as const;

const KINDS: Record<string, number> = {
  'tcp:dport': Slot.PORT, 'tcp:sport': Slot.PORT, 'udp:dport': Slot.PORT, 'udp:sport': Slot.PORT,
  'limit:limit': Slot.LIMIT, 'limit:limit-burst': Slot.BURST,
  'DNAT:to-destination': Slot.NAT4, 'SNAT:to-source': Slot.NAT4,
  'iprange:src-range': Slot.RANGE4, 'iprange:dst-range': Slot.RANGE4,
};

/**
 * The slot kind of a value the parser read as `key` (extension:option), for the
 * value `word` the line had (its shape: a NAT address with or without a port);
 * 0 when values of it are not swapped.
 */
export function kindOf(key: string, word: string, ipv6: boolean): number {
  const k = KINDS[key] ?? 0;
  if (k === Slot.NAT4) return ipv6 ? 0 : word.indexOf(':') >= 0 ? Slot.NAT4_PORT : Slot.NAT4;
  return k === Slot.RANGE4 && ipv6 ? 0 : k;
}

/** set by slotValue(): the word is its own canonical text; else slotText is */
export let slotVerbatim = false;
export let slotText = '';
/** set by slotValue() for LIMIT: the kernel's average (XT_LIMIT_SCALE × seconds per packet); for BURST: the burst */
export let slotNumber = 0;

/**
 * The canonical text of s[i, end) as a value of slot `kind` (not NET): true
 * with slotVerbatim or slotText set; false for anything not read here.
 */
export function slotValue(kind: number, s: string, i: number, end: number): boolean {
  switch (kind) {
    case Slot.PORT:
      return portValue(s, i, end);
    case Slot.LIMIT:
      return limitValue(s, i, end);
    case Slot.BURST: {
      const n = plainUInt(s, i, end, 10000);
      // 0: the kernel refuses it; 5: the default, which save leaves out
      if (n <= 0 || n === 5) return false;
      slotNumber = n;
      slotVerbatim = true;
      return true;
    }
    case Slot.NAT4:
      slotVerbatim = true;
      return ipv4End(s, i, end) === end;
    case Slot.NAT4_PORT: {
      const a = ipv4End(s, i, end);
      if (a < 0 || a === end || s.charCodeAt(a) !== 58) return false;
      slotVerbatim = true;
      return plainUInt(s, a + 1, end, 65535) > 0;
    }
    case Slot.RANGE4: {
      // iptables-save prints both ends, a reversed range as given
      const a = ipv4End(s, i, end);
      slotVerbatim = true;
      return a > i && a < end && s.charCodeAt(a) === 45 && ipv4End(s, a + 1, end) === end;
    }
  }
  return false;
}

/** The kernel refuses this average and burst (limit's kernelCheck). */
export function limitRefused(avg: number, burst: number): boolean {
  return limitOverflows(avg, burst);
}

/** `P` or `P:Q` (P < Q, not 0:65535), plain decimals: libxt_tcp/udp's save prints them as given. */
function portValue(s: string, i: number, end: number): boolean {
  let colon = -1;
  for (let k = i; k < end; k++) {
    if (s.charCodeAt(k) === 58) {
      colon = k;
      break;
    }
  }
  slotVerbatim = true;
  if (colon < 0) return plainUInt(s, i, end, 65535) >= 0;
  const lo = plainUInt(s, i, colon, 65535);
  const hi = plainUInt(s, colon + 1, end, 65535);
  return lo >= 0 && hi > lo && !(lo === 0 && hi === 65535);
}

// XT_LIMIT_SCALE
const SCALE = 10000;

/** `N/unit` or `N`: N plain decimal (atoi reads more, e.g. `5x/s`: the long way), unit any prefix of second, minute, hour, day in any case. */
function limitValue(s: string, i: number, end: number): boolean {
  let k = i;
  while (k < end && s.charCodeAt(k) !== 47) k++;
  const r = plainUInt(s, i, k, 0x7fffffff);
  if (r <= 0) return false;
  let mult = 1;
  if (k < end) {
    if (k + 1 === end) return false;
    if (unitPrefix(s, k + 1, end, 'second')) mult = 1;
    else if (unitPrefix(s, k + 1, end, 'minute')) mult = 60;
    else if (unitPrefix(s, k + 1, end, 'hour')) mult = 3600;
    else if (unitPrefix(s, k + 1, end, 'day')) mult = 86400;
    else return false;
  }
  const avg = Math.floor((SCALE * mult) / r);
  if (avg === 0) return false;
  slotNumber = avg;
  slotText = rateText(avg);
  slotVerbatim = slotText.length === end - i && s.startsWith(slotText, i);
  return true;
}

/** s[i, end) in any case is a prefix of `unit` (lower case) */
function unitPrefix(s: string, i: number, end: number, unit: string): boolean {
  if (end - i > unit.length) return false;
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== unit.charCodeAt(k - i)) return false;
  }
  return true;
}

/** the rates' texts by their averages: a file's limits come back (a string made per line was most of a limit slot's time) */
const RATES = new Map<number, string>();

/** how iptables-save prints the rate of average avg */
function rateText(avg: number): string {
  let text = RATES.get(avg);
  if (text === undefined) {
    const rate = periodToRate(avg, SCALE);
    text = `${rate.count}/${rate.unit}`;
    if (RATES.size >= 4096) RATES.clear();
    RATES.set(avg, text);
  }
  return text;
}

/** s[i, end) as a decimal without leading zeros (or `0`) up to max; -1 otherwise. */
function plainUInt(s: string, i: number, end: number, max: number): number {
  const len = end - i;
  if (len <= 0 || len > 10) return -1;
  let n = 0;
  for (let k = i; k < end; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9 || (d === 0 && k === i && len > 1)) return -1;
    n = n * 10 + d;
  }
  return n <= max ? n : -1;
}

/** End of a dotted quad at s[i, end) (four plain decimals up to 255; inet_pton reads no other form the same), or -1. */
export function ipv4End(s: string, i: number, end: number): number {
  let k = i;
  for (let part = 0; part < 4; part++) {
    const start = k;
    let v = 0;
    while (k < end) {
      const d = s.charCodeAt(k) - 48;
      if (d < 0 || d > 9) break;
      if (k > start && v === 0) return -1; // a leading zero
      v = v * 10 + d;
      k++;
    }
    if (k === start || k - start > 3 || v > 255) return -1;
    if (part < 3) {
      if (k >= end || s.charCodeAt(k) !== 46) return -1;
      k++;
    }
  }
  return k;
}

/** Values to swap in when a template is learnt (see line-templates.ts), per kind: at least two that begin and end differently. */
export const PROBES: Record<number, readonly string[]> = {
  [Slot.PORT]: ['2', '7', '39'],
  [Slot.LIMIT]: ['2/hour', '7/min', '3/day'],
  [Slot.BURST]: ['2', '7', '39'],
  [Slot.NAT4]: ['9.9.9.8', '8.8.8.7', '7.9.9.9'],
  [Slot.NAT4_PORT]: ['9.9.9.8:2', '8.8.8.7:7', '7.9.9.9:39'],
  [Slot.RANGE4]: ['9.9.9.8-9.9.9.9', '8.8.8.7-8.8.8.8', '7.0.0.1-7.0.0.3'],
};
