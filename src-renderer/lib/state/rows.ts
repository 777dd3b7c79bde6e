// Flattening a ruleset into the fixed-height rows of the virtualized list:
// table header, chain header, then the chain's rules with its disabled (`#`)
// rules where they sit. Plain data, built once per parse.
import type { Chain, DisabledRule, Finding, Rule, Ruleset, Severity, Table, TableName } from '../../../src-main/core/index.js';

export type RuleRow =
  | { kind: 'table'; table: Table; ruleCount: number }
  | { kind: 'chain'; table: TableName; chain: Chain }
  | { kind: 'rule'; table: TableName; chain: Chain; rule: Rule; index: number; line: number }
  | { kind: 'disabled'; table: TableName; chain: Chain; disabled: DisabledRule; line: number }
  | { kind: 'empty'; table: TableName; chain: Chain };

export interface RuleRows {
  rows: RuleRow[];
  /** source line → row index, for "go to the rule of this finding" */
  rowOfLine: Map<number, number>;
  ruleCount: number;
  chainCount: number;
}

export function buildRuleRows(rs: Ruleset): RuleRows {
  const rows: RuleRow[] = [];
  const rowOfLine = new Map<number, number>();
  let ruleCount = 0;
  let chainCount = 0;
  const mark = (line: number | undefined) => {
    if (line && !rowOfLine.has(line)) rowOfLine.set(line, rows.length);
  };
  for (const table of rs.tables) {
    let n = 0;
    for (const c of table.chains) n += c.rules.length;
    mark(table.source?.line);
    rows.push({ kind: 'table', table, ruleCount: n });
    ruleCount += n;
    for (const chain of table.chains) {
      chainCount++;
      mark(chain.source?.line);
      rows.push({ kind: 'chain', table: table.name, chain });
      const disabled = [...chain.disabled].sort((a, b) => a.before - b.before);
      let d = 0;
      const pushDisabledBefore = (k: number) => {
        while (d < disabled.length && disabled[d].before <= k) {
          const line = disabled[d].rule.source?.line ?? 0;
          mark(line);
          rows.push({ kind: 'disabled', table: table.name, chain, disabled: disabled[d], line });
          d++;
        }
      };
      for (let k = 0; k < chain.rules.length; k++) {
        pushDisabledBefore(k);
        const rule = chain.rules[k];
        const line = rule.source?.line ?? 0;
        mark(line);
        rows.push({ kind: 'rule', table: table.name, chain, rule, index: k + 1, line });
      }
      pushDisabledBefore(Number.MAX_SAFE_INTEGER);
      if (chain.rules.length === 0 && chain.disabled.length === 0) rows.push({ kind: 'empty', table: table.name, chain });
    }
  }
  return { rows, rowOfLine, ruleCount, chainCount };
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** The worst finding on each line, for the markers in the rule and source lists. */
export function severityByLine(findings: readonly Finding[]): Map<number, Severity> {
  const m = new Map<number, Severity>();
  for (const f of findings) {
    const cur = m.get(f.line);
    if (!cur || RANK[f.severity] > RANK[cur]) m.set(f.line, f.severity);
  }
  return m;
}

export function sortFindings(fs: readonly Finding[]): Finding[] {
  return [...fs].sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.line - b.line || (a.col ?? 0) - (b.col ?? 0));
}

/** A rule's text as the admin wrote it, without the `-4`/`-A CHAIN` lead-in the row already shows. */
export function ruleBodyText(lineText: string): string {
  return lineText
    .replace(/^\s*#?\s*/, '')
    .replace(/^-[46]\s+/, '')
    .replace(/^(-A|--append|-I|--insert)\s+\S+\s*/, '')
    .trim();
}

/** CSS class for a target: verdicts get colours, jumps to user chains look like links. */
export function targetClass(rule: Rule): string {
  const t = rule.target;
  if (!t) return 'none';
  if (t.chain) return 'jump';
  switch (t.name) {
    case 'ACCEPT':
      return 'accept';
    case 'DROP':
      return 'drop';
    case 'REJECT':
      return 'reject';
    case 'LOG':
    case 'NFLOG':
    case 'ULOG':
      return 'log';
    case 'RETURN':
      return 'return';
    default:
      return 'other';
  }
}
