// Placing a recipe's rules into an existing ruleset where they work.
//
// Where: a `top` rule goes first in its chain, every other rule after what is
// there but before the chain's first catch-all verdict (a rule that matches
// everything and ACCEPTs, DROPs, REJECTs, or jumps into a chain that always
// ends in one, like the seed's LOGGING): anything after that can never match.
//
// Then the result is checked, not assumed: each rule's probe packet is walked
// through the merged ruleset with the tracer. A rule the probe never reaches
// because an earlier rule already does the same is left out (the ruleset
// already has it); an earlier rule doing something else is a conflict and the
// recipe refuses, naming it. A new SSH connection that was accepted before
// must still be accepted. With a lint function, the merge must not add any
// warning or error; `top` rules that would are tried at the bottom instead.
import type { Chain, Rule, Ruleset, Table, TableName } from '../model.js';
import { findChain, findTable, newTable } from '../model.js';
import type { Finding } from '../findings.js';
import { canonicalRuleBody } from '../canonical.js';
import { ruleConds } from '../analysis/packet-match.js';
import { isChanceMatch } from '../extensions/registry.js';
import { targetAction, type TargetAction } from '../analysis/targets.js';
import { describeGiveUp, tracePacket, type TraceOutcome, type TraceResult, type TraceStep } from '../trace.js';
import type { RecipeOutput, RecipeRule } from './types.js';
import { PROBE } from './rules.js';

export interface PlaceOptions {
  /** lint the merged ruleset (e.g. `(rs) => lintRuleset(rs, {client, sshPort})`); new warnings make the recipe refuse */
  lint?: (rs: Ruleset) => readonly Finding[];
  /** the admin's address, for the SSH guard (default: a TEST-NET address) */
  client?: string;
  /** the host's SSH port, for the SSH guard (default 22) */
  sshPort?: number;
}

export interface PlacedRule {
  table: TableName;
  chain: string;
  /** 1-based, as `iptables -L --line-numbers`, in the merged ruleset */
  index: number;
  text: string;
  why: string;
}

export interface SkippedRule {
  table: TableName;
  chain: string;
  text: string;
  why: string;
  /** why it was not added */
  reason: string;
}

export interface ReplacedRule {
  table: TableName;
  chain: string;
  index: number;
  from: string;
  to: string;
}

export type PlaceResult =
  | {
      ok: true;
      ruleset: Ruleset;
      added: PlacedRule[];
      skipped: SkippedRule[];
      replaced: ReplacedRule[];
      createdChains: Array<{ table: TableName; name: string }>;
      notes: string[];
    }
  | { ok: false; reason: string; rule?: string };

/** lint codes about a chain as a whole, reported at whichever rule ends it */
const CHAIN_LEVEL = new Set(['no-established-accept', 'ssh-lockout']);

export class RecipeRefusal extends Error {
  override name = 'RecipeRefusal';
  constructor(message: string, readonly rule?: string) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// catch-alls

/** The rule matches every packet (nothing but comments narrows it). */
export function matchesEverything(r: Rule): boolean {
  return ruleConds(r).length === 0 && r.matches.every((m) => m.name === 'comment');
}

/** Every packet entering the user chain gets a verdict there (no RETURN before a deciding catch-all). */
export function chainAlwaysDecides(t: Table, name: string, seen = new Set<string>()): boolean {
  const c = findChain(t, name);
  if (!c || c.builtin || seen.has(name)) return false;
  seen.add(name);
  for (const r of c.rules) {
    const a = targetAction(r);
    if (a.kind === 'return') return false;
    if (a.kind === 'goto' && !chainAlwaysDecides(t, a.chain, new Set(seen))) return false;
    if (!matchesEverything(r)) continue;
    if (decides(t, a, seen)) return true;
  }
  return false;
}

function decides(t: Table, a: TargetAction, seen: Set<string>): boolean {
  switch (a.kind) {
    case 'accept': case 'drop': case 'reject': case 'queue': case 'terminal': case 'dnat': case 'snat':
      return true;
    case 'goto': case 'jump':
      return chainAlwaysDecides(t, a.chain, new Set(seen));
    default:
      return false;
  }
}

/** A rule that ends the walk of every packet reaching it. */
export function isCatchAll(t: Table, r: Rule): boolean {
  return matchesEverything(r) && decides(t, targetAction(r), new Set());
}

/** 0-based index of the chain's first catch-all, or -1. */
export function findCatchAll(t: Table, c: Chain): number {
  return c.rules.findIndex((r) => isCatchAll(t, r));
}

// ---------------------------------------------------------------------------

function cloneRuleset(rs: Ruleset): Ruleset {
  return {
    family: rs.family,
    tables: rs.tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: [...c.rules], disabled: [...c.disabled] })) })),
  };
}

