// Canonical lines of rules that differ only in their -s/-d networks, made
// from the line's characters: a blocklist's 70,000 `-A bl -s ADDR/32 -j DROP`
// or fail2ban's REJECTs cost a scan of the line, a look-up and (when the line
// is already canonical, as a saved ruleset is) not a single new object.
//
// Only the texts reader (canon, diff) uses them, and only on top of
// RuleTemplates (rule-parser.ts): a LineTemplate is made from a line that
// RuleTemplates parsed through a template, so a line with the same characters
// outside its address words has the same template key, the same rule but for
// its addresses, no notes and no error. The address words are read here only
// in their plain form (no leading zeros; anything else goes the long way,
// where the same value gives the same rule and a bad one its error).
import type { AddressSpec, Rule } from './model.js';
import { formatNet, formatNet6, inetPton4 } from './values.js';
import { flat, ownCopy } from './ruleset-texts.js';

/** What the reader learns about a line's commit checks from its template once. */
export type TemplateChecks =
  /** nothing to keep: no jump, no check that reads the hooks, and the checks at append found nothing */
  | 'none'
  /** the rule's checks read the hooks: a run of such lines of one chain is kept as indexes (AppendedChecks.alike) */
  | 'alike'
  /** a jump (or goto) to a user chain and nothing else to check: the jump is kept (appendedJump; csf's 21,000 `-j LOGDROPOUT`) */
  | 'jump'
  /** anything else: the line is read the long way */
  | 'other';

export interface LineTemplate {
  /** the line's text before, between and after its address words (own copies) */
  readonly pre: string;
  readonly mid: string;
  readonly post: string;
  /** number of address words (1 or 2); the first in the line is the source when srcFirst */
  readonly slots: number;
  readonly srcFirst: boolean;
  readonly ipv6: boolean;
  /** the canonical line: c0 + net + c1 (+ net + c2), the source's network first */
  readonly c0: string;
  readonly c1: string;
  readonly c2: string;
  /** the invert flags of the canonical first and second network (a ! -s 0.0.0.0/0 is not left out) */
  readonly inv0: boolean;
  readonly inv1: boolean;
  /** the line is its own canonical text whenever its address words are canonical networks */
  readonly verbatim: boolean;
  /** the rule the line makes (its addresses those of the line the template was made from) */
  readonly rule: Rule;
  /** the chain's name as the table has it */
  readonly chain: string;
  /** canonicalRuleRest of the rule: the key of AppendedChecks.alike */
  readonly rest: string;
  readonly checks: TemplateChecks;
  /** another template with the same hash */
  next: LineTemplate | null;
}

/** What find() saw of the last line it scanned: its address words and hash. */
interface Scan {
  hash: number;
  count: number;
  /** start and end of each address word in the line, in line order */
  s0: number;
  e0: number;
  s1: number;
  e1: number;
  /** the first address word (in line order) is the source */
  srcFirst: boolean;
  /** find() found a template of the line's text */
  found: boolean;
  /** the scan stopped at a quote, tab, CR or NUL */
  odd: boolean;
}

const MAX = 512;

export class LineTemplates {
  private readonly byHash = new Map<number, LineTemplate>();
  private size = 0;
  /**
   * The templates found last, most recent first: a file's lines come in runs
   * of one template, or in turns of a few (fail2ban's chains), and a line is
   * tried against these as they are (their text around one address word)
   * before it is scanned and hashed.
   */
  private readonly recent: (LineTemplate | null)[] = [null, null, null, null];
  /** the last scan (find's), valid until the next find */
  readonly scan: Scan = { hash: 0, count: 0, s0: -1, e0: -1, s1: -1, e1: -1, srcFirst: true, found: false, odd: false };
  /** get(): the line is its own canonical text */
  verbatim = false;
  /** get(): the canonical text of the line, when not verbatim */
  text = '';

