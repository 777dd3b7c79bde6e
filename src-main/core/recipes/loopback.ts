// loopback: programs on the host talk to each other over lo (127.0.0.1 and ::1,
// and the host's own addresses); a firewall that blocks it breaks local services.
import { defineRecipe } from './types.js';
import { fam } from './family.js';
import { ruleMaker } from './rules.js';

export const loopback = /* @__PURE__ */ defineRecipe({
  name: 'loopback',
  title: 'Allow loopback traffic',
  summary: 'accept everything on the loopback interface lo (INPUT and OUTPUT)',
  description:
    'Accepts all traffic on the loopback interface, first in INPUT and OUTPUT. Local services (a database on 127.0.0.1, a web server talking to a local cache) use it; nothing from the network can arrive on lo.',
  ipv6: 'The same two rules in ip6tables: local services on ::1 (and on the host\'s own IPv6 addresses) talk over lo too, and a client that tries ::1 first (localhost resolves to it) waits for a timeout when only IPv4\'s loopback is open.',
  params: [] as const,
  generate(_v, ctx) {
    const P = fam(ctx.family).probe;
    const rule = ruleMaker(ctx.family);
    const local = { src: P.loopback, dst: P.loopback, proto: 'tcp', sport: P.clientPort, dport: 5432, state: 'NEW' };
    return {
      chains: [],
      rules: [
        rule('filter', '-A INPUT -i lo -j ACCEPT', 'accepts packets arriving on the loopback interface: they come from this host itself, never from the network', {
          position: 'top',
          probe: { packet: { ...local, inIface: 'lo' }, hook: 'INPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
        }),
        rule('filter', '-A OUTPUT -o lo -j ACCEPT', 'accepts packets this host sends over the loopback interface to itself', {
          position: 'top',
          probe: { packet: { ...local, outIface: 'lo' }, hook: 'OUTPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
        }),
      ],
      preconditions: [],
      notes: [],
    };
  },
});
