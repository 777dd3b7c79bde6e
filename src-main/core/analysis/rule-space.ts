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
      const s = env.addr6?.interval(a.addr, a.mask);
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
  let exact = true;
  let chance = false;
  const sb = new SpaceBuilder(env.dims);
  sb.addr('-s', r.src, DIM.src, env);
  sb.addr('-d', r.dst, DIM.dst, env);
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
  return { boxes: sb.boxes(), exact, chance };
}
