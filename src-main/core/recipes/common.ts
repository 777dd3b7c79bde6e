// Rules and preconditions several recipes share, written once so the same
// companion rule from two recipes is canonically the same rule (and placed once).
import type { Precondition, RecipeRule } from './types.js';
import { opt, PROBE, recipeRule } from './rules.js';

export const IP_FORWARD: Precondition = {
  kind: 'sysctl',
  what: 'net.ipv4.ip_forward=1',
  why: 'the kernel routes packets between interfaces only when forwarding is on; without it the FORWARD rules never see a packet',
  check: 'sysctl -n net.ipv4.ip_forward',
  fix: "sysctl -w net.ipv4.ip_forward=1, and to keep it after a reboot: echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-portcullis.conf",
};

/** Replies and related packets (ICMP errors) of connections already allowed, in INPUT or FORWARD. */
export function establishedAccept(chain: 'INPUT' | 'FORWARD' | 'OUTPUT', ifFlag: { in?: string; out?: string } = {}, onlyIfNeeded = false, position: 'top' | 'bottom' = 'top'): RecipeRule {
  const text = `-A ${chain}${opt('-i', ifFlag.in)}${opt('-o', ifFlag.out)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
  const hook = chain;
  const packet = {
    src: PROBE.remote, dst: chain === 'OUTPUT' ? PROBE.remote : PROBE.host, proto: 'tcp', sport: 443, dport: PROBE.clientPort, state: 'ESTABLISHED',
    ...(chain !== 'OUTPUT' ? { inIface: ifFlag.in ?? 'pcl0' } : {}),
    ...(chain !== 'INPUT' ? { outIface: ifFlag.out ?? 'pcl1' } : {}),
  };
  if (chain === 'OUTPUT') Object.assign(packet, { src: PROBE.host, dst: PROBE.remote });
  if (chain === 'FORWARD') Object.assign(packet, { dst: PROBE.lanClient });
  return recipeRule('filter', text,
    `accepts the rest of every connection that was allowed when it started (replies, and related ICMP errors): conntrack knows these packets, so no port has to be opened for them`,
    { position, onlyIfNeeded, probe: { packet, hook, local: [PROBE.host], expect: 'ACCEPT', what: `a reply packet of an established connection (${chain})` } });
}
