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
import { boxDiff, DIM, type Box } from '../analysis/space.js';
import { decisionLabel, verdictOf, type LintContext } from './context.js';

interface Cover {
  pos: number;
  boxes: Box[];
  label: string;
}

/** Most boxes kept while subtracting before we give up on a rule. */
const MAX_PIECES = 64;
/** Most earlier rules tried per rule before we give up on it. */
const MAX_CANDIDATES = 4000;
const LEVELS = [32, 24, 16, 8];
const PORT_SLOT_WIDTH = 1024;

class CoverIndex {
  private byBlock = new Map<string, Cover[]>();
  private byPort = new Map<number, Cover[]>();
  private general: Cover[] = [];

  add(c: Cover): void {
    const b = c.boxes.length === 1 ? c.boxes[0] : null;
    if (b) {
      for (const d of [DIM.src, DIM.dst]) {
        const s = b.get(d);
        if (!s || s.length !== 2) continue;
        const level = LEVELS.find((L) => blockOf(s[0], L) === blockOf(s[1], L));
        if (level === undefined) continue;
        push(this.byBlock, `${d}/${level}/${blockOf(s[0], level)}`, c);
        return;
      }
      const p = b.get(DIM.dport);
      if (p && p.length === 2 && p[1] - p[0] < PORT_SLOT_WIDTH) {
        for (let x = p[0]; x <= p[1]; x++) push(this.byPort, x, c);
        return;
      }
    }
    this.general.push(c);
  }

  /** Earlier covers that could matter for the box: those that alone might cover it, and the general ones. */
  candidates(b: Box, into: Set<Cover>): void {
    for (const d of [DIM.src, DIM.dst]) {
      const s = b.get(d);
      if (!s || s.length !== 2) continue;
      for (const L of LEVELS) {
        if (blockOf(s[0], L) !== blockOf(s[1], L)) continue;
        const hit = this.byBlock.get(`${d}/${L}/${blockOf(s[0], L)}`);
        if (hit) for (const c of hit) into.add(c);
      }
    }
    const p = b.get(DIM.dport);
    if (p && p.length === 2 && p[1] - p[0] < PORT_SLOT_WIDTH) {
      for (let x = p[0]; x <= p[1]; x++) {
        const hit = this.byPort.get(x);
        if (hit) for (const c of hit) into.add(c);
      }
    }
    for (const c of this.general) into.add(c);
  }
}

function blockOf(addr: number, level: number): number {
  return level === 32 ? addr : Math.floor(addr / 2 ** (32 - level));
}
function push<K>(m: Map<K, Cover[]>, k: K, c: Cover): void {
  const l = m.get(k);
  if (l) l.push(c);
  else m.set(k, [c]);
}

export function checkShadows(ctx: LintContext, t: Table, c: Chain): void {
  const index = new CoverIndex();
  const { dims } = ctx.env;
  c.rules.forEach((r, pos) => {
    const sp = ctx.space(r);
    const label = decisionLabel(ctx, t, r);
    if (sp.boxes.length > 0) {
      const cands = new Set<Cover>();
      for (const b of sp.boxes) index.candidates(b, cands);
      if (cands.size > 0 && cands.size <= MAX_CANDIDATES) {
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
