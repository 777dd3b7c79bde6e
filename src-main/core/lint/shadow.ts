// shadowed-rule and redundant-rule: a rule no packet can reach because earlier
// rules that end the chain's walk already take every packet it matches. The
// proof is box algebra over the rule's packet space (analysis/space.ts):
// subtract each earlier deciding rule; nothing left means unreachable.
// Earlier rules are indexed by address block and port so a 100,000-rule chain
// is not compared pair by pair. Conservative by construction: a rule with a
// match we cannot model, or one that depends on history (limit, statistic),
// never covers another; when the analysis would grow too large it gives up and
// claims nothing.
import type { Chain, Table } from '../model.js';
import { boxDiff, DIM, size, type Box, type Dims, type IntervalSet } from '../analysis/space.js';
import { verdictOf, type LintContext } from './context.js';
import { PosLists } from './pos-lists.js';

interface Cover {
  pos: number;
  boxes: Box[];
  label: string;
}

/** Most boxes kept while subtracting before we give up on a rule. */
const MAX_PIECES = 64;
/**
 * Most intervals a piece's set may have before we give up on a rule: without
 * it, a rule without ports minus a thousand earlier port-range rules keeps one
 * piece whose port set grows by an interval per rule, and each subtraction
 * copies it (ufw's port ranges: quadratic, minutes at 50,000 rules).
 */
const MAX_INTERVALS = 128;
/**
 * Most dimensions a piece may constrain before we give up on a rule: each
 * earlier rule with a match we do not model (its own yes/no dimension, e.g.
 * neutron's -m physdev per port) leaves the piece one more "not this", and
 * each subtraction copies it (quadratic at 20,000 rules).
 */
const MAX_DIMS = 48;
/** Most earlier rules tried per rule before we give up on it. */
const MAX_CANDIDATES = 2000;
const LEVELS = [32, 24, 16, 8];
/** A port/type set with at most this many values is indexed value by value. */
const MAX_VALUES = 64;
const VALUE_DIMS = [DIM.sport, DIM.dport, DIM.icmp, DIM.inIface, DIM.outIface];

/** Bits shifted off an address for the block of each level of LEVELS. */
const SHIFTS = LEVELS.map((l) => 32 - l);

/**
 * The block of an address (0 … 2^32 − 1) at level LEVELS[k]: integer shifts,
 * not a division by a power; a /32's key as a signed 32-bit number (a small
 * integer, not a boxed double).
 */
function blockOf(addr: number, k: number): number {
  return k === 0 ? addr | 0 : addr >>> SHIFTS[k];
}

function values(d: number, s: IntervalSet, limit: number): number[] | null {
  if (d === DIM.icmp) {
    // ICMP is filed by type (type × 256 + code): a type with any code; the
    // intervals ascend, so each type once is each one above the last (no Set per rule)
    const types: number[] = [];
    for (let i = 0; i < s.length; i += 2) {
      if ((s[i + 1] >> 8) - (s[i] >> 8) > limit) return null;
      for (let t = s[i] >> 8; t <= s[i + 1] >> 8; t++) if (types.length === 0 || t > types[types.length - 1]) types.push(t);
    }
    return types.length > limit ? null : types;
  }
  if (size(s) > limit) return null;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) for (let v = s[i]; v <= s[i + 1]; v++) out.push(v);
  return out;
}

/** A hash of the box's contents that does not depend on the order its dimensions were set in. */
function boxHash(b: Box): number {
  let h = b.size;
  for (let j = 0; j < b.size; j++) {
    const d = b.dimAt(j);
    const s = b.setAt(j);
    let x = Math.imul(d + 1, 0x9e3779b1) ^ s.length;
    for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s[i], 0x85ebca6b) + i;
    h = (h + (x ^ (x >>> 15))) | 0;
  }
  return h;
}

