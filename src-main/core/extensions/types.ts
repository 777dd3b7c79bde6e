// What an extension (one match or target, like iptables' libxt_*.c) declares.
// The rule parser never special-cases an extension: it looks options up here,
// hands values to `parse`, and asks `finalize` and `save` for checks and output.
import type { Match, Target, OptionValue, TableName, Hook, Rule, Family } from '../model.js';
import type { FindingCode } from '../findings.js';

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

export interface FinalizeContext extends ParseContext {}

interface ExtensionBase {
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
   * Default: state = { [name]: value } of the options given.
   */
  finalize?(options: OptionValue[], ctx: FinalizeContext): Record<string, unknown>;
  /** IP protocols the kernel requires in the rule's `-p` (not negated), e.g. tcp for -m tcp */
  requiresProto?: readonly number[];
  /**
   * What the kernel checks when the table is committed (iptables-restore then
   * fails at COMMIT). `hooks` are the builtin chains from which the rule can be
   * reached. Return a message to reject.
   */
  kernelCheck?(state: Record<string, unknown>, rule: Rule, ctx: { table: TableName; hooks: ReadonlySet<Hook> }): string | null;
}

export interface MatchExtension extends ExtensionBase {
  kind: 'match';
  /** text after ` -m NAME` as iptables-save prints it, each piece with its leading space */
  save(m: Match): string;
  /** the name iptables-save prints after -m (differs for aliases) */
  saveName?: string;
}

export interface TargetExtension extends ExtensionBase {
  kind: 'target';
  /** tables where the kernel accepts this target (all when absent) */
  tables?: readonly TableName[];
  /** builtin chains (hooks) where the kernel accepts it (all when absent) */
  hooks?: readonly Hook[];
  /** ACCEPT DROP RETURN QUEUE and targets that always decide the packet's fate */
  terminal?: boolean;
  save(t: Target): string;
  /** the name iptables-save prints after -j (NOTRACK is saved as CT) */
  saveName?: string;
}

export type Extension = MatchExtension | TargetExtension;
