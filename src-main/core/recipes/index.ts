// The recipes registry: the eight recipes of the seed's how-to, done right.
// The wizard UI renders each recipe's params; the CLI's `recipes` and `recipe`
// commands read the same data.
import type { Ruleset } from '../model.js';
import type { ParseResult } from '../parse.js';
import { canonicalRuleBody } from '../canonical.js';
import { writePreserving } from '../preserve.js';
import type { Family } from '../model.js';
import type { AnyValues, Recipe, RecipeOutput, RawParams } from './types.js';
import { familiesOf, type FamilyChoice } from './family.js';
import { checkRecipeParams, type ParamsResult } from './params.js';
import { placeRecipe, type PlaceOptions, type PlaceResult } from './place.js';
import { loadBalance } from './load-balance.js';
import { loopback } from './loopback.js';
import { lanToWan } from './lan-to-wan.js';
import { dnsOut } from './dns-out.js';
import { dosLimit } from './dos-limit.js';
import { portForward } from './port-forward.js';
import { logDrops } from './log-drops.js';
import { baseline } from './baseline.js';

export * from './types.js';
export { checkRecipeParams, formatParamProblem, isIPv6, type ParamsResult } from './params.js';
export { fam, familiesOf, rejectWith, type FamilyChoice } from './family.js';
export { placeRecipe, findCatchAll, type PlaceOptions, type PlaceResult } from './place.js';
export { RecipeBuildError } from './rules.js';

const RECIPES: readonly Recipe[] = [loadBalance, loopback, lanToWan, dnsOut, dosLimit, portForward, logDrops, baseline];

export function listRecipes(): readonly Recipe[] {
  return RECIPES;
}

export function findRecipe(name: string): Recipe | undefined {
  return RECIPES.find((r) => r.name === name);
}

/** The recipe's rules as a restore file: `*table`, user chains, `# why` comments, `-A` lines, COMMIT. */
export function formatRecipeRules(out: RecipeOutput, opts: { comments?: boolean } = {}): string {
  const comments = opts.comments ?? true;
  const lines: string[] = [];
  if (comments) {
    lines.push(`# portcullis recipe ${out.recipe}`);
    for (const p of out.preconditions) lines.push(`# requires: ${p.what} — ${p.why}${p.check ? ` (check: ${p.check})` : ''}`);
    for (const n of out.notes) lines.push(`# note: ${n}`);
  }
  const tables = [...new Set(out.rules.map((r) => r.table))];
  for (const t of tables) {
    lines.push(`*${t}`);
    for (const c of out.chains) if (c.table === t) lines.push(`:${c.name} - [0:0]`);
    for (const r of out.rules) {
      if (r.table !== t) continue;
      if (comments) lines.push(`# ${r.why}`);
      lines.push(`-A ${r.chain}${canonicalRuleBody(r.rule)}`);
    }
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/** The families the checked values ask for (the `family` parameter; `fallback` when it is not given). */
function recipeFamilies(values: AnyValues, fallback: Family = 'ipv4'): Family[] {
  return familiesOf(values.family as FamilyChoice | undefined, fallback);
}

/** One output per family the values ask for, IPv4 first. */
export function generateFamilies(recipe: Recipe, values: AnyValues): RecipeOutput[] {
  return recipeFamilies(values).map((family) => recipe.generate(values, { family }));
}

export type RecipeRun =
  | { ok: false; kind: 'params'; problems: Extract<ParamsResult, { ok: false }>['problems'] }
  | { ok: false; kind: 'refused'; reason: string; output: RecipeOutput }
  | { ok: true; output: RecipeOutput; placed?: Extract<PlaceResult, { ok: true }>; text?: string };

/**
 * Checks the parameters, generates the rules and, given a parsed file, places
 * them and writes the file back with its layout kept (only new lines added).
 */
export function runRecipe(recipe: Recipe, raw: RawParams, into?: ParseResult, opts: PlaceOptions = {}): RecipeRun {
  const checked = checkRecipeParams(recipe, raw, into?.ruleset.family);
  if (!checked.ok) return { ok: false, kind: 'params', problems: checked.problems };
  if (into && !recipeFamilies(checked.values).includes(into.ruleset.family)) {
    const is = into.ruleset.family === 'ipv6' ? 'an IPv6 (ip6tables)' : 'an IPv4 (iptables)';
    return { ok: false, kind: 'params', problems: [{ param: 'family', message: `is ${String(checked.values.family)}, but the rules go into ${is} ruleset`, fix: `give --family ${into.ruleset.family === 'ipv6' ? '6' : '4'}, or the other family's ruleset` }] };
  }
  // with both families and one ruleset, the rules of the ruleset's family go into it
  const output = recipe.generate(checked.values, into ? { ruleset: into.ruleset, family: into.ruleset.family } : {});
  if (!into) return { ok: true, output };
  const placed = placeRecipe(into.ruleset, output, opts);
  if (!placed.ok) return { ok: false, kind: 'refused', reason: placed.reason, output };
  return { ok: true, output, placed, text: writePreserving(into, placed.ruleset) };
}

/** Place a recipe's output into a ruleset (no file): the merged ruleset or the refusal. */
export function mergeRecipe(ruleset: Ruleset, output: RecipeOutput, opts: PlaceOptions = {}): PlaceResult {
  return placeRecipe(ruleset, output, opts);
}
