// Drift: the running rules are not what the saved file says (someone ran
// `iptables -I …` by hand, fail2ban added a rule, a script ran). A proposal
// made from the saved file then silently deletes the live-only rules when it
// is applied. This finds them, says what an apply would do to them, and can
// merge them into a proposal at the place they hold in the running rules.
import type { Chain, Rule, Ruleset, Table, TableName } from './model.js';
import { TABLE_NAMES, newTable } from './model.js';
import { canonicalRuleBody } from './canonical.js';
import { diffRuleTexts } from './diff.js';

/** A rule by where it is and its canonical text (`-A CHAIN …`). */
export interface DriftRule {
  table: TableName;
  chain: string;
  /** 1-based position in its chain (in the running rules for live-only, in the saved file for saved-only) */
  index: number;
  text: string;
}

export interface Drift {
  /** running rules the saved file does not have */
  liveOnly: DriftRule[];
  /** saved rules that are not running */
  savedOnly: DriftRule[];
  /** builtin chains whose policy differs */
  policies: { table: TableName; chain: string; saved: string; running: string }[];
  /** the live-only rules the proposal does not have: an apply of the proposal removes them */
  liveOnlyMissing: DriftRule[];
  /** saved ≠ running (order alone counts too) */
  drifted: boolean;
}

function ruleText(c: Chain, r: Rule): string {
  return `-A ${c.name}${canonicalRuleBody(r)}`;
}

