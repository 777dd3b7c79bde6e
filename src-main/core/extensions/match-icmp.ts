// -m icmp (libipt_icmp): ICMP type and code; names are saved as numbers.
import type { OptionValue } from '../model.js';
import { ValueError, strtoul } from '../values.js';
import type { MatchAnalysis, MatchExtension } from './types.js';
import { collectOptions, not, opt, requireOption, type OptionState } from './util.js';
import { fieldCond, inv, type Cond } from '../analysis/packet.js';
import { DIM, iv } from '../analysis/space.js';

/** An ICMP type with an inclusive code range; type 255 is `any`. */
export interface IcmpType {
  type: number;
  codeMin: number;
  codeMax: number;
}

// libxt_icmp.h's table, in its order: the first entry that a prefix matches wins
// only if no later one matches too (else "Ambiguous ICMP type").
const ICMP_NAMES: ReadonlyArray<readonly [string, number, number, number]> = [
  ['any', 255, 0, 255],
  ['echo-reply', 0, 0, 255],
  ['pong', 0, 0, 255],
  ['destination-unreachable', 3, 0, 255],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 255],
  ['redirect', 5, 0, 255],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 255],
  ['ping', 8, 0, 255],
  ['router-advertisement', 9, 0, 255],
  ['router-solicitation', 10, 0, 255],
  ['time-exceeded', 11, 0, 255],
  ['ttl-exceeded', 11, 0, 255],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 255],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 255],
  ['timestamp-reply', 14, 0, 255],
  ['address-mask-request', 17, 0, 255],
  ['address-mask-reply', 18, 0, 255],
];
const LOWER_NAMES = ICMP_NAMES.map(([n]) => n.toLowerCase());

const FIX = 'use a type name (echo-request, destination-unreachable, …), a number 0-255, or TYPE/CODE';

/** `--icmp-type` as iptables 1.8.9 reads it: a (prefix of a) name, or TYPE[/CODE[:CODE]] numbers. */
export function parseIcmpType(s: string): IcmpType {
  const lower = s.toLowerCase();
  let hit = -1;
  for (let i = 0; i < LOWER_NAMES.length; i++) {
    if (!LOWER_NAMES[i].startsWith(lower)) continue;
    if (hit >= 0) throw new ValueError(`Ambiguous ICMP type \`${s}': \`${ICMP_NAMES[hit][0]}' or \`${ICMP_NAMES[i][0]}'?`, 'invalid-argument', FIX);
    hit = i;
  }
  if (hit >= 0) {
    const [, type, codeMin, codeMax] = ICMP_NAMES[hit];
    return { type, codeMin, codeMax };
  }
  const t = strtoul(s);
  if (t.end === 0 || t.value > 255) throw new ValueError(`Unknown ICMP type \`${s}'`, 'invalid-argument', FIX);
  let i = t.end;
  let codeMin = 0;
  let codeMax = 255;
  if (s[i] === '/') {
    const a = strtoul(s, i + 1);
    if (a.end === i + 1 || a.value > 255) throw new ValueError(`Unknown ICMP code \`${s}'`, 'invalid-argument', FIX);
    codeMin = codeMax = a.value;
    i = a.end;
    if (s[i] === ':') {
      const b = strtoul(s, i + 1);
      if (b.end === i + 1 || b.value > 255) throw new ValueError(`Unknown ICMP code \`${s}'`, 'invalid-argument', FIX);
      codeMax = b.value;
      i = b.end;
    }
  } else if (s[i] === ':') {
    throw new ValueError('ICMP type range not supported', 'invalid-argument', 'one rule per ICMP type, or TYPE/CODE:CODE for a range of codes');
  }
  if (i < s.length) throw new ValueError(`unknown character ${s[i]}`, 'invalid-argument', FIX);
  return { type: t.value, codeMin, codeMax };
}

/** The code save prints after TYPE/ (only the lowest of a range), or null when it prints none (all codes). */
export function printedCode(v: IcmpType): number | null {
  return v.codeMin !== 0 || v.codeMax !== 255 ? v.codeMin : null;
}

/**
 * An ICMP or ICMPv6 type (and code) test as printed: `[!] --OPTION TYPE[/CODE]`.
 * `proto`: the packet must be of this protocol first (ICMPv6's test says so).
 */
export function icmpTypeCond(option: string, v: IcmpType, invert: boolean, proto?: number): Cond {
  const code = printedCode(v);
  const type = v.type;
  const text = `${invert ? '! ' : ''}--${option} ${type}${code === null ? '' : '/' + code}`;
  return fieldCond(text, text, (p) => {
    if (proto !== undefined && p.proto !== proto) return false;
    if (p.icmpType === undefined) return undefined;
    if (p.icmpType !== type) return invert;
    if (code === null) return !invert;
    if (p.icmpCode === undefined) return undefined;
    return inv(invert, p.icmpCode === code);
  });
}

/** The type/code pairs (type × 256 + code) an ICMP type test covers. */
export function icmpTypeSpace(v: IcmpType): [number, number] {
  const code = printedCode(v);
  return code === null ? [v.type * 256, v.type * 256 + 255] : [v.type * 256 + code, v.type * 256 + code];
}

const icmpAnalysis: MatchAnalysis<OptionState> = {
  conditions(s) {
    const o = opt(s, 'icmp-type');
    if (!o) return null;
    const v = o.value as IcmpType;
    // type 255 is `any`: every ICMP packet (negated: none)
    if (v.type === 255) return o.invert ? [fieldCond('-m icmp ! --icmp-type any', '-m icmp ! --icmp-type any', () => false)] : [];
    return [icmpTypeCond('icmp-type', v, o.invert)];
  },
  space(s, space) {
    const o = opt(s, 'icmp-type');
    if (!o) return false;
    const v = o.value as IcmpType;
    if (v.type === 255) {
      if (o.invert) space.set(DIM.icmp, []);
      return true;
    }
    const [lo, hi] = icmpTypeSpace(v);
    space.set(DIM.icmp, iv(lo, hi), o.invert);
    return true;
  },
};

export const icmp: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'icmp',
  // libipt_*: ip6tables has no such extension (it has the IPv6 counterpart)
  families: ['ipv4'],
  requiresProto: [1],
  options: [{ name: 'icmp-type', arg: 'required', invert: true, parse: ([v]) => parseIcmpType(v) }],
  finalize(options: OptionValue[]) {
    const s = collectOptions(options, icmp.options);
    requireOption('icmp', s, 'icmp-type');
    return s;
  },
  save(m) {
    const o = opt(m.state, 'icmp-type');
    if (!o) return '';
    const v = o.value as IcmpType;
    const inv = o.invert ? ' !' : '';
    // 1.8.9 prints `any` for type 255 whatever the codes
    if (v.type === 255) return `${inv} --icmp-type any`;
    return `${inv} --icmp-type ${v.type}${v.codeMin !== 0 || v.codeMax !== 255 ? '/' + v.codeMin : ''}`;
  },
  analysis: icmpAnalysis,
  words(s) {
    const o = opt(s, 'icmp-type');
    if (!o) return [];
    const v = o.value as IcmpType;
    // as save prints it: `any` for type 255 whatever the codes
    const code = v.type === 255 ? null : printedCode(v);
    return [`${not(o.invert)}ICMP type ${v.type === 255 ? 'any' : v.type}${code === null ? '' : '/' + code}`];
  },
};
