// "Fix" on a finding: the findings whose fix the app can make as an edit —
// delete a rule that changes nothing, move a shadowed rule above the rule
// that hides it, write -m state as -m conntrack. Everything else is advice.
import type { EditOp, Finding, RuleRef, TableName } from '../../../src-main/core/index.js';
import type { RuleRow } from './rows.js';
import { chainRow, refOfRow } from './staging.svelte.js';

interface Fix {
  op: EditOp;
  label: string;
  select?: RuleRef;
}

/** The row of active rule #index (1-based, as iptables -L numbers them) of a chain. */
function rowOfRuleIndex(rows: readonly RuleRow[], table: string, chain: string, index: number): number {
  const c = chainRow(rows, table as TableName, chain);
  if (c < 0) return -1;
  // rule #index has index - 1 rules (and any disabled or unreadable lines) between it and the header: start where it is when there are none
  for (let k = c + Math.max(1, index); k < rows.length; k++) {
    const r = rows[k];
    if (r.kind === 'chain' || r.kind === 'table') break;
    if (r.kind === 'rule' && r.index === index) return k;
  }
  return -1;
}

export function fixFor(f: Finding, rows: readonly RuleRow[], bodyOf: (row: RuleRow) => string): Fix | null {
  if (!f.table || !f.chain || !f.index || !f.fix) return null;
  const row = rowOfRuleIndex(rows, f.table, f.chain, f.index);
  const ref = row >= 0 ? refOfRow(rows, row) : null;
  if (!ref) return null;
  const where = `${f.chain} #${f.index}`;
  if (f.code === 'redundant-rule' && /^delete it/.test(f.fix)) return { op: { kind: 'delete', refs: [ref] }, label: `Deleted ${where} (changes nothing)` };
  if (f.code === 'shadowed-rule') {
    const m = /^move it above #(\d+)/.exec(f.fix);
    const above = m ? rowOfRuleIndex(rows, f.table, f.chain, Number(m[1])) : -1;
    const to = above >= 0 ? refOfRow(rows, above) : null;
    if (!to || to.at >= ref.at) return null;
    return { op: { kind: 'move', table: ref.table, chain: ref.chain, from: [ref.at], to: to.at }, label: `Moved ${where} above #${m![1]} (it was shadowed)`, select: { ...ref, at: to.at } };
  }
  if (f.code === 'deprecated-match') {
    const body = bodyOf(rows[row]);
    const next = body.replace(/-m state (!\s*)?--state (\S+)/, (_, inv: string | undefined, st: string) => `-m conntrack ${inv ? '! ' : ''}--ctstate ${st}`);
    if (next === body) return null;
    return { op: { kind: 'replace', ref, body: next }, label: `${where}: -m state written as -m conntrack`, select: ref };
  }
  return null;
}
