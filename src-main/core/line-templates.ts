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
import { flat, ownCopy, type LineBytes } from './ruleset-texts.js';
import { ipv4End, limitRefused, PROBES, Slot, slotNumber, slotText, slotValue, slotVerbatim, kindOf } from './slot-values.js';

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
  /** the line's text before, between and after its slot words (own copies): slots + 1 pieces */
  readonly raw: readonly string[];
  /**
   * a place in raw[0], where its chain's name ends (the space after it), and
   * the character before it: around() looks at these two before comparing the
   * text (lines of a few chains taking turns, csf's and fail2ban's, tried ~3
   * templates a line); 0 when raw[0] is too short for one
   */
  readonly cut: number;
  readonly cutCode: number;
  /** per slot (in line order): what scanLine took it for (1 source, 2 destination, 3 an option's value) */
  readonly hints: readonly number[];
  /** per slot: its Slot kind (slot-values.ts), or 0: the word must be `fixed`'s (its canonical text is in `canon`) */
  readonly kinds: readonly number[];
  readonly fixed: readonly (string | null)[];
  /** per slot: a NET slot's invert flag (a ! -s 0.0.0.0/0 is not left out) */
  readonly inv: readonly boolean[];
  /** the canonical line: canon[0] + value of slot order[0] + canon[1] + … (order leaves fixed slots out) */
  readonly canon: readonly string[];
  readonly order: readonly number[];
  readonly ipv6: boolean;
  /** the line is its own canonical text whenever its slot words are canonical values */
  readonly verbatim: boolean;
  /** -m limit: the slots of its rate and burst (-1: fixed) and the learnt line's values (the kernel's check reads both) */
  readonly limit: { rateAt: number; burstAt: number; avg: number; burst: number } | null;
  /** the rule the line makes (its slot values those of the line the template was made from) */
  readonly rule: Rule;
  /** the chain's name as the table has it */
  readonly chain: string;
  /** canonicalRuleRest of the rule: the key of AppendedChecks.alike */
  readonly rest: string;
  readonly checks: TemplateChecks;
  /** learnt by learnValues (its lines' rules differ in values, not only in addresses) */
  readonly values: boolean;
  /** another template with the same hash */
  next: LineTemplate | null;
}

/** At most this many slot words in a line (more: no template). */
const MAX_SLOTS = 8;

/** What find() saw of the last line it scanned: its slot words and hash. */
interface Scan {
  hash: number;
  count: number;
  /** start and end of each slot word in the line (offsets from `from`), in line order */
  readonly s: Int32Array;
  readonly e: Int32Array;
  /** per slot: 1 after -s, 2 after -d, 3 after an option of VALUE_OPTIONS */
  readonly hint: Int8Array;
  /** per slot: its word's index in the line */
  readonly word: Int32Array;
  /** slots after an option of VALUE_OPTIONS */
  values: number;
  /** find() found a template of the line's text */
  found: boolean;
  /** the scan stopped at a quote, tab, CR or NUL */
  odd: boolean;
}

const MAX = 512;

/** What parseCommandRecorded (rule-parser.ts) notes of a line. */
export interface ValueWords {
  /** word index, `extension:option`, … */
  words: (number | string)[];
  srcWord: number;
  dstWord: number;
}

/** What learnValues needs of the reader: the canonical line of words (parsed in full, noting value words), or null when not one plain appended rule. */
export type CanonOf = (words: string[], n: number, record: ValueWords | null) => string | null;

/** look-ups after which value templates that make under 1 line in 8 are given up (LineTemplates.valuesOn) */
const DECIDE_AFTER = 2000;

