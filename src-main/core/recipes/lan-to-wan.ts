// lan-to-wan: a router. The seed's single FORWARD rule lets LAN packets out
// but nothing back in when FORWARD drops by default; the replies come back by
// conntrack state, and a private LAN needs MASQUERADE to be answered at all.
// IPv6 LANs are not private: their global addresses are routed, so the same
// FORWARD rules are what keeps the outside from opening connections inwards,
// and MASQUERADE is offered only on explicit request.
import { defineRecipe, type RecipeRule } from './types.js';
import { establishedAccept } from './common.js';
import { fam } from './family.js';
import { opt, ruleMaker } from './rules.js';

export const lanToWan = /* @__PURE__ */ defineRecipe({
  name: 'lan-to-wan',
  title: 'Let the internal network out',
  summary: 'forward LAN → WAN, replies back by connection state, optional MASQUERADE',
  description:
    'For a host with one interface on the internal network and one towards the outside: forwards connections the internal network starts, and only the replies (and related ICMP errors) back in. With --masquerade the LAN\'s private addresses are replaced by this host\'s outside address.',
  ipv6:
    'In IPv6 the internal network normally has global addresses from a prefix routed to this host, so nothing needs translating: the IPv6 rules forward what the LAN starts and let back in only the replies — with IPv6 these rules are the only thing between the LAN\'s hosts and the internet. "Masquerade" applies to IPv4 only; IPv6 MASQUERADE (many hosts behind one address) is possible but usually wrong: it breaks end-to-end addressing and hides which host did what. When the provider gives no routed prefix, ask for one, or translate prefixes one to one with NPTv6 (SNPT/DNPT); "IPv6 masquerade" is there for a LAN on unique local addresses (fd00::/8) that must reach the internet anyway.',
  params: [
    { name: 'lan-if', label: 'Internal interface', help: 'the interface connected to the internal network', type: 'interface', required: true, example: 'eth0' },
    { name: 'wan-if', label: 'External interface', help: 'the interface connected to the outside (internet)', type: 'interface', required: true, example: 'eth1' },
    { name: 'masquerade', label: 'Masquerade', help: 'rewrite the source of outgoing connections to this host\'s outside address (needed when the LAN uses private addresses); IPv4 only', type: 'bool', default: false },
    { name: 'lan', label: 'Internal network', help: 'only forward connections from this network (leave empty for any address on the internal interface)', type: 'cidr', example: '192.168.1.0/24' },
    { name: 'lan6', label: 'Internal IPv6 network', help: 'only forward IPv6 connections from this network, e.g. the prefix routed to this host (leave empty for any address on the internal interface)', type: 'cidr', family: 'ipv6', twin: 'lan', example: '2001:db8:10::/64' },
    { name: 'masquerade6', label: 'IPv6 masquerade', help: 'also MASQUERADE IPv6 — usually wrong: only for a LAN on unique local addresses (fd00::/8) without a routed prefix', type: 'bool', default: false, family: 'ipv6' },
  ] as const,
  check(v) {
    if (v['lan-if'] === v['wan-if']) return [{ param: 'wan-if', message: `is the same interface as --lan-if (${v['lan-if']})`, fix: 'give the interface towards the outside, different from the internal one' }];
    return [];
  },
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const lan = v['lan-if'];
    const wan = v['wan-if'];
    const src = (ctx.family === 'ipv6' ? v.lan6 : v.lan) ?? undefined;
    const lanClient = src ? F.hostIn(src) : F.probe.lanClient;
    const rules: RecipeRule[] = [
      rule('filter', `-A FORWARD${opt('-s', src)} -i ${lan} -o ${wan} -j ACCEPT`,
        `forwards every connection the internal network (${lan}${src ? `, ${src}` : ''}) starts towards the outside (${wan})`,
        { probe: { packet: { src: lanClient, dst: F.probe.remote, proto: 'tcp', sport: F.probe.clientPort, dport: 443, inIface: lan, outIface: wan, state: 'NEW' }, hook: 'FORWARD', expect: 'ACCEPT', what: `a new connection from ${lan} to ${wan}` } }),
      { ...establishedAccept('FORWARD', { in: wan, out: lan }, false, 'bottom', ctx.family),
        why: `lets back in only the replies (and related ICMP errors) of connections the internal network started: nothing from ${wan} can open a connection inwards` },
    ];
    const masquerade = ctx.family === 'ipv6' ? v.masquerade6 : v.masquerade;
    if (masquerade) {
      rules.push(rule('nat', `-A POSTROUTING${opt('-s', src)} -o ${wan} -j MASQUERADE`,
        `replaces the internal source address with ${wan}'s address on the way out (and back on the replies), so the outside can answer ${ctx.family === 'ipv6' ? 'addresses it has no route to' : 'private addresses'}`));
    }
    const notes = ctx.family === 'ipv6' && v.masquerade && !v.masquerade6
      ? ['no MASQUERADE for IPv6: the internal network\'s IPv6 addresses are expected to be routed to this host (or translated one to one with NPTv6); "IPv6 masquerade" adds it where that is not possible']
      : [];
    return { chains: [], rules, preconditions: [F.forward], notes };
  },
});
