// -j TOS (libxt_TOS, revision 1): change the IPv4 TOS byte: tos = (tos & ~mask) ^ value.
import { ValueError, strtoulPrefix } from '../values.js';
import type { OptionSpec, TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface TosState {
  value: number;
  mask: number;
}


// RFC 1349 names; with a name the mask is 0x3f (the precedence bits stay)
const TOS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['Minimize-Delay', 0x10], ['Maximize-Throughput', 0x08], ['Maximize-Reliability', 0x04], ['Minimize-Cost', 0x02], ['Normal-Service', 0x00],
];

/** XTTYPE_TOSMASK: `value[/mask]` (mask 0xff) or a name. */
function parseTosMask(arg: string): TosState {
  const first = strtoulPrefix(arg, 0xff);
  if (first) {
    const illegal = () => new ValueError(`Illegal value: "${arg}"`, 'invalid-argument', 'write VALUE or VALUE/MASK, each 0-255');
    let end = first.end;
    let mask = 0xff;
    if (arg[end] === '/') {
      const m = strtoulPrefix(arg.slice(end + 1), 0xff);
      if (!m) throw illegal();
      mask = m.value;
      end += 1 + m.end;
    }
    if (end !== arg.length) throw illegal();
    return { value: first.value, mask };
  }
  const hit = TOS_NAMES.find(([n]) => n.toLowerCase() === arg.toLowerCase());
  if (!hit) throw new ValueError(`Symbolic name "${arg}" is unknown`, 'invalid-argument', `use a number or ${TOS_NAMES.map(([n]) => n).join(', ')}`);
  return { value: hit[1], mask: 0x3f };
}

const OPS = ['set-tos', 'and-tos', 'or-tos', 'xor-tos'] as const;

function parseOp(name: string, arg: string): TosState {
  if (name === 'set-tos') return parseTosMask(arg);
  const v = xtUInt('TOS', name, arg, 0, 0xff);
  if (name === 'and-tos') return { value: 0, mask: ~v & 0xff };
  if (name === 'or-tos') return { value: v, mask: v };
  return { value: v, mask: 0 };
}

export const tos: TargetExtension<TosState> = {
  kind: 'target',
  name: 'TOS',
  tables: ['mangle'],
  // rewrites the header and lets the packet continue
  terminal: false,
  options: OPS.map((name): OptionSpec => ({ name, arg: 'required', parse: ([v]) => parseOp(name, v) })),
  finalize(options) {
    xtFcheck('TOS', options, OPS.map((name) => ({ name, excl: OPS })));
    if (options.length === 0) throw new ValueError('TOS: An action is required', 'missing-argument', 'add --set-tos VALUE');
    return { ...(options[0].value as TosState) };
  },
  save(t) {
    const s = t.state;
    const h = (n: number) => '0x' + n.toString(16).padStart(2, '0');
    return ` --set-tos ${h(s.value)}/${h(s.mask)}`;
  },
};