  clear(): void {
    if (this.size === 0) return;
    this.byHash.clear();
    this.size = 0;
    this.recent.fill(null);
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /**
   * Scan the line text[from, to) (words are what lies between spaces; a quote,
   * tab, CR or NUL sends it the long way) for its address words as
   * RuleTemplates.slotsOf finds them; the template with the same text around
   * them, or null. The scan (offsets from `from`) is kept for learn().
   */
  find(text: string, from: number, to: number, ipv6: boolean): LineTemplate | null {
    this.scan.count = 0;
    this.scan.found = false;
    this.scan.odd = false;
    const recent = this.recent;
    for (let k = 0; k < recent.length; k++) {
      const t = recent[k];
      if (t === null) break;
      if (around(t, text, from, to, this.scan)) return this.found(t);
    }
    if (!scanLine(text, from, to, ipv6, this.scan)) return null;
    const sc = this.scan;
    for (let t = this.byHash.get(sc.hash) ?? null; t; t = t.next) {
      if (sameShape(t, text, from, to, sc)) return this.found(t);
    }
    return null;
  }

  /** t was found: first in recent */
  private found(t: LineTemplate): LineTemplate {
    const recent = this.recent;
    let k = recent.indexOf(t);
    if (k < 0) k = recent.length - 1;
    for (; k > 0; k--) recent[k] = recent[k - 1];
    recent[0] = t;
    this.scan.found = true;
    return t;
  }

  /**
   * The canonical line of text[from, to) by template t, true: `verbatim` when
   * it is the line itself, else `text`. False when an address word is not one
   * plain network (or leaves the network out of the canonical line): then the
   * line goes the long way.
   */
  get(t: LineTemplate, text: string, from: number, to: number): boolean {
    const sc = this.scan;
    const ipv6 = t.ipv6;
    const s0 = from + sc.s0;
    const e0 = from + sc.e0;
    const a = t.slots === 2 && !t.srcFirst ? 1 : 0; // line slot of the canonical first network
    if (!net(text, a === 0 ? s0 : from + sc.s1, a === 0 ? e0 : from + sc.e1, ipv6, t.inv0)) return false;
    const v0 = netVerbatim;
    const n0 = netText;
    if (t.slots === 1) {
      this.verbatim = v0 && t.verbatim;
      if (!this.verbatim) this.text = flat(t.c0 + (v0 ? text.slice(s0, e0) : n0) + t.c1);
      return true;
    }
    const s1 = from + sc.s1;
    const e1 = from + sc.e1;
    if (!net(text, a === 0 ? s1 : s0, a === 0 ? e1 : e0, ipv6, t.inv1)) return false;
    const v1 = netVerbatim;
    const n1 = netText;
    this.verbatim = v0 && v1 && t.verbatim;
    if (!this.verbatim) {
      const x0 = v0 ? (a === 0 ? text.slice(s0, e0) : text.slice(s1, e1)) : n0;
      const x1 = v1 ? (a === 0 ? text.slice(s1, e1) : text.slice(s0, e0)) : n1;
      this.text = flat(t.c0 + x0 + t.c1 + x1 + t.c2);
    }
    return true;
  }

  /**
   * After the line last scanned became rule r through a RuleTemplates template
   * (so the line's text around its addresses fixes everything else): keep it.
   * `head` `-A CHAIN`, `rest` canonicalRuleRest(r), `fixed` the canonical
   * interfaces.
   */
  learn(raw: string, ipv6: boolean, r: Rule, chain: string, head: string, fixed: string, rest: string, checks: TemplateChecks): void {
    const sc = this.scan;
    // a template of this text that could not make the line (its checks, its address) is not made again
    if (sc.count === 0 || sc.found || this.size >= MAX) return;
    const src = r.src as AddressSpec | null;
    const dst = r.dst as AddressSpec | null;
    const hasSrc = sc.count === 2 || sc.srcFirst;
    const hasDst = sc.count === 2 || !sc.srcFirst;
    // the slot's side must be the rule's network (not left out as 0.0.0.0/0) for the pieces below
    if ((hasSrc && !isNet(src)) || (hasDst && !isNet(dst))) return;
    const srcOp = src ? (src.invert ? ' ! -s ' : ' -s ') : '';
    const dstOp = dst ? (dst.invert ? ' ! -d ' : ' -d ') : '';
    let c0: string, c1: string, c2 = '';
    let inv0: boolean, inv1 = false;
    if (hasSrc && hasDst) {
      c0 = head + srcOp;
      c1 = dstOp;
      c2 = fixed + rest;
      inv0 = src!.invert;
      inv1 = dst!.invert;
    } else if (hasSrc) {
      c0 = head + srcOp;
      c1 = fixedAddr('-d', dst) + fixed + rest;
      inv0 = src!.invert;
    } else {
      c0 = head + fixedAddr('-s', src) + dstOp;
      c1 = fixed + rest;
      inv0 = dst!.invert;
    }
    const pre = raw.slice(0, sc.s0);
    const mid = sc.count === 2 ? raw.slice(sc.e0, sc.s1) : '';
    const post = raw.slice(sc.count === 2 ? sc.e1 : sc.e0);
    const verbatim = (sc.count === 1 || sc.srcFirst) && pre === c0 && (sc.count === 1 ? post === c1 : mid === c1 && post === c2);
    const t: LineTemplate = {
      pre: ownCopy(pre), mid: ownCopy(mid), post: ownCopy(post), slots: sc.count, srcFirst: sc.srcFirst, ipv6,
      c0: flat(c0), c1: flat(c1), c2: flat(c2), inv0, inv1, verbatim, rule: r, chain, rest, checks, next: this.byHash.get(sc.hash) ?? null,
    };
    this.byHash.set(sc.hash, t);
    this.size++;
  }
}

function isNet(a: AddressSpec | null): boolean {
  return a !== null && (a.kind === 'net' || a.kind === 'net6');
}

/** canonical.ts's addr() for a side without an address word (a host name, or nothing) */
function fixedAddr(flag: string, a: AddressSpec | null): string {
  if (!a) return '';
  const inv = a.invert ? ' !' : '';
  if (a.kind === 'host-name') return `${inv} ${flag} ${a.name}`; // never: a host name makes no template (a note)
  if (a.kind === 'net6') return a.mask === 0n && a.addr === 0n && !a.invert ? '' : `${inv} ${flag} ${formatNet6(a.addr, a.mask)}`;
  return a.mask === 0 && a.addr === 0 && !a.invert ? '' : `${inv} ${flag} ${formatNet(a.addr, a.mask)}`;
}

/**
 * The line is t's text around one (or two) words that scanLine takes for
 * networks: then it scans as the line t was made from (the same words but
 * those, after the same options), and this sets the scan as scanLine would.
 */
function around(t: LineTemplate, s: string, from: number, to: number, sc: Scan): boolean {
  const a = from + t.pre.length;
  if (a >= to || !s.startsWith(t.pre, from)) return false;
  let e = a;
  while (e < to && s.charCodeAt(e) !== 32) e++;
  if (!netLike(s, a, e, t.ipv6)) return false;
  if (t.slots === 1) {
    if (to - e !== t.post.length || !s.startsWith(t.post, e)) return false;
  } else {
    const b = e + t.mid.length;
    if (b >= to || !s.startsWith(t.mid, e)) return false;
    let f = b;
    while (f < to && s.charCodeAt(f) !== 32) f++;
    if (!netLike(s, b, f, t.ipv6) || to - f !== t.post.length || !s.startsWith(t.post, f)) return false;
    sc.s1 = b - from;
    sc.e1 = f - from;
  }
  sc.s0 = a - from;
  sc.e0 = e - from;
  sc.count = t.slots;
  sc.srcFirst = t.srcFirst;
  return true;
}

function sameShape(t: LineTemplate, text: string, from: number, to: number, sc: Scan): boolean {
  if (t.slots !== sc.count || t.srcFirst !== sc.srcFirst) return false;
  const end = sc.count === 2 ? sc.e1 : sc.e0;
  if (t.pre.length !== sc.s0 || t.post.length !== to - from - end) return false;
  if (sc.count === 2 && t.mid.length !== sc.s1 - sc.e0) return false;
  return text.startsWith(t.pre, from) && text.startsWith(t.post, from + end) && (sc.count === 1 || text.startsWith(t.mid, from + sc.e0));
}

// --- the scan ------------------------------------------------------------------

/** 1 for a word that is -s --source --src, 2 for -d --destination --dst, else 0 */
function addressOption(raw: string, i: number, end: number): number {
  const len = end - i;
  if (len < 2 || len > 13 || raw.charCodeAt(i) !== 45) return 0;
  if (len === 2) {
    const c = raw.charCodeAt(i + 1);
    return c === 115 ? 1 : c === 100 ? 2 : 0;
  }
  if (raw.charCodeAt(i + 1) !== 45) return 0;
  if (len === 5) return raw.startsWith('--src', i) ? 1 : raw.startsWith('--dst', i) ? 2 : 0;
  if (len === 8) return raw.startsWith('--source', i) ? 1 : 0;
  if (len === 13) return raw.startsWith('--destination', i) ? 2 : 0;
  return 0;
}

/** The word is what RuleTemplates takes for a network of the family (its IPV4_NET / IPV6_NET). */
function netLike(raw: string, i: number, end: number, ipv6: boolean): boolean {
  return ipv6 ? netLike6(raw, i, end) : netLike4(raw, i, end);
}

// /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,2})?$/
function netLike4(raw: string, i: number, end: number): boolean {
  let part = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > (part === 4 ? 2 : 3)) return false;
    } else if (c === 46 && part < 3 && digits > 0) {
      part++;
      digits = 0;
    } else if (c === 47 && part === 3 && digits > 0) {
      part = 4;
      digits = 0;
    } else return false;
  }
  return digits > 0 && part >= 3;
}

