// -m tos (libxt_tos, revision 1): the IPv4 TOS byte under a mask, by value or by RFC 1349 name.
import { ValueError, strtoulPrefix } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

interface TosMatch {
  value: number;
  mask: number;
  invert: boolean;
}

/** xtables' tos_symbol_names; a name implies the mask 0x3f of the old TOS field. */
const TOS_NAMES: ReadonlyArray<[string, number]> = [
  ['Minimize-Delay', 0x10],
  ['Maximize-Throughput', 0x08],
  ['Maximize-Reliability', 0x04],
  ['Minimize-Cost', 0x02],
  ['Normal-Service', 0x00],
];

/** XTTYPE_TOSMASK: `value[/mask]` (mask 0xff when absent) or a symbolic name (mask 0x3f). */
function parseTosMask(s: string, nameMask = 0x3f): { value: number; mask: number } {
  const v = strtoulPrefix(s, 0xff);
  if (v) {
    let end = v.end;
    let mask = 0xff;
    if (s[end] === '/') {
      const m = strtoulPrefix(s.slice(end + 1), 0xff);
      if (!m) throw new ValueError(`Illegal value: "${s}"`, 'invalid-argument', 'write VALUE[/MASK] with numbers up to 0xff');
      mask = m.value;
      end += 1 + m.end;
    }
    if (end !== s.length) throw new ValueError(`Illegal value: "${s}"`, 'invalid-argument', 'write VALUE[/MASK] with numbers up to 0xff');
    return { value: v.value, mask };
  }
  const lower = s.toLowerCase();
  const hit = TOS_NAMES.find(([n]) => n.toLowerCase() === lower);
  if (!hit) throw new ValueError(`Symbolic name "${s}" is unknown`, 'invalid-argument', `use a number or one of ${TOS_NAMES.map(([n]) => n).join(', ')}`);
  return { value: hit[1], mask: nameMask };
}

export function hex2(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

export const tos: MatchExtension<TosMatch> = {
  kind: 'match',
  name: 'tos',
  options: [{ name: 'tos', arg: 'required', invert: true, parse: ([v]) => parseTosMask(v) }],
  finalize(options) {
    xtFcheck('tos', options, [{ name: 'tos', mand: true }]);
    const o = options[options.length - 1];
    const v = o.value as { value: number; mask: number };
    const s: TosMatch = { value: v.value, mask: v.mask, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --tos ${hex2(s.value)}/${hex2(s.mask)}`;
  },
};