const where = (table: string, chain: string, index: number) => `${table === 'filter' ? '' : table + ' '}${chain} #${index}`;

function outcomesOf(r: TraceResult): Array<Pick<TraceOutcome, 'verdict' | 'path' | 'condition' | 'decidedBy'>> {
  // a walk that gave up says nothing: placing on a guess could break the ruleset
  if (r.unknown) throw new RecipeRefusal(`cannot check where the recipe's rules would go: the packet tracer ${describeGiveUp(r.unknown)}`);
  return r.outcomes ?? [{ verdict: r.verdict as TraceOutcome['verdict'], path: r.path, condition: '', decidedBy: r.decidedBy }];
}

/**
 * The step that ended the packet's first walk through `table` (a rule, or a
 * policy with index null): jumps, RETURN and rules that let the packet go on
 * (LOG, MARK …) do not end it.
 */
function deciderIn(path: TraceStep[], table: TableName): TraceStep | undefined {
  return path.find((s) => s.table === table && (s.index === null || !/^(jump|goto|RETURN|no target)\b|continue\)$/.test(s.action)));
}

/** Same effect on the packet: both ACCEPT, both DROP, the same DNAT … */
function sameAction(a: TargetAction, b: TargetAction): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'dnat' || a.kind === 'snat' || a.kind === 'mark') return a.text === (b as typeof a).text;
  if (a.kind === 'reject') return true;
  return true;
}

export function placeRecipe(original: Ruleset, out: RecipeOutput, opts: PlaceOptions = {}): PlaceResult {
  try {
    const first = placeOnce(original, out, opts, false);
    if (first.ok || !first.lintProblem || !out.rules.some((r) => r.position === 'top')) return strip(first);
    return strip(placeOnce(original, out, opts, true));
  } catch (e) {
    if (e instanceof RecipeRefusal) return { ok: false, reason: e.message, ...(e.rule ? { rule: e.rule } : {}) };
    throw e;
  }
}

function strip(r: PlaceResult & { lintProblem?: boolean }): PlaceResult {
  delete r.lintProblem;
  return r;
}

