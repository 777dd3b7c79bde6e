// What the kernel checks when iptables-restore commits a table: targets in the
// wrong table or hook (DNAT in filter, MASQUERADE in PREROUTING), matches used
// without the protocol they need, loops of jumps. iptables-restore only says
// "line N failed" for the COMMIT line; we name the offending rule instead.
import { IntPairs } from './int-pairs.js';
import type { Chain, Hook, Rule, Table } from './model.js';
import type { Finding, FindingCode } from './findings.js';
import { findMatch, findTarget } from './extensions/registry.js';
import { protocolName } from './values.js';
import type { TemplateChecks } from './line-templates.js';

/**
 * What the graph walks below look at of a chain's rules that jump or go to a
 * user chain, in rule order: the chain's name and the rule's line (-1: none),
 * two entries each. Kept per chain from the append to the commit instead of
 * an object per jump holding the rule's target and source: a kube-proxy nat
 * table's 70,000 jumps (a deep tree's 57,000) were ~10 MB that lived just long
 * enough to be copied by every scavenge and promoted.
 */
type JumpPairs = (string | number)[];

/** the jumps of chain c's rules as JumpPairs (a table read into the model, see validFresh) */
export function jumpPairsOf(rules: readonly Rule[]): JumpPairs | undefined {
  let out: JumpPairs | undefined;
  for (let k = 0; k < rules.length; k++) {
    const tg = rules[k].target;
    if (tg?.chain) (out ??= []).push(tg.name, rules[k].source?.line ?? -1);
  }
  return out;
}

/**
 * The table's jumps as numbers: the user chains (positions in t.chains) that
 * chain k jumps or goes to are to[start[k]] … to[start[k + 1] - 1], each once,
 * in the order of its rules (one array for the table, not one per chain: a
 * deep tree's 57,000 chains). The walks below run on it instead of looking a
 * name up per rule and hook (a kube-proxy nat table: 36,000 chains, 60,000
 * jumps); `at` finds a chain's position by its name.
 */
interface JumpGraph {
  at: Map<string, number>;
  start: Int32Array;
  to: Int32Array;
}

function jumpGraph(t: Table, appended?: ReadonlyMap<Chain, JumpPairs>): JumpGraph {
  const chains = t.chains;
  const at = new Map<string, number>();
  for (let k = 0; k < chains.length; k++) at.set(chains[k].name, k);
  const start = new Int32Array(chains.length + 1);
  const listedBy = new Int32Array(chains.length).fill(-1);
  const list: number[] = [];
  const edge = (k: number, name: string) => {
    const j = at.get(name);
    if (j === undefined || chains[j].builtin || listedBy[j] === k) return;
    listedBy[j] = k;
    list.push(j);
  };
  for (let k = 0; k < chains.length; k++) {
    start[k] = list.length;
    if (appended) {
      const pairs = appended.get(chains[k]);
      if (pairs) for (let i = 0; i < pairs.length; i += 2) edge(k, pairs[i] as string);
    } else {
      // indexed loops over rules: a for-of iterator costs an object per rule until the loop is optimized
      const rules = chains[k].rules;
      for (let i = 0; i < rules.length; i++) {
        const tg = rules[i].target;
        if (tg?.chain) edge(k, tg.name);
      }
    }
  }
  start[chains.length] = list.length;
  return { at, start, to: Int32Array.from(list) };
}

/**
 * For each chain, the builtin chains (hooks) from which a packet can reach it.
 * One walk per hook with a bit per hook, each chain entered once per hook (a
 * kube-proxy nat table has 20,000 chains that all jump to KUBE-MARK-MASQ), and
 * one shared read-only set per combination of hooks instead of a set per chain.
 */
export function reachingHooks(t: Table): Map<string, ReadonlySet<Hook>> {
  const chains = t.chains;
  const mask = hookMasks(t, jumpGraph(t));
  const setOf = hookSets(t);
  const hooks = new Map<string, ReadonlySet<Hook>>();
  for (let k = 0; k < chains.length; k++) hooks.set(chains[k].name, setOf(mask[k]));
  return hooks;
}

/** per chain (by position), a bit per builtin chain (in table order) that reaches it */
function hookMasks(t: Table, g: JumpGraph): Int32Array {
  const chains = t.chains;
  const { start, to } = g;
  const mask = new Int32Array(chains.length);
  const stack: number[] = [];
  let b = 0;
  for (let root = 0; root < chains.length; root++) {
    if (!chains[root].builtin) continue;
    const bit = 1 << b++;
    stack.push(root);
    while (stack.length) {
      const cur = stack.pop()!;
      if (mask[cur] & bit) continue;
      mask[cur] |= bit;
      for (let i = start[cur]; i < start[cur + 1]; i++) if (!(mask[to[i]] & bit)) stack.push(to[i]);
    }
  }
  return mask;
}

