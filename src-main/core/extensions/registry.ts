// The extension registry: a plain lookup from the name given to -m / -j to its
// declaration. Extensions register themselves in ./index.ts, one file each.
import type { Family } from '../model.js';
import type { Extension, MatchExtension, TargetExtension } from './types.js';

// every extension by name (for printing and analysing a rule already parsed),
// and the ones each family can load (for parsing)
const matches = new Map<string, MatchExtension>();
const targets = new Map<string, TargetExtension>();
const byFamily: Record<Family, { matches: Map<string, MatchExtension>; targets: Map<string, TargetExtension> }> = {
  ipv4: { matches: new Map(), targets: new Map() },
  ipv6: { matches: new Map(), targets: new Map() },
};

export function registerExtensions(list: readonly Extension[]): void {
  for (const e of list) {
    const map = (e.kind === 'match' ? matches : targets) as Map<string, Extension>;
    for (const n of [e.name, ...(e.aliases ?? [])]) {
      const other = map.get(n);
      if (other && other !== e) throw new Error(`extension name ${n} registered twice: one name is one extension in every family`);
      map.set(n, e);
      for (const f of e.families ?? (['ipv4', 'ipv6'] as const)) {
        const fm = (e.kind === 'match' ? byFamily[f].matches : byFamily[f].targets) as Map<string, Extension>;
        fm.set(n, e);
      }
    }
  }
}

/** The match loaded by `-m name`: in the given family, or in any when none is given (to print or analyse a parsed rule). */
export function findMatch(name: string, family?: Family): MatchExtension | undefined {
  return family ? byFamily[family].matches.get(name) : matches.get(name);
}
export function findTarget(name: string, family?: Family): TargetExtension | undefined {
  return family ? byFamily[family].targets.get(name) : targets.get(name);
}
/** Every match modelled (in one family when given: an IPv4 rule form offers no icmp6). */
export function registeredMatches(family?: Family): MatchExtension[] {
  return [...new Set((family ? byFamily[family].matches : matches).values())];
}
export function registeredTargets(family?: Family): TargetExtension[] {
  return [...new Set((family ? byFamily[family].targets : targets).values())];
}

// Extensions that exist in iptables 1.8 but that Portcullis does not model: a
// rule using one is kept token for token (marked unknown), not rejected. Any
// other name is an error, as in iptables ("Couldn't load match `multiports'").
const KNOWN_MATCHES = new Set([
  'addrtype', 'ah', 'bpf', 'cgroup', 'cluster', 'comment', 'connbytes', 'connlabel', 'connlimit', 'connmark',
  'conntrack', 'cpu', 'dccp', 'devgroup', 'dscp', 'ecn', 'esp', 'hashlimit', 'helper', 'icmp', 'iprange',
  'ipcomp', 'ipvs', 'length', 'limit', 'mac', 'mark', 'multiport', 'nfacct', 'osf', 'owner', 'physdev', 'pkttype',
  'policy', 'quota', 'rateest', 'realm', 'recent', 'rpfilter', 'sctp', 'set', 'socket', 'state', 'statistic',
  'string', 'tcp', 'tcpmss', 'time', 'tos', 'ttl', 'u32', 'udp', 'udplite', 'unclean', 'geoip', 'condition',
]);
export const KNOWN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNMARK', 'CONNSECMARK', 'CT',
  'DNAT', 'DSCP', 'ECN', 'HMARK', 'IDLETIMER', 'LED', 'LOG', 'MARK', 'MASQUERADE', 'NETMAP', 'NFLOG', 'NFQUEUE',
  'NOTRACK', 'RATEEST', 'REDIRECT', 'REJECT', 'SECMARK', 'SET', 'SNAT', 'SYNPROXY', 'TCPMSS', 'TCPOPTSTRIP', 'TEE',
  'TOS', 'TPROXY', 'TRACE', 'TTL', 'ULOG', 'MIRROR',
]);
// Known targets not modelled here (kept token for token), by what iptables'
// module does to the packet's walk: these decide its fate, ULOG logs it; the
// rest (ECN, SECMARK, SET …) change the packet or its connection and let it go
// on. A modelled target says so itself (its `terminal`, its `analysis`).
const UNMODELLED_VERDICTS = new Set(['TPROXY', 'SYNPROXY', 'TARPIT', 'MIRROR', 'CLUSTERIP']);
const UNMODELLED_LOGGING = new Set(['ULOG']);

/** What a known but unmodelled target does to the walk; null for a name iptables does not know. */
export function unmodelledTarget(name: string): 'verdict' | 'log' | 'continue' | null {
  if (UNMODELLED_VERDICTS.has(name)) return 'verdict';
  if (UNMODELLED_LOGGING.has(name)) return 'log';
  return KNOWN_TARGETS.has(name) || KNOWN6_TARGETS.has(name) ? 'continue' : null;
}

// Known but not modelled, and their result depends on history or chance rather
// than on the packet (a modelled one says so in its `analysis.chance`).
const UNMODELLED_CHANCE = new Set(['rateest', 'nth', 'condition', 'cluster']);

/**
 * Does the match named so depend on history or chance (limit, statistic, recent …),
 * not on the packet alone? The tracer forks on it, the lint never counts on it.
 */
export function isChanceMatch(name: string): boolean {
  const ext = matches.get(name);
  return ext ? ext.analysis?.chance !== undefined : UNMODELLED_CHANCE.has(name);
}

// The names that exist in one family only (libipt_* / libip6t_*).
const IPV4_ONLY_MATCHES = new Set(['icmp', 'ttl', 'realm', 'unclean']);
const IPV4_ONLY_TARGETS = new Set(['TTL', 'ECN', 'CLUSTERIP', 'ULOG', 'MIRROR']);
const IPV6_MATCHES = ['icmp6', 'hl', 'hbh', 'dst', 'rt', 'frag', 'ipv6header', 'mh', 'eui64', 'srh'];
const IPV6_TARGETS = ['HL', 'DNPT', 'SNPT'];
const KNOWN6_MATCHES = new Set([...[...KNOWN_MATCHES].filter((n) => !IPV4_ONLY_MATCHES.has(n)), ...IPV6_MATCHES]);
const KNOWN6_TARGETS = new Set([...[...KNOWN_TARGETS].filter((n) => !IPV4_ONLY_TARGETS.has(n)), ...IPV6_TARGETS]);

/** iptables (or ip6tables) has this match, modelled here or not. */
export function knownMatches(family: Family = 'ipv4'): ReadonlySet<string> {
  return family === 'ipv6' ? KNOWN6_MATCHES : KNOWN_MATCHES;
}
export function knownTargets(family: Family = 'ipv4'): ReadonlySet<string> {
  return family === 'ipv6' ? KNOWN6_TARGETS : KNOWN_TARGETS;
}
