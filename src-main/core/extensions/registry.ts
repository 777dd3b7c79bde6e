// The extension registry: a plain lookup from the name given to -m / -j to its
// declaration. Extensions register themselves in ./index.ts, one file each.
import type { Extension, MatchExtension, TargetExtension } from './types.js';

const matches = new Map<string, MatchExtension>();
const targets = new Map<string, TargetExtension>();

export function registerExtensions(list: readonly Extension[]): void {
  for (const e of list) {
    const map = (e.kind === 'match' ? matches : targets) as Map<string, Extension>;
    for (const n of [e.name, ...(e.aliases ?? [])]) map.set(n, e);
  }
}

export function findMatch(name: string): MatchExtension | undefined {
  return matches.get(name);
}
export function findTarget(name: string): TargetExtension | undefined {
  return targets.get(name);
}
export function registeredMatches(): MatchExtension[] {
  return [...new Set(matches.values())];
}
export function registeredTargets(): TargetExtension[] {
  return [...new Set(targets.values())];
}

// Extensions that exist in iptables 1.8 but that Portcullis does not model: a
// rule using one is kept token for token (marked unknown), not rejected. Any
// other name is an error, as in iptables ("Couldn't load match `multiports'").
export const KNOWN_MATCHES = new Set([
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