/** the set of hooks of a mask (hookMasks'), one shared set per mask */
function hookSets(t: Table): (mask: number) => ReadonlySet<Hook> {
  const builtins = t.chains.filter((c) => c.builtin);
  const shared = new Map<number, ReadonlySet<Hook>>();
  return (m) => {
    let set = shared.get(m);
    if (!set) shared.set(m, (set = new Set(builtins.filter((_, x) => m & (1 << x)).map((x) => x.name as Hook))));
    return set;
  };
}

// Depth-first with an explicit stack: a 10,000-deep jump chain loads in the
// kernel, so the walk must not use the call stack.
function findLoop(t: Table, g: JumpGraph): string[] | null {
  const chains = t.chains;
  const { start, to } = g;
  /** 1 on the path, 2 done */
  const state = new Uint8Array(chains.length);
  // the path: each chain on it and where its walk of its edges is (a chain is on it at most once)
  const pathK = new Int32Array(chains.length);
  const pathI = new Int32Array(chains.length);
  let depth = 0;
  const enter = (k: number) => {
    state[k] = 1;
    pathK[depth] = k;
    pathI[depth++] = start[k];
  };
  for (let root = 0; root < chains.length; root++) {
    if (!chains[root].builtin || state[root]) continue;
    enter(root);
    while (depth > 0) {
      const k = pathK[depth - 1];
      if (pathI[depth - 1] >= start[k + 1]) {
        depth--;
        state[k] = 2;
        continue;
      }
      const next = to[pathI[depth - 1]++];
      if (state[next] === 1) {
        const names = Array.from(pathK.subarray(0, depth), (f) => chains[f].name);
        return [...names.slice(names.indexOf(chains[next].name)), chains[next].name];
      }
      if (!state[next]) enter(next);
    }
  }
  return null;
}

type Problem = { code: FindingCode; message: string; fix?: string };

/**
 * What the file reader worked out while it appended a table's rules, so that the
 * commit need not walk 100,000 rules again (by then they are out of the CPU's
 * caches): valid only while rules were only appended (no -I -R -D -F -X -E).
 */
export interface AppendedChecks {
  /** per chain, its rules that jump or go to a user chain, in order (only the chain they name and their line) */
  jumps: Map<Chain, JumpPairs>;
  /** rules whose checks do not depend on hooks, with the problem found when they were appended */
  found: { chain: Chain; index: number; rule: Rule; problem: Problem }[];
  /** rules with checks that depend on the hooks that reach their chain: checked at commit */
  deferred: { chain: Chain; index: number; rule: Rule }[];
  /**
   * The same, when the reader gave each rule a key that says everything those
   * checks read of it (its canonical text after the addresses and interfaces):
   * a run of rules of one chain with the same key is one rule and the index and
   * line of every rule like it. 70,000 `-j REJECT` rules of a fail2ban chain are
   * then one check and two numbers each, instead of 70,000 rules kept until
   * COMMIT. Only runs: a map of every key costs more than it saves where rules
   * differ (rate limits on their ports); but a run goes on after rules of other
   * chains (fail2ban's chains are filled in turns).
   */
  alike: Alike[];
  /** per chain, its last entry of `alike` (the run a rule of the same key goes on) */
  lastAlike: Map<Chain, Alike>;
}

interface Alike {
  chain: Chain;
  rule: Rule;
  /** index and line (-1: none) of each rule of the run */
  at: IntPairs;
  key: string;
}

export function newAppendedChecks(): AppendedChecks {
  return { jumps: new Map(), found: [], deferred: [], alike: [], lastAlike: new Map() };
}

const NO_HOOKS: ReadonlySet<Hook> = new Set();

/**
 * What checkAppended kept of a rule, for a reader that does the same for an
 * equal line later (the diff's new file, see diff-reuse.ts): NOTHING (no jump,
 * no check of the hooks, nothing found), JUMP only (its target), ALIKE only (in
 * the run acc.lastAlike has for the chain), or OTHER.
 */
export const Kept = { NOTHING: 0, JUMP: 1, ALIKE: 2, OTHER: 3 } as const;
export type Kept = (typeof Kept)[keyof typeof Kept];

