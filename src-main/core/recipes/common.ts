// Rules and preconditions several recipes share, written once so the same
// companion rule from two recipes is canonically the same rule (and placed once).
import type { Family } from '../model.js';
import type { RecipeRule } from './types.js';
import { opt, recipeRule } from './rules.js';
import { fam } from './family.js';

/** Replies and related packets (ICMP errors) of connections already allowed, in INPUT or FORWARD. */
export function establishedAccept(chain: 'INPUT' | 'FORWARD' | 'OUTPUT', ifFlag: { in?: string; out?: string } = {}, onlyIfNeeded = false, position: 'top' | 'bottom' = 'top', family: Family = 'ipv4'): RecipeRule {
  const P = fam(family).probe;
  const text = `-A ${chain}${opt('-i', ifFlag.in)}${opt('-o', ifFlag.out)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
  const hook = chain;
  const packet = {
    src: P.remote, dst: chain === 'OUTPUT' ? P.remote : P.host, proto: 'tcp', sport: 443, dport: P.clientPort, state: 'ESTABLISHED',
    ...(chain !== 'OUTPUT' ? { inIface: ifFlag.in ?? 'pcl0' } : {}),
    ...(chain !== 'INPUT' ? { outIface: ifFlag.out ?? 'pcl1' } : {}),
  };
  if (chain === 'OUTPUT') Object.assign(packet, { src: P.host, dst: P.remote });
  if (chain === 'FORWARD') Object.assign(packet, { dst: P.lanClient });
  return recipeRule('filter', text,
    `accepts the rest of every connection that was allowed when it started (replies, and related ICMP errors): conntrack knows these packets, so no port has to be opened for them`,
    { family, position, onlyIfNeeded, probe: { packet, hook, local: [P.host], expect: 'ACCEPT', what: `a reply packet of an established connection (${chain})` } });
}