export class LineTemplates {
  private readonly byHash = new Map<number, LineTemplate>();
  private size = 0;
  /**
   * The templates found last, most recent first: a file's lines come in runs
   * of one template, or in turns of a few (fail2ban's chains), and a line is
   * tried against these as they are (their text around its slot words)
   * before it is scanned and hashed.
   */
  private readonly recent: (LineTemplate | null)[] = new Array<LineTemplate | null>(8).fill(null);
  /** hashes of lines with value slots seen once (learnt at the second), and of those that made no template */
  private readonly seen = new Set<number>();
  private readonly failed = new Map<number, number>();
  /**
   * Templates with values learnt, and lines they made: learning one costs a
   * parse per slot, which pays only when its text comes back (a blocklist's
   * rate limits), not where each text comes twice (a chain per customer):
   * learning stops while learnt > 64 + made / 4.
   */
  private learnt = 0;
  private made = 0;
  /**
   * Lines looked up (find) and lines a template made (make): after DECIDE_AFTER
   * look-ups with under 1 in 8 made, the table's lines do not repeat (a
   * service chain with a port, mark and comment per rule) and value templates
   * are given up, as RuleTemplates gives up its own: every line scanned for
   * its slot words and hashed cost ~2.6 µs for nothing (manymatch's canon
   * +25 %), and `learnt` alone never stopped it when nothing was ever learnt.
   */
  private looked = 0;
  private hits = 0;
  private givenUp = false;
  /** the last scan (find's), valid until the next find */
  readonly scan: Scan = {
    hash: 0, count: 0, s: new Int32Array(MAX_SLOTS), e: new Int32Array(MAX_SLOTS), hint: new Int8Array(MAX_SLOTS), word: new Int32Array(MAX_SLOTS),
    values: 0, found: false, odd: false,
  };
  /** get(): the line is its own canonical text */
  verbatim = false;
  /** get(), when not verbatim: the template and the line its canonical text is made from (text, writeLine), until the next find() */
  private madeBy: LineTemplate | null = null;
  private madeOf = '';
  private madeFrom = 0;
  private madeText: string | null = null;

  /** get(), when not verbatim: the canonical text of the line (until the next find) */
  get text(): string {
    if (this.madeText !== null) return this.madeText;
    const t = this.madeBy!;
    const sc = this.scan;
    const canon = t.canon;
    const order = t.order;
    let out = canon[0];
    for (let j = 0; j < order.length; j++) {
      const k = order[j];
      out += (VERB[k] ? this.madeOf.slice(this.madeFrom + sc.s[k], this.madeFrom + sc.e[k]) : VALS[k]) + canon[j + 1];
    }
    return (this.madeText = flat(out));
  }

  /**
   * get(), when not verbatim: the canonical line written into `bytes` (no
   * string made: canon keeps it there, see LineBytes); its start, or -1 when
   * it is not written (not ASCII, no room: then keep `text`).
   */
  writeLine(bytes: LineBytes): number {
    const t = this.madeBy!;
    const sc = this.scan;
    let length = 0;
    for (let j = 0; j < t.canon.length; j++) length += t.canon[j].length;
    for (let j = 0; j < t.order.length; j++) {
      const k = t.order[j];
      length += VERB[k] ? sc.e[k] - sc.s[k] : VALS[k].length;
    }
    if (!bytes.open(length)) return -1;
    const text = this.madeOf;
    const from = this.madeFrom;
    const canon = t.canon;
    if (!bytes.copy(canon[0], 0, canon[0].length)) return bytes.cancel();
    for (let j = 0; j < t.order.length; j++) {
      const k = t.order[j];
      const ok = VERB[k] ? bytes.copy(text, from + sc.s[k], from + sc.e[k]) : bytes.copy(VALS[k], 0, VALS[k].length);
      if (!ok || !bytes.copy(canon[j + 1], 0, canon[j + 1].length)) return bytes.cancel();
    }
    return bytes.close();
  }


  clear(): void {
    // what could not be learnt may be now: a chain it jumps to is declared
    if (this.failed.size > 0) this.failed.clear();
    if (this.size === 0) return;
    this.byHash.clear();
    this.size = 0;
    this.recent.fill(null);
  }

