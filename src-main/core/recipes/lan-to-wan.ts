// lan-to-wan: a router. The seed's single FORWARD rule lets LAN packets out
// but nothing back in when FORWARD drops by default; the replies come back by
// conntrack state, and a private LAN needs MASQUERADE to be answered at all.
import { defineRecipe } from './types.js';
import { IP_FORWARD, establishedAccept } from './common.js';
import { hostIn, opt, PROBE, recipeRule } from './rules.js';

export const lanToWan = defineRecipe({
  name: 'lan-to-wan',
  title: 'Let the internal network out',
  summary: 'forward LAN → WAN, replies back by connection state, optional MASQUERADE',
  description:
    'For a host with one interface on the internal network and one towards the outside: forwards connections the internal network starts, and only the replies (and related ICMP errors) back in. With --masquerade the LAN\'s private addresses are replaced by this host\'s outside address.',
  params: [
    { name: 'lan-if', label: 'Internal interface', help: 'the interface connected to the internal network', type: 'interface', required: true, example: 'eth0' },
    { name: 'wan-if', label: 'External interface', help: 'the interface connected to the outside (internet)', type: 'interface', required: true, example: 'eth1' },
    { name: 'masquerade', label: 'Masquerade', help: 'rewrite the source of outgoing connections to this host\'s outside address (needed when the LAN uses private addresses)', type: 'bool', default: false },
    { name: 'lan', label: 'Internal network', help: 'only forward connections from this network (leave empty for any address on the internal interface)', type: 'cidr', example: '192.168.1.0/24' },
  ] as const,
  check(v) {
    if (v['lan-if'] === v['wan-if']) return [{ param: 'wan-if', message: `is the same interface as --lan-if (${v['lan-if']})`, fix: 'give the interface towards the outside, different from the internal one' }];
    return [];
  },
  generate(v) {
    const lan = v['lan-if'];
    const wan = v['wan-if'];
    const src = v.lan ?? undefined;
    const lanClient = src ? hostIn(src) : PROBE.lanClient;
    const rules = [
      recipeRule('filter', `-A FORWARD${opt('-s', src)} -i ${lan} -o ${wan} -j ACCEPT`,
        `forwards every connection the internal network (${lan}${src ? `, ${src}` : ''}) starts towards the outside (${wan})`,
        { probe: { packet: { src: lanClient, dst: PROBE.remote, proto: 'tcp', sport: PROBE.clientPort, dport: 443, inIface: lan, outIface: wan, state: 'NEW' }, hook: 'FORWARD', expect: 'ACCEPT', what: `a new connection from ${lan} to ${wan}` } }),
      { ...establishedAccept('FORWARD', { in: wan, out: lan }, false, 'bottom'),
        why: `lets back in only the replies (and related ICMP errors) of connections the internal network started: nothing from ${wan} can open a connection inwards` },
    ];
    if (v.masquerade) {
      rules.push(recipeRule('nat', `-A POSTROUTING${opt('-s', src)} -o ${wan} -j MASQUERADE`,
        `replaces the internal source address with ${wan}'s address on the way out (and back on the replies), so the outside can answer private addresses`));
    }
    return { chains: [], rules, preconditions: [IP_FORWARD], notes: [] };
  },
});