function counts(c: Chain | undefined): Map<string, number> {
  const m = new Map<string, number>();
  if (c) for (const r of c.rules) {
    const t = ruleText(c, r);
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  return m;
}

function chainOf(rs: Ruleset | null, table: TableName, chain: string): Chain | undefined {
  return rs?.tables.find((t) => t.name === table)?.chains.find((c) => c.name === chain);
}

/** Rules of `a` beyond what `b` has of the same text (a multiset difference, per chain), in `a`'s order. */
function extraRules(a: Ruleset, b: Ruleset): DriftRule[] {
  const out: DriftRule[] = [];
  for (const name of TABLE_NAMES) {
    const t = a.tables.find((x) => x.name === name);
    if (!t) continue;
    for (const c of t.chains) {
      const have = counts(chainOf(b, name, c.name));
      c.rules.forEach((r, k) => {
        const text = ruleText(c, r);
        const n = have.get(text) ?? 0;
        if (n > 0) have.set(text, n - 1);
        else out.push({ table: name, chain: c.name, index: k + 1, text });
      });
    }
  }
  return out;
}

function sameOrder(a: Ruleset, b: Ruleset): boolean {
  for (const name of TABLE_NAMES) {
    const ta = a.tables.find((x) => x.name === name);
    for (const c of ta?.chains ?? []) {
      const cb = chainOf(b, name, c.name);
      if (!cb || cb.rules.length !== c.rules.length) return false;
      for (let k = 0; k < c.rules.length; k++) if (ruleText(c, c.rules[k]) !== ruleText(cb, cb.rules[k])) return false;
    }
  }
  return true;
}

/** How the running rules differ from the saved file, and what the proposal would do to the live-only rules. */
export function findDrift(saved: Ruleset, running: Ruleset, proposal: Ruleset | null): Drift {
  const liveOnly = extraRules(running, saved);
  const savedOnly = extraRules(saved, running);
  const policies: Drift['policies'] = [];
  for (const t of running.tables) {
    for (const c of t.chains) {
      if (!c.builtin) continue;
      const s = chainOf(saved, t.name, c.name);
      const sp = s?.policy ?? 'ACCEPT';
      const rp = c.policy ?? 'ACCEPT';
      if (sp !== rp) policies.push({ table: t.name, chain: c.name, saved: sp, running: rp });
    }
  }
  let liveOnlyMissing: DriftRule[] = [];
  if (proposal) {
    // per text: how many the proposal holds beyond the saved file's count
    const missing: DriftRule[] = [];
    const budget = new Map<string, number>();
    for (const r of liveOnly) {
      const key = `${r.table} ${r.text}`;
      if (!budget.has(key)) {
        const inProposal = counts(chainOf(proposal, r.table, r.chain)).get(r.text) ?? 0;
        const inSaved = counts(chainOf(saved, r.table, r.chain)).get(r.text) ?? 0;
        budget.set(key, Math.max(0, inProposal - inSaved));
      }
      const b = budget.get(key)!;
      if (b > 0) budget.set(key, b - 1);
      else missing.push(r);
    }
    liveOnlyMissing = missing;
  }
  const drifted = liveOnly.length > 0 || savedOnly.length > 0 || policies.length > 0 || !sameOrder(saved, running) || !sameOrder(running, saved);
  return { liveOnly, savedOnly, policies, liveOnlyMissing, drifted };
}

/**
 * The proposal with the live-only rules it lacks put back, each right after
 * the running rule that precedes it there (when the proposal has that rule),
 * else at the top of its chain. Chains and tables only the running rules have
 * are created. Rules the admin deleted from the proposal that the saved file
 * has stay deleted: only rules the saved file never had come back.
 * `proposal` is not modified.
 */
export function mergeLiveOnly(proposal: Ruleset, saved: Ruleset, running: Ruleset): { ruleset: Ruleset; added: number } {
  const out: Ruleset = { family: proposal.family, tables: proposal.tables.map((t) => ({ ...t, chains: t.chains.slice() })) };
  let added = 0;
  for (const rt of running.tables) {
    let table = out.tables.find((t) => t.name === rt.name);
    for (const rc of rt.chains) {
      const savedCounts = counts(chainOf(saved, rt.name, rc.name));
      const runCounts = counts(rc);
      // only chains with live-only rules are touched
      if (!rc.rules.some((r) => (runCounts.get(ruleText(rc, r)) ?? 0) > (savedCounts.get(ruleText(rc, r)) ?? 0))) continue;
      if (!table) out.tables.push((table = newTable(rt.name)));
      const n = mergeChain(table, rc, savedCounts, runCounts);
      added += n;
    }
  }
  return { ruleset: out, added };
}

function mergeChain(table: Table, rc: Chain, savedCounts: Map<string, number>, runCounts: Map<string, number>): number {
  let idx = table.chains.findIndex((c) => c.name === rc.name);
  if (idx < 0) {
    table.chains.push({ name: rc.name, builtin: false, policy: null, counters: null, rules: [], disabled: [] });
    idx = table.chains.length - 1;
  }
  const pc = table.chains[idx];
  const propTexts = pc.rules.map((r) => ruleText(pc, r));
  const propCounts = new Map<string, number>();
  for (const t of propTexts) propCounts.set(t, (propCounts.get(t) ?? 0) + 1);
  // the running chain aligned with the proposal (paired by similarity, as the
  // diff view shows them): a live-only rule goes after the proposal rule that
  // the running rule before it became (`--dport 80` edited to `8080` included)
  const rows = diffRuleTexts(rc.rules.map((r) => ruleText(rc, r)), propTexts);
  const after = new Map<number, Rule[]>(); // after proposal index p (-1: at the top)
  let anchor = -1;
  let added = 0;
  for (const row of rows) {
    if (row.right) {
      anchor = row.right.index - 1;
      continue;
    }
    if (row.kind !== 'delete' || !row.left) continue;
    const t = row.left.text;
    const have = propCounts.get(t) ?? 0;
    if (have < (runCounts.get(t) ?? 0) && (savedCounts.get(t) ?? 0) < (runCounts.get(t) ?? 0)) {
      const r = rc.rules[row.left.index - 1];
      const l = after.get(anchor) ?? [];
      // a copy without the running text's line numbers and counters: it is a new rule of the proposal
      l.push({ ...r, counters: null, source: undefined });
      after.set(anchor, l);
      propCounts.set(t, have + 1);
      added++;
    }
  }
  if (added === 0) return 0;
  const rules: Rule[] = [...(after.get(-1) ?? [])];
  pc.rules.forEach((r, k) => rules.push(r, ...(after.get(k) ?? [])));
  const insertedBefore = (b: number) => {
    let n = 0;
    for (const [p, l] of after) if (p < b) n += l.length;
    return n;
  };
  table.chains[idx] = { ...pc, rules, disabled: pc.disabled.map((d) => ({ ...d, before: d.before + insertedBefore(d.before) })) };
  return added;
}
