// The packets a rule matches, as boxes (see space.ts). `exact` is false when a
// part of the rule could not be expressed (history matches like limit, or
// values we cannot read): the boxes are then a superset of what the rule
// matches — fine for "is this rule covered", never used to cover another rule.
import type { Rule } from '../model.js';
import { formatNet6 } from '../values.js';
import type { Addr6Classes } from './addr6.js';
import { saveMatch } from '../canonical.js';
import { findMatch, isChanceMatch } from '../extensions/registry.js';
import type { SpaceConstraint } from '../extensions/types.js';
import { Box, DIM, Dims, IfaceClasses, complement, constrain, isEmptyBox, iv, type IntervalSet } from './space.js';

export interface RuleSpace {
  boxes: Box[];
  exact: boolean;
  /** depends on history or chance (limit, statistic …): never a cover */
  chance: boolean;
  /**
   * the rule is its plain addresses and its template's shared rest
   * (ruleSpaceShared): its space costs less to build again than to keep, so
   * the lint does not keep it
   */
  cheap?: true;
}

export interface SpaceEnv {
  dims: Dims;
  /** an IPv6 ruleset's networks as intervals (else each IPv6 network is opaque) */
  addr6?: Addr6Classes;
  inIfaces: IfaceClasses;
  outIfaces: IfaceClasses;
}

/**
 * The box being built for one rule, and what the rule's matches say through
 * SpaceConstraint. A class rather than closures: the lint builds a space per
 * rule, and five closures and their context per rule were a third of what a
 * 100,000-rule lint allocated.
 */
class SpaceBuilder implements SpaceConstraint {
  readonly box = new Box();
  /** multiport --ports: one box per way to match (later constraints apply to each) */
  alternatives: Box[] | null = null;

  constructor(private readonly dims: Dims) {}

  set(d: number, s: IntervalSet, invert = false): void {
    constrain(this.box, d, invert ? complement(s, this.dims.max(d)) : s, this.dims);
  }

  either(a: number, b: number, s: IntervalSet): void {
    const x = new Box(this.box);
    constrain(x, a, s, this.dims);
    const y = new Box(this.box);
    constrain(y, b, s, this.dims);
    this.alternatives = [x, y];
  }

  opaque(text: string): void {
    this.set(this.dims.opaqueDim(text), [1, 1]);
  }

  addr(flag: string, a: Rule['src'], d: number, env: SpaceEnv): void {
    if (!a) return;
    if (a.kind === 'host-name') this.opaque(`${a.invert ? '! ' : ''}${flag} ${a.name}/${a.mask6 ?? a.mask}`);
    // IPv6 networks: one opaque dimension per network (exact for equal networks, never claims a cover between different ones)
    else if (a.kind === 'net6') {
      if (a.mask === 0n) { if (a.invert) this.set(d, []); return; }
      const s = env.addr6?.intervalOf(a);
      if (s) this.set(d, s, a.invert);
      else this.opaque(`${a.invert ? '! ' : ''}${flag} ${formatNet6(a.addr, a.mask)}`);
    }
    else this.set(d, iv(a.addr, (a.addr | (~a.mask >>> 0)) >>> 0), a.invert);
  }

  /** The finished boxes, empty ones left out. */
  boxes(): Box[] {
    const { box, alternatives, dims } = this;
    if (!alternatives) {
      // a literal: filter's result would reserve room for 16 boxes, and the lint keeps one array per rule
      return isEmptyBox(box) ? [] : [box];
    }
    return alternatives.map((alt) => {
      const b = new Box(alt);
      for (let k = 0; k < box.size; k++) constrain(b, box.dimAt(k), box.setAt(k), dims);
      return b;
    }).filter((b) => !isEmptyBox(b));
  }
}

export function ruleSpace(r: Rule, env: SpaceEnv): RuleSpace {
  const sb = new SpaceBuilder(env.dims);
  sb.addr('-s', r.src, DIM.src, env);
  sb.addr('-d', r.dst, DIM.dst, env);
  const { exact, chance } = restOf(r, sb, env);
  return { boxes: sb.boxes(), exact, chance };
}

/** The generic part after the addresses (interfaces, protocol, -f) and the matches, into `sb`. */
function restOf(r: Rule, sb: SpaceBuilder, env: SpaceEnv): { exact: boolean; chance: boolean } {
  let exact = true;
  let chance = false;
  if (r.inIface && r.inIface.name !== '') sb.set(DIM.inIface, env.inIfaces.classesOf(r.inIface.name), r.inIface.invert);
  if (r.outIface && r.outIface.name !== '') sb.set(DIM.outIface, env.outIfaces.classesOf(r.outIface.name), r.outIface.invert);
  if (r.proto) {
    if (r.proto.num === 0) { if (r.proto.invert) sb.set(DIM.proto, []); }
    else sb.set(DIM.proto, [r.proto.num, r.proto.num], r.proto.invert);
  }
  if (r.fragment) sb.set(DIM.fragment, [1, 1], r.fragment.invert);
  for (const m of r.matches) {
    // a match's meaning is its extension's (MatchAnalysis): chance, a space, or opaque
    if (isChanceMatch(m.name)) {
      chance = true;
      exact = false;
      continue;
    }
    const a = m.unknown ? undefined : findMatch(m.name)?.analysis;
    if (!a?.space?.(m.state, sb)) sb.opaque(saveMatch(m).trim());
  }
  return { exact, chance };
}

/**
 * What a rule's space is apart from its addresses, for the rules that share
 * it: rules parsed from one template (lines that differ only in -s/-d) share
 * their matches array and generic parts, so the matches are analysed once per
 * template, not once per line (70,000 blocklist lines: one analysis).
 */
