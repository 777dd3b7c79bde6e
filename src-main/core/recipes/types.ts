// What a recipe is: a typed parameter schema (rendered by the wizard UI and
// read by the CLI), a generator that turns checked values into rules with an
// explanation each, the host preconditions the rules rely on, and hints for
// placing the rules into an existing ruleset where they work.
import type { Family, Rule, TableName } from '../model.js';
import type { PacketSpec, TraceHook, TraceVerdict } from '../trace.js';

type ParamType = 'port' | 'ip' | 'ip-port-list' | 'cidr' | 'interface' | 'rate' | 'int' | 'text' | 'enum' | 'bool';

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
type ParamValueOf<T extends ParamType> = T extends 'port' | 'int'
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
  /**
   * ip, cidr, ip-port-list: the address family of the value. A parameter of
   * one family matters only when the recipe makes that family's rules (the
   * wizard shows it in that family's part).
   */
  readonly family?: Family;
  /** an IPv6 parameter that stands for the IPv4 parameter of this name (`servers6` for `servers`) */
  readonly twin?: string;
  /**
   * with both families: may be left out while its twin is given (the IPv6
   * rules then do without it, e.g. no trusted network). Without this, a twin
   * that narrows what the rules let through must be given for both families,
   * or one family would be wider open than the other.
   */
  readonly twinOptional?: boolean;
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
type ParamValues<P extends readonly ParamSpec[]> = {
  [S in P[number] as S['name']]: S extends { readonly required: true } | { readonly default: string | boolean }
    ? ParamValueOf<S['type']>
    : ParamValueOf<S['type']> | undefined;
};

export type AnyValues = Readonly<Record<string, unknown>>;

/** A recipe's checked values with the `family` every recipe has (4, 6 or both; undefined: the ruleset's). */
type RecipeValues<P extends readonly ParamSpec[]> = ParamValues<P> & { readonly family?: '4' | '6' | 'both' };

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

interface RecipeChain {
  table: TableName;
  name: string;
  why: string;
}

type PreconditionKind = 'sysctl' | 'kernel-module' | 'package' | 'routing' | 'logging';

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
  /** the firewall these rules are for: iptables (ipv4) or ip6tables (ipv6) */
  family: Family;
  chains: RecipeChain[];
  rules: RecipeRule[];
  preconditions: Precondition[];
  /** things to know that are not rules (e.g. where LOG messages go) */
  notes: string[];
  /** the recipe cannot go into this ruleset, and why (placement refuses with it) */
  refusal?: string;
}

/** What the generator may know about the ruleset the rules go into. */
interface GenerateContext {
  ruleset?: import('../model.js').Ruleset;
  /** the family to make the rules for (default: the ruleset's, else the first the `family` parameter names) */
  family?: Family;
}

/** What a generator is told: the family is always decided. */
interface FamilyContext extends GenerateContext {
  family: Family;
}

interface RecipeDef<P extends readonly ParamSpec[]> {
  name: string;
  title: string;
  summary: string;
  /** a paragraph for the wizard's first page and `--help` */
  description: string;
  /** what the recipe does for IPv6 and how it differs from IPv4 (the wizard shows it in the IPv6 part) */
  ipv6: string;
  params: P;
  /** checks across parameters (after each was checked on its own) */
  check?(values: RecipeValues<P>): ParamProblem[];
  generate(values: RecipeValues<P>, ctx: FamilyContext): Omit<RecipeOutput, 'recipe' | 'values' | 'family'>;
}

/** A recipe with its value types erased, as the registry holds it. */
export interface Recipe {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly description: string;
  readonly ipv6: string;
  readonly params: readonly ParamSpec[];
  check(values: AnyValues): ParamProblem[];
  generate(values: AnyValues, ctx?: GenerateContext): RecipeOutput;
}

/** Every recipe's last parameter: which firewalls the rules are for. */
const FAMILY_PARAM: ParamSpec<'enum'> = {
  name: 'family',
  label: 'Family',
  help: '4 for IPv4 (iptables), 6 for IPv6 (ip6tables), or both; without it, the family of the ruleset the rules go into (IPv4 when there is none)',
  type: 'enum',
  choices: ['4', '6', 'both'],
  example: 'both',
};

/** The family the rules are made for: the one asked, else the ruleset's, else the first the values name. */
function familyFor(values: AnyValues, ctx: GenerateContext): Family {
  if (ctx.family) return ctx.family;
  if (ctx.ruleset) return ctx.ruleset.family;
  return values.family === '6' ? 'ipv6' : 'ipv4';
}

export function defineRecipe<const P extends readonly ParamSpec[]>(def: RecipeDef<P>): Recipe {
  return {
    name: def.name,
    title: def.title,
    summary: def.summary,
    description: def.description,
    ipv6: def.ipv6,
    params: [...def.params, FAMILY_PARAM],
    check: (v) => def.check?.(v as RecipeValues<P>) ?? [],
    generate: (v, ctx = {}) => {
      const family = familyFor(v, ctx);
      return { recipe: def.name, values: v, family, ...def.generate(v as RecipeValues<P>, { ...ctx, family }) };
    },
  };
}
