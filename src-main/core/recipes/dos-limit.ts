// dos-limit: at most RATE new connections to a port, with a burst. The seed's
// single `-m limit … -j ACCEPT` drops nothing: packets over the limit go on to
// the next rule, and with an ACCEPT policy they get in anyway. The limit only
// works with the rule after it that drops the rest.
import { defineRecipe } from './types.js';
import { establishedAccept } from './common.js';
import { fam } from './family.js';
import { opt, ruleMaker } from './rules.js';
import { limitOverflows } from '../extensions/match-limit.js';

const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86400 } as const;

export const dosLimit = /* @__PURE__ */ defineRecipe({
  name: 'dos-limit',
  title: 'Limit the rate of new connections',
  summary: 'accept at most RATE new connections to a port (after a burst), drop the rest',
  description:
    'Accepts new connections to one port at most at the given rate, after an initial burst, and drops (or rejects) the connections over the limit. By default the limit is for the whole port, not per client: it protects the service from being flooded, at the price of refusing legitimate clients during a flood. With "per client" each client network gets its own allowance (hashlimit), so one flooding client does not lock out the others. Connections already accepted are not limited.',
  ipv6:
    'The same rules in ip6tables. Per client, IPv6 counts a whole client network, not one address: a single IPv6 host usually has a /64 to pick addresses from, so a limit per address (/128) is no limit at all. "IPv6 client network" sets that prefix length (64 by default, what admins expect; 48 or 56 for a whole site).',
  params: [
    { name: 'port', label: 'Port', help: 'the port of the service to protect', type: 'port', required: true, example: '80' },
    { name: 'limit', label: 'Rate', help: 'new connections accepted per second, minute, hour or day once the burst is used up', type: 'rate', default: '25/minute', example: '25/minute' },
    { name: 'burst', label: 'Burst', help: 'how many new connections are accepted at once before the rate applies; the allowance refills at the rate', type: 'int', default: '100', min: 1, max: 10000, example: '100' },
    { name: 'proto', label: 'Protocol', help: 'the transport protocol of the service: tcp or udp', type: 'enum', choices: ['tcp', 'udp'], default: 'tcp' },
    { name: 'in', label: 'Incoming interface', help: 'only limit connections arriving on this interface (leave empty for any)', type: 'interface', example: 'eth0' },
    { name: 'per-client', label: 'Per client', help: 'give every client (IPv4 address, IPv6 network) its own allowance instead of one for the whole port (hashlimit, mode srcip)', type: 'bool', default: false },
    { name: 'srcmask6', label: 'IPv6 client network', help: 'per client in IPv6: the prefix length of what counts as one client (64: a /64, the network one host usually has)', type: 'int', default: '64', min: 1, max: 128, family: 'ipv6' },
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
  generate(v, ctx) {
    const F = fam(ctx.family);
    const rule = ruleMaker(ctx.family);
    const head = `-A INPUT${opt('-i', v.in)} -p ${v.proto} -m ${v.proto} --dport ${v.port} -m conntrack --ctstate NEW`;
    const packet = { src: F.probe.client, dst: F.probe.host, proto: v.proto, sport: F.probe.clientPort, dport: v.port, inIface: v.in ?? 'pcl0', state: 'NEW' };
    const reject = v.action === 'REJECT' ? ` -j REJECT --reject-with ${v.proto === 'tcp' ? 'tcp-reset' : F.portUnreachable}` : ' -j DROP';
    // one hash table per port and protocol (ip6tables keeps its own apart from iptables')
    const mask = ctx.family === 'ipv6' ? v.srcmask6 : 32;
    const limit = v['per-client']
      ? ` -m hashlimit --hashlimit-upto ${v.limit.text} --hashlimit-burst ${v.burst} --hashlimit-mode srcip${mask !== (ctx.family === 'ipv6' ? 128 : 32) ? ` --hashlimit-srcmask ${mask}` : ''} --hashlimit-name dos-${v.proto}${v.port}`
      : ` -m limit --limit ${v.limit.text} --limit-burst ${v.burst}`;
    const who = !v['per-client'] ? '' : ctx.family === 'ipv6' ? ` from each client network (/${mask})` : ' from each client address';
    return {
      chains: [],
      rules: [
        rule('filter', `${head}${limit} -j ACCEPT`,
          `accepts new connections to port ${v.port}${who}: up to ${v.burst} at once, then ${v.limit.count} per ${v.limit.unit} as the allowance refills`,
          { position: 'early', probe: { packet, local: [F.probe.host], expect: 'ACCEPT', what: `a new connection to port ${v.port} within the limit` } }),
        rule('filter', `${head}${reject}`,
          `${v.action === 'DROP' ? 'drops' : 'rejects'} the new connections to port ${v.port} over the limit; without this rule they would go on down the chain and be accepted anyway`,
          { position: 'early', probe: { packet, local: [F.probe.host], expect: v.action as 'DROP' | 'REJECT', what: `a new connection to port ${v.port} over the limit` } }),
        establishedAccept('INPUT', { in: v.in }, true, 'top', ctx.family),
      ],
      preconditions: [],
      notes: [v['per-client']
        ? `the limit counts new connections per client${ctx.family === 'ipv6' ? ` network: all addresses in one /${mask} share one allowance` : ' address'}`
        : `the limit counts new connections for the whole port, from all clients together`],
    };
  },
});