interface Rest {
  inIface: Rule['inIface'];
  outIface: Rule['outIface'];
  proto: Rule['proto'];
  fragment: Rule['fragment'];
  /** the box of the generic part and matches alone; null: not replayable (multiport alternatives) */
  box: Box | null;
  /** a match of the rest narrows an address itself (iprange): replayed with constrain, not appended */
  addressed: boolean;
  exact: boolean;
  chance: boolean;
}

/**
 * The rests of the templates seen, by matches array (see ruleSpaceShared). A
 * rest is kept from the second rule that shares its matches array on: rules
 * that share nothing (kube-proxy's, each with its own comment) get ruleSpace
 * as before and leave nothing behind but a place in `seen`, which is bounded.
 */
export class RestCache {
  readonly rests = new Map<Rule['matches'], Rest>();
  private seen = new Set<Rule['matches']>();

  /** True when the array was seen before (and is now remembered as seen). */
  sawBefore(m: Rule['matches']): boolean {
    if (this.seen.has(m)) return true;
    if (this.seen.size >= MAX_SEEN) this.seen.clear();
    this.seen.add(m);
    return false;
  }
}
/** Matches arrays remembered as seen once: a template's next rule is rarely further away than this. */
const MAX_SEEN = 4096;
/** Rests kept: more than the parser's templates per table (512). */
const MAX_RESTS = 2048;

/**
 * ruleSpace with the part after the addresses worked out once per template
 * (keyed by the rule's matches array, which a template's rules share) and
 * replayed over each rule's addresses: the same boxes, dimensions in the same
 * order, as ruleSpace. `cache` belongs to one env (opaque dimensions are the env's).
 */
export function ruleSpaceShared(r: Rule, env: SpaceEnv, cache: RestCache): RuleSpace {
  const rests = cache.rests;
  let rest = rests.get(r.matches);
  if (!rest || rest.inIface !== r.inIface || rest.outIface !== r.outIface || rest.proto !== r.proto || rest.fragment !== r.fragment) {
    if (!cache.sawBefore(r.matches)) return ruleSpace(r, env);
    const sb = new SpaceBuilder(env.dims);
    const { exact, chance } = restOf(r, sb, env);
    const addressed = sb.box.has(DIM.src) || sb.box.has(DIM.dst);
    rest = { inIface: r.inIface, outIface: r.outIface, proto: r.proto, fragment: r.fragment, box: sb.alternatives ? null : sb.box, addressed, exact, chance };
    if (rests.size >= MAX_RESTS) rests.clear();
    rests.set(r.matches, rest);
  }
  if (!rest.box) return ruleSpace(r, env);
  const from = rest.box;
  if (from.size === 0) {
    // the rule is its addresses alone (a blocklist's -s X -j DROP): the box without a builder
    const kv = plainAddresses(r.src, r.dst, env);
    if (kv) return { boxes: kv.length ? [Box.ofFlat(kv)] : [from], exact: rest.exact, chance: rest.chance, cheap: true };
  } else if (!rest.addressed) {
    // plain networks before a rest that leaves the addresses alone: one array of exact length, no builder
    const kv = plainAddresses(r.src, r.dst, env);
    if (kv && kv.length) {
      if (isEmptyBox(from)) return { boxes: [], exact: rest.exact, chance: rest.chance };
      const n = kv.length;
      kv.length = n + 2 * from.size;
      for (let k = 0; k < from.size; k++) {
        kv[n + 2 * k] = from.dimAt(k);
        kv[n + 2 * k + 1] = from.setAt(k);
      }
      // cheap as well: an array and a copy of the template's few entries (csf's 21,000 `-s X ! -i lo -j DROP`)
      return { boxes: [Box.ofFlat(kv)], exact: rest.exact, chance: rest.chance, cheap: true };
    }
  }
  const sb = new SpaceBuilder(env.dims);
  sb.addr('-s', r.src, DIM.src, env);
  sb.addr('-d', r.dst, DIM.dst, env);
  const box = sb.box;
  if (box.size === 0) {
    // no address: the template's box as it is (boxes are never changed once built)
    return { boxes: isEmptyBox(from) ? [] : [from], exact: rest.exact, chance: rest.chance };
  }
  for (let k = 0; k < from.size; k++) constrain(box, from.dimAt(k), from.setAt(k), env.dims);
  return { boxes: isEmptyBox(box) ? [] : [box], exact: rest.exact, chance: rest.chance };
}

/**
 * The network as an interval, when it is one that narrows (not inverted, not
 * 0/0 or ::/0; an IPv6 one that env.addr6 numbers); undefined: not plain; null: no address.
 */
function plainNet(a: Rule['src'], env: SpaceEnv): IntervalSet | null | undefined {
  if (a === null) return null;
  if (a.invert) return undefined;
  if (a.kind === 'net6') {
    // ::/0: SpaceBuilder.addr sets nothing; else the network's interval, never full (::/0 alone spans every number)
    if (a.mask === 0n) return null;
    return env.addr6?.intervalOf(a) ?? undefined;
  }
  if (a.kind !== 'net') return undefined;
  const hi = (a.addr | (~a.mask >>> 0)) >>> 0;
  // everything: constrain leaves a full set out
  if (a.addr === 0 && hi === 0xffffffff) return null;
  return [a.addr, hi];
}

/** [src, set, dst, set] of plain networks, as SpaceBuilder.addr would set them; null when one is not plain. */
function plainAddresses(src: Rule['src'], dst: Rule['dst'], env: SpaceEnv): Array<number | IntervalSet> | null {
  const s = plainNet(src, env);
  const d = plainNet(dst, env);
  if (s === undefined || d === undefined) return null;
  if (s && d) return [DIM.src, s, DIM.dst, d];
  if (s) return [DIM.src, s];
  if (d) return [DIM.dst, d];
  return [];
}
