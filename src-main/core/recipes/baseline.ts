// baseline: the seed's "most of the rules" — trusted network, SSH, ICMP,
// established connections, then REJECT everything else — ordered so it works:
// replies and SSH are accepted before the final REJECT, loopback first.
import { defineRecipe, type RecipeRule } from './types.js';
import { establishedAccept } from './common.js';
import { hostIn, PROBE, recipeRule } from './rules.js';

export const baseline = defineRecipe({
  name: 'baseline',
  title: 'Basic host firewall',
  summary: 'accept established, loopback, trusted network, SSH and ICMP, then REJECT everything else',
  description:
    'A basic firewall for a server: replies of its own connections, loopback, everything from a trusted network, new SSH connections and ICMP (ping, path MTU discovery) are accepted; every other incoming packet is rejected by a rule at the bottom of INPUT. The policy stays ACCEPT, so flushing the rules never locks you out.',
  params: [
    { name: 'trusted', label: 'Trusted network', help: 'accept everything from this network, e.g. the admins\' subnet (leave empty for none)', type: 'cidr', example: '192.168.1.0/24' },
    { name: 'ssh-port', label: 'SSH port', help: 'the port sshd listens on', type: 'port', default: '22' },
    { name: 'icmp', label: 'Accept ICMP', help: 'accept ping and the ICMP messages path MTU discovery needs', type: 'bool', default: true },
    { name: 'loopback', label: 'Accept loopback', help: 'accept everything on lo (local services)', type: 'bool', default: true },
    { name: 'reject-with', label: 'Reject with', help: 'the ICMP error rejected packets get', type: 'enum', choices: ['icmp-port-unreachable', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'icmp-net-unreachable', 'icmp-host-unreachable'], default: 'icmp-host-prohibited' },
  ] as const,
  generate(v) {
    const pkt = (over: Record<string, unknown>) => ({ src: PROBE.client, dst: PROBE.host, proto: 'tcp', sport: PROBE.clientPort, dport: 3306, inIface: 'pcl0', state: 'NEW', ...over });
    const rules: RecipeRule[] = [{ ...establishedAccept('INPUT'), why: 'accepts the replies of connections this host opened and the rest of connections accepted below (and related ICMP errors); without it the final REJECT would cut them' }];
    if (v.loopback) {
      rules.push(recipeRule('filter', '-A INPUT -i lo -j ACCEPT', 'accepts traffic of local services over the loopback interface', {
        position: 'top',
        probe: { packet: pkt({ src: '127.0.0.1', dst: '127.0.0.1', inIface: 'lo', dport: 5432 }), hook: 'INPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
      }));
    }
    if (v.trusted) {
      rules.push(recipeRule('filter', `-A INPUT -s ${v.trusted} -j ACCEPT`, `accepts everything from the trusted network ${v.trusted}`, {
        probe: { packet: pkt({ src: hostIn(v.trusted) }), local: [PROBE.host], expect: 'ACCEPT', what: `a new connection from ${v.trusted}` },
      }));
    }
    rules.push(recipeRule('filter', `-A INPUT -p tcp -m tcp --dport ${v['ssh-port']} -j ACCEPT`, `accepts SSH on port ${v['ssh-port']} — before the final REJECT, or you lock yourself out`, {
      probe: { packet: pkt({ dport: v['ssh-port'] }), local: [PROBE.host], expect: 'ACCEPT', what: `a new SSH connection to port ${v['ssh-port']}` },
    }));
    if (v.icmp) {
      rules.push(recipeRule('filter', '-A INPUT -p icmp -j ACCEPT', 'accepts ICMP: ping, and the "fragmentation needed" messages path MTU discovery relies on', {
        probe: { packet: { src: PROBE.client, dst: PROBE.host, proto: 'icmp', icmpType: 8, inIface: 'pcl0', state: 'NEW' }, local: [PROBE.host], expect: 'ACCEPT', what: 'a ping' },
      }));
    }
    rules.push(recipeRule('filter', `-A INPUT -j REJECT --reject-with ${v['reject-with']}`,
      'rejects every other incoming packet; it must stay the last rule of INPUT, since nothing after it can match. The policy stays ACCEPT, so flushing the rules never locks you out', { catchAll: true }));
    return { chains: [], rules, preconditions: [], notes: [] };
  },
});