// /^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:\/\d{1,3})?$/
function netLike6(raw: string, i: number, end: number): boolean {
  let colon = false;
  let slash = -1;
  for (let k = i; k < end; k++) {
    const c = raw.charCodeAt(k);
    if (slash >= 0) {
      if (c < 48 || c > 57 || k - slash > 3) return false;
    } else if (c === 58) colon = true;
    else if (c === 47) {
      if (!colon) return false;
      slash = k;
    } else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46)) return false;
  }
  return colon && (slash < 0 || end - slash > 1);
}

/**
 * The line's address words as slotsOf finds them (offsets from `from`), and a
 * hash of the rest: of each other word its length and first, middle and last
 * characters (FNV-1a; find() compares the whole text, the hash only has to
 * spread the templates). False for a line without one, or with a quote, tab,
 * CR or NUL (tokenize.ts reads those; the reader cleans CR and NUL first).
 */
function scanLine(s: string, from: number, to: number, ipv6: boolean, sc: Scan): boolean {
  let h = 0x811c9dc5;
  let prev = 0;
  let count = 0;
  let src = -1;
  let dst = -1;
  let i = from;
  while (i < to) {
    let c = s.charCodeAt(i);
    if (c === 32) {
      h = Math.imul(h ^ 32, 16777619);
      i++;
      continue;
    }
    const start = i;
    for (;;) {
      if (c === 34 || c === 9 || c === 13 || c === 0) {
        sc.odd = true;
        return false;
      }
      if (++i === to) break;
      c = s.charCodeAt(i);
      if (c === 32) break;
    }
    if (prev !== 0 && netLike(s, start, i, ipv6)) {
      // a second -s or -d: no template (as slotsOf)
      if (prev === 1 ? src >= 0 : dst >= 0) return false;
      if (prev === 1) src = count;
      else dst = count;
      if (count === 0) {
        sc.s0 = start - from;
        sc.e0 = i - from;
      } else {
        sc.s1 = start - from;
        sc.e1 = i - from;
      }
      count++;
      h = Math.imul(h ^ 1, 16777619);
      prev = 0;
    } else {
      h = Math.imul(h ^ (i - start), 16777619);
      h = Math.imul(h ^ s.charCodeAt(start), 16777619);
      h = Math.imul(h ^ s.charCodeAt((start + i) >> 1), 16777619);
      h = Math.imul(h ^ s.charCodeAt(i - 1), 16777619);
      prev = addressOption(s, start, i);
    }
  }
  if (count === 0) return false;
  sc.count = count;
  sc.srcFirst = src === 0;
  sc.hash = h & 0x3fffffff; // a small integer: a Map key without a heap number
  return true;
}

