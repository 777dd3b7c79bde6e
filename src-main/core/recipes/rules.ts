// Building a recipe's rules from iptables-save text, so every rule a recipe
// makes went through the same parser (and extension checks) as a file would.
import type { Family, Rule, TableName } from '../model.js';
import { BUILTIN_CHAINS, findChain, findTable } from '../model.js';
import { parseRuleset } from '../parse.js';
import { canonicalRuleBody } from '../canonical.js';
import type { Probe, RecipeRule } from './types.js';

export class RecipeBuildError extends Error {
  override name = 'RecipeBuildError';
}

/**
 * One rule from `-A CHAIN …` text in a table. User chains the line names (its
 * own chain, a jump target) are declared for the parse. Throws when the text
 * does not load: that is a bug in a recipe or a parameter check.
 */
function parseRuleLine(table: TableName, text: string, userChains: readonly string[] = [], family: Family = 'ipv4'): { chain: string; rule: Rule } {
  const m = /^-A\s+(\S+)\s/.exec(text + ' ');
  if (!m) throw new RecipeBuildError(`not an -A line: ${text}`);
  const chain = m[1];
  const builtin = (BUILTIN_CHAINS[table] as readonly string[]).includes(chain);
  const declare = [...new Set([...(builtin ? [] : [chain]), ...userChains])].map((c) => `:${c} - [0:0]\n`).join('');
  const p = parseRuleset(`*${table}\n${declare}${text}\nCOMMIT\n`, { family });
  const errors = p.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new RecipeBuildError(`${text}: ${errors.map((e) => e.message).join('; ')}`);
  const rules = findChain(findTable(p.ruleset, table)!, chain)!.rules;
  if (rules.length !== 1) throw new RecipeBuildError(`${text}: makes ${rules.length} rules, expected one`);
  const rule = { ...rules[0] };
  delete rule.source;
  return { chain, rule };
}

interface RuleOpts {
  position?: 'top' | 'bottom' | 'early';
  probe?: Probe;
  catchAll?: boolean;
  onlyIfNeeded?: boolean;
  replaces?: string;
  userChains?: readonly string[];
  /** the rule is for ip6tables (ipv6) or iptables (ipv4, the default) */
  family?: Family;
}

/** A recipe rule from its text and explanation. */
export function recipeRule(table: TableName, text: string, why: string, opts: RuleOpts = {}): RecipeRule {
  const { chain, rule } = parseRuleLine(table, text, opts.userChains, opts.family);
  const out: RecipeRule = { table, chain, rule, text: `-A ${chain}${canonicalRuleBody(rule)}`, why, position: opts.position ?? 'bottom' };
  if (opts.probe) out.probe = opts.probe;
  if (opts.catchAll) out.catchAll = true;
  if (opts.onlyIfNeeded) out.onlyIfNeeded = true;
  if (opts.replaces !== undefined) out.replaces = opts.replaces;
  return out;
}

export type RuleMaker = (table: TableName, text: string, why: string, opts?: Omit<RuleOpts, 'family'>) => RecipeRule;

/** recipeRule for one family, so a generator writes its rules once for both. */
export function ruleMaker(family: Family): RuleMaker {
  return (table, text, why, opts = {}) => recipeRule(table, text, why, { ...opts, family });
}

/** ` -i eth0` or '' — the pieces generators put together. */
export const opt = (flag: string, v: string | number | undefined | null): string => (v === undefined || v === null || v === '' ? '' : ` ${flag} ${v}`);