/**
 * Record rule `r`, just appended to chain c of table t at 0-based index.
 * `key`: see AppendedChecks.alike (a reader that does not keep its rules gives one).
 */
export function checkAppended(acc: AppendedChecks, t: Table, c: Chain, r: Rule, index: number, key?: string): Kept {
  const tg = r.target;
  if (tg?.chain) {
    const list = acc.jumps.get(c);
    if (list) list.push(tg.name, r.source?.line ?? -1);
    else acc.jumps.set(c, [tg.name, r.source?.line ?? -1]);
  }
  if (dependsOnHooks(r)) {
    if (key === undefined) {
      acc.deferred.push({ chain: c, index, rule: r });
      return Kept.OTHER;
    }
    const last = acc.lastAlike.get(c);
    if (last && last.key === key) last.at.push(index, r.source?.line ?? -1);
    else {
      const kept = onlyTargetHooks(r) ? targetHooksRule(t, c, r, index, acc) : r;
      if (!kept) {
        acc.lastAlike.delete(c);
        return Kept.OTHER;
      }
      startAlike(acc, c, kept, index, r.source?.line ?? -1, key);
    }
    return tg?.chain ? Kept.OTHER : Kept.ALIKE;
  }
  // without hook-dependent checks, ruleProblem uses neither the hooks nor the chain
  const problem = ruleProblem(t, c, r, NO_HOOKS, builtinChains(t));
  if (problem) {
    acc.found.push({ chain: c, index, rule: r, problem });
    return Kept.OTHER;
  }
  return tg?.chain ? Kept.JUMP : Kept.NOTHING;
}

function startAlike(acc: AppendedChecks, c: Chain, rule: Rule, index: number, line: number, key: string): void {
  // kept to the commit: flat, not the tree of a dozen pieces it was printed as (kube-proxy's 23,000 DNATs: ~10 MB)
  key.charCodeAt(0);
  const entry = { chain: c, rule, at: new IntPairs(), key };
  entry.at.push(index, line);
  acc.alike.push(entry);
  acc.lastAlike.set(c, entry);
}

/**
 * checkAppended of a rule that jumps or goes to a user chain and has no other
 * check (Kept.JUMP), from its target alone: `target` may be another reader's
 * (nothing changes it), the line is this one's.
 */
export function appendedJump(acc: AppendedChecks, c: Chain, target: NonNullable<Rule['target']>, line: number): void {
  const list = acc.jumps.get(c);
  if (list) list.push(target.name, line);
  else acc.jumps.set(c, [target.name, line]);
}

/**
 * checkAppended of a rule of Kept.ALIKE that does not go on its chain's last
 * run (appendedAlike said false), from `rule`, what another reader kept of a
 * rule of the same key (the run's first): a run of its own from this line.
 */
export function appendedAlikeAs(acc: AppendedChecks, c: Chain, index: number, line: number, key: string, rule: Rule): void {
  startAlike(acc, c, { ...rule, source: { line } }, index, line, key);
}

/** The run of rules alike that chain c's last such rule is in (after checkAppended said Kept.ALIKE, or appendedAlike true). */
export function lastAlikeOf(acc: AppendedChecks, c: Chain): { readonly rule: Rule; readonly key: string } | undefined {
  return acc.lastAlike.get(c);
}

/**
 * checkAppended for a rule of the same key as its chain's last one recorded
 * in `alike` (a LineTemplate's line): recorded as its index and line. False
 * when the last one is not such (then checkAppended it).
 */
export function appendedAlike(acc: AppendedChecks, c: Chain, index: number, line: number, key: string): boolean {
  const last = acc.lastAlike.get(c);
  if (!last || last.key !== key) return false;
  last.at.push(index, line);
  return true;
}

/**
 * What checkAppended does with rules like r (differing only in addresses,
 * which no check reads): 'none' nothing (no jump, no check of the hooks,
 * nothing found), 'alike' a run in `alike`, 'jump' only the jump kept
 * (Kept.JUMP), 'other' anything else.
 */
export function appendedKind(t: Table, c: Chain, r: Rule): TemplateChecks {
  const jump = r.target?.chain === true;
  if (dependsOnHooks(r)) return jump ? 'other' : 'alike';
  if (ruleProblem(t, c, r, NO_HOOKS, builtinChains(t))) return 'other';
  return jump ? 'jump' : 'none';
}