// --- the networks ----------------------------------------------------------------

/** set by net(): the word is its own canonical text; else netText is */
let netVerbatim = false;
let netText = '';

/**
 * The network in raw[i, end) as the canonical line has it: true with
 * netVerbatim (the word is it) or netText; false when the word is not read
 * here (not plain, or a 0.0.0.0/0 that the canonical line leaves out).
 */
function net(raw: string, i: number, end: number, ipv6: boolean, invert: boolean): boolean {
  return ipv6 ? net6(raw, i, end, invert) : net4(raw, i, end, invert);
}

function net4(raw: string, i: number, end: number, invert: boolean): boolean {
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let k = i;
  for (; k < end; k++) {
    const c = raw.charCodeAt(k);
    if (c === 46 || c === 47) {
      if (digits === 0 || octet > 255) return false;
      addr = addr * 256 + octet;
      octet = 0;
      digits = 0;
      if (c === 47) break;
      if (++dots > 3) return false;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return false; // a leading zero: the long way
      octet = octet * 10 + (c - 48);
      digits++;
    } else return false;
  }
  let bits = 32;
  const slash = k < end;
  if (slash) {
    if (dots !== 3) return false;
    bits = 0;
    let d = 0;
    for (k++; k < end; k++) {
      const c = raw.charCodeAt(k);
      if (c < 48 || c > 57 || (d === 1 && bits === 0)) return false;
      bits = bits * 10 + (c - 48);
      d++;
    }
    if (d === 0 || bits > 32) return false;
  } else {
    if (dots !== 3 || digits === 0 || octet > 255) return false;
    addr = addr * 256 + octet;
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const masked = (addr & mask) >>> 0;
  if (mask === 0 && !invert) return false; // the canonical line leaves it out
  netVerbatim = slash && masked === addr >>> 0;
  if (!netVerbatim) netText = formatNet(masked, mask);
  return true;
}

/**
 * net4 for IPv6: a word `addr` or `addr/len` (len plain decimal, at most 128),
 * the address as inet_pton reads it (parseIPv6), printed as inet_ntop does
 * (formatIPv6) after the mask, in 16-bit groups: no BigInt, and no string at
 * all when the word is already canonical. Anything else goes the long way.
 */
function net6(raw: string, i: number, end: number, invert: boolean): boolean {
  let slash = end;
  for (let k = end - 1; k >= i; k--) {
    if (raw.charCodeAt(k) === 47) {
      slash = k;
      break;
    }
  }
  let bits = 128;
  if (slash < end) {
    bits = 0;
    const len = end - slash - 1;
    if (len === 0 || len > 3 || (len > 1 && raw.charCodeAt(slash + 1) === 48)) return false;
    for (let k = slash + 1; k < end; k++) {
      const c = raw.charCodeAt(k);
      if (c < 48 || c > 57) return false;
      bits = bits * 10 + (c - 48);
    }
    if (bits > 128) return false;
  }
  if (!parseGroups6(raw, i, slash)) return false;
  if (bits === 0 && !invert) return false; // the canonical line leaves it out
  for (let k = 0; k < 8; k++) {
    const left = bits - 16 * k;
    if (left <= 0) G6[k] = 0;
    else if (left < 16) G6[k] &= (0xffff << (16 - left)) & 0xffff;
  }
  const n = formatGroups6(bits);
  netVerbatim = n === end - i && sameCodes(raw, i, n);
  if (!netVerbatim) {
    C6.length = n;
    netText = String.fromCharCode.apply(null, C6);
  }
  return true;
}

/** the groups of the last address parseGroups6 read, and the characters formatGroups6 made */
const G6 = new Uint16Array(8);
const C6: number[] = [];

/** parseIPv6 (glibc inet_pton) of raw[i, end) into G6; false when it is not an address. */
function parseGroups6(s: string, i: number, end: number): boolean {
  if (i === end) return false;
  if (s.charCodeAt(i) === 58) {
    if (end - i < 2 || s.charCodeAt(i + 1) !== 58) return false;
    i++;
  }
  let ng = 0;
  let gap = -1;
  let curtok = i;
  let digits = 0;
  let val = 0;
  while (i < end) {
    const ch = s.charCodeAt(i++);
    const d = ch >= 48 && ch <= 57 ? ch - 48 : ch >= 97 && ch <= 102 ? ch - 87 : ch >= 65 && ch <= 70 ? ch - 55 : -1;
    if (d >= 0) {
      if (digits === 4) return false;
      val = (val << 4) | d;
      digits++;
    } else if (ch === 58) {
      curtok = i;
      if (digits === 0) {
        if (gap >= 0) return false;
        gap = ng;
        continue;
      } else if (i === end || ng >= 8) return false;
      G6[ng++] = val;
      digits = 0;
      val = 0;
    } else if (ch === 46 && ng + 2 <= 8) {
      const v4 = inetPton4(s.slice(curtok, end));
      if (v4 === null) return false;
      G6[ng++] = v4 >>> 16;
      G6[ng++] = v4 & 0xffff;
      digits = 0;
      break;
    } else return false;
  }
  if (digits > 0) {
    if (ng >= 8) return false;
    G6[ng++] = val;
  }
  if (gap >= 0) {
    if (ng === 8) return false;
    const move = ng - gap;
    for (let k = 0; k < move; k++) G6[7 - k] = G6[ng - 1 - k];
    for (let k = gap; k < 8 - move; k++) G6[k] = 0;
    ng = 8;
  }
  return ng === 8;
}

/** formatNet6 (glibc inet_ntop, then /bits) of G6 as character codes in C6; returns how many. */
function formatGroups6(bits: number): number {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (G6[k] === 0) {
      if (curBase === -1) {
        curBase = k;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let n = 0;
  for (let k = 0; k < 8; k++) {
    if (bestBase !== -1 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) C6[n++] = 58;
      continue;
    }
    if (k !== 0) C6[n++] = 58;
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && G6[5] === 0xffff))) {
      n = decimal(G6[6] >> 8, n);
      C6[n++] = 46;
      n = decimal(G6[6] & 255, n);
      C6[n++] = 46;
      n = decimal(G6[7] >> 8, n);
      C6[n++] = 46;
      n = decimal(G6[7] & 255, n);
      return slashBits(bits, n);
    }
    const g = G6[k];
    for (let shift = g >= 0x1000 ? 12 : g >= 0x100 ? 8 : g >= 0x10 ? 4 : 0; shift >= 0; shift -= 4) {
      const d = (g >> shift) & 15;
      C6[n++] = d < 10 ? 48 + d : 87 + d;
    }
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) C6[n++] = 58;
  return slashBits(bits, n);
}

function decimal(v: number, n: number): number {
  if (v >= 100) C6[n++] = 48 + ((v / 100) | 0);
  if (v >= 10) C6[n++] = 48 + (((v / 10) | 0) % 10);
  C6[n++] = 48 + (v % 10);
  return n;
}

function slashBits(bits: number, n: number): number {
  C6[n++] = 47;
  return decimal(bits, n);
}

function sameCodes(raw: string, i: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (raw.charCodeAt(i + k) !== C6[k]) return false;
  return true;
}
