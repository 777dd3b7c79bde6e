// Drift: the running rules are not what the saved file says (someone ran
// `iptables -I …` by hand, fail2ban added a rule, a script ran). A proposal
// made from the saved file then silently deletes the live-only rules when it
// is applied. This finds them, says what an apply would do to them, and can
// merge them into a proposal at the place they hold in the running rules.
import type { Chain, Rule, Ruleset, Table, TableName } from './model.js';
import { TABLE_NAMES, newTable } from './model.js';
import { canonicalRuleBody } from './canonical.js';
import { diffRuleTexts, diffRulesets, type Change } from './diff.js';

/** A rule by where it is and its canonical text (`-A CHAIN …`). */
interface DriftRule {
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

/** How the running rules differ from the saved file, and what the proposal would do to the live-only rules. */
export function findDrift(saved: Ruleset, running: Ruleset, proposal: Ruleset | null): Drift {
  return driftFromChanges(diffRulesets(saved, running).changes, proposal ? diffRulesets(running, proposal).changes : null);
}

/**
 * The same from the diffs the app has already made (saved → running, and
 * running → proposed): no ruleset is canonicalized again, so it costs next to
 * nothing on the page's thread however big the rulesets are. A replaced rule
 * counts as one rule only the running side has and one only the saved side has.
 */
export function driftFromChanges(savedToRunning: readonly Change[], runningToProposed: readonly Change[] | null): Drift {
  const liveOnly: DriftRule[] = [];
  const savedOnly: DriftRule[] = [];
  const policies: Drift['policies'] = [];
  for (const c of savedToRunning) {
    if (c.op === 'add') liveOnly.push({ table: c.table, chain: c.chain, index: c.index, text: c.rule });
    else if (c.op === 'replace') {
      liveOnly.push({ table: c.table, chain: c.chain, index: c.index, text: c.to });
      savedOnly.push({ table: c.table, chain: c.chain, index: c.fromIndex, text: c.from });
    } else if (c.op === 'delete') savedOnly.push({ table: c.table, chain: c.chain, index: c.index, text: c.rule });
    else if (c.op === 'policy') policies.push({ table: c.table, chain: c.chain, saved: c.from, running: c.to });
  }
  liveOnly.sort((x, y) => TABLE_NAMES.indexOf(x.table) - TABLE_NAMES.indexOf(y.table) || (x.chain < y.chain ? -1 : x.chain > y.chain ? 1 : x.index - y.index));
  let liveOnlyMissing: DriftRule[] = [];
  if (runningToProposed) {
    // the running rules the apply would take away (deleted, or replaced by another rule)
    const removed = new Map<string, number>();
    const key = (t: TableName, chain: string, text: string) => `${t} ${chain} ${text}`;
    for (const c of runningToProposed) {
      const text = c.op === 'delete' ? c.rule : c.op === 'replace' ? c.from : null;
      if (text === null) continue;
      const k = key(c.table, c.chain, text);
      removed.set(k, (removed.get(k) ?? 0) + 1);
    }
    liveOnlyMissing = liveOnly.filter((r) => {
      const k = key(r.table, r.chain, r.text);
      const n = removed.get(k) ?? 0;
      if (n > 0) removed.set(k, n - 1);
      return n > 0;
    });
  }
  return { liveOnly, savedOnly, policies, liveOnlyMissing, drifted: savedToRunning.length > 0 };
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