/** The rule depends on the hooks only through its target's (DNAT, SNAT, MASQUERADE …): no kernel check, no protocol it needs. */
function onlyTargetHooks(r: Rule): boolean {
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k];
    if (!m.unknown && readsHooks(findMatch(m.name)?.kernelCheck)) return false;
  }
  const ext = r.target && !r.target.chain && !r.target.unknown ? findTarget(r.target.name) : undefined;
  return ext?.hooks !== undefined && ext.kernelCheck === undefined && ext.requiresProto === undefined;
}

/**
 * For such a rule (a kube-proxy DNAT, each with its own comment and address):
 * every check before the target's hooks is done now, and what the commit's
 * hook check reads is all that is kept — the target's name and the line — not
 * the rule's matches and state. Null when a check failed now (the hooks cannot
 * change that: it comes first), recorded in `found`.
 */
function targetHooksRule(t: Table, c: Chain, r: Rule, index: number, acc: AppendedChecks): Rule | null {
  const problem = ruleProblem(t, c, r, NO_HOOKS, builtinChains(t));
  if (problem) {
    acc.found.push({ chain: c, index, rule: r, problem });
    return null;
  }
  const tg = r.target!;
  return { src: null, dst: null, inIface: null, outIface: null, proto: null, fragment: null, matches: NONE, target: { kind: tg.kind, name: tg.name, options: NONE, state: undefined }, counters: null, source: r.source };
}

/** the kept rule's empty matches and options: one frozen array, not two per rule */
const NONE: never[] = [];
Object.freeze(NONE);

function dependsOnHooks(r: Rule): boolean {
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k];
    if (m.unknown) continue;
    if (readsHooks(findMatch(m.name)?.kernelCheck)) return true;
  }
  const tg = r.target;
  if (!tg || tg.chain || tg.unknown) return false;
  const ext = findTarget(tg.name);
  return ext !== undefined && (ext.hooks !== undefined || readsHooks(ext.kernelCheck));
}

/**
 * A kernel check that declares its third parameter (the table and hooks) may
 * depend on the hooks; one of fewer parameters (limit's, string's, REJECT's:
 * the state, the rule) gives the same answer at append as at commit, so its
 * rules are checked as they are appended instead of kept to the commit — on
 * 100,000 rate limits, each with its own port, that was every rule's model.
 */
function readsHooks(check: ((...args: never[]) => unknown) | undefined): boolean {
  return check !== undefined && check.length >= 3;
}

const builtinSets = new Map<string, ReadonlySet<string>>();
function builtinChains(t: Table): ReadonlySet<string> {
  // the builtin chains of a table are fixed by its name (newTable)
  let set = builtinSets.get(t.name);
  if (!set) builtinSets.set(t.name, (set = new Set(t.chains.filter((c) => c.builtin).map((c) => c.name))));
  return set;
}

/**
 * The kernel's checks at COMMIT. `appended`: what the reader recorded while it
 * appended the table's rules (see AppendedChecks); the findings are the same.
 */
export function validateTable(t: Table, commitLine: number, appended?: AppendedChecks): Finding[] {
  const out: Finding[] = [];
  const g = jumpGraph(t, appended?.jumps);
  const mask = hookMasks(t, g);
  const setOf = hookSets(t);
  // by position, not a map of every chain's name (57,000 in a deep tree) to its set
  const hooksOfChain = (c: Chain) => setOf(mask[g.at.get(c.name)!]);
  const atCommit = `(iptables-restore reports this as "line ${commitLine} failed" at COMMIT)`;
  const loop = findLoop(t, g);
  if (loop) {
    const first = t.chains.find((c) => c.name === loop[0]);
    // with `appended`, the table's rules may not be kept (parseRulesetTexts): its jumps are
    const line = first ? loopLine(first, loop[1], appended?.jumps) : -1;
    out.push({ code: 'jump-loop', severity: 'error', line: line >= 0 ? line : commitLine, table: t.name, chain: loop[0],
      message: `the jumps ${loop.join(' → ')} form a loop; the kernel refuses the table ${atCommit}`, fix: 'break the loop: one of these chains must not jump back' });
  }
  const builtin = new Set(t.chains.filter((c) => c.builtin).map((c) => c.name));
  if (appended) {
    // the rules' problems in table order: chains as listed, rules by index
    const entries: { chain: Chain; index: number; rule: Rule; problem: Problem }[] = [...appended.found];
    for (const d of appended.deferred) {
      const problem = ruleProblem(t, d.chain, d.rule, hooksOfChain(d.chain), builtin);
      if (problem) entries.push({ ...d, problem });
    }
    for (const { chain, rule, at } of appended.alike) {
      const problem = ruleProblem(t, chain, rule, hooksOfChain(chain), builtin);
      if (!problem) continue;
      // the rule itself for the first; for the others only its line differs
      for (let k = 0; k < at.length; k += 2) entries.push({ chain, index: at.at(k), rule: k === 0 ? rule : { ...rule, source: at.at(k + 1) < 0 ? undefined : { line: at.at(k + 1) } }, problem });
    }
    // (a map of every chain to its position only when there is something to sort)
    const order = entries.length > 1 ? new Map(t.chains.map((c, k) => [c, k])) : new Map<Chain, number>();
    entries.sort((a, b) => order.get(a.chain)! - order.get(b.chain)! || a.index - b.index);
    for (const { chain: c, index: k, rule: r, problem } of entries) {
      out.push({ code: problem.code, severity: 'error', line: r.source?.line ?? commitLine, table: t.name, chain: c.name, index: k + 1,
        message: `${problem.message} ${atCommit}`, fix: problem.fix });
    }
    return out;
  }
  for (const c of t.chains) {
    const h = hooksOfChain(c);
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k];
      const problem = ruleProblem(t, c, r, h, builtin);
      if (problem) {
        out.push({ code: problem.code, severity: 'error', line: r.source?.line ?? commitLine, table: t.name, chain: c.name, index: k + 1,
          message: `${problem.message} ${atCommit}`, fix: problem.fix });
      }
    }
  }
  return out;
}

