// Editing a ruleset in place: add, change, delete, disable/enable, move rules
// and set policies, each an operation on the parsed file that goes back out
// through the preserving writer — so the admin's comments, blank lines and
// spelling stay, and only the rules touched change. A chain's ENTRIES are its
// active and disabled (`#-A …`) rules in file order; operations address rules
// by their position among the entries, the way the rule list shows them.
import type { Chain, DisabledRule, Family, Rule, Ruleset, Table, TableName } from './model.js';
import { BUILTIN_CHAINS, findChain, findTable } from './model.js';
import type { Finding } from './findings.js';
import { parseRuleset, type ParseResult } from './parse.js';
import { writePreserving } from './preserve.js';
import { registeredMatches, registeredTargets } from './extensions/registry.js';

interface Entry {
  rule: Rule;
  disabled: boolean;
}

export interface RuleRef {
  table: TableName;
  chain: string;
  /** 0-based position among the chain's entries */
  at: number;
}

export type EditOp =
  /** a new rule (`body` as after `-A CHAIN`) placed at entry position `at` (entries.length = at the end) */
  | { kind: 'add'; table: TableName; chain: string; at: number; body: string; disabled?: boolean }
  | { kind: 'replace'; ref: RuleRef; body: string }
  | { kind: 'delete'; refs: RuleRef[] }
  | { kind: 'set-disabled'; refs: RuleRef[]; disabled: boolean }
  /** the entries at `from` (one chain) move as one block, in their order, to land at position `to` of the result */
  | { kind: 'move'; table: TableName; chain: string; from: number[]; to: number }
  | { kind: 'policy'; table: TableName; chain: string; policy: 'ACCEPT' | 'DROP' };

type EditResult = { ok: true; text: string; ruleset: Ruleset } | { ok: false; message: string; findings?: Finding[] };

/** A chain's active and disabled rules in file order. */
function chainEntries(c: Chain): Entry[] {
  const out: Entry[] = [];
  const disabled = [...c.disabled].sort((a, b) => a.before - b.before);
  let d = 0;
  for (let k = 0; k <= c.rules.length; k++) {
    while (d < disabled.length && Math.min(disabled[d].before, c.rules.length) <= k) out.push({ rule: disabled[d++].rule, disabled: true });
    if (k < c.rules.length) out.push({ rule: c.rules[k], disabled: false });
  }
  return out;
}

/** The chain with these entries (the rest of it as it was). */
function withEntries(c: Chain, entries: readonly Entry[], texts: Map<Rule, string>): Chain {
  const rules: Rule[] = [];
  const disabled: DisabledRule[] = [];
  for (const e of entries) {
    if (e.disabled) disabled.push({ rule: e.rule, before: rules.length, text: texts.get(e.rule) ?? '' });
    else rules.push(e.rule);
  }
  return { ...c, rules, disabled };
}

/**
 * A rule from the text after `-A CHAIN`, checked by the same parser as a file
 * (every chain of the table declared, so jumps to them load). Errors come back
 * as findings whose `col` counts from the start of `body`.
 */
export function parseRuleBody(rs: Ruleset, table: TableName, chain: string, body: string): { ok: true; rule: Rule } | { ok: false; findings: Finding[] } {
  const t = findTable(rs, table);
  const builtin = BUILTIN_CHAINS[table] as readonly string[];
  const declare = [...new Set([...(t?.chains.map((c) => c.name) ?? []), chain])].filter((c) => !builtin.includes(c));
  const lead = `-A ${chain} `;
  const text = `*${table}\n${declare.map((c) => `:${c} - [0:0]\n`).join('')}${lead}${body.trim()}\nCOMMIT\n`;
  const p = parseRuleset(text, { family: rs.family });
  const ruleLine = declare.length + 2;
  const errors = p.findings
    .filter((f) => f.severity === 'error')
    .map((f) => ({ ...f, line: f.line === ruleLine ? 1 : f.line, col: f.col !== undefined && f.line === ruleLine ? Math.max(1, f.col - lead.length) : undefined }));
  if (/\n/.test(body)) return { ok: false, findings: [{ code: 'syntax', severity: 'error', line: 1, message: 'one rule per line', fix: 'remove the line break' }] };
  if (!body.trim()) return { ok: false, findings: [{ code: 'missing-argument', severity: 'error', line: 1, message: 'the rule is empty', fix: 'give a target, e.g. -j ACCEPT' }] };
  if (errors.length) return { ok: false, findings: errors };
  const c = findChain(findTable(p.ruleset, table)!, chain);
  const rules = c?.rules ?? [];
  if (rules.length !== 1) return { ok: false, findings: [{ code: 'syntax', severity: 'error', line: 1, message: `this makes ${rules.length} rules; write one rule (one address per -s/-d)` }] };
  const rule = { ...rules[0] };
  delete rule.source;
  return { ok: true, rule };
}

