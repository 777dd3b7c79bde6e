// A recipe wizard: the fields of one recipe's parameter schema, checked as the
// admin types (each problem shown beside its field), and the preview of the
// rules it adds to the proposed ruleset — placed, explained, and checked by
// the core (a new SSH connection from the admin's address must still get in).
import {
  checkRecipeParams,
  lintRuleset,
  runRecipe,
  type ParamProblem,
  type ParamSpec,
  type RawParams,
  type Recipe,
  type RecipeRun,
} from '../../../src-main/core/index.js';
import type { RulesetDoc } from './ruleset-doc.svelte.js';

export interface WizardContext {
  proposed: RulesetDoc | null;
  client?: string;
  sshPort: number;
}

export function initialValues(recipe: Recipe): Record<string, string | boolean> {
  const v: Record<string, string | boolean> = {};
  for (const p of recipe.params) v[p.name] = p.type === 'bool' ? p.default === true : typeof p.default === 'string' ? p.default : '';
  return v;
}

export class RecipeWizard {
  values = $state<Record<string, string | boolean>>({});
  /** fields the admin has left (or tried to submit): only these show their problems */
  touched = $state<Record<string, boolean>>({});
  submitted = $state(false);

  constructor(
    readonly recipe: Recipe,
    private readonly ctx: () => WizardContext,
  ) {
    this.values = initialValues(recipe);
  }

  /** empty fields are "not given": the recipe's default or "required" applies */
  raw = $derived.by<RawParams>(() => {
    const out: Record<string, string | boolean | undefined> = {};
    for (const p of this.recipe.params) {
      const v = this.values[p.name];
      out[p.name] = typeof v === 'string' && v.trim() === '' ? undefined : v;
    }
    return out;
  });

  checked = $derived.by(() => checkRecipeParams(this.recipe, this.raw));

  problems = $derived.by<Record<string, ParamProblem>>(() => {
    const out: Record<string, ParamProblem> = {};
    if (!this.checked.ok) for (const p of this.checked.problems) if (!out[p.param]) out[p.param] = p;
    return out;
  });
  /** problems about a combination of fields */
  general = $derived(this.checked.ok ? [] : this.checked.problems.filter((p) => !p.param));

  shownProblem(p: ParamSpec): ParamProblem | undefined {
    return this.touched[p.name] || this.submitted ? this.problems[p.name] : undefined;
  }

  /** the rules placed into the proposed ruleset, or why they cannot be */
  preview = $derived.by<RecipeRun | { ok: false; kind: 'no-ruleset' | 'invalid-ruleset' } | null>(() => {
    if (!this.checked.ok) return null;
    const { proposed, client, sshPort } = this.ctx();
    if (!proposed) return { ok: false, kind: 'no-ruleset' };
    if (proposed.errorCount) return { ok: false, kind: 'invalid-ruleset' };
    return runRecipe(this.recipe, this.raw, proposed.asParseResult(), {
      lint: (rs) => lintRuleset(rs, client ? { client, sshPort } : {}),
      ...(client ? { client } : {}),
      sshPort,
    });
  });

  reset(): void {
    this.values = initialValues(this.recipe);
    this.touched = {};
    this.submitted = false;
  }
}
