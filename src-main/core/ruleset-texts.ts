// A ruleset reduced to what a diff or `canon` prints: per table, each chain's
// policy and its rules as canonical `-A CHAIN …` lines.
import type { Chain, Ruleset, TableName } from './model.js';
import { canonicalRuleBody } from './canonical.js';

/**
 * What the diff compares: per table, each chain's policy and its rules as
 * canonical `-A CHAIN …` lines. Small and plain (strings and arrays), so it can
 * be made where the file is parsed — in another thread, say — and sent over.
 */
export interface ChainTexts {
  name: string;
  builtin: boolean;
  /** builtin chains only */
  policy: string | null;
  texts: string[];
}
export interface RulesetTexts {
  tables: { name: TableName; chains: ChainTexts[] }[];
}

export function rulesetTexts(rs: Ruleset): RulesetTexts {
  return {
    tables: rs.tables.map((t) => ({
      name: t.name,
      chains: t.chains.map((c) => ({ name: c.name, builtin: c.builtin, policy: c.builtin ? (c.policy ?? 'ACCEPT') : null, texts: chainTexts(c) })),
    })),
  };
}

function chainTexts(c: Chain): string[] {
  const head = `-A ${c.name}`;
  const out = new Array<string>(c.rules.length);
  for (let k = 0; k < c.rules.length; k++) out[k] = head + canonicalRuleBody(c.rules[k]);
  return out;
}
