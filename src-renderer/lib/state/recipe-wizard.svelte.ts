// A recipe wizard: the fields of one recipe's parameter schema, checked as the
// admin types (each problem shown beside its field), and the preview of the
// rules it adds to the proposed rulesets — one per family the admin picks
// (IPv4 for iptables, IPv6 for ip6tables), each placed, explained, and checked
// by the core (a new SSH connection from the admin's address must still get in).
import {
  checkRecipeParams,
  familiesOf,
  type Family,
  type FamilyChoice,
  type ParamProblem,
  type ParamSpec,
  type RawParams,
  type Recipe,
  type RecipeOutput,
  type RecipeRun,
} from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, type Job } from '../analysis/client.js';
import type { RulesetDoc } from './ruleset-doc.svelte.js';

/** what a family's preview shows: the placed rules, why they cannot be placed, or that the worker is at it */
type RecipePreview =
  | RecipeRun
  | { ok: false; kind: 'no-ruleset' | 'invalid-ruleset' | 'computing' | 'no-firewall' }
  | { ok: false; kind: 'failed'; reason: string };

type Want = { kind: 'no-ruleset' | 'invalid-ruleset' | 'no-firewall' } | { kind: 'run'; doc: RulesetDoc; raw: RawParams; family: Family; client?: string; sshPort: number };

export interface WizardContext {
  /**
   * Where the rules go, per family: the proposal of each firewall the view
   * shows (null: not pulled yet). A family left out is one the view has no
   * ruleset for (a local file holds one family).
   */
  targets: Partial<Record<Family, RulesetDoc | null>>;
  /** the host has IPv6 (addresses in its facts): the wizard offers both families by default */
  hostHasIpv6?: boolean;
  /** the admin's address as the host sees it (IPv4 or IPv6): the lockout check in its own family */
  client?: string;
  sshPort: number;
}

export const FAMILY_LABEL: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/** The family a new wizard starts with: both where the host has IPv6 and the view both rulesets, else the one it has. */
function defaultFamily(ctx: WizardContext): FamilyChoice {
  const has = (f: Family) => f in ctx.targets;
  if (has('ipv4') && (has('ipv6') || ctx.hostHasIpv6)) return ctx.hostHasIpv6 || ctx.targets.ipv6 ? 'both' : '4';
  if (has('ipv6')) return '6';
  return '4';
}

function initialValues(recipe: Recipe, ctx: WizardContext): Record<string, string | boolean> {
  const v: Record<string, string | boolean> = {};
  for (const p of recipe.params) v[p.name] = p.type === 'bool' ? p.default === true : typeof p.default === 'string' ? p.default : '';
  v.family = defaultFamily(ctx);
  return v;
}

/** Which part of the form a parameter belongs to: both families, or one family's addresses and options. */
export function paramGroup(recipe: Recipe, p: ParamSpec): 'family' | 'common' | Family {
  if (p.name === 'family') return 'family';
  if (p.family) return p.family;
  // an IPv4 address with an IPv6 twin is IPv4's
  if (recipe.params.some((q) => q.twin === p.name)) return 'ipv4';
  return 'common';
}

/** One family's preview: placed in the worker, the last answer kept per question. */
class FamilyPreview {
  #result = $state.raw<{ for: Want; run: RecipePreview } | null>(null);
  #pendingFor: Want | null = null;
  #job: Job<RecipeRun> | null = null;

  constructor(private readonly recipe: Recipe) {}

  show(want: Want): RecipePreview {
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
        // the document carries its family: the worker reads it as iptables or ip6tables would
        { kind: 'recipe', doc: want.doc.ref(), recipe: this.recipe.name, raw: want.raw, ...(want.client ? { client: want.client } : {}), sshPort: want.sshPort },
        { label: `Placing the ${FAMILY_LABEL[want.family]} rules of ${this.recipe.title}` },
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

  cancel(): void {
    this.#pendingFor = null;
    this.#job?.cancel();
  }
}

export class RecipeWizard {
  values = $state<Record<string, string | boolean>>({});
  /** fields the admin has left (or tried to submit): only these show their problems */
  touched = $state<Record<string, boolean>>({});
  submitted = $state(false);
  readonly #previews: Record<Family, FamilyPreview>;

  constructor(
    readonly recipe: Recipe,
    private readonly ctx: () => WizardContext,
  ) {
    this.values = initialValues(recipe, ctx());
    this.#previews = { ipv4: new FamilyPreview(recipe), ipv6: new FamilyPreview(recipe) };
  }

  /** the families the rules are made for, IPv4 first */
  families = $derived.by<Family[]>(() => familiesOf(this.values.family as FamilyChoice));

  /** empty fields are "not given": the recipe's default or "required" applies; fields of a family not chosen are left out */
  raw = $derived.by<RawParams>(() => {
    const out: Record<string, string | boolean | undefined> = {};
    for (const p of this.recipe.params) {
      const group = paramGroup(this.recipe, p);
      if ((group === 'ipv4' || group === 'ipv6') && !this.families.includes(group)) continue;
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

  /** what each family's preview needs now; a new object whenever a field, a proposal or the address changes */
  #wants = $derived.by<Partial<Record<Family, Want>> | null>(() => {
    if (!this.checked.ok) return null;
    const { targets, client, sshPort } = this.ctx();
    const out: Partial<Record<Family, Want>> = {};
    for (const family of this.families) {
      const doc = targets[family];
      if (doc === undefined) out[family] = { kind: 'no-firewall' };
      else if (!doc) out[family] = { kind: 'no-ruleset' };
      // a ruleset that does not load cannot take rules; lint errors (a lockout, neighbour discovery dropped) are what recipes fix
      else if (doc.parseFindings.some((f) => f.severity === 'error')) out[family] = { kind: 'invalid-ruleset' };
      // the admin's address counts for the lockout check only in its own family
      else out[family] = { kind: 'run', doc, family, raw: this.raw, ...(client && client.includes(':') === (family === 'ipv6') ? { client } : {}), sshPort };
    }
    return out;
  });

  /** the rules placed into one family's proposed ruleset, or why they cannot be (null: the values are not right yet) */
  preview(family: Family): RecipePreview | null {
    const want = this.#wants?.[family];
    return want ? this.#previews[family].show(want) : null;
  }

  /**
   * The family's rules as the recipe makes them, not placed anywhere: shown
   * where the view has no ruleset of that family to place them into.
   */
  unplaced(family: Family): RecipeOutput | null {
    return this.checked.ok ? this.recipe.generate(this.checked.values, { family }) : null;
  }

  /** what the Add button adds: each family's placed rules, when every chosen family is ready and one adds something */
  additions = $derived.by<Array<{ family: Family; text: string; count: number }> | null>(() => {
    const out: Array<{ family: Family; text: string; count: number }> = [];
    for (const f of this.families) {
      const p = this.preview(f);
      if (!p) return null;
      if (p.ok && p.placed && p.text) {
        if (p.placed.added.length || p.placed.replaced.length) out.push({ family: f, text: p.text, count: p.placed.added.length });
      } else if (!(!p.ok && p.kind === 'no-firewall')) return null;
    }
    return out.length ? out : null;
  });

  /** stops placements still running (the wizard is closed or replaced) */
  cancel(): void {
    for (const p of Object.values(this.#previews)) p.cancel();
  }

  reset(): void {
    this.values = initialValues(this.recipe, this.ctx());
    this.touched = {};
    this.submitted = false;
  }
}