/** the line of chain c's first rule that jumps or goes to `to` (-1: none, or a rule without one) */
function loopLine(c: Chain, to: string, appended: ReadonlyMap<Chain, JumpPairs> | undefined): number {
  if (!appended) return c.rules.find((r) => r.target?.name === to)?.source?.line ?? -1;
  const pairs = appended.get(c) ?? [];
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === to) return pairs[i + 1] as number;
  return -1;
}

function ruleProblem(t: Table, c: Chain, r: Rule, hooks: ReadonlySet<Hook>, builtin: ReadonlySet<string>): Problem | null {
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k];
    if (m.unknown) continue;
    const ext = findMatch(m.name);
    if (!ext) continue;
    if (ext.requiresProto && !(r.proto && !r.proto.invert && ext.requiresProto.includes(r.proto.num))) {
      const names = ext.requiresProto.map(protocolName);
      return { code: 'invalid-argument', message: `-m ${m.name} needs -p ${names.join(' or -p ')} in the same rule`, fix: `add -p ${names[0]} before -m ${m.name}` };
    }
    if (ext.kernelCheck) {
      const k = ext.kernelCheck(m.state, r, { table: t.name, hooks });
      if (k) return { code: 'invalid-argument', message: k };
    }
  }
  const tg = r.target;
  if (!tg) return null;
  if (tg.chain) {
    if (builtin.has(tg.name)) return { code: 'invalid-argument', message: `a rule cannot jump to the builtin chain ${tg.name}`, fix: 'jump to a user chain, or use RETURN' };
    return null;
  }
  if (tg.unknown) return null;
  const ext = findTarget(tg.name);
  if (!ext) return null;
  if (ext.tables && !ext.tables.includes(t.name)) {
    return { code: 'wrong-table', message: `${tg.name} is only valid in the ${ext.tables.join(' or ')} table, not in ${t.name}`,
      fix: `move the rule to the ${ext.tables[0]} table (-t ${ext.tables[0]})` };
  }
  if (ext.hooks && hooks.size > 0) {
    const bad = [...hooks].filter((h) => !ext.hooks!.includes(h));
    if (bad.length) {
      const via = c.builtin ? '' : ` (chain ${c.name} is reached from ${bad.join(', ')})`;
      return { code: 'wrong-table', message: `${tg.name} is only valid in ${ext.hooks.join(', ')}, not in ${bad.join(', ')}${via}`,
        fix: `put the rule in ${ext.hooks.join(' or ')}` };
    }
  }
  if (ext.requiresProto && !(r.proto && !r.proto.invert && ext.requiresProto.includes(r.proto.num))) {
    const names = ext.requiresProto.map(protocolName);
    return { code: 'invalid-argument', message: `-j ${tg.name} needs -p ${names.join(' or -p ')} in the same rule`, fix: `add -p ${names[0]}` };
  }
  if (ext.kernelCheck) {
    const k = ext.kernelCheck(tg.state, r, { table: t.name, hooks });
    if (k) return { code: 'invalid-argument', message: k };
  }
  return null;
}