function sameBox(a: Box, b: Box): boolean {
  if (a.size !== b.size) return false;
  for (let j = 0; j < a.size; j++) {
    const s = a.setAt(j);
    const t = b.get(a.dimAt(j));
    if (!t || t.length !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (s[i] !== t[i]) return false;
  }
  return true;
}

/** The level an address set is filed under: the narrowest block that holds it whole. */
function levelOf(s: IntervalSet): number {
  for (let k = 0; k < LEVELS.length; k++) if (blockOf(s[0], k) === blockOf(s[1], k)) return k;
  return -1;
}

/** general covers' positions with the bounds of their destination ports */
interface GeneralList { pos: number[]; lo: number[]; hi: number[] }

/** the lowest and highest destination port of the boxes (0 and 65535 for a box without) */
function portBounds(boxes: Box[]): [number, number] {
  let lo = 65535;
  let hi = 0;
  for (const b of boxes) {
    const s = b.get(DIM.dport);
    if (!s) return [0, 65535];
    if (s.length === 0) continue;
    lo = Math.min(lo, s[0]);
    hi = Math.max(hi, s[s.length - 1]);
  }
  return lo > hi ? [0, 65535] : [lo, hi];
}

/** the one protocol number every box has, else -1 */
function protoOf(boxes: Box[]): number {
  let p = -1;
  for (const b of boxes) {
    const s = b.get(DIM.proto);
    if (!s || s.length !== 2 || s[0] !== s[1] || (p >= 0 && p !== s[0])) return -1;
    p = s[0];
  }
  return p;
}

/**
 * Per position of the chain being checked: the last candidates() call that
 * collected it (dedupes without a Set). One array for every chain, as the
 * chains are checked one at a time; a stamp is never used twice, so what an
 * earlier chain left in it never matches.
 */
let stamps = new Int32Array(1024);
let lastStamp = 0;
/**
 * Per position: the last candidates() call that counted it (stamps: that
 * collected it). A cover filed under an address block that does not meet the
 * rule's interval there is counted, as before, but not collected: its space
 * is not built again, and it could not take anything from the rule.
 */
let seen = new Int32Array(1024);
/**
 * Per position of a cover filed under an address block: the interval of that
 * address (the only one of its box in that dimension; an address dimension's
 * numbers fit 32 bits, IPv6 ones being Addr6Classes' numbers). Written by
 * add(), read for the covers of the same chain only.
 */
let filedLo = new Uint32Array(1024);
let filedHi = new Uint32Array(1024);

/**
 * Earlier deciding rules, each filed under ONE narrow dimension: its address
 * block, or each value of a small port / ICMP type / interface set. A rule
 * that covers another alone must contain every value of it in that
 * dimension, so looking up the rarest of the later rule's values finds it;
 * rules with no narrow dimension are "general" and always tried. Unions of
 * many narrow rules that cover a broad one are not searched (conservative).
 * Keys are numbers (one PosLists per dimension and level, over typed
 * arrays), so filing and looking up allocate nothing on the JS heap.
 *
 * The maps hold rule positions, not objects: a cover whose space the context
 * rebuilds on request (an address-only rule, `cheap`) is kept as its position
 * alone and made into a Cover again when a later rule looks it up — a
 * 70,000-rule blocklist keeps two numbers per rule, not its boxes.
 */
class CoverIndex {
  /** [src, dst] × LEVELS: block number → covers */
  // (every map made on first use: kube-proxy files have 20,000 chains of a rule or two)
  private blocks: Array<PosLists | undefined> = [];
  /** per VALUE_DIMS entry: value → covers */
  private byValue: Array<PosLists | undefined> = [];
  private general: number[] = [];
  /**
   * The general covers again, split by protocol: those whose every box is of
   * one protocol (by its number), and the rest. A rule of one protocol meets
   * only the first kind of its own protocol and the rest; the others cannot
   * take anything from it, so they are left out, but counted as before
   * (the limits below say the same as with every general cover tried).
   * Likewise a cover whose destination ports lie outside the rule's.
   */
  private generalByProto = new Map<number, GeneralList>();
  /** generalByProto's lists in an array (walked per rule without an iterator) */
  private generalLists: GeneralList[] = [];
  private generalAnyProto: GeneralList = { pos: [], lo: [], hi: [] };
  /** general covers counted since begin() */
  private generalPushed = 0;
  /** positions counted since begin() (collected or left out as not meeting the rule) */
  private seenCount = 0;
  /** whether candidates() ran since begin() (every general cover counted once) */
  private counted = false;
  /** single-box covers by boxHash, for exact twins */
  private exact: PosLists | undefined;
  /** the covers that are not rebuilt on request, by position (dense: a far index would make it a dictionary) */
  private held: Array<Cover | undefined> = [];
  private stamp = 0;
  /** the lists one candidates() call looks at, as index and slot (reused: no array per rule) */
  private listMaps: PosLists[] = [];
  private listSlots: number[] = [];
  /** per list: the address dimension of its block (0 src, 1 dst), -1 for a list of values */
  private listAddrs: number[] = [];

  constructor(private readonly ctx: LintContext, private readonly t: Table, private readonly c: Chain) {
    if (stamps.length < c.rules.length) {
      const n = Math.max(c.rules.length, 2 * stamps.length);
      stamps = new Int32Array(n);
      seen = new Int32Array(n);
      filedLo = new Uint32Array(n);
      filedHi = new Uint32Array(n);
    }
  }

  /** The cover at a position (filed earlier). */
  private cover(pos: number): Cover {
    const held = this.held[pos];
    if (held) return held;
    const { ctx, t, c } = this;
    return { pos, boxes: ctx.space(c, pos).boxes, label: ctx.label(t, c, pos)! };
  }

  /**
   * The address bucket a one-box space is filed under: index into blocks
   * (dimension × level) × LEVELS.length + level, and its key; -1 when none.
   */
  static blockSlot(b: Box): number {
    for (let a = 0; a < 2; a++) {
      const s = b.get(a === 0 ? DIM.src : DIM.dst);
      if (!s || s.length !== 2) continue;
      const k = levelOf(s);
      if (k >= 0) return a * LEVELS.length + k;
    }
    return -1;
  }

  private static blockKey(b: Box, slot: number): number {
    const k = slot % LEVELS.length;
    return blockOf(b.get(slot < LEVELS.length ? DIM.src : DIM.dst)![0], k);
  }

  /**
   * Files a cover; `hash` is boxHash of its box when it has one box; `cheap`:
   * its space is rebuilt on request. A cheap cover filed under a single
   * address (a /32) is not put in the twins' map: its bucket holds exactly the
   * covers of that address, where same() looks as well. `twin`: same() found
   * one for its box (asked before it is filed), `slot`: blockSlot of its box.
   */
  add(pos: number, boxes: Box[], label: string, hash: number, cheap: boolean, twin: boolean, slot: number): void {
    // a cheap cover is its position alone unless it is general (no Cover object per blocklist rule)
    const c = cheap ? null : { pos, boxes, label };
    if (c) this.hold(c);
    const b = boxes.length === 1 ? boxes[0] : null;
    if (b) {
      if (!(cheap && slot >= 0 && slot % LEVELS.length === 0) && !twin) (this.exact ??= new PosLists()).add(hash, pos);
      if (slot >= 0) {
        const m = (this.blocks[slot] ??= new PosLists(true));
        const a = b.get(slot < LEVELS.length ? DIM.src : DIM.dst)!;
        m.widen(m.add(CoverIndex.blockKey(b, slot), pos), a[0], a[1]);
        filedLo[pos] = a[0];
        filedHi[pos] = a[1];
        return;
      }
      let bestK = -1;
      let bestVals: number[] | null = null;
      for (let k = 0; k < VALUE_DIMS.length; k++) {
        const s = b.get(VALUE_DIMS[k]);
        if (!s) continue;
        const vals = values(VALUE_DIMS[k], s, MAX_VALUES);
        if (vals && (!bestVals || vals.length < bestVals.length)) { bestK = k; bestVals = vals; }
      }
      if (bestVals) {
        const m = (this.byValue[bestK] ??= new PosLists());
        for (const v of bestVals) m.add(v, pos);
        return;
      }
    }
    // tried by every later rule: kept as an object
    if (!c) this.hold({ pos, boxes, label });
    this.general.push(pos);
    const p = protoOf(boxes);
    let l = p < 0 ? this.generalAnyProto : this.generalByProto.get(p);
    if (!l) {
      this.generalByProto.set(p, (l = { pos: [], lo: [], hi: [] }));
      this.generalLists.push(l);
    }
    const [lo, hi] = portBounds(boxes);
    l.pos.push(pos);
    l.lo.push(lo);
    l.hi.push(hi);
  }

  private hold(c: Cover): void {
    const held = this.held;
    while (held.length < c.pos) held.push(undefined);
    held[c.pos] = c;
  }

  /** Collects the general covers that can meet `b` (its protocol, its destination ports); returns how many. */
  private collectGeneral(b: Box, into: Cover[]): number {
    if (this.general.length === 0) return 0;
    const before = this.seenCount;
    const s = b.get(DIM.proto);
    // portBounds([b]) without its arrays (asked once per rule)
    const d = b.get(DIM.dport);
    const lo = d && d.length ? d[0] : 0;
    const hi = d && d.length ? d[d.length - 1] : 65535;
    this.scan(this.generalAnyProto, lo, hi, into);
    if (!s || s.length !== 2 || s[0] !== s[1]) {
      const lists = this.generalLists;
      for (let i = 0; i < lists.length; i++) this.scan(lists[i], lo, hi, into);
    } else {
      const own = this.generalByProto.get(s[0]);
      if (own) this.scan(own, lo, hi, into);
    }
    return this.seenCount - before;
  }

  private scan(l: GeneralList, lo: number, hi: number, into: Cover[]): void {
    for (let i = 0; i < l.pos.length; i++) if (l.lo[i] <= hi && l.hi[i] >= lo) this.collect(l.pos[i], into);
  }

  /** How many covers `into` holds, counted as if every general cover were in it (each once per begin()). */
  private intoCount(): number {
    return this.seenCount - this.generalPushed + (this.counted ? this.general.length : 0);
  }

  /** The first earlier rule with exactly the same packets (`hash`: the box's boxHash, `slot`: its blockSlot), if any. */
  same(b: Box, hash: number, slot: number): Cover | undefined {
    const exact = this.exact;
    let found = exact ? this.firstSame(exact, exact.find(hash), b, Infinity) : undefined;
    // the cheap /32 covers are in their address's list only (see add)
    const m = slot >= 0 && slot % LEVELS.length === 0 ? this.blocks[slot] : undefined;
    if (m) {
      const there = this.firstSame(m, m.find(CoverIndex.blockKey(b, slot)), b, found ? found.pos : Infinity);
      if (there) found = there;
    }
    return found;
  }

  /** The first cover of the list (ascending positions) before `before` whose one box is b's twin. */
  private firstSame(m: PosLists, slot: number, b: Box, before: number): Cover | undefined {
    for (let e = m.firstEntry(slot); e >= 0; e = m.nextEntry(e)) {
      const p = m.posAt(e);
      if (p >= before) return undefined;
      const c = this.cover(p);
      if (c.boxes.length === 1 && sameBox(c.boxes[0], b)) return c;
    }
    return undefined;
  }

  /** Starts a candidate collection for one rule. */
  begin(): void {
    this.stamp = ++lastStamp;
    this.generalPushed = 0;
    this.seenCount = 0;
    this.counted = false;
  }

  /**
   * Adds the earlier rules worth trying against the box to `into` (each once
   * per begin()); false when there are too many. `only`: the box is the
   * rule's only one (this is the one call since begin()).
   */
  candidates(b: Box, into: Cover[], only: boolean): boolean {
    const maps = this.listMaps;
    const slots = this.listSlots;
    const addrs = this.listAddrs;
    // the lists are the arrays' first n entries (no length set per rule: a call into the runtime)
    let n = 0;
    const src = b.get(DIM.src);
    const dst = b.get(DIM.dst);
    for (let a = 0; a < 2; a++) {
      const s = a === 0 ? src : dst;
      if (!s || s.length !== 2) continue;
      for (let k = 0; k < LEVELS.length; k++) {
        const block = blockOf(s[0], k);
        if (block !== blockOf(s[1], k)) continue;
        const m = this.blocks[a * LEVELS.length + k];
        const hit = m ? m.find(block) : -1;
        if (hit >= 0) { maps[n] = m!; slots[n] = hit; addrs[n] = a; n++; }
      }
    }
    for (let k = 0; k < VALUE_DIMS.length; k++) {
      const d = VALUE_DIMS[k];
      // no cover filed under this dimension: every value's list is empty
      const byValue = this.byValue[k];
      if (!byValue) continue;
      const s = b.get(d);
      if (!s) continue;
      const vals = values(d, s, MAX_VALUES);
      if (!vals) continue;
      // every value must be covered: the rarest one's list holds every rule that could cover it alone
      let rarest = -1;
      let rarestCount = 0;
      let total = 0;
      const from = n;
      for (let i = 0; i < vals.length; i++) {
        const hit = byValue.find(vals[i]);
        const count = byValue.count(hit);
        if (hit >= 0) { maps[n] = byValue; slots[n] = hit; addrs[n] = -1; n++; }
        total += count;
        if (i === 0 || count < rarestCount) { rarest = hit; rarestCount = count; }
      }
      if (total > MAX_CANDIDATES && n > from) {
        n = from;
        if (rarest >= 0) { maps[n] = byValue; slots[n] = rarest; addrs[n] = -1; n++; }
      }
    }
    let listed = this.general.length;
    for (let i = 0; i < n; i++) listed += maps[i].count(slots[i]);
    if (listed + this.intoCount() > MAX_CANDIDATES * 2) return false;
    // the general covers alone make too many: false, as it would be after collecting them
    if (!this.counted && this.intoCount() + this.general.length > MAX_CANDIDATES) return false;
    this.generalPushed += this.collectGeneral(b, into);
    this.counted = true;
    for (let i = 0; i < n; i++) {
      const m = maps[i];
      // a list of an address block: the rule's interval there, which a cover of the list must meet
      const filed = addrs[i] === 0 ? src! : addrs[i] === 1 ? dst! : null;
      if (filed && only && !m.mayMeet(slots[i], filed[0], filed[1])) {
        // none of them meets the rule: counted without a walk (a cover is in one list only, and this
        // is the rule's one call, so none of them was counted before)
        this.seenCount += m.count(slots[i]);
        continue;
      }
      for (let e = m.firstEntry(slots[i]); e >= 0; e = m.nextEntry(e)) {
        const p = m.posAt(e);
        if (filed && (filedLo[p] > filed[1] || filedHi[p] < filed[0])) this.count(p);
        else this.collect(p, into);
      }
    }
    // (the lists' objects stay in the arrays until overwritten: the index's own, alive as long as it is)
    return this.intoCount() <= MAX_CANDIDATES;
  }

  /** Counts a position once per begin(). */
  private count(pos: number): void {
    if (seen[pos] === this.stamp) return;
    seen[pos] = this.stamp;
    this.seenCount++;
  }

  private collect(pos: number, into: Cover[]): void {
    this.count(pos);
    if (stamps[pos] === this.stamp) return;
    stamps[pos] = this.stamp;
    into.push(this.cover(pos));
  }
}

export function checkShadows(ctx: LintContext, t: Table, c: Chain): void {
  const index = new CoverIndex(ctx, t, c);
  const { dims } = ctx.env;
  const cands: Cover[] = [];
  for (let pos = 0; pos < c.rules.length; pos++) {
    const sp = ctx.space(c, pos);
    const label = ctx.label(t, c, pos);
    const one = sp.boxes.length === 1;
    const hash = one ? boxHash(sp.boxes[0]) : 0;
    const slot = one ? CoverIndex.blockSlot(sp.boxes[0]) : -1;
    const twin = one ? index.same(sp.boxes[0], hash, slot) : undefined;
    if (twin) {
      report(ctx, t, c, pos, label, [twin]);
    } else if (sp.boxes.length > 0) {
      if (cands.length) cands.length = 0;
      index.begin();
      let ok = true;
      for (const b of sp.boxes) ok = ok && index.candidates(b, cands, one);
      if (ok && cands.length > 0 && cornersCovered(sp.boxes, cands)) {
        const ordered = cands.length > 1 ? cands.sort((a, b) => a.pos - b.pos) : cands;
        let rest: Box[] = sp.boxes;
        const used: Cover[] = [];
        let gaveUp = false;
        for (const cov of ordered) {
          let changed = false;
          for (const eb of cov.boxes) {
            const next = subtractBox(rest, eb, dims);
            if (!next) { gaveUp = true; break; }
            if (next !== rest) changed = true;
            rest = next;
          }
          if (gaveUp) break;
          if (changed) used.push(cov);
          if (rest.length === 0) break;
          if (rest.length > MAX_PIECES) { gaveUp = true; break; }
        }
        if (!gaveUp && rest.length === 0) report(ctx, t, c, pos, label, minimal(used, sp.boxes, ctx));
      }
    }
    if (label && sp.exact && !sp.chance) index.add(pos, sp.boxes, label, hash, sp.cheap === true, twin !== undefined, slot);
  }
}

/**
 * The pieces of `rest` outside `eb`: `rest` itself (no new array) when `eb`
 * takes nothing from it, as it does for most earlier rules tried; null when a
 * piece's set has grown past MAX_INTERVALS or its dimensions past MAX_DIMS (give up).
 */
function subtractBox(rest: Box[], eb: Box, dims: Dims): Box[] | null {
  let next: Box[] | null = null;
  for (let i = 0; i < rest.length; i++) {
    const rb = rest[i];
    const d = boxDiff(rb, eb, dims);
    if (d.length === 1 && d[0] === rb) {
      if (next) next.push(rb);
      continue;
    }
    next ??= rest.slice(0, i);
    for (const x of d) {
      // only the dimensions eb constrains changed
      if (x.size > MAX_DIMS) return null;
      for (let k = 0; k < eb.size; k++) if ((x.get(eb.dimAt(k))?.length ?? 0) > 2 * MAX_INTERVALS) return null;
      next.push(x);
    }
  }
  return next ?? rest;
}

/**
 * A necessary condition for the covers to take every packet of the boxes,
 * tested without building anything: each box's lowest corner (every
 * dimension at its smallest value) lies in some cover's box. When it does not,
 * subtracting the covers would leave that packet, and no finding follows:
 * most rules with candidates (every INPUT rule and an early ESTABLISHED
 * accept) are settled here without a subtraction.
 */
function cornersCovered(boxes: Box[], covers: Cover[]): boolean {
  for (const b of boxes) {
    let hit = false;
    for (let i = 0; i < covers.length && !hit; i++) {
      const eb = covers[i].boxes;
      for (let j = 0; j < eb.length && !hit; j++) hit = holdsCorner(eb[j], b);
    }
    if (!hit) return false;
  }
  return true;
}

/** Whether box e holds b's lowest corner. */
function holdsCorner(e: Box, b: Box): boolean {
  for (let k = 0; k < e.size; k++) {
    const s = b.get(e.dimAt(k));
    const v = s ? s[0] : 0;
    const es = e.setAt(k);
    let inside = false;
    for (let i = 0; i < es.length && !inside; i += 2) inside = v >= es[i] && v <= es[i + 1];
    if (!inside) return false;
  }
  return true;
}

function coveredBy(covers: Cover[], boxes: Box[], ctx: LintContext): boolean {
  let rest = boxes;
  for (const cov of covers) {
    for (const eb of cov.boxes) rest = rest.flatMap((rb) => boxDiff(rb, eb, ctx.env.dims));
    if (rest.length === 0) return true;
    if (rest.length > MAX_PIECES) return false;
  }
  return rest.length === 0;
}

/** Drops covers the proof does not need, so the message names the rules that matter. */
function minimal(used: Cover[], boxes: Box[], ctx: LintContext): Cover[] {
  if (used.length > 8) return used;
  let keep = used;
  for (const u of used) {
    const without = keep.filter((x) => x !== u);
    if (without.length && coveredBy(without, boxes, ctx)) keep = without;
  }
  return keep;
}

function report(ctx: LintContext, t: Table, c: Chain, pos: number, label: string | null, used: Cover[]): void {
  const refs = used.map((u) => `#${u.pos + 1}`);
  const who = refs.length === 1 ? `rule ${refs[0]}` : `rules ${refs.slice(0, -1).join(', ')} and ${refs[refs.length - 1]}`;
  const verdicts = [...new Set(used.map((u) => u.label))];
  const body = ctx.body(c, pos);
  if (label && verdicts.every((v) => verdictOf(v) === verdictOf(label))) {
    ctx.report('info', 'redundant-rule', t, c, pos,
      `rule #${pos + 1} (${body}) changes nothing: every packet it matches already gets ${verdictOf(label)} from ${who}`,
      'delete it');
    return;
  }
  const what = verdicts.length === 1 ? verdicts[0] : verdicts.join(' / ');
  ctx.report('warning', 'shadowed-rule', t, c, pos,
    `rule #${pos + 1} (${body}) can never match: every packet it would match is already taken by ${who} (${what})`,
    `move it above ${refs[0]} if it should apply, or delete it`);
}

/** Rules at the end of a builtin chain that do what the policy would do anyway. */
export function checkTrailingPolicy(ctx: LintContext, t: Table, c: Chain): void {
  if (!c.builtin || !c.policy) return;
  for (let pos = c.rules.length - 1; pos >= 0; pos--) {
    const label = ctx.label(t, c, pos);
    const sp = ctx.space(c, pos);
    if (label !== c.policy || sp.chance) return;
    ctx.report('info', 'redundant-rule', t, c, pos,
      `rule #${pos + 1} (${ctx.body(c, pos)}) changes nothing: the chain's policy is ${c.policy} already`,
      'delete it (the policy does the same), unless you mean to change the policy');
  }
}
