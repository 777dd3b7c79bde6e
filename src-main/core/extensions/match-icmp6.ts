// -m icmp6 (libip6t_icmp6): ICMPv6 type and code; names are saved as numbers.
import type { OptionValue } from '../model.js';
import { ValueError, strtoul } from '../values.js';
import type { MatchExtension } from './types.js';
import { icmpTypeCond, icmpTypeSpace, type IcmpType } from './match-icmp.js';
import { collectOptions, opt, requireOption, type OptionState } from './util.js';
import { DIM, iv } from '../analysis/space.js';

// libxt_icmp.h's icmpv6_codes, in its order (ambiguity is judged in this order).
const ICMP6_NAMES: ReadonlyArray<readonly [string, number, number, number]> = [
  ['destination-unreachable', 1, 0, 255],
  ['no-route', 1, 0, 0],
  ['communication-prohibited', 1, 1, 1],
  ['beyond-scope', 1, 2, 2],
  ['address-unreachable', 1, 3, 3],
  ['port-unreachable', 1, 4, 4],
  ['failed-policy', 1, 5, 5],
  ['reject-route', 1, 6, 6],
  ['packet-too-big', 2, 0, 255],
  ['time-exceeded', 3, 0, 255],
  ['ttl-exceeded', 3, 0, 255],
  ['ttl-zero-during-transit', 3, 0, 0],
  ['ttl-zero-during-reassembly', 3, 1, 1],
  ['parameter-problem', 4, 0, 255],
  ['bad-header', 4, 0, 0],
  ['unknown-header-type', 4, 1, 1],
  ['unknown-option', 4, 2, 2],
  ['echo-request', 128, 0, 255],
  ['ping', 128, 0, 255],
  ['echo-reply', 129, 0, 255],
  ['pong', 129, 0, 255],
  ['router-solicitation', 133, 0, 255],
  ['router-advertisement', 134, 0, 255],
  ['neighbour-solicitation', 135, 0, 255],
  ['neighbor-solicitation', 135, 0, 255],
  ['neighbour-advertisement', 136, 0, 255],
  ['neighbor-advertisement', 136, 0, 255],
  ['redirect', 137, 0, 255],
];
const LOWER = ICMP6_NAMES.map(([n]) => n.toLowerCase());

const FIX = 'use a type name (echo-request, neighbour-solicitation, packet-too-big, …), a number 0-255, or TYPE/CODE';

/** `--icmpv6-type` as ip6tables 1.8.9 reads it: a (prefix of a) name, or TYPE[/CODE[:CODE]]. */
export function parseIcmp6Type(s: string): IcmpType {
  const lower = s.toLowerCase();
  let hit = -1;
  for (let i = 0; i < LOWER.length; i++) {
    if (!LOWER[i].startsWith(lower)) continue;
    if (hit >= 0) throw new ValueError(`Ambiguous ICMPv6 type \`${s}': \`${ICMP6_NAMES[hit][0]}' or \`${ICMP6_NAMES[i][0]}'?`, 'invalid-argument', FIX);
    hit = i;
  }
  if (hit >= 0) {
    const [, type, codeMin, codeMax] = ICMP6_NAMES[hit];
    return { type, codeMin, codeMax };
  }
  const t = strtoul(s);
  if (t.end === 0 || t.value > 255) throw new ValueError(`Unknown ICMPv6 type \`${s}'`, 'invalid-argument', FIX);
  let i = t.end;
  let codeMin = 0;
  let codeMax = 255;
  if (s[i] === '/') {
    const a = strtoul(s, i + 1);
    if (a.end === i + 1 || a.value > 255) throw new ValueError(`Unknown ICMPv6 code \`${s}'`, 'invalid-argument', FIX);
    codeMin = codeMax = a.value;
    i = a.end;
    if (s[i] === ':') {
      const b = strtoul(s, i + 1);
      if (b.end === i + 1 || b.value > 255) throw new ValueError(`Unknown ICMPv6 code \`${s}'`, 'invalid-argument', FIX);
      codeMax = b.value;
      i = b.end;
    }
  } else if (s[i] === ':') {
    throw new ValueError('ICMPv6 type range not supported', 'invalid-argument', 'one rule per ICMPv6 type, or TYPE/CODE:CODE for a range of codes');
  }
  if (i < s.length) throw new ValueError(`unknown character ${s[i]}`, 'invalid-argument', FIX);
  return { type: t.value, codeMin, codeMax };
}

export const icmp6: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'icmp6',
  families: ['ipv6'],
  requiresProto: [58],
  options: [{ name: 'icmpv6-type', arg: 'required', invert: true, parse: ([v]) => parseIcmp6Type(v) }],
  finalize(options: OptionValue[]) {
    const s = collectOptions(options, icmp6.options);
    requireOption('icmp6', s, 'icmpv6-type');
    return s;
  },
  save(m) {
    const o = opt(m.state, 'icmpv6-type');
    if (!o) return '';
    const v = o.value as IcmpType;
    return `${o.invert ? ' !' : ''} --icmpv6-type ${v.type}${v.codeMin !== 0 || v.codeMax !== 255 ? '/' + v.codeMin : ''}`;
  },
  analysis: {
    // ip6tables has no `any`: type 255 is a type like the others
    conditions(s) {
      const o = opt(s, 'icmpv6-type');
      return o ? [icmpTypeCond('icmpv6-type', o.value as IcmpType, o.invert, 58)] : null;
    },
    // ICMPv6 types share the ICMP dimension: the protocol dimension keeps them apart
    space(s, space) {
      const o = opt(s, 'icmpv6-type');
      if (!o) return false;
      const [lo, hi] = icmpTypeSpace(o.value as IcmpType);
      space.set(DIM.icmp, iv(lo, hi), o.invert);
      return true;
    },
  },
};
