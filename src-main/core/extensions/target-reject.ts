// -j REJECT (libipt_REJECT): drop the packet and answer with an ICMP error or a TCP reset.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';

type RejectWith =
  | 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-proto-unreachable' | 'icmp-port-unreachable'
  | 'icmp-net-prohibited' | 'icmp-host-prohibited' | 'tcp-reset' | 'icmp-admin-prohibited'
  | 'icmp6-no-route' | 'icmp6-adm-prohibited' | 'icmp6-addr-unreachable' | 'icmp6-port-unreachable'
  | 'icmp6-policy-fail' | 'icmp6-reject-route';

// In ipt_reject_with order: iptables takes the first entry whose name or alias
// starts with the word given (case-insensitive), so `icmp-net` is net-unreachable.
const REJECT_TYPES: ReadonlyArray<readonly [RejectWith, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];

// libip6t_REJECT's table for ip6tables (tcp-reset has no tcp-rst alias there)
const REJECT6_TYPES: ReadonlyArray<readonly [RejectWith, string]> = [
  ['icmp6-no-route', 'no-route'],
  ['icmp6-adm-prohibited', 'adm-prohibited'],
  ['icmp6-addr-unreachable', 'addr-unreach'],
  ['icmp6-port-unreachable', 'port-unreach'],
  ['tcp-reset', 'tcp-reset'],
  ['icmp6-policy-fail', 'policy-fail'],
  ['icmp6-reject-route', 'reject-route'],
];

const REJECT_DEFAULT: RejectWith = 'icmp-port-unreachable';
const REJECT6_DEFAULT: RejectWith = 'icmp6-port-unreachable';

function parseRejectWith(arg: string, family: 'ipv4' | 'ipv6' = 'ipv4'): RejectWith {
  const a = arg.toLowerCase();
  const table = family === 'ipv6' ? REJECT6_TYPES : REJECT_TYPES;
  for (const [name, alias] of table) if (name.startsWith(a) || alias.startsWith(a)) return name;
  const other = (family === 'ipv6' ? REJECT_TYPES : REJECT6_TYPES).some(([n]) => n === a);
  throw new ValueError(`unknown reject type "${arg}"`, 'invalid-argument',
    (other ? `${arg} is an ${family === 'ipv6' ? 'IPv4 (iptables)' : 'IPv6 (ip6tables)'} reject type; ` : '') +
      `use one of ${table.map(([n]) => n).join(', ')}`);
}

/** What the rejected packet gets back (finalize fills in the family's default). */
interface RejectState {
  with: RejectWith;
}

export const reject: TargetExtension<RejectState> = {
  kind: 'target',
  name: 'REJECT',
  // ipt_REJECT registers for the filter table and the three filter hooks only
  tables: ['filter'],
  hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
  // the packet is dropped: traversal ends here
  terminal: true,
  options: [{ name: 'reject-with', arg: 'required', parse: ([v], ctx) => parseRejectWith(v, ctx.family) }],
  finalize(options, ctx) {
    let w: RejectWith = ctx.family === 'ipv6' ? REJECT6_DEFAULT : REJECT_DEFAULT;
    for (const o of options) w = o.value as RejectWith;
    return { with: w };
  },
  kernelCheck(state, rule) {
    if (state.with === 'tcp-reset' && !(rule.proto && rule.proto.num === 6 && !rule.proto.invert))
      return 'REJECT --reject-with tcp-reset needs -p tcp in the same rule (the kernel refuses it otherwise)';
    return null;
  },
  // a target built without finalize has no `with`: iptables' default
  save: (t) => ` --reject-with ${t.state.with ?? REJECT_DEFAULT}`,
  analysis: { action: (s) => ({ kind: 'reject', with: s.with ?? REJECT_DEFAULT }) },
};