  /** templates with values are learnt (they pay off, see `learnt`) */
  get valuesOn(): boolean {
    return !this.givenUp && this.learnt <= 64 + this.made / 4;
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /**
   * Scan the line text[from, to) (words are what lies between spaces; a quote,
   * tab, CR or NUL sends it the long way) for its slot words: -s/-d networks as
   * RuleTemplates.slotsOf finds them, and the values of VALUE_OPTIONS; the
   * template with the same text around them, or null. The scan (offsets from
   * `from`) is kept for learn() and learnValues().
   */
  find(text: string, from: number, to: number, ipv6: boolean): LineTemplate | null {
    this.scan.count = 0;
    this.scan.values = 0;
    this.scan.hash = -1;
    this.scan.found = false;
    this.scan.odd = false;
    if (++this.looked === DECIDE_AFTER && this.hits * 8 < DECIDE_AFTER) this.givenUp = true;
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
   * The canonical line of text[from, to) by template t (what find() gave) or
   * another of the same text around its slots: the template that made it, with
   * `verbatim` when it is the line itself, else `text`. Null when a slot word
   * is not a value read here (see slot-values.ts; a network that is not one
   * plain network, or that the canonical line leaves out; a burst of 5 where a
   * template swaps bursts): then the line goes the long way.
   */
  get(t: LineTemplate, text: string, from: number, to: number): LineTemplate | null {
    if (this.make(t, text, from, to)) return t;
    const sc = this.scan;
    // found by around(): the hash of the line's text is not known yet
    if (sc.hash === -1 && !scanLine(text, from, to, t.ipv6, sc)) return null;
    for (let x = this.byHash.get(sc.hash) ?? null; x; x = x.next) {
      if (x !== t && sameShape(x, text, from, to, sc) && this.make(x, text, from, to)) return this.found(x);
    }
    return null;
  }

  private make(t: LineTemplate, text: string, from: number, to: number): boolean {
    const sc = this.scan;
    const n = t.kinds.length;
    let verbatim = t.verbatim;
    for (let k = 0; k < n; k++) {
      const s = from + sc.s[k];
      const e = from + sc.e[k];
      const kind = t.kinds[k];
      if (kind === 0) {
        const f = t.fixed[k]!;
        if (e - s !== f.length || !text.startsWith(f, s)) return false;
        continue;
      }
      if (kind === Slot.NET) {
        if (!net(text, s, e, t.ipv6, t.inv[k])) return false;
        VERB[k] = netVerbatim;
        if (!netVerbatim) VALS[k] = netText;
      } else {
        if (!slotValue(kind, text, s, e)) return false;
        VERB[k] = slotVerbatim;
        if (!slotVerbatim) VALS[k] = slotText;
        NUMS[k] = slotNumber;
      }
      verbatim &&= VERB[k];
    }
    if (t.values) this.made++;
    this.hits++;
    const lim = t.limit;
    if (lim && limitRefused(lim.rateAt < 0 ? lim.avg : NUMS[lim.rateAt], lim.burstAt < 0 ? lim.burst : NUMS[lim.burstAt])) return false;
    this.verbatim = verbatim;
    if (verbatim) return true;
    // the text is made when asked for (texts), or written as bytes (canon: writeLine)
    this.madeBy = t;
    this.madeOf = text;
    this.madeFrom = from;
    this.madeText = null;
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
    // find() walks a hash's templates for every line: lines whose words differ only
    // where the hash does not look (option values kept as they are, below) stop at a few
    if (sc.values > 0 && chainLength(this.byHash.get(sc.hash) ?? null) >= 4) return;
    // the slots of its networks; option values (when learnValues made no template) are kept as they are
    let a0 = -1;
    let a1 = -1;
    for (let k = 0; k < sc.count; k++) {
      if (sc.hint[k] === 3) continue;
      if (a0 < 0) a0 = k;
      else a1 = k;
    }
    if (a0 < 0) return;
    const nets = a1 < 0 ? 1 : 2;
    const src = r.src as AddressSpec | null;
    const dst = r.dst as AddressSpec | null;
    const srcFirst = sc.hint[a0] === 1;
    const hasSrc = nets === 2 || srcFirst;
    const hasDst = nets === 2 || !srcFirst;
    // the slot's side must be the rule's network (not left out as 0.0.0.0/0) for the pieces below
    if ((hasSrc && !isNet(src)) || (hasDst && !isNet(dst))) return;
    const srcOp = src ? (src.invert ? ' ! -s ' : ' -s ') : '';
    const dstOp = dst ? (dst.invert ? ' ! -d ' : ' -d ') : '';
    let canon: string[];
    if (hasSrc && hasDst) canon = [head + srcOp, dstOp, fixed + rest];
    else if (hasSrc) canon = [head + srcOp, fixedAddr('-d', dst) + fixed + rest];
    else canon = [head + fixedAddr('-s', src) + dstOp, fixed + rest];
    const kinds: number[] = [];
    const fixedWords: (string | null)[] = [];
    const inv: boolean[] = [];
    for (let k = 0; k < sc.count; k++) {
      const net = sc.hint[k] !== 3;
      kinds.push(net ? Slot.NET : 0);
      fixedWords.push(net ? null : raw.slice(sc.s[k], sc.e[k]));
      inv.push(net && (sc.hint[k] === 1 ? src!.invert : dst!.invert));
    }
    const order = nets === 1 ? [a0] : srcFirst ? [a0, a1] : [a1, a0];
    // the line's text around its networks alone
    const around = nets === 1 ? [raw.slice(0, sc.s[a0]), raw.slice(sc.e[a0])] : [raw.slice(0, sc.s[a0]), raw.slice(sc.e[a0], sc.s[a1]), raw.slice(sc.e[a1])];
    // two networks are verbatim only in canonical order (-s first); one is wherever the text around it is the canonical line's
    let verbatim = nets === 1 || srcFirst;
    for (let k = 0; verbatim && k < canon.length; k++) verbatim = around[k] === canon[k];
    this.add(piecesOf(raw, sc), canon, order, kinds, fixedWords, inv, null, verbatim, ipv6, r, chain, rest, checks, false);
  }

  /**
   * A line with option values in its slots (`--dport 80`), just parsed in full
   * to rule r of `checks` ('none' or 'jump'): at the second line of the same
   * text around its slots, a template, learnt from the parser itself. Each
   * slot's kind is the option that read its word (parseCommandRecorded); where
   * its value lands in the canonical line is found by parsing the line again
   * with another value there (PROBES): the canonical lines must differ in that
   * value's canonical text only, at one place. Anything else: no template.
   */
  learnValues(raw: string, words: string[], n: number, ipv6: boolean, r: Rule, chain: string, rest: string, checks: TemplateChecks, canonOf: CanonOf): boolean {
    const sc = this.scan;
    if (sc.count === 0 || sc.values === 0 || this.size >= MAX || !this.valuesOn) return false;
    // a few templates of one hash at most: find() walks them all (and none of those
    // found read this line's values: another template, a burst of 5 fixed)
    if (chainLength(this.byHash.get(sc.hash) ?? null) >= 4) return false;
    // seen and failed by the whole text around the slots: scanLine's hash reads
    // only a few characters of each word (`--mark 0xd/0xff` and `0xe/0xff` are alike)
    const h = textHash(raw, sc);
    if ((this.failed.get(h) ?? 0) >= 3) return false;
    if (!this.seen.has(h)) {
      if (this.seen.size >= 8192) this.seen.clear();
      this.seen.add(h);
      return false;
    }
    if (checks === 'other') return this.fail(h);
    this.learnt++;
    const made = learnSlots(raw, words, n, ipv6, r, sc, canonOf);
    if (!made) return this.fail(h);
    this.add(piecesOf(raw, sc), made.canon, made.order, made.kinds, made.fixed, made.inv, made.limit, made.verbatim, ipv6, r, chain, rest, checks, true);
    return true;
  }

  /** three lines of one text made no template: no more tries (a line of it may fail for its own values, a limit the kernel refuses) */
  private fail(h: number): false {
    if (this.failed.size >= 8192) this.failed.clear();
    this.failed.set(h, (this.failed.get(h) ?? 0) + 1);
    return false;
  }

  private add(
    raw: string[], canon: string[], order: number[], kinds: number[], fixed: (string | null)[], inv: boolean[], limit: LineTemplate['limit'],
    verbatim: boolean, ipv6: boolean, r: Rule, chain: string, rest: string, checks: TemplateChecks, values: boolean,
  ): void {
    const sc = this.scan;
    const hints: number[] = [];
    for (let k = 0; k < sc.count; k++) hints.push(sc.hint[k]);
    // raw[0] holds `-A CHAIN -s ` at least (a slot word follows an option)
    const cut = Math.max(0, raw[0].indexOf(' ', 3));
    const t: LineTemplate = {
      raw: raw.map(ownCopy), cut, cutCode: cut > 0 ? raw[0].charCodeAt(cut - 1) : 0, hints, kinds, fixed: fixed.map((f) => (f === null ? null : ownCopy(f))), inv, canon: canon.map((c) => flat(ownCopy(c))), order, ipv6, verbatim, limit,
      rule: r, chain, rest, checks, values, next: this.byHash.get(sc.hash) ?? null,
    };
    this.byHash.set(sc.hash, t);
    this.size++;
  }
}

/** FNV-1a of every character of the line but its slot words (each a mark). */
function textHash(raw: string, sc: Scan): number {
  let h = 0x811c9dc5;
  let at = 0;
  for (let k = 0; k <= sc.count; k++) {
    const end = k < sc.count ? sc.s[k] : raw.length;
    for (let i = at; i < end; i++) h = Math.imul(h ^ raw.charCodeAt(i), 16777619);
    if (k < sc.count) {
      h = Math.imul(h ^ (256 + sc.hint[k]), 16777619);
      at = sc.e[k];
    }
  }
  return h & 0x3fffffff;
}

function chainLength(t: LineTemplate | null): number {
  let n = 0;
  for (; t; t = t.next) n++;
  return n;
}

/** scratch of get(): per slot its canonical text (when not verbatim), whether it is the word itself, and slotNumber */
const VALS: string[] = new Array<string>(MAX_SLOTS).fill('');
const VERB: boolean[] = new Array<boolean>(MAX_SLOTS).fill(false);
const NUMS = new Float64Array(MAX_SLOTS);

/** The line's text before, between and after the scan's slot words. */
function piecesOf(raw: string, sc: Scan): string[] {
  const out: string[] = [];
  let at = 0;
  for (let k = 0; k < sc.count; k++) {
    out.push(raw.slice(at, sc.s[k]));
    at = sc.e[k];
  }
  out.push(raw.slice(at));
  return out;
}

/** What learnSlots found: LineTemplate's canon, order, kinds, fixed, inv, limit and verbatim. */
interface Learnt {
  canon: string[];
  order: number[];
  kinds: number[];
  fixed: (string | null)[];
  inv: boolean[];
  verbatim: boolean;
  limit: LineTemplate['limit'];
}

const RECORD: ValueWords = { words: [], srcWord: -1, dstWord: -1 };

/** learnValues' work: the slots' kinds and their places in the canonical line, or null. */
function learnSlots(raw: string, words: string[], n: number, ipv6: boolean, r: Rule, sc: Scan, canonOf: CanonOf): Learnt | null {
  const line = canonOf(words, n, RECORD);
  if (line === null) return null;
  const count = sc.count;
  const kinds: number[] = [];
  const inv: boolean[] = [];
  for (let k = 0; k < count; k++) {
    const w = sc.word[k];
    if (w >= n || words[w] !== raw.slice(sc.s[k], sc.e[k])) return null;
    const hint = sc.hint[k];
    if (hint !== 3) {
      // the parser took the word for -s / -d's value, and the rule has it as one network
      const a = (hint === 1 ? r.src : r.dst) as AddressSpec | null;
      if ((hint === 1 ? RECORD.srcWord : RECORD.dstWord) !== w || !isNet(a)) return null;
      kinds.push(Slot.NET);
      inv.push(a!.invert);
      continue;
    }
    let key: string | null = null;
    const rec = RECORD.words;
    for (let j = 0; j < rec.length; j += 2) if (rec[j] === w) key = rec[j + 1] as string;
    // a value of another option, or one not read here (a service name): the template keeps the word
    const kind = key === null ? 0 : kindOf(key, words[w], ipv6);
    kinds.push(kind !== 0 && valueText(kind, false, words[w], 0, words[w].length, ipv6) !== null ? kind : 0);
    inv.push(false);
  }
  const fixed = kinds.map((kind, k) => (kind === 0 ? raw.slice(sc.s[k], sc.e[k]) : null));
  const limit = limitOf(r, kinds);
  if (limit === undefined) return null;
  // each slot's value and its place in the line
  const at: number[] = [];
  const len: number[] = [];
  for (let k = 0; k < count; k++) {
    at.push(-1);
    len.push(0);
    if (kinds[k] === 0) continue;
    const v = valueText(kinds[k], inv[k], raw, sc.s[k], sc.e[k], ipv6);
    if (v === null) return null;
    const w = sc.word[k];
    const was = words[w];
    let probe: string | null = null;
    for (const p of probesOf(kinds[k], ipv6)) {
      const pv = valueText(kinds[k], inv[k], p, 0, p.length, ipv6);
      if (pv !== null && pv[0] !== v[0] && pv[pv.length - 1] !== v[v.length - 1]) {
        probe = pv;
        words[w] = p;
        break;
      }
    }
    const other = probe === null ? null : canonOf(words, n, null);
    words[w] = was;
    if (other === null || probe === null) return null;
    const place = placeOf(line, other, v, probe);
    if (place < 0) return null;
    at[k] = place;
    len[k] = v.length;
  }
  const order = at.map((_, k) => k).filter((k) => kinds[k] !== 0).sort((a, b) => at[a] - at[b]);
  const canon: string[] = [];
  let pos = 0;
  for (const k of order) {
    if (at[k] < pos) return null; // two slots in one place
    canon.push(line.slice(pos, at[k]));
    pos = at[k] + len[k];
  }
  canon.push(line.slice(pos));
  // the line is its own canonical text, each value where it is: so is every line of it whose values are
  let verbatim = line === raw;
  for (const k of order) verbatim &&= at[k] === sc.s[k];
  return { canon, order, kinds, fixed, inv, limit, verbatim };
}

/** The one place where `a` has value va and `b` has vb, all else equal; -1 when they differ otherwise. */
function placeOf(a: string, b: string, va: string, vb: string): number {
  if (a.length - va.length !== b.length - vb.length) return -1;
  let p = 0;
  const max = Math.min(a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  if (!a.startsWith(va, p) || !b.startsWith(vb, p)) return -1;
  return a.slice(p + va.length) === b.slice(p + vb.length) ? p : -1;
}

/** The canonical text of a slot value, or null when not read here. */
function valueText(kind: number, invert: boolean, s: string, i: number, end: number, ipv6: boolean): string | null {
  if (kind === Slot.NET) return net(s, i, end, ipv6, invert) ? (netVerbatim ? s.slice(i, end) : netText) : null;
  return slotValue(kind, s, i, end) ? (slotVerbatim ? s.slice(i, end) : slotText) : null;
}

function probesOf(kind: number, ipv6: boolean): readonly string[] {
  // ending in other digits than /32 and /128
  if (kind === Slot.NET) return ipv6 ? ['9::8', 'a::/16', '8::/64'] : ['9.9.9.8', '8.8.0.0/16', '7.0.0.0/8', '9.9.9.0/24'];
  return PROBES[kind];
}

/**
 * A template with a limit's rate or burst in a slot: the rule's one -m limit
 * (its learnt values for a fixed one); null without such slots, undefined when
 * it is not one match.
 */
function limitOf(r: Rule, kinds: number[]): LineTemplate['limit'] | undefined {
  const rateAt = kinds.indexOf(Slot.LIMIT);
  const burstAt = kinds.indexOf(Slot.BURST);
  if (rateAt < 0 && burstAt < 0) return null;
  if (kinds.lastIndexOf(Slot.LIMIT) !== rateAt || kinds.lastIndexOf(Slot.BURST) !== burstAt) return undefined;
  const ms = r.matches.filter((m) => m.name === 'limit');
  if (ms.length !== 1) return undefined;
  const st = ms[0].state as { avg: number; burst: number };
  return { rateAt, burstAt, avg: st.avg, burst: st.burst };
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
 * The line is t's text around a word at each of its slots: this sets the scan
 * as scanLine would if the words are what it takes for slots. They are not
 * looked at here: make() reads each (net() and slotValue() take no word that
 * scanLine would not take for a slot: netLike, valueLike), and a word it does
 * not take sends the line to get()'s scanLine.
 */
function around(t: LineTemplate, s: string, from: number, to: number, sc: Scan): boolean {
  const raw = t.raw;
  const hints = t.hints;
  const n = hints.length;
  const cut = from + t.cut;
  if (t.cut > 0 && (cut >= to || s.charCodeAt(cut) !== 32 || s.charCodeAt(cut - 1) !== t.cutCode)) return false;
  if (!s.startsWith(raw[0], from)) return false;
  let p = from + raw[0].length;
  for (let k = 0; k < n; k++) {
    // the word's end: a string search (an IPv6 word is ~40 characters), not past the line
    let e = s.indexOf(' ', p);
    if (e < 0 || e > to) e = to;
    if (e === p) return false;
    sc.s[k] = p - from;
    sc.e[k] = e - from;
    const piece = raw[k + 1];
    if (k === n - 1 ? to - e !== piece.length : e + piece.length >= to) return false;
    if (!s.startsWith(piece, e)) return false;
    p = e + piece.length;
  }
  sc.count = n;
  for (let k = 0; k < n; k++) sc.hint[k] = hints[k];
  return true;
}

function sameShape(t: LineTemplate, text: string, from: number, to: number, sc: Scan): boolean {
  const raw = t.raw;
  const n = sc.count;
  if (raw.length !== n + 1) return false;
  const hints = t.hints;
  if (raw[0].length !== sc.s[0] || raw[n].length !== to - from - sc.e[n - 1]) return false;
  for (let k = 0; k < n; k++) {
    if (hints[k] !== sc.hint[k]) return false;
    if (k > 0 && raw[k].length !== sc.s[k] - sc.e[k - 1]) return false;
  }
  if (!text.startsWith(raw[0], from)) return false;
  for (let k = 0; k < n; k++) if (!text.startsWith(raw[k + 1], from + sc.e[k])) return false;
  return true;
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
 * A word scanLine takes for an option's value: not an option, not `!`, none
 * of the characters that send the line the long way.
 */
function valueLike(s: string, i: number, end: number): boolean {
  if (i === end) return false;
  const c = s.charCodeAt(i);
  if (c === 45 || (c === 33 && end - i === 1)) return false;
  for (let k = i; k < end; k++) {
    const x = s.charCodeAt(k);
    if (x === 34 || x === 39 || x === 9 || x === 13 || x === 0 || x === 92) return false;
  }
  return true;
}

/**
 * Options whose value word is a slot (its kind is what the parser takes it
 * for: slot-values.ts' kindOf; a value of an option that is none of those
 * makes no template).
 */
const VALUE_OPTIONS = ['--dport', '--sport', '--limit', '--limit-burst', '--to-destination', '--to-source', '--src-range', '--dst-range'];
const VALUE_OPTIONS_BY_LENGTH: (string[] | undefined)[] = [];
for (const o of VALUE_OPTIONS) (VALUE_OPTIONS_BY_LENGTH[o.length] ??= []).push(o);

/** 3 for a word of VALUE_OPTIONS (compared in place: a slice per word was most of the scan's garbage) */
function valueOption(raw: string, i: number, end: number): number {
  const len = end - i;
  if (len < 6 || len > 16 || raw.charCodeAt(i + 1) !== 45 || raw.charCodeAt(i) !== 45) return 0;
  const byLen = VALUE_OPTIONS_BY_LENGTH[len];
  if (byLen) for (let k = 0; k < byLen.length; k++) if (raw.startsWith(byLen[k], i)) return 3;
  return 0;
}

/**
 * The line's slot words: -s/-d networks as slotsOf finds them, and the values
 * of VALUE_OPTIONS (offsets from `from`), and a hash of the rest: of each
 * other word its length and first, middle and last characters (FNV-1a; find()
 * compares the whole text, the hash only has to spread the templates). False
 * for a line without one, with more than MAX_SLOTS, or with a quote, tab, CR
 * or NUL (tokenize.ts reads those; the reader cleans CR and NUL first).
 */
function scanLine(s: string, from: number, to: number, ipv6: boolean, sc: Scan): boolean {
  let h = 0x811c9dc5;
  let prev = 0;
  let count = 0;
  let values = 0;
  let src = false;
  let dst = false;
  let word = 0;
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
    if (prev !== 0 && (prev === 3 ? valueLike(s, start, i) : netLike(s, start, i, ipv6))) {
      if (prev === 1) {
        // a second -s or -d: no template (as slotsOf)
        if (src) return false;
        src = true;
      } else if (prev === 2) {
        if (dst) return false;
        dst = true;
      } else values++;
      if (count === MAX_SLOTS) return false;
      sc.s[count] = start - from;
      sc.e[count] = i - from;
      sc.hint[count] = prev;
      sc.word[count] = word;
      count++;
      h = Math.imul(h ^ prev, 16777619);
      prev = 0;
    } else {
      h = Math.imul(h ^ (i - start), 16777619);
      h = Math.imul(h ^ s.charCodeAt(start), 16777619);
      h = Math.imul(h ^ s.charCodeAt((start + i) >> 1), 16777619);
      h = Math.imul(h ^ s.charCodeAt(i - 1), 16777619);
      prev = addressOption(s, start, i) || valueOption(s, start, i);
    }
    word++;
  }
  if (count === 0) return false;
  sc.count = count;
  sc.values = values;
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
    netText = charsOf(n);
  }
  return true;
}

/** the groups of the last address parseGroups6 read, and the characters formatGroups6 made */
const G6 = new Uint16Array(8);
const C6 = new Uint8Array(64);
/** per length, an array to make a string of (a shorter array's length set on C6 trimmed and grew its store each line) */
const C6_BY_LENGTH: number[][] = [];

/** the string of C6's first n characters */
function charsOf(n: number): string {
  const a = (C6_BY_LENGTH[n] ??= new Array<number>(n).fill(0));
  for (let k = 0; k < n; k++) a[k] = C6[k];
  return String.fromCharCode.apply(null, a);
}

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
      const v4 = pton4(s, curtok, end);
      if (v4 < 0) return false;
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

/** inetPton4 of s[i, end) in place, or -1: the form is slot-values' ipv4End (one rule for what a dotted quad is), the value read after. */
function pton4(s: string, i: number, end: number): number {
  if (ipv4End(s, i, end) !== end) return -1;
  let v = 0;
  let o = 0;
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === 46) {
      v = v * 256 + o;
      o = 0;
    } else o = o * 10 + c - 48;
  }
  return v * 256 + o;
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