function placeOnce(original: Ruleset, out: RecipeOutput, opts: PlaceOptions, allBottom: boolean): PlaceResult & { lintProblem?: boolean } {
  const refusal = out.refusal;
  if (refusal) return { ok: false, reason: refusal };
  const rs = cloneRuleset(original);
  const skipped: SkippedRule[] = [];
  const replaced: ReplacedRule[] = [];
  const createdChains: Array<{ table: TableName; name: string }> = [];
  const notes: string[] = [];
  const inserted = new Map<Rule, RecipeRule>();
  /** rules (ours and identical ones already there) that belong to the recipe */
  const recipeRules = new Set<Rule>();
  const topCount = new Map<Chain, number>();
  /** where the next `early` rule of a chain goes: right after the previous one */
  const earlyAt = new Map<Chain, number>();

  const tableOf = (name: TableName): Table => {
    let t = findTable(rs, name);
    if (!t) {
      t = newTable(name);
      rs.tables.push(t);
    }
    return t;
  };
  for (const c of out.chains) {
    const t = tableOf(c.table);
    if (!findChain(t, c.name)) {
      t.chains.push({ name: c.name, builtin: false, policy: null, counters: null, rules: [], disabled: [] });
      createdChains.push({ table: c.table, name: c.name });
    }
  }

  const skip = (r: RecipeRule, reason: string) => skipped.push({ table: r.table, chain: r.chain, text: r.text, why: r.why, reason });

  for (const rr of out.rules) {
    const t = tableOf(rr.table);
    const c = findChain(t, rr.chain);
    if (!c) throw new RecipeRefusal(`the ${rr.table} table has no chain ${rr.chain}`, rr.text);
    const body = canonicalRuleBody(rr.rule);
    if (rr.replaces !== undefined) {
      const at = c.rules.findIndex((x) => canonicalRuleBody(x) === rr.replaces);
      if (at >= 0) {
        replaced.push({ table: rr.table, chain: rr.chain, index: at + 1, from: `-A ${rr.chain}${rr.replaces}`, to: rr.text });
        // the new rule keeps the old one's source line: the preserving writer puts it there
        const nr: Rule = c.rules[at].source ? { ...rr.rule, source: c.rules[at].source } : rr.rule;
        c.rules[at] = nr;
        inserted.set(nr, rr);
        recipeRules.add(nr);
        continue;
      }
    }
    const same = c.rules.findIndex((x) => canonicalRuleBody(x) === body);
    if (same >= 0) {
      recipeRules.add(c.rules[same]);
      skip(rr, `already there: ${where(rr.table, rr.chain, same + 1)}`);
      continue;
    }
    const stop = findCatchAll(t, c);
    if (rr.catchAll && stop >= 0) {
      skip(rr, `${where(rr.table, rr.chain, stop + 1)} already ends the chain for every packet (-A ${rr.chain}${canonicalRuleBody(c.rules[stop])}); kept as it is`);
      continue;
    }
    const chance = rr.rule.matches.some((m) => isChanceMatch(m.name));
    if (rr.probe && !chance) {
      // an existing rule that already decides the probe the same way: the ruleset has it
      const res = tracePacket(rs, rr.probe.packet, { local: rr.probe.local, hook: rr.probe.hook });
      const deciders = outcomesOf(res).map((o) => {
        const d = deciderIn(o.path, rr.table);
        return d && d.index !== null ? { d, rule: findChain(findTable(rs, d.table)!, d.chain)?.rules[d.index - 1] } : null;
      });
      const mine = targetAction(rr.rule);
      if (deciders.length && deciders.every((x) => x?.rule && !recipeRules.has(x.rule) && sameAction(targetAction(x.rule), mine))) {
        const d = deciders[0]!.d;
        skip(rr, `already handled: ${rr.probe.what} is decided the same way by ${where(d.table, d.chain, d.index!)} (${d.rule})`);
        continue;
      }
    }
    if (rr.onlyIfNeeded && rr.probe) {
      const res = tracePacket(rs, rr.probe.packet, { local: rr.probe.local, hook: rr.probe.hook });
      if (outcomesOf(res).every((o) => o.verdict === rr.probe!.expect)) {
        skip(rr, `not needed: ${rr.probe.what} already gets ${rr.probe.expect}`);
        continue;
      }
    }
    let at: number;
    const lastEarly = earlyAt.get(c);
    if (rr.position === 'early' && lastEarly !== undefined && c.rules[lastEarly - 1]) {
      at = lastEarly;
    } else if (rr.position === 'early' && rr.probe) {
      const res = tracePacket(rs, rr.probe.packet, { local: rr.probe.local, hook: rr.probe.hook });
      const firsts = outcomesOf(res).map((o) => deciderIn(o.path, rr.table)).filter((d) => d && d.chain === rr.chain && d.index !== null);
      const idx = firsts.length ? Math.min(...firsts.map((d) => d!.index! - 1)) : -1;
      at = idx >= 0 && (stop < 0 || idx < stop) ? idx : stop >= 0 ? stop : c.rules.length;
    } else if (rr.position === 'top' && !allBottom) {
      at = topCount.get(c) ?? 0;
      topCount.set(c, at + 1);
    } else {
      at = stop >= 0 ? stop : c.rules.length;
    }
    c.rules.splice(at, 0, rr.rule);
    if (rr.position === 'early') earlyAt.set(c, at + 1);
    for (const d of c.disabled) if (d.before > at) d.before++;
    inserted.set(rr.rule, rr);
    recipeRules.add(rr.rule);
  }

  // --- check every probe against the merged ruleset
  for (const [rule, rr] of [...inserted]) {
    if (!rr.probe) continue;
    const t = findTable(rs, rr.table)!;
    const c = findChain(t, rr.chain)!;
    const idx = c.rules.indexOf(rule);
    if (idx < 0) continue;
    const res = tracePacket(rs, rr.probe.packet, { local: rr.probe.local, hook: rr.probe.hook });
    const outs = outcomesOf(res);
    const reached = outs.filter((o) => o.path.some((s) => s.table === rr.table && s.chain === rr.chain && s.index === c.rules.indexOf(rule) + 1));
    const foreign: Array<{ step: TraceStep; rule: Rule | null; condition: string }> = [];
    for (const o of outs) {
      if (reached.includes(o)) continue;
      const d = deciderIn(o.path, rr.table);
      const dr = d && d.index !== null ? findChain(findTable(rs, d.table)!, d.chain)?.rules[d.index - 1] ?? null : null;
      if (dr && recipeRules.has(dr)) continue;
      if (d) foreign.push({ step: d, rule: dr, condition: o.condition });
    }
    const describe = (f: (typeof foreign)[number]) =>
      f.step.index === null ? `the ${f.step.chain} policy (${f.step.action})` : `${where(f.step.table, f.step.chain, f.step.index)} (${f.step.rule})`;
    if (reached.length === 0) {
      const mine = targetAction(rule);
      if (foreign.length && foreign.every((f) => f.rule && sameAction(targetAction(f.rule), mine))) {
        c.rules.splice(c.rules.indexOf(rule), 1);
        inserted.delete(rule);
        skip(rr, `already handled: ${rr.probe.what} is decided the same way by ${describe(foreign[0])}`);
        continue;
      }
      const by = foreign.length ? describe(foreign[0]) : 'a rule of another table';
      throw new RecipeRefusal(
        `${rr.text} would never be reached: ${rr.probe.what} is decided first by ${by}. Change or remove that rule first, then run the recipe again`,
        rr.text,
      );
    }
    const conflicting = foreign.filter((f) => !f.rule || !sameAction(targetAction(f.rule), targetAction(rule)));
    if (rr.table === 'nat' && conflicting.some((f) => f.rule && ['dnat', 'snat'].includes(targetAction(f.rule).kind))) {
      const f = conflicting.find((x) => x.rule && ['dnat', 'snat'].includes(targetAction(x.rule).kind))!;
      throw new RecipeRefusal(
        `${describe(f)} already translates some of these packets (${rr.probe.what}), so the recipe's rules would not get all of them. Remove that rule first (for the seed's -m nth cascade, this recipe is its replacement)`,
        rr.text,
      );
    }
    for (const f of conflicting) notes.push(`${rr.text}: when ${f.condition || 'it applies'}, ${describe(f)} decides ${rr.probe.what} first`);
    // a wrong verdict that holds only under a condition the tracer cannot tell (a match it does not model) is noted, not refused
    const wrongs = reached.filter((o) => o.verdict !== rr.probe!.expect);
    const wrong = wrongs.find((o) => !o.condition) ?? (wrongs.length === reached.length ? wrongs[0] : undefined);
    for (const o of wrongs) if (o !== wrong) notes.push(`${rr.text}: ${rr.probe.what} gets ${o.verdict} when ${o.condition}`);
    if (wrong) {
      const d = wrong.decidedBy;
      throw new RecipeRefusal(
        `${rr.probe.what} would still get ${wrong.verdict}${d ? ` from ${where(d.table, d.chain, d.index)}` : ' from a chain policy'}${wrong.condition ? ` when ${wrong.condition}` : ''}, after the recipe's ${rr.text}. Change that rule first`,
        rr.text,
      );
    }
  }

  // --- a new SSH connection that got in before must still get in
  const sshPort = opts.sshPort ?? 22;
  const ssh = { src: opts.client ?? PROBE.client, dst: PROBE.host, proto: 'tcp', sport: PROBE.clientPort, dport: sshPort, inIface: 'pcl0', state: 'NEW' };
  const before = outcomesOf(tracePacket(original, ssh, { local: [PROBE.host], hook: 'INPUT' }));
  if (before.every((o) => o.verdict === 'ACCEPT')) {
    const after = outcomesOf(tracePacket(rs, ssh, { local: [PROBE.host], hook: 'INPUT' }));
    const bad = after.find((o) => o.verdict !== 'ACCEPT');
    if (bad) {
      const d = bad.decidedBy;
      return {
        ok: false,
        reason: `this would refuse new SSH connections to port ${sshPort} (${bad.verdict} by ${d ? where(d.table, d.chain, d.index) : 'the policy'}) and lock you out: accept SSH before it first (e.g. portcullis recipe baseline --ssh-port ${sshPort}), or tell the recipe your SSH port with --ssh-port`,
      };
    }
  }

  // --- the merge must not add lint warnings
  if (opts.lint) {
    const ruleOf = (r: Ruleset, f: Finding): Rule | undefined => {
      const t = f.table ? findTable(r, f.table) : undefined;
      const c = t && f.chain ? findChain(t, f.chain) : undefined;
      return c && f.index ? c.rules[f.index - 1] : undefined;
    };
    const key = (r: Ruleset, f: Finding) => {
      const rule = ruleOf(r, f);
      return `${f.code}|${f.table ?? ''}|${f.chain ?? ''}|${rule ? canonicalRuleBody(rule) : f.index ?? ''}`;
    };
    const where2 = (f: Finding) => `${f.code}|${f.table ?? ''}|${f.chain ?? ''}`;
    const seen = new Map<string, number>();
    const seenWhere = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string, by: number) => m.set(k, (m.get(k) ?? 0) + by);
    for (const f of opts.lint(original)) {
      if (f.severity === 'info') continue;
      bump(seen, key(original, f), 1);
      bump(seenWhere, where2(f), 1);
    }
    for (const f of opts.lint(rs)) {
      if (f.severity === 'info') continue;
      const k = key(rs, f);
      if ((seen.get(k) ?? 0) > 0) {
        bump(seen, k, -1);
        bump(seenWhere, where2(f), -1);
        continue;
      }
      // a problem the chain already had, now reported at another (existing) rule, is not new
      const about = ruleOf(rs, f);
      if ((!(about && inserted.has(about)) || CHAIN_LEVEL.has(f.code)) && (seenWhere.get(where2(f)) ?? 0) > 0) {
        bump(seenWhere, where2(f), -1);
        continue;
      }
      return { ok: false, lintProblem: true, reason: `the result would get a lint ${f.severity} (${f.code}): ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}` };
    }
  }

  const added: PlacedRule[] = [];
  for (const [rule, rr] of inserted) {
    const c = findChain(findTable(rs, rr.table)!, rr.chain)!;
    if (replaced.some((x) => x.to === rr.text && x.chain === rr.chain && x.table === rr.table)) continue;
    added.push({ table: rr.table, chain: rr.chain, index: c.rules.indexOf(rule) + 1, text: rr.text, why: rr.why });
  }
  for (const x of replaced) {
    const c = findChain(findTable(rs, x.table)!, x.chain)!;
    x.index = c.rules.findIndex((r) => `-A ${x.chain}${canonicalRuleBody(r)}` === x.to) + 1;
  }
  return { ok: true, ruleset: rs, added, skipped, replaced, createdChains, notes };
}
