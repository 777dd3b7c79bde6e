// What a recipe is: a typed parameter schema (rendered by the wizard UI and
// read by the CLI), a generator that turns checked values into rules with an
// explanation each, the host preconditions the rules rely on, and hints for
// placing the rules into an existing ruleset where they work.
import type { Rule, TableName } from '../model.js';
import type { PacketSpec, TraceHook, TraceVerdict } from '../trace.js';

export type ParamType = 'port' | 'ip' | 'ip-port-list' | 'cidr' | 'interface' | 'rate' | 'int' | 'text' | 'enum' | 'bool';

/** `IP[:PORT]` of a backend; port null = keep the packet's port. */
export interface IpPort {
  ip: string;
  port: number | null;
}

export type RateUnit = 'second' | 'minute' | 'hour' | 'day';

export interface Rate {
  count: number;
  unit: RateUnit;
  /** as iptables-save prints it: `25/min` */
  text: string;
}

/** The JavaScript value a parameter of each type is checked into. */
export type ParamValueOf<T extends ParamType> = T extends 'port' | 'int'
  ? number
  : T extends 'ip-port-list'
    ? IpPort[]
    : T extends 'rate'
      ? Rate
      : T extends 'bool'
        ? boolean
        : string;

export interface ParamSpec<T extends ParamType = ParamType> {
  /** the CLI option without `--` and the key of the values; keep names stable */
  readonly name: string;
  readonly label: string;
  /** one or two sentences the wizard shows beside the field and `--help` prints */
  readonly help: string;
  readonly type: T;
  /** as the admin would type it (the wizard pre-fills it); booleans as booleans */
  readonly default?: string | boolean;
  readonly required?: boolean;
  /** enum: the allowed values */
  readonly choices?: readonly string[];
  /** int: bounds (inclusive); ip-port-list: how many entries */
  readonly min?: number;
  readonly max?: number;
  /** text: the longest value accepted */
  readonly maxLength?: number;
  /** an example value for placeholders and help */
  readonly example?: string;
}

/** A parameter the admin got wrong, with the fix in plain words. */
export interface ParamProblem {
  /** the parameter's name; '' when the problem is about a combination */
  param: string;
  message: string;
  fix?: string;
}

/** What the admin gave: strings from the CLI or the wizard's fields, booleans for flags. */
export type RawParams = Readonly<Record<string, string | boolean | undefined>>;

/** Checked values keyed by parameter name; optional parameters without default are undefined. */
export type ParamValues<P extends readonly ParamSpec[]> = {
  [S in P[number] as S['name']]: S extends { readonly required: true } | { readonly default: string | boolean }
    ? ParamValueOf<S['type']>
    : ParamValueOf<S['type']> | undefined;
};

export type AnyValues = Readonly<Record<string, unknown>>;

/**
 * A packet the rule exists for. After placement the tracer walks it through
 * the merged ruleset: the rule must be the one that decides it in its table
 * (else an earlier rule pre-empts it: the recipe notes it as already handled
 * when that rule does the same, and refuses when it does something else), and
 * the packet's final verdict must be `expect`.
 */
export interface Probe {
  packet: PacketSpec;
  hook?: TraceHook;
  local?: string[];
  expect: TraceVerdict;
  /** what the packet is, for messages: "a new TCP connection to port 443" */
  what: string;
}

export interface RecipeRule {
  table: TableName;
  chain: string;
  rule: Rule;
  /** `-A CHAIN …` exactly as iptables-save prints it */
  text: string;
  /** why the rule is there, in plain words */
  why: string;
  /**
   * top: first in the chain (loopback, replies of established connections);
   * bottom: after what is there but before a catch-all verdict (the default);
   * early: just before the rule of the chain that decides the probe now (a
   * limit must come before the rule that accepts the port without one), and
   * the next `early` rules of the recipe right after it.
   */
  position: 'top' | 'bottom' | 'early';
  probe?: Probe;
  /** the rule matches everything and decides (baseline's REJECT, log-drops' jump): one per chain */
  catchAll?: boolean;
  /** only added when the chain would not already give its probe the expected verdict (reply companions) */
  onlyIfNeeded?: boolean;
  /** canonical body of an existing rule in the chain that this rule takes the place of */
  replaces?: string;
}

export interface RecipeChain {
  table: TableName;
  name: string;
  why: string;
}

export type PreconditionKind = 'sysctl' | 'kernel-module' | 'package' | 'routing' | 'logging';

/** Something the host must have for the rules to work; reported, never changed by the recipe. */
export interface Precondition {
  kind: PreconditionKind;
  /** `net.ipv4.ip_forward=1` */
  what: string;
  why: string;
  /** a read-only command that shows whether the host has it */
  check?: string;
  /** how to get it, persistently */
  fix: string;
}

export interface RecipeOutput {
  recipe: string;
  /** the checked values, defaults filled in */
  values: AnyValues;
  chains: RecipeChain[];
  rules: RecipeRule[];
  preconditions: Precondition[];
  /** things to know that are not rules (e.g. where LOG messages go) */
  notes: string[];
  /** the recipe cannot go into this ruleset, and why (placement refuses with it) */
  refusal?: string;
}

/** What the generator may know about the ruleset the rules go into. */
export interface GenerateContext {
  ruleset?: import('../model.js').Ruleset;
}

export interface RecipeDef<P extends readonly ParamSpec[]> {
  name: string;
  title: string;
  summary: string;
  /** a paragraph for the wizard's first page and `--help` */
  description: string;
  params: P;
  /** checks across parameters (after each was checked on its own) */
  check?(values: ParamValues<P>): ParamProblem[];
  generate(values: ParamValues<P>, ctx: GenerateContext): Omit<RecipeOutput, 'recipe' | 'values'>;
}

/** A recipe with its value types erased, as the registry holds it. */
export interface Recipe {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  check(values: AnyValues): ParamProblem[];
  generate(values: AnyValues, ctx?: GenerateContext): RecipeOutput;
}

export function defineRecipe<const P extends readonly ParamSpec[]>(def: RecipeDef<P>): Recipe {
  return {
    name: def.name,
    title: def.title,
    summary: def.summary,
    description: def.description,
    params: def.params,
    check: (v) => def.check?.(v as ParamValues<P>) ?? [],
    generate: (v, ctx = {}) => ({ recipe: def.name, values: v, ...def.generate(v as ParamValues<P>, ctx) }),
  };
}
