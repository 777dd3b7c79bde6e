// loopback: programs on the host talk to each other over lo (127.0.0.1, and
// the host's own addresses); a firewall that blocks it breaks local services.
import { defineRecipe } from './types.js';
import { recipeRule } from './rules.js';

export const loopback = defineRecipe({
  name: 'loopback',
  title: 'Allow loopback traffic',
  summary: 'accept everything on the loopback interface lo (INPUT and OUTPUT)',
  description:
    'Accepts all traffic on the loopback interface, first in INPUT and OUTPUT. Local services (a database on 127.0.0.1, a web server talking to a local cache) use it; nothing from the network can arrive on lo.',
  params: [] as const,
  generate() {
    return {
      chains: [],
      rules: [
        recipeRule('filter', '-A INPUT -i lo -j ACCEPT', 'accepts packets arriving on the loopback interface: they come from this host itself, never from the network', {
          position: 'top',
          probe: { packet: { src: '127.0.0.1', dst: '127.0.0.1', proto: 'tcp', sport: 40123, dport: 5432, inIface: 'lo', state: 'NEW' }, hook: 'INPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
        }),
        recipeRule('filter', '-A OUTPUT -o lo -j ACCEPT', 'accepts packets this host sends over the loopback interface to itself', {
          position: 'top',
          probe: { packet: { src: '127.0.0.1', dst: '127.0.0.1', proto: 'tcp', sport: 40123, dport: 5432, outIface: 'lo', state: 'NEW' }, hook: 'OUTPUT', expect: 'ACCEPT', what: 'a local connection over lo' },
        }),
      ],
      preconditions: [],
      notes: [],
    };
  },
});
