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
import { canonicalRuleBody } from '../canonical.js';
import { boxDiff, DIM, size, type Box, type IntervalSet } from '../analysis/space.js';
import { decisionLabel, verdictOf, type LintContext } from './context.js';

interface Cover {
  pos: number;
  boxes: Box[];
  label: string;
}

/** Most boxes kept while subtracting before we give up on a rule. */
const MAX_PIECES = 64;
/** Most earlier rules tried per rule before we give up on it. */
const MAX_CANDIDATES = 2000;
const LEVELS = [32, 24, 16, 8];
/** A port/type set with at most this many values is indexed value by value. */
const MAX_VALUES = 64;
const VALUE_DIMS = [DIM.sport, DIM.dport, DIM.icmp, DIM.inIface, DIM.outIface];

function blockOf(addr: number, level: number): number {
  return level === 32 ? addr : Math.floor(addr / 2 ** (32 - level));
}

function values(d: number, s: IntervalSet, limit: number): number[] | null {
  if (d === DIM.icmp) {
    // ICMP is filed by type (type × 256 + code): a type with any code
    const types = new Set<number>();
    for (let i = 0; i < s.length; i += 2) {
      if ((s[i + 1] >> 8) - (s[i] >> 8) > limit) return null;
      for (let t = s[i] >> 8; t <= s[i + 1] >> 8; t++) types.add(t);
    }
    return types.size > limit ? null : [...types];
  }
  if (size(s) > limit) return null;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) for (let v = s[i]; v <= s[i + 1]; v++) out.push(v);
  return out;
}

function signature(b: Box): string {
  return [...b.entries()].sort((x, y) => x[0] - y[0]).map(([d, s]) => `${d}:${s.join(',')}`).join(';');
}

/**
 * Earlier deciding rules, each filed under ONE narrow dimension: its address
 * block, or each value of a small port / ICMP type / interface set. A rule
 * that covers another alone must contain every value of it in that
 * dimension, so looking up the rarest of the later rule's values finds it;
 * rules with no narrow dimension are "general" and always tried. Unions of
 * many narrow rules that cover a broad one are not searched (conservative).
 */
class CoverIndex {
  private buckets = new Map<string, Cover[]>();
  private general: Cover[] = [];
  private exact = new Map<string, Cover>();

  add(c: Cover): void {
    if (c.boxes.length === 1) {
      const sig = signature(c.boxes[0]);
      if (!this.exact.has(sig)) this.exact.set(sig, c);
    }
    const b = c.boxes.length === 1 ? c.boxes[0] : null;
    if (b) {
      for (const d of [DIM.src, DIM.dst]) {
        const s = b.get(d);
        if (!s || s.length !== 2) continue;
        const level = LEVELS.find((L) => blockOf(s[0], L) === blockOf(s[1], L));
        if (level === undefined) continue;
        this.file(`${d}/${level}/${blockOf(s[0], level)}`, c);
        return;
      }
      let best: { d: number; vals: number[] } | null = null;
      for (const d of VALUE_DIMS) {
        const s = b.get(d);
        if (!s) continue;
        const vals = values(d, s, MAX_VALUES);
        if (vals && (!best || vals.length < best.vals.length)) best = { d, vals };
      }
      if (best) {
        for (const v of best.vals) this.file(`${best.d}:${v}`, c);
        return;
      }
    }
    this.general.push(c);
  }

  private file(key: string, c: Cover): void {
    const l = this.buckets.get(key);
    if (l) l.push(c);
    else this.buckets.set(key, [c]);
  }

  /** An earlier rule with exactly the same packets, if any. */
  same(b: Box): Cover | undefined {
    return this.exact.get(signature(b));
  }

  /** The earlier rules worth trying against the box, or null when there are too many. */
  candidates(b: Box, into: Set<Cover>): boolean {
    const lists: Cover[][] = [this.general];
    for (const d of [DIM.src, DIM.dst]) {
      const s = b.get(d);
      if (!s || s.length !== 2) continue;
      for (const L of LEVELS) {
        if (blockOf(s[0], L) !== blockOf(s[1], L)) continue;
        const hit = this.buckets.get(`${d}/${L}/${blockOf(s[0], L)}`);
        if (hit) lists.push(hit);
      }
    }
    for (const d of VALUE_DIMS) {
      const s = b.get(d);
      if (!s) continue;
      const vals = values(d, s, MAX_VALUES);
      if (!vals) continue;
      // every value must be covered: the rarest one's bucket holds every rule that could cover it alone
      let rarest: Cover[] = [];
      let total = 0;
      const hits: Cover[][] = [];
      for (const v of vals) {
        const hit = this.buckets.get(`${d}:${v}`) ?? [];
        hits.push(hit);
        total += hit.length;
        if (hit.length < rarest.length || hits.length === 1) rarest = hit;
      }
      if (total <= MAX_CANDIDATES) lists.push(...hits);
      else lists.push(rarest);
    }
    let n = 0;
    for (const l of lists) n += l.length;
    if (n + into.size > MAX_CANDIDATES * 2) return false;
    for (const l of lists) for (const c of l) into.add(c);
    return into.size <= MAX_CANDIDATES;
  }
}

export function checkShadows(ctx: LintContext, t: Table, c: Chain): void {
  const index = new CoverIndex();
  const { dims } = ctx.env;
  c.rules.forEach((r, pos) => {
    const sp = ctx.space(r);
    const label = decisionLabel(ctx, t, r);
    const twin = sp.boxes.length === 1 ? index.same(sp.boxes[0]) : undefined;
    if (twin) {
      report(ctx, t, c, pos, label, [twin]);
    } else if (sp.boxes.length > 0) {
      const cands = new Set<Cover>();
      let ok = true;
      for (const b of sp.boxes) ok = ok && index.candidates(b, cands);
      if (ok && cands.size > 0) {
        const ordered = [...cands].sort((a, b) => a.pos - b.pos);
        let rest: Box[] = sp.boxes;
        const used: Cover[] = [];
        let gaveUp = false;
        for (const cov of ordered) {
          let changed = false;
          for (const eb of cov.boxes) {
            const next: Box[] = [];
            for (const rb of rest) {
              const d = boxDiff(rb, eb, dims);
              if (d.length !== 1 || d[0] !== rb) changed = true;
              next.push(...d);
            }
            rest = next;
          }
          if (changed) used.push(cov);
          if (rest.length === 0) break;
          if (rest.length > MAX_PIECES) { gaveUp = true; break; }
        }
        if (!gaveUp && rest.length === 0) report(ctx, t, c, pos, label, minimal(used, sp.boxes, ctx));
      }
    }
    if (label && sp.exact && !sp.chance) index.add({ pos, boxes: sp.boxes, label });
  });
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
  const body = canonicalRuleBody(c.rules[pos]).trim();
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
    const r = c.rules[pos];
    const label = decisionLabel(ctx, t, r);
    const sp = ctx.space(r);
    if (label !== c.policy || sp.chance) return;
    ctx.report('info', 'redundant-rule', t, c, pos,
      `rule #${pos + 1} (${canonicalRuleBody(r).trim()}) changes nothing: the chain's policy is ${c.policy} already`,
      'delete it (the policy does the same), unless you mean to change the policy');
  }
}
