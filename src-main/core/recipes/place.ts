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
import { targetAction } from '../analysis/targets.js';
import type { TargetAction } from '../analysis/target-action.js';
import { describeGiveUp, tracePacket, type PacketSpec, type TraceHook, type TraceOutcome, type TraceResult, type TraceStep } from '../trace.js';
import type { RecipeOutput, RecipeRule } from './types.js';
import { fam } from './family.js';

export interface PlaceOptions {
  /** lint the merged ruleset (e.g. `(rs) => lintRuleset(rs, {client, sshPort})`); new warnings make the recipe refuse */
  lint?: (rs: Ruleset) => readonly Finding[];
  /** the admin's address, for the SSH guard (default: a TEST-NET address) */
  client?: string;
  /** the host's SSH port, for the SSH guard (default 22) */
  sshPort?: number;
}

interface PlacedRule {
  table: TableName;
  chain: string;
  /** 1-based, as `iptables -L --line-numbers`, in the merged ruleset */
  index: number;
  text: string;
  why: string;
}

interface SkippedRule {
  table: TableName;
  chain: string;
  text: string;
  why: string;
  /** why it was not added */
  reason: string;
}

interface ReplacedRule {
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

class RecipeRefusal extends Error {
  override name = 'RecipeRefusal';
  constructor(message: string, readonly rule?: string) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// catch-alls

/** The rule matches every packet (nothing but comments narrows it). */
function matchesEverything(r: Rule): boolean {
  return ruleConds(r).length === 0 && r.matches.every((m) => m.name === 'comment');
}

/** Every packet entering the user chain gets a verdict there (no RETURN before a deciding catch-all). */
function chainAlwaysDecides(t: Table, name: string, seen = new Set<string>()): boolean {
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
function isCatchAll(t: Table, r: Rule): boolean {
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

type Outcome = Pick<TraceOutcome, 'verdict' | 'path' | 'condition' | 'conditions' | 'decidedBy'>;

function outcomesOf(r: TraceResult): Outcome[] {
  // a walk that gave up says nothing: placing on a guess could break the ruleset
  if (r.unknown) throw new RecipeRefusal(`cannot check where the recipe's rules would go: the packet tracer ${describeGiveUp(r.unknown)}`);
  return r.outcomes ?? [{ verdict: r.verdict as TraceOutcome['verdict'], path: r.path, condition: '', conditions: [], decidedBy: r.decidedBy }];
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

type Attempt = PlaceResult & { lintProblem?: boolean };

/** One try at placing: the rules inserted where they go, then the probes, the SSH guard and the lint checked. */
function placeOnce(original: Ruleset, out: RecipeOutput, opts: PlaceOptions, allBottom: boolean): Attempt {
  if (out.refusal) return { ok: false, reason: out.refusal };
  if (out.family !== original.family) {
    const is = (f: string) => (f === 'ipv6' ? 'IPv6 (ip6tables)' : 'IPv4 (iptables)');
    return { ok: false, reason: `these are ${is(out.family)} rules and the ruleset is ${is(original.family)}: make the recipe's rules for ${original.family === 'ipv6' ? 'IPv6' : 'IPv4'} (family ${original.family === 'ipv6' ? '6' : '4'})` };
  }
  const p = new Placement(original, allBottom);
  p.createChains(out);
  for (const rr of out.rules) p.placeRule(rr);
  p.checkProbes();
  return p.sshGuard(opts) ?? p.lintGuard(opts) ?? p.result();
}

/** The probe's walk through the ruleset (of either family: the tracer reads the addresses of both). */
function walkProbe(rs: Ruleset, packet: PacketSpec, opts: { local?: readonly string[]; hook?: TraceHook }): Outcome[] {
  return outcomesOf(tracePacket(rs, packet, { ...(opts.local ? { local: opts.local } : {}), ...(opts.hook ? { hook: opts.hook } : {}) }));
}

// ---------------------------------------------------------------------------
// the placement, step by step

type Foreign = { step: TraceStep; rule: Rule | null; condition: string };

class Placement {
  readonly rs: Ruleset;
  readonly skipped: SkippedRule[] = [];
  readonly replaced: ReplacedRule[] = [];
  readonly createdChains: Array<{ table: TableName; name: string }> = [];
  readonly notes: string[] = [];
  readonly inserted = new Map<Rule, RecipeRule>();
  /** rules (ours and identical ones already there) that belong to the recipe */
  readonly recipeRules = new Set<Rule>();
  readonly topCount = new Map<Chain, number>();
  /** where the next `early` rule of a chain goes: right after the previous one */
  readonly earlyAt = new Map<Chain, number>();

  constructor(readonly original: Ruleset, readonly allBottom: boolean) {
    this.rs = cloneRuleset(original);
  }

  tableOf(name: TableName): Table {
    let t = findTable(this.rs, name);
    if (!t) {
      t = newTable(name);
      this.rs.tables.push(t);
    }
    return t;
  }

  createChains(out: RecipeOutput): void {
    for (const c of out.chains) {
      const t = this.tableOf(c.table);
      if (!findChain(t, c.name)) {
        t.chains.push({ name: c.name, builtin: false, policy: null, counters: null, rules: [], disabled: [] });
        this.createdChains.push({ table: c.table, name: c.name });
      }
    }
  }

  skip(r: RecipeRule, reason: string): void {
    this.skipped.push({ table: r.table, chain: r.chain, text: r.text, why: r.why, reason });
  }

  walk(rr: RecipeRule): Outcome[] {
    return walkProbe(this.rs, rr.probe!.packet, { local: rr.probe!.local, hook: rr.probe!.hook });
  }

  ruleAt(d: TraceStep): Rule | undefined {
    return d.index === null ? undefined : findChain(findTable(this.rs, d.table)!, d.chain)?.rules[d.index - 1];
  }

  /** One recipe rule: taken as the replacement of a rule, found already there, or inserted where it works. */
  placeRule(rr: RecipeRule): void {
    const t = this.tableOf(rr.table);
    const c = findChain(t, rr.chain);
    if (!c) throw new RecipeRefusal(`the ${rr.table} table has no chain ${rr.chain}`, rr.text);
    if (this.replaceExisting(rr, c)) return;
    if (this.alreadyThere(rr, c)) return;
    const stop = findCatchAll(t, c);
    if (rr.catchAll && stop >= 0) {
      this.skip(rr, `${where(rr.table, rr.chain, stop + 1)} already ends the chain for every packet (-A ${rr.chain}${canonicalRuleBody(c.rules[stop])}); kept as it is`);
      return;
    }
    if (this.alreadyHandled(rr) || this.notNeeded(rr)) return;
    const at = this.positionFor(rr, c, stop);
    c.rules.splice(at, 0, rr.rule);
    if (rr.position === 'early') this.earlyAt.set(c, at + 1);
    for (const d of c.disabled) if (d.before > at) d.before++;
    this.inserted.set(rr.rule, rr);
    this.recipeRules.add(rr.rule);
  }

  /** `replaces`: the rule takes the place (and source line) of an existing one. */
  replaceExisting(rr: RecipeRule, c: Chain): boolean {
    if (rr.replaces === undefined) return false;
    const at = c.rules.findIndex((x) => canonicalRuleBody(x) === rr.replaces);
    if (at < 0) return false;
    this.replaced.push({ table: rr.table, chain: rr.chain, index: at + 1, from: `-A ${rr.chain}${rr.replaces}`, to: rr.text });
    // the new rule keeps the old one's source line: the preserving writer puts it there
    const nr: Rule = c.rules[at].source ? { ...rr.rule, source: c.rules[at].source } : rr.rule;
    c.rules[at] = nr;
    this.inserted.set(nr, rr);
    this.recipeRules.add(nr);
    return true;
  }

  /** The very same rule is in the chain already. */
  alreadyThere(rr: RecipeRule, c: Chain): boolean {
    const same = c.rules.findIndex((x) => canonicalRuleBody(x) === canonicalRuleBody(rr.rule));
    if (same < 0) return false;
    this.recipeRules.add(c.rules[same]);
    this.skip(rr, `already there: ${where(rr.table, rr.chain, same + 1)}`);
    return true;
  }

  /** An existing rule already decides the probe the same way: the ruleset has it. */
  alreadyHandled(rr: RecipeRule): boolean {
    const chance = rr.rule.matches.some((m) => isChanceMatch(m.name));
    if (!rr.probe || chance) return false;
    const deciders = this.walk(rr).map((o) => {
      const d = deciderIn(o.path, rr.table);
      return d && d.index !== null ? { d, rule: this.ruleAt(d) } : null;
    });
    const mine = targetAction(rr.rule);
    if (!deciders.length || !deciders.every((x) => x?.rule && !this.recipeRules.has(x.rule) && sameAction(targetAction(x.rule), mine))) return false;
    const d = deciders[0]!.d;
    this.skip(rr, `already handled: ${rr.probe.what} is decided the same way by ${where(d.table, d.chain, d.index!)} (${d.rule})`);
    return true;
  }

  /** A companion rule (onlyIfNeeded) whose probe already gets the verdict it is for. */
  notNeeded(rr: RecipeRule): boolean {
    if (!rr.onlyIfNeeded || !rr.probe) return false;
    if (!this.walk(rr).every((o) => o.verdict === rr.probe!.expect)) return false;
    this.skip(rr, `not needed: ${rr.probe.what} already gets ${rr.probe.expect}`);
    return true;
  }

  /** Where the rule goes in its chain (0-based), by its position hint. */
  positionFor(rr: RecipeRule, c: Chain, stop: number): number {
    const lastEarly = this.earlyAt.get(c);
    if (rr.position === 'early' && lastEarly !== undefined && c.rules[lastEarly - 1]) return lastEarly;
    if (rr.position === 'early' && rr.probe) {
      // just before the rule that decides the probe now
      const firsts = this.walk(rr).map((o) => deciderIn(o.path, rr.table)).filter((d) => d && d.chain === rr.chain && d.index !== null);
      const idx = firsts.length ? Math.min(...firsts.map((d) => d!.index! - 1)) : -1;
      return idx >= 0 && (stop < 0 || idx < stop) ? idx : stop >= 0 ? stop : c.rules.length;
    }
    if (rr.position === 'top' && !this.allBottom) {
      const at = this.topCount.get(c) ?? 0;
      this.topCount.set(c, at + 1);
      return at;
    }
    return stop >= 0 ? stop : c.rules.length;
  }

  /** Every inserted rule's probe, walked through the merged ruleset: reached, and given the verdict it is for. */
  checkProbes(): void {
    for (const [rule, rr] of [...this.inserted]) {
      if (!rr.probe) continue;
      const c = findChain(findTable(this.rs, rr.table)!, rr.chain)!;
      if (c.rules.indexOf(rule) < 0) continue;
      this.checkProbe(rule, rr, c);
    }
  }

  checkProbe(rule: Rule, rr: RecipeRule, c: Chain): void {
    const outs = this.walk(rr);
    const reached = outs.filter((o) => o.path.some((s) => s.table === rr.table && s.chain === rr.chain && s.index === c.rules.indexOf(rule) + 1));
    const foreign: Foreign[] = [];
    for (const o of outs) {
      if (reached.includes(o)) continue;
      const d = deciderIn(o.path, rr.table);
      const dr = d ? this.ruleAt(d) ?? null : null;
      if (dr && this.recipeRules.has(dr)) continue;
      if (d) foreign.push({ step: d, rule: dr, condition: o.condition });
    }
    if (reached.length === 0) return this.unreached(rule, rr, c, foreign);
    const conflicting = foreign.filter((f) => !f.rule || !sameAction(targetAction(f.rule), targetAction(rule)));
    refuseNatConflict(rr, conflicting);
    for (const f of conflicting) this.notes.push(`${rr.text}: when ${f.condition || 'it applies'}, ${describeForeign(f)} decides ${rr.probe!.what} first`);
    this.checkVerdicts(rr, reached);
  }

  /** The probe never reaches the rule: an earlier rule doing the same makes it unneeded; anything else is refused. */
  unreached(rule: Rule, rr: RecipeRule, c: Chain, foreign: Foreign[]): void {
    const mine = targetAction(rule);
    if (foreign.length && foreign.every((f) => f.rule && sameAction(targetAction(f.rule), mine))) {
      c.rules.splice(c.rules.indexOf(rule), 1);
      this.inserted.delete(rule);
      this.skip(rr, `already handled: ${rr.probe!.what} is decided the same way by ${describeForeign(foreign[0])}`);
      return;
    }
    const by = foreign.length ? describeForeign(foreign[0]) : 'a rule of another table';
    throw new RecipeRefusal(
      `${rr.text} would never be reached: ${rr.probe!.what} is decided first by ${by}. Change or remove that rule first, then run the recipe again`,
      rr.text,
    );
  }

  /**
   * The reached outcomes must get the expected verdict. A wrong verdict that
   * holds only under a condition the tracer cannot tell (a match it does not
   * model) is noted, not refused.
   */
  checkVerdicts(rr: RecipeRule, reached: Outcome[]): void {
    const expect = rr.probe!.expect;
    const wrongs = reached.filter((o) => o.verdict !== expect);
    const wrong = wrongs.find((o) => !o.condition) ?? (wrongs.length === reached.length ? wrongs[0] : undefined);
    for (const o of wrongs) if (o !== wrong) this.notes.push(`${rr.text}: ${rr.probe!.what} gets ${o.verdict} when ${o.condition}`);
    if (!wrong) return;
    const d = wrong.decidedBy;
    throw new RecipeRefusal(
      `${rr.probe!.what} would still get ${wrong.verdict}${d ? ` from ${where(d.table, d.chain, d.index)}` : ' from a chain policy'}${wrong.condition ? ` when ${wrong.condition}` : ''}, after the recipe's ${rr.text}. Change that rule first`,
      rr.text,
    );
  }

  /** A new SSH connection that got in before must still get in. */
  sshGuard(opts: PlaceOptions): Attempt | null {
    const sshPort = opts.sshPort ?? 22;
    const P = fam(this.rs.family).probe;
    // the admin's address counts only in its own family's ruleset
    const client = opts.client && (opts.client.includes(':') === (this.rs.family === 'ipv6')) ? opts.client : P.client;
    const ssh: PacketSpec = { src: client, dst: P.host, proto: 'tcp', sport: P.clientPort, dport: sshPort, inIface: 'pcl0', state: 'NEW' };
    const walkSsh = (rs: Ruleset) => walkProbe(rs, ssh, { local: [P.host], hook: 'INPUT' });
    if (!walkSsh(this.original).every((o) => o.verdict === 'ACCEPT')) return null;
    const bad = walkSsh(this.rs).find((o) => o.verdict !== 'ACCEPT');
    if (!bad) return null;
    const d = bad.decidedBy;
    return {
      ok: false,
      reason: `this would refuse new SSH connections to port ${sshPort} (${bad.verdict} by ${d ? where(d.table, d.chain, d.index) : 'the policy'}) and lock you out: accept SSH before it first (e.g. portcullis recipe baseline --ssh-port ${sshPort}), or tell the recipe your SSH port with --ssh-port`,
    };
  }

  /** The merge must not add lint warnings or errors. */
  lintGuard(opts: PlaceOptions): Attempt | null {
    if (!opts.lint) return null;
    const f = newLintFinding(opts.lint, this.original, this.rs, this.inserted);
    return f ? { ok: false, lintProblem: true, reason: `the result would get a lint ${f.severity} (${f.code}): ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}` } : null;
  }

  result(): Attempt {
    const added: PlacedRule[] = [];
    for (const [rule, rr] of this.inserted) {
      const c = findChain(findTable(this.rs, rr.table)!, rr.chain)!;
      if (this.replaced.some((x) => x.to === rr.text && x.chain === rr.chain && x.table === rr.table)) continue;
      added.push({ table: rr.table, chain: rr.chain, index: c.rules.indexOf(rule) + 1, text: rr.text, why: rr.why });
    }
    for (const x of this.replaced) {
      const c = findChain(findTable(this.rs, x.table)!, x.chain)!;
      x.index = c.rules.findIndex((r) => `-A ${x.chain}${canonicalRuleBody(r)}` === x.to) + 1;
    }
    return { ok: true, ruleset: this.rs, added, skipped: this.skipped, replaced: this.replaced, createdChains: this.createdChains, notes: this.notes };
  }
}

function describeForeign(f: Foreign): string {
  return f.step.index === null ? `the ${f.step.chain} policy (${f.step.action})` : `${where(f.step.table, f.step.chain, f.step.index)} (${f.step.rule})`;
}

/** A nat rule whose packets an existing DNAT/SNAT already translates would get only some of them: refused. */
function refuseNatConflict(rr: RecipeRule, conflicting: Foreign[]): void {
  if (rr.table !== 'nat') return;
  const f = conflicting.find((x) => x.rule && ['dnat', 'snat'].includes(targetAction(x.rule).kind));
  if (!f) return;
  throw new RecipeRefusal(
    `${describeForeign(f)} already translates some of these packets (${rr.probe!.what}), so the recipe's rules would not get all of them. Remove that rule first (for the seed's -m nth cascade, this recipe is its replacement)`,
    rr.text,
  );
}

/**
 * The first warning or error the merged ruleset has that the original did not.
 * Findings are matched by code, table, chain and the rule they are about; a
 * problem the chain already had, now reported at another (existing) rule, is
 * not new.
 */
function newLintFinding(lint: (rs: Ruleset) => readonly Finding[], original: Ruleset, rs: Ruleset, inserted: Map<Rule, RecipeRule>): Finding | null {
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
  for (const f of lint(original)) {
    if (f.severity === 'info') continue;
    bump(seen, key(original, f), 1);
    bump(seenWhere, where2(f), 1);
  }
  for (const f of lint(rs)) {
    if (f.severity === 'info') continue;
    const k = key(rs, f);
    if ((seen.get(k) ?? 0) > 0) {
      bump(seen, k, -1);
      bump(seenWhere, where2(f), -1);
      continue;
    }
    const about = ruleOf(rs, f);
    if ((!(about && inserted.has(about)) || CHAIN_LEVEL.has(f.code)) && (seenWhere.get(where2(f)) ?? 0) > 0) {
      bump(seenWhere, where2(f), -1);
      continue;
    }
    return f;
  }
  return null;
}
