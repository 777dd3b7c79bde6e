// A recipe wizard: the fields of one recipe's parameter schema, checked as the
// admin types (each problem shown beside its field), and the preview of the
// rules it adds to the proposed ruleset — placed, explained, and checked by
// the core (a new SSH connection from the admin's address must still get in).
import {
  checkRecipeParams,
  type ParamProblem,
  type ParamSpec,
  type RawParams,
  type Recipe,
  type RecipeRun,
} from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, type Job } from '../analysis/client.js';
import type { RulesetDoc } from './ruleset-doc.svelte.js';

/** what the preview shows: the placed rules, why they cannot be placed, or that the worker is at it */
export type RecipePreview = RecipeRun | { ok: false; kind: 'no-ruleset' | 'invalid-ruleset' | 'computing' } | { ok: false; kind: 'failed'; reason: string };

type Want = { kind: 'no-ruleset' | 'invalid-ruleset' } | { kind: 'run'; doc: RulesetDoc; raw: RawParams; client?: string; sshPort: number };

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

  /** what the preview needs now; a new object whenever a field, the proposal or the address changes */
  #want = $derived.by<Want | null>(() => {
    if (!this.checked.ok) return null;
    const { proposed, client, sshPort } = this.ctx();
    if (!proposed) return { kind: 'no-ruleset' };
    if (proposed.errorCount) return { kind: 'invalid-ruleset' };
    return { kind: 'run', doc: proposed, raw: this.raw, ...(client ? { client } : {}), sshPort };
  });
  #result = $state.raw<{ for: Want; run: RecipePreview } | null>(null);
  #pendingFor: Want | null = null;
  #job: Job<RecipeRun> | null = null;

  /** the rules placed into the proposed ruleset, or why they cannot be (placed in the worker: 'computing' meanwhile) */
  get preview(): RecipePreview | null {
    const want = this.#want;
    if (!want) return null;
    if (want.kind !== 'run') return { ok: false, kind: want.kind };
    if (this.#result?.for === want) return this.#result.run;
    this.place(want);
    return { ok: false, kind: 'computing' };
  }

  private place(want: Extract<Want, { kind: 'run' }>): void {
    if (this.#pendingFor === want) return;
    this.#pendingFor = want;
    // not from inside a $derived or a template: the job starts a microtask later
    queueMicrotask(() => {
      if (this.#pendingFor !== want) return;
      this.#job?.cancel();
      const job = analysis.run<RecipeRun>(
        { kind: 'recipe', doc: want.doc.ref(), recipe: this.recipe.name, raw: want.raw, ...(want.client ? { client: want.client } : {}), sshPort: want.sshPort },
        { label: `Placing the rules of ${this.recipe.title}` },
      );
      this.#job = job;
      job.promise.then(
        (run) => {
          if (this.#job === job) this.#result = { for: want, run };
        },
        (e: unknown) => {
          if (this.#job === job && !isCancelled(e)) this.#result = { for: want, run: { ok: false, kind: 'failed', reason: (e as Error).message } };
        },
      );
    });
  }

  /** stops a placement still running (the wizard is closed or replaced) */
  cancel(): void {
    this.#pendingFor = null;
    this.#job?.cancel();
  }

  reset(): void {
    this.values = initialValues(this.recipe);
    this.touched = {};
    this.submitted = false;
  }
}
