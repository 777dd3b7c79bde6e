// dos-limit: at most RATE new connections to a port, with a burst. The seed's
// single `-m limit … -j ACCEPT` drops nothing: packets over the limit go on to
// the next rule, and with an ACCEPT policy they get in anyway. The limit only
// works with the rule after it that drops the rest.
import { defineRecipe } from './types.js';
import { establishedAccept } from './common.js';
import { opt, PROBE, recipeRule } from './rules.js';
import { limitOverflows } from '../extensions/match-limit.js';

const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;

export const dosLimit = defineRecipe({
  name: 'dos-limit',
  title: 'Limit the rate of new connections',
  summary: 'accept at most RATE new connections to a port (after a burst), drop the rest',
  description:
    'Accepts new connections to one port at most at the given rate, after an initial burst, and drops (or rejects) the connections over the limit. The limit is for the whole port, not per client: it protects the service from being flooded, at the price of refusing legitimate clients during a flood. Connections already accepted are not limited.',
  params: [
    { name: 'port', label: 'Port', help: 'the port of the service to protect', type: 'port', required: true, example: '80' },
    { name: 'limit', label: 'Rate', help: 'new connections accepted per second, minute, hour or day once the burst is used up', type: 'rate', default: '25/minute', example: '25/minute' },
    { name: 'burst', label: 'Burst', help: 'how many new connections are accepted at once before the rate applies; the allowance refills at the rate', type: 'int', default: '100', min: 1, max: 10000, example: '100' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'in', label: 'Incoming interface', help: 'only limit connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'action', label: 'Over the limit', help: 'DROP (silently; the client retries) or REJECT (the client is told at once)', type: 'enum', choices: ['DROP', 'REJECT'], default: 'DROP' },
  ] as const,
  check(v) {
    // xt_limit keeps the burst as credits in a 32-bit number: slow rates allow only small bursts
    const avg = Math.floor((10000 * UNIT_SECONDS[v.limit.unit]) / v.limit.count);
    if (!limitOverflows(avg, v.burst)) return [];
    let max = 1;
    while (max < 10000 && !limitOverflows(avg, max + 1)) max++;
    return [{ param: 'burst', message: `${v.burst} is more than the kernel can count at a rate of ${v.limit.text}`, fix: `give --burst ${max} or less, or a faster --limit` }];
  },
  generate(v) {
    const head = `-A INPUT${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${v.port} -m conntrack --ctstate NEW`;
    const packet = { src: PROBE.client, dst: PROBE.host, proto: v.proto, sport: PROBE.clientPort, dport: v.port, inIface: v.in ?? 'pcl0', state: 'NEW' };
    const reject = v.action === 'REJECT' ? ` -j REJECT --reject-with ${v.proto === 'tcp' ? 'tcp-reset' : 'icmp-port-unreachable'}` : ' -j DROP';
    return {
      chains: [],
      rules: [
        recipeRule('filter', `${head} -m limit --limit ${v.limit.text} --limit-burst ${v.burst} -j ACCEPT`,
          `accepts new connections to port ${v.port}: up to ${v.burst} at once, then ${v.limit.count} per ${v.limit.unit} as the allowance refills`,
          { position: 'early', probe: { packet, local: [PROBE.host], expect: 'ACCEPT', what: `a new connection to port ${v.port} within the limit` } }),
        recipeRule('filter', `${head}${reject}`,
          `${v.action === 'DROP' ? 'drops' : 'rejects'} the new connections to port ${v.port} over the limit; without this rule they would go on down the chain and be accepted anyway`,
          { position: 'early', probe: { packet, local: [PROBE.host], expect: v.action as 'DROP' | 'REJECT', what: `a new connection to port ${v.port} over the limit` } }),
        establishedAccept('INPUT', { in: v.in }, true),
      ],
      preconditions: [],
      notes: [`the limit counts new connections for the whole port, from all clients together`],
    };
  },
});
