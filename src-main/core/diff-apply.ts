// Applying a change set back to a ruleset (the app's staged edits, the apply's
// plan): every old rule a change names is checked, so a change set made against
// another ruleset fails instead of doing damage.
import type { Chain, Rule, Ruleset, TableName } from './model.js';
import { TABLE_NAMES, newTable } from './model.js';
import { canonicalRuleBody } from './canonical.js';
import { tokenizeLine } from './tokenize.js';
import { parseCommandWords, RuleError } from './rule-parser.js';
import type { Change, ChangeSet } from './diff-types.js';

/** The change set does not fit the ruleset it is applied to (it was made against another one). */
export class ChangeSetError extends Error {
  override name = 'ChangeSetError';
}

/**
 * Apply a change set made by `diffRulesets(a, b)` to `a` (or to a ruleset
 * canonically equal to it), giving a ruleset canonically equal to `b`. Every
 * delete, replace and move names the old rule's text, which is checked, so a
 * change set applied to the wrong base fails instead of doing damage. `a` is
 * not modified; unchanged rules are shared with it.
 */
export function applyChangeSet(a: Ruleset, cs: ChangeSet): Ruleset {
  type ChainPlan = { adds: Change[]; deletes: Change[]; added: boolean; deleted: boolean; policy?: string };
  const plans = new Map<TableName, Map<string, ChainPlan>>();
  const planOf = (t: TableName, c: string): ChainPlan => {
    let tp = plans.get(t);
    if (!tp) plans.set(t, (tp = new Map()));
    let p = tp.get(c);
    if (!p) tp.set(c, (p = { adds: [], deletes: [], added: false, deleted: false }));
    return p;
  };
  for (const ch of cs.changes) {
    if (!TABLE_NAMES.includes(ch.table)) throw new ChangeSetError(`unknown table ${ch.table}`);
    const p = planOf(ch.table, ch.chain);
    switch (ch.op) {
      case 'add': p.adds.push(ch); break;
      case 'delete': p.deletes.push(ch); break;
      case 'replace':
      case 'move': p.adds.push(ch); p.deletes.push(ch); break;
      case 'policy': p.policy = ch.to; break;
      case 'chain-add': p.added = true; break;
      case 'chain-delete': p.deleted = true; break;
    }
  }

  const out: Ruleset = { family: a.family, tables: a.tables.map((t) => ({ ...t, chains: t.chains.slice() })) };
  for (const [tname, tp] of plans) {
    let t = out.tables.find((x) => x.name === tname);
    if (!t) {
      t = newTable(tname);
      out.tables.push(t);
    }
    const table = t;
    // chains that will exist, for jumps in added rules
    const names = new Set(table.chains.map((c) => c.name));
    for (const [cname, p] of tp) {
      if (p.added) names.add(cname);
      if (p.deleted) names.delete(cname);
    }
    for (const [cname, p] of tp) {
      let idx = table.chains.findIndex((c) => c.name === cname);
      if (p.added) {
        if (idx >= 0) throw new ChangeSetError(`chain ${cname} already exists in table ${tname}`);
        table.chains.push({ name: cname, builtin: false, policy: null, counters: null, rules: [], disabled: [] });
        idx = table.chains.length - 1;
      }
      if (idx < 0) throw new ChangeSetError(`no chain ${cname} in table ${tname}`);
      const old = table.chains[idx];
      const rules = applyToRules(tname, old, p.adds, p.deletes, names);
      // commented-out rules stay, at most at the chain's new end (their neighbours may be gone)
      const disabled = rules === old.rules ? old.disabled : old.disabled.map((x) => ({ ...x, before: Math.min(x.before, rules.length) }));
      const chain: Chain = { ...old, rules, disabled };
      if (p.policy !== undefined) {
        if (!old.builtin) throw new ChangeSetError(`chain ${cname} is a user chain and has no policy`);
        if (p.policy !== 'ACCEPT' && p.policy !== 'DROP') throw new ChangeSetError(`bad policy ${p.policy}`);
        chain.policy = p.policy;
      }
      if (p.deleted) {
        if (old.builtin) throw new ChangeSetError(`cannot delete builtin chain ${cname}`);
        if (chain.rules.length) throw new ChangeSetError(`chain ${cname} still has rules`);
        table.chains.splice(idx, 1);
      } else {
        table.chains[idx] = chain;
      }
    }
  }
  return out;
}

