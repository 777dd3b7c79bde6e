import type { DisabledRule, Rule, Ruleset, Table } from './model.js';
import { hasErrors, type Finding } from './findings.js';
import { parseRuleset } from './parse.js';

/** The parse of a table's lines written anew by an edit: per line (0-based in the new text), its rules and disabled rule. */
export interface FreshLines {
  rules: Map<number, Rule[]>;
  disabled: Map<number, DisabledRule>;
  findings: Finding[];
}

/**
 * Lines `at` (0-based, ascending) of `lines`, written anew in table `t`,
 * parsed as a file of their own: the table, the user chains they name, the
 * lines, COMMIT; rules and findings carry their lines in the new text. Null
 * when that file has errors (then the whole text is parsed: its findings say
 * them right). Both edit roads use it (edit-reparse.ts, edit-splice.ts).
 */
export function parseLinesAlone(lines: readonly string[], at: readonly number[], t: Table, family: Ruleset['family']): FreshLines | null {
  const user = new Set(t.chains.filter((c) => !c.builtin).map((c) => c.name));
  const named = new Set<string>();
  for (const i of at) for (const word of lines[i].split(/[ \t]+/)) if (user.has(word)) named.add(word);
  const head = [`*${t.name}`, ...[...named].map((c) => `:${c} - [0:0]`)];
  const p = parseRuleset(`${head.join('\n')}\n${at.map((i) => lines[i]).join('\n')}\nCOMMIT\n`, { family });
  if (hasErrors(p.findings)) return null;
  // mini line (1-based) → line in the new text (0-based)
  const lineOf = (l: number) => at[l - head.length - 1] ?? -1;
  const fresh: FreshLines = { rules: new Map(), disabled: new Map(), findings: [] };
  for (const f of p.findings) {
    const i = lineOf(f.line);
    if (i < 0) return null;
    fresh.findings.push({ ...f, line: i + 1 });
  }
  for (const c of p.ruleset.tables[0]?.chains ?? []) {
    for (const r of c.rules) {
      const i = lineOf(r.source!.line);
      if (i < 0) return null;
      const list = fresh.rules.get(i) ?? [];
      list.push({ ...r, source: { ...r.source!, line: i + 1 } });
      fresh.rules.set(i, list);
    }
    for (const d of c.disabled) {
      const i = lineOf(d.rule.source!.line);
      if (i < 0) return null;
      fresh.disabled.set(i, { ...d, rule: { ...d.rule, source: { ...d.rule.source!, line: i + 1 } } });
    }
  }
  return fresh;
}