/** Applies one operation to the parsed file and writes it back, keeping everything not touched. */
export function applyEdit(parsed: ParseResult, op: EditOp): EditResult {
  try {
    const edited = editRuleset(parsed, op);
    if (!edited.ok) return edited;
    return { ok: true, ruleset: edited.ruleset, text: writePreserving(parsed, edited.ruleset) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

export function editRuleset(parsed: ParseResult, op: EditOp): { ok: true; ruleset: Ruleset } | { ok: false; message: string; findings?: Finding[] } {
  const rs = parsed.ruleset;
  const tableName = op.kind === 'replace' ? op.ref.table : op.kind === 'delete' || op.kind === 'set-disabled' ? op.refs[0]?.table : op.table;
  const t = tableName ? findTable(rs, tableName) : undefined;
  if (!t) return { ok: false, message: `no table ${tableName ?? ''} in this ruleset` };
  // the text of each disabled rule as written, for the writer
  const texts = new Map<Rule, string>();
  for (const c of t.chains) for (const d of c.disabled) texts.set(d.rule, d.text);
  const chains = new Map<string, Entry[]>();
  const entriesOf = (name: string): Entry[] => {
    let es = chains.get(name);
    if (!es) {
      const c = findChain(t, name);
      if (!c) throw new Error(`no chain ${name} in table ${t.name}`);
      chains.set(name, (es = chainEntries(c)));
    }
    return es;
  };
  const check = (es: Entry[], at: number, chain: string) => {
    if (!Number.isInteger(at) || at < 0 || at >= es.length) throw new Error(`${chain} has no rule at position ${at + 1}`);
  };
  let policy: { chain: string; policy: 'ACCEPT' | 'DROP' } | null = null;
  switch (op.kind) {
    case 'add': {
      const es = entriesOf(op.chain);
      const p = parseRuleBody(rs, t.name, op.chain, op.body);
      if (!p.ok) return { ok: false, message: p.findings.map((f) => f.message).join('; '), findings: p.findings };
      es.splice(Math.max(0, Math.min(op.at, es.length)), 0, { rule: p.rule, disabled: !!op.disabled });
      break;
    }
    case 'replace': {
      const es = entriesOf(op.ref.chain);
      check(es, op.ref.at, op.ref.chain);
      const p = parseRuleBody(rs, t.name, op.ref.chain, op.body);
      if (!p.ok) return { ok: false, message: p.findings.map((f) => f.message).join('; '), findings: p.findings };
      const old = es[op.ref.at];
      // keeping the old source lets the writer keep the line as written when the change is only spelling
      es[op.ref.at] = { rule: old.rule.source ? { ...p.rule, source: old.rule.source } : p.rule, disabled: old.disabled };
      if (old.disabled) texts.delete(old.rule);
      break;
    }
    case 'delete':
    case 'set-disabled': {
      const byChain = groupRefs(op.refs, t.name);
      for (const [chain, ats] of byChain) {
        const es = entriesOf(chain);
        for (const at of ats) check(es, at, chain);
        if (op.kind === 'delete') for (const at of [...ats].sort((a, b) => b - a)) es.splice(at, 1);
        else for (const at of ats) es[at] = { ...es[at], disabled: op.disabled };
      }
      break;
    }
    case 'move': {
      const es = entriesOf(op.chain);
      const from = [...new Set(op.from)].sort((a, b) => a - b);
      for (const at of from) check(es, at, op.chain);
      const block = from.map((at) => es[at]);
      const rest = es.filter((_, k) => !from.includes(k));
      const to = Math.max(0, Math.min(op.to, rest.length));
      chains.set(op.chain, [...rest.slice(0, to), ...block, ...rest.slice(to)]);
      break;
    }
    case 'policy': {
      const c = findChain(t, op.chain);
      if (!c || !c.builtin) return { ok: false, message: `${op.chain} is not a builtin chain: only builtin chains have a policy` };
      policy = { chain: op.chain, policy: op.policy };
      break;
    }
  }
  const table: Table = {
    ...t,
    chains: t.chains.map((c) => {
      let out = chains.has(c.name) ? withEntries(c, chains.get(c.name)!, texts) : c;
      if (policy && c.name === policy.chain) out = { ...out, policy: policy.policy };
      return out;
    }),
  };
  return { ok: true, ruleset: { ...rs, tables: rs.tables.map((x) => (x === t ? table : x)) } };
}

function groupRefs(refs: readonly RuleRef[], table: TableName): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of refs) {
    if (r.table !== table) throw new Error('one operation changes one table');
    const list = m.get(r.chain) ?? [];
    list.push(r.at);
    m.set(r.chain, list);
  }
  return m;
}

/** What a rule form offers, from the extension registry the parser uses (plain data). */
export interface OptionField {
  name: string;
  arg: 'none' | 'required' | 'optional';
  extraArgs: number;
  invert: boolean;
  aliases: string[];
}
export interface ExtensionFields {
  name: string;
  options: OptionField[];
}

export function ruleFormSpec(family: Family = 'ipv4'): { matches: ExtensionFields[]; targets: (ExtensionFields & { tables?: readonly TableName[] })[] } {
  const fields = (o: { name: string; arg: OptionField['arg']; extraArgs?: number; invert?: boolean; aliases?: string[] }): OptionField => ({
    name: o.name,
    arg: o.arg,
    extraArgs: o.extraArgs ?? 0,
    invert: !!o.invert,
    aliases: o.aliases ?? [],
  });
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    matches: registeredMatches(family).map((m) => ({ name: m.name, options: m.options.map(fields) })).sort(byName),
    targets: registeredTargets(family).map((x) => ({ name: x.name, options: x.options.map(fields), tables: x.tables })).sort(byName),
  };
}
