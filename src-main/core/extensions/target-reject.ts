// -j REJECT (libipt_REJECT): drop the packet and answer with an ICMP error or a TCP reset.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';

export type RejectWith =
  | 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-proto-unreachable' | 'icmp-port-unreachable'
  | 'icmp-net-prohibited' | 'icmp-host-prohibited' | 'tcp-reset' | 'icmp-admin-prohibited';

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

export const REJECT_DEFAULT: RejectWith = 'icmp-port-unreachable';

export function parseRejectWith(arg: string): RejectWith {
  const a = arg.toLowerCase();
  for (const [name, alias] of REJECT_TYPES) if (name.startsWith(a) || alias.startsWith(a)) return name;
  throw new ValueError(`unknown reject type "${arg}"`, 'invalid-argument',
    `use one of ${REJECT_TYPES.map(([n]) => n).join(', ')}`);
}

/** What the rejected packet gets back (the default filled in). */
export function rejectWith(t: Target): RejectWith {
  return (t.state.with as RejectWith | undefined) ?? REJECT_DEFAULT;
}

export const reject: TargetExtension = {
  kind: 'target',
  name: 'REJECT',
  // ipt_REJECT registers for the filter table and the three filter hooks only
  tables: ['filter'],
  hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
  // the packet is dropped: traversal ends here
  terminal: true,
  options: [{ name: 'reject-with', arg: 'required', parse: ([v]) => parseRejectWith(v) }],
  finalize(options) {
    let w: RejectWith = REJECT_DEFAULT;
    for (const o of options) w = o.value as RejectWith;
    return { with: w };
  },
  kernelCheck(state, rule) {
    if (state.with === 'tcp-reset' && !(rule.proto && rule.proto.num === 6 && !rule.proto.invert))
      return 'REJECT --reject-with tcp-reset needs -p tcp in the same rule (the kernel refuses it otherwise)';
    return null;
  },
  save: (t) => ` --reject-with ${rejectWith(t)}`,
};
