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

const maybeInvert = (s: IntervalSet, invert: boolean, max: number) => (invert ? complement(s, max) : s);

export function ruleSpace(r: Rule, env: SpaceEnv): RuleSpace {
  const { dims } = env;
  let exact = true;
  let chance = false;
  const box = new Box();
  let alternatives: Box[] | null = null; // multiport --ports: one box per way to match (later constraints apply to each)
  const set = (d: number, s: IntervalSet, invert = false) => constrain(box, d, maybeInvert(s, invert, dims.max(d)), dims);
  const opaque = (text: string) => set(dims.opaqueDim(text), [1, 1]);

  const addr = (flag: string, a: Rule['src'], d: number) => {
    if (!a) return;
    if (a.kind === 'host-name') opaque(`${a.invert ? '! ' : ''}${flag} ${a.name}/${a.mask6 ?? a.mask}`);
    // IPv6 networks: one opaque dimension per network (exact for equal networks, never claims a cover between different ones)
    else if (a.kind === 'net6') {
      if (a.mask === 0n) { if (a.invert) set(d, []); return; }
      const s = env.addr6?.interval(a.addr, a.mask);
      if (s) set(d, s, a.invert);
      else opaque(`${a.invert ? '! ' : ''}${flag} ${formatNet6(a.addr, a.mask)}`);
    }
    else set(d, iv(a.addr, (a.addr | (~a.mask >>> 0)) >>> 0), a.invert);
  };
  addr('-s', r.src, DIM.src);
  addr('-d', r.dst, DIM.dst);
  if (r.inIface && r.inIface.name !== '') set(DIM.inIface, env.inIfaces.classesOf(r.inIface.name), r.inIface.invert);
  if (r.outIface && r.outIface.name !== '') set(DIM.outIface, env.outIfaces.classesOf(r.outIface.name), r.outIface.invert);
  if (r.proto) {
    if (r.proto.num === 0) { if (r.proto.invert) set(DIM.proto, []); }
    else set(DIM.proto, [r.proto.num, r.proto.num], r.proto.invert);
  }
  if (r.fragment) set(DIM.fragment, [1, 1], r.fragment.invert);

  const space: SpaceConstraint = {
    set,
    either(a, b, s) {
      const x = new Box(box);
      constrain(x, a, s, dims);
      const y = new Box(box);
      constrain(y, b, s, dims);
      alternatives = [x, y];
    },
  };
  for (const m of r.matches) {
    // a match's meaning is its extension's (MatchAnalysis): chance, a space, or opaque
    if (isChanceMatch(m.name)) {
      chance = true;
      exact = false;
      continue;
    }
    const a = m.unknown ? undefined : findMatch(m.name)?.analysis;
    if (!a?.space?.(m.state, space)) opaque(saveMatch(m).trim());
  }

  let boxes: Box[];
  if (alternatives) {
    boxes = (alternatives as Box[]).map((alt) => {
      const b = new Box(alt);
      for (let k = 0; k < box.size; k++) constrain(b, box.dimAt(k), box.setAt(k), dims);
      return b;
    }).filter((b) => !isEmptyBox(b));
  } else {
    // a literal: filter's result would reserve room for 16 boxes, and the lint keeps one array per rule
    boxes = isEmptyBox(box) ? [] : [box];
  }
  return { boxes, exact, chance };
}
