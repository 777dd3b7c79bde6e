// What an extension (one match or target, like iptables' libxt_*.c) declares.
// The rule parser never special-cases an extension: it looks options up here,
// hands values to `parse`, and asks `finalize` and `save` for checks and output.
// The analysis never special-cases one either: a match's `analysis` says what
// it means for packets (the tracer's conditions, the lint's packet space), a
// target's what it does to them (its TargetAction).
import type { Match, Target, OptionValue, TableName, Hook, Rule, Family } from '../model.js';
import type { FindingCode } from '../findings.js';
import type { ChanceWords, Cond } from '../analysis/packet.js';
import type { IntervalSet } from '../analysis/space.js';
import type { TargetAction } from '../analysis/target-action.js';

export interface OptionSpec {
  /** canonical long name without dashes, as iptables-save prints it */
  name: string;
  /** other long names getopt accepts for it */
  aliases?: string[];
  /** 'none': a flag; 'required': one argument; 'optional': an argument only when attached with `=` or when the next word is not an option */
  arg: 'none' | 'required' | 'optional';
  /** words the option takes after its argument (`--tcp-flags MASK COMP` has 1) */
  extraArgs?: number;
  /** may be preceded by `!` */
  invert?: boolean;
  /** may be given more than once */
  multi?: boolean;
  /** turn the words into a value; throw ValueError for a bad value */
  parse?: (args: string[], ctx: ParseContext) => unknown;
}

export interface ParseContext {
  table: TableName;
  chain: string;
  /** the rule so far: its protocol (for service names) and earlier matches */
  rule: Rule;
  /** lower-cased protocol name given with -p, if any */
  protoName: string | null;
  /** iptables (ipv4) or ip6tables (ipv6): addresses, ICMP types and defaults differ */
  family?: Family;
  /** note something only the host can decide (an ipset, a user name): a warning on the option's word */
  warn?(code: FindingCode, message: string, fix?: string): void;
}

interface FinalizeContext extends ParseContext {}

interface ExtensionBase<S> {
  name: string;
  /** other names it can be loaded by (`-m nth` is not one: it is gone) */
  aliases?: string[];
  /**
   * the families it exists in (both when absent): libipt_* are IPv4 only,
   * libip6t_* IPv6 only. One name is one extension object across families; an
   * extension in both reads ParseContext.family where they differ.
   */
  families?: readonly Family[];
  options: OptionSpec[];
  /**
   * After all options of the rule: check mandatory options and conflicts, fill
   * in defaults, and build the state `save` prints. Throw ValueError to reject.
   * Default (no finalize): the options by name, as util.ts collectOptions
   * builds them; such an extension declares S = OptionState.
   */
  finalize?(options: OptionValue[], ctx: FinalizeContext): S;
  /** IP protocols the kernel requires in the rule's `-p` (not negated), e.g. tcp for -m tcp */
  requiresProto?: readonly number[];
  /**
   * What the kernel checks when the table is committed (iptables-restore then
   * fails at COMMIT). `hooks` are the builtin chains from which the rule can be
   * reached. Return a message to reject.
   */
  kernelCheck?(state: S, rule: Rule, ctx: { table: TableName; hooks: ReadonlySet<Hook> }): string | null;
}

/**
 * A match with state S (what `finalize` builds and `save` prints). Methods,
 * not function properties: a MatchExtension<S> then serves where the registry
 * holds MatchExtension<unknown>, and the state never needs a cast.
 */
export interface MatchExtension<S = unknown> extends ExtensionBase<S> {
  kind: 'match';
  /** text after ` -m NAME` as iptables-save prints it, each piece with its leading space */
  save(m: Match<S>): string;
  /** the name iptables-save prints after -m (differs for aliases) */
  saveName?: string;
  /** what the match means for packets; absent: the analysis treats it as a yes/no it cannot see into */
  analysis?: MatchAnalysis<S>;
  /**
   * The match in words for the app's rule list ("to port 22", "new
   * connections"), one phrase per test; [] when it says nothing worth a word
   * (a comment has its own column). Absent: the list shows the match as
   * iptables-save prints it; `text()` is that printed form (`-m NAME …`), for
   * the options it has no words for.
   */
  words?(state: S, text: () => string): string[];
}

/**
 * A match's meaning for the analysis. The tracer asks `conditions`, the lint's
 * shadowing and redundancy ask `space`; a match that declares neither is
 * opaque (the tracer forks on it, the lint only relates it to an identical
 * match). Each member is asked once per rule, never per packet.
 */
export interface MatchAnalysis<S> {
  /**
   * The result depends on history or chance (limit, statistic, recent …), not
   * on the packet: the tracer forks on it and the lint never lets such a rule
   * cover another. The function words the two outcomes for the trace (null:
   * "TEXT matches" / "TEXT does not match"); `text` is the match as printed.
   */
  chance?(state: S, text: string): ChanceWords | null;
  /**
   * The conditions the match imposes on a packet, in the order the kernel
   * tests them (packet.ts fieldCond builds one); [] when it imposes none;
   * null when these options cannot be modelled (then it is opaque).
   */
  conditions?(state: S): Cond[] | null;
  /**
   * Narrow the rule's packet space (space.ts dimensions). Return false when
   * these options cannot be expressed exactly: the rule then gets an opaque
   * dimension for this match (constraints already added stay).
   */
  space?(state: S, space: SpaceConstraint): boolean;
}

/** What a match may say about the packets a rule covers (rule-space.ts builds the boxes). */
export interface SpaceConstraint {
  /** only packets with dimension `dim` in `s` (outside it when `invert`) */
  set(dim: number, s: IntervalSet, invert?: boolean): void;
  /** packets with `a` in `s` or `b` in `s` (multiport --ports): one box per way, later constraints apply to both */
  either(a: number, b: number, s: IntervalSet): void;
}

/** A target with state S, as MatchExtension<S>. */
export interface TargetExtension<S = unknown> extends ExtensionBase<S> {
  kind: 'target';
  /** tables where the kernel accepts this target (all when absent) */
  tables?: readonly TableName[];
  /** builtin chains (hooks) where the kernel accepts it (all when absent) */
  hooks?: readonly Hook[];
  /** ACCEPT DROP RETURN QUEUE and targets that always decide the packet's fate */
  terminal?: boolean;
  save(t: Target<S>): string;
  /** the name iptables-save prints after -j (NOTRACK is saved as CT) */
  saveName?: string;
  /**
   * what the target does to a packet for the analysis; absent: it decides
   * (`terminal`) or lets the packet go on unchanged, as far as the analysis sees
   */
  analysis?: TargetAnalysis<S>;
}

/**
 * A target's meaning for the analysis (the tracer's walk, the lint's chain
 * ends, the lockout prediction, the recipes' placement): asked once per
 * target (analysis/targets.ts caches the answer), never per packet.
 */
export interface TargetAnalysis<S> {
  /**
   * What the target does: decide (accept, drop, reject, queue), rewrite the
   * packet's addresses or marks, or record it and go on. `text()` is the
   * target as iptables-save prints it (`-j NAME --opt v`), for the words of
   * the actions that carry it; read it only there (it prints the target).
   */
  action(state: S, text: () => string): TargetAction;
}

export type Extension = MatchExtension | TargetExtension;