function applyToRules(table: TableName, chain: Chain, adds: Change[], deletes: Change[], chainNames: Set<string>): Rule[] {
  if (adds.length === 0 && deletes.length === 0) return chain.rules;
  const old = chain.rules;
  const head = `-A ${chain.name}`;
  const check = (i: number, text: string) => {
    if (i < 1 || i > old.length) throw new ChangeSetError(`${chain.name} has no rule #${i}`);
    if (head + canonicalRuleBody(old[i - 1]) !== text) throw new ChangeSetError(`${chain.name} #${i} is not "${text}"`);
  };
  // Remove deleted and moved-away rules; replaced rules are swapped in place.
  const gone = new Uint8Array(old.length + 1);
  const swapped = new Map<number, Rule>();
  for (const c of deletes) {
    if (c.op === 'delete') {
      check(c.index, c.rule);
      gone[c.index] = 1;
    } else if (c.op === 'move') {
      check(c.fromIndex, c.rule);
      gone[c.fromIndex] = 1;
    } else if (c.op === 'replace') {
      check(c.fromIndex, c.from);
      swapped.set(c.fromIndex, parseRuleText(table, chain.name, c.to, chainNames));
    }
  }
  const kept: Rule[] = [];
  for (let i = 1; i <= old.length; i++) {
    if (gone[i]) continue;
    kept.push(swapped.get(i) ?? old[i - 1]);
  }
  // Added, moved-in and replacing rules sit at their new positions; the kept
  // rules fill the other places in order (the diff aligned them that way).
  const placed = new Map<number, Rule>();
  for (const c of adds) {
    if ((c.op === 'add' || c.op === 'move') && placed.has(c.index)) throw new ChangeSetError(`${chain.name}: two rules for position #${c.index}`);
    if (c.op === 'add') placed.set(c.index, parseRuleText(table, chain.name, c.rule, chainNames));
    else if (c.op === 'move') placed.set(c.index, old[c.fromIndex - 1]);
  }
  // a replace keeps its slot among the kept rules; its new index only has to agree
  const total = kept.length + placed.size;
  const rules: Rule[] = new Array(total);
  let k = 0;
  for (let pos = 1; pos <= total; pos++) {
    const p = placed.get(pos);
    if (p) rules[pos - 1] = p;
    else {
      if (k >= kept.length) throw new ChangeSetError(`${chain.name}: rule positions do not fit`);
      rules[pos - 1] = kept[k++];
    }
  }
  if (k !== kept.length) throw new ChangeSetError(`${chain.name}: rule positions do not fit`);
  for (const c of adds) {
    if (c.op === 'replace' && rules[c.index - 1] !== swapped.get(c.fromIndex))
      throw new ChangeSetError(`${chain.name}: replaced rule #${c.fromIndex} does not land on #${c.index}`);
  }
  return rules;
}

/** Parse one canonical `-A CHAIN …` text into a rule of `table`. */
function parseRuleText(table: TableName, chain: string, text: string, chainNames: Set<string>): Rule {
  const { words } = tokenizeLine(text);
  let parsed;
  try {
    parsed = parseCommandWords(words, { table, isChain: (n) => chainNames.has(n) });
  } catch (e) {
    if (e instanceof RuleError) throw new ChangeSetError(`cannot parse "${text}": ${e.message}`);
    throw e;
  }
  const c = parsed.command;
  if (c.kind !== 'append' || c.chain !== chain || c.rules.length !== 1) throw new ChangeSetError(`"${text}" is not one rule of ${chain}`);
  return c.rules[0];
}
