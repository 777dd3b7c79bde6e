// The ruleset model. A ruleset is what iptables-restore would load: tables of
// chains of ordered rules. Every rule remembers the source line it came from so
// the preserving writer can give an admin's file back unchanged around edits.

export type Family = 'ipv4' | 'ipv6';
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Builtin chains of each table, in the order iptables-save prints them (hook order). */
export const BUILTIN_CHAINS: Record<TableName, readonly Hook[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};
export const TABLE_NAMES = Object.keys(BUILTIN_CHAINS) as TableName[];

export function isTableName(s: string): s is TableName {
  return Object.prototype.hasOwnProperty.call(BUILTIN_CHAINS, s);
}

export interface Counters {
  packets: bigint;
  bytes: bigint;
}

/**
 * `-s`/`-d`: an IPv4 address and mask as 32-bit unsigned numbers, an IPv6 one as
 * 128-bit bigints (ip6tables), or a name resolved on the host (`mask6` set, maybe
 * to null, only in an IPv6 ruleset).
 */
export type AddressSpec =
  | { kind: 'net'; addr: number; mask: number; invert: boolean }
  | { kind: 'net6'; addr: bigint; mask: bigint; invert: boolean }
  | { kind: 'host-name'; name: string; mask: number | null; invert: boolean; mask6?: bigint | null };

export interface InterfaceSpec {
  /** the name as iptables stores it; a trailing `+` is a wildcard */
  name: string;
  invert: boolean;
}

export interface ProtocolSpec {
  /** IP protocol number, 0 = all */
  num: number;
  invert: boolean;
}

/** One option of a match or target, with its value as the extension parsed it. */
export interface OptionValue {
  name: string;
  invert: boolean;
  value: unknown;
}

/** A match; S is its extension's state (core/extensions: MatchExtension<S>). */
export interface Match<S = unknown> {
  name: string;
  /** the options as given, normalised by the extension, in the order given */
  options: OptionValue[];
  /** extension-specific state after its final check (defaults filled in); its extension's `save` prints it */
  state: S;
  /** true for a protocol match that iptables loaded by itself (`-p tcp --dport 22`) */
  implicit?: boolean;
  /** no extension in our registry: the tokens are kept as written */
  unknown?: { tokens: string[] };
}

/** A target; S is its extension's state (core/extensions: TargetExtension<S>). */
export interface Target<S = unknown> {
  kind: 'jump' | 'goto';
  name: string;
  /** a jump or goto to a user chain (then `name` is the chain) */
  chain?: true;
  options: OptionValue[];
  state: S;
  unknown?: { tokens: string[] };
}

interface SourceRef {
  /** 1-based line number in the source file */
  line: number;
  /** when one line made several rules (`-s a,b`), which one this is */
  part?: number;
}

export interface Rule {
  src: AddressSpec | null;
  dst: AddressSpec | null;
  inIface: InterfaceSpec | null;
  outIface: InterfaceSpec | null;
  proto: ProtocolSpec | null;
  fragment: { invert: boolean } | null;
  matches: Match[];
  target: Target | null;
  counters: Counters | null;
  source?: SourceRef;
}

/** A rule that an admin commented out (`#-A INPUT …`), kept where it was so it can be toggled. */
export interface DisabledRule {
  rule: Rule;
  /** it sits just before the active rule with this 0-based index (rules.length = at the end) */
  before: number;
  /** the comment line as written */
  text: string;
}

export interface Chain {
  name: string;
  builtin: boolean;
  /** builtin chains only */
  policy: 'ACCEPT' | 'DROP' | null;
  counters: Counters | null;
  rules: Rule[];
  disabled: DisabledRule[];
  source?: SourceRef;
}

export interface Table {
  name: TableName;
  /** builtin chains first in hook order, then user chains in the order they were created */
  chains: Chain[];
  source?: SourceRef;
}

export interface Ruleset {
  family: Family;
  /** tables in the order they first appear in the file */
  tables: Table[];
}

/** The number of rules of every chain of every table. */
export function ruleCount(rs: Ruleset): number {
  let n = 0;
  for (const t of rs.tables) for (const c of t.chains) n += c.rules.length;
  return n;
}

export function findTable(rs: Ruleset, name: string): Table | undefined {
  return rs.tables.find((t) => t.name === name);
}
/**
 * Name → position of each table's chains, so a lookup is not a scan (kube-proxy
 * files have tens of thousands of chains). Keyed by the chains array; the model
 * may be edited in place (-E renames, splices), so a hit is checked against the
 * array and anything else falls back to a scan and rebuilds.
 */
const chainIndex = new WeakMap<Chain[], Map<string, number>>();

export function findChain(t: Table, name: string): Chain | undefined {
  const chains = t.chains;
  if (chains.length < 16) return chains.find((c) => c.name === name);
  const at = chainIndex.get(chains)?.get(name);
  if (at !== undefined && chains[at]?.name === name) return chains[at];
  const found = chains.find((c) => c.name === name);
  if (found || at !== undefined || !chainIndex.has(chains)) {
    const m = new Map<string, number>();
    for (let i = chains.length - 1; i >= 0; i--) m.set(chains[i].name, i);
    chainIndex.set(chains, m);
  }
  return found;
}

export function newTable(name: TableName, source?: SourceRef): Table {
  return {
    name,
    chains: BUILTIN_CHAINS[name].map((h) => ({ name: h, builtin: true, policy: 'ACCEPT', counters: null, rules: [], disabled: [] })),
    source,
  };
}
