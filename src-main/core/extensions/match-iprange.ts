// -m iprange (libxt_iprange, revision 1): source and/or destination address ranges.
import type { Match, OptionValue } from '../model.js';
import { ValueError, formatIPv4, parseIPv4 } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';

/** An inclusive range of IPv4 addresses (32-bit numbers); iptables keeps a reversed one as given. */
export interface IPv4Range {
  from: number;
  to: number;
}

export interface IpRange {
  src?: { invert: boolean; range: IPv4Range };
  dst?: { invert: boolean; range: IPv4Range };
}

function parseRange(arg: string, opt: string): IPv4Range {
  const dash = arg.indexOf('-');
  const a = dash < 0 ? arg : arg.slice(0, dash);
  const bad = (v: string) => new ValueError(`iprange: Bad value for "--${opt}" option: "${v}"`, 'invalid-argument', 'write FIRST-LAST, e.g. 192.168.1.10-192.168.1.20');
  const from = parseIPv4(a);
  if (from === null) throw bad(a);
  if (dash < 0) return { from, to: from };
  const b = arg.slice(dash + 1);
  const to = parseIPv4(b);
  if (to === null) throw bad(b);
  return { from, to };
}

const rangeOpt = (name: string): OptionSpec => ({ name, arg: 'required', invert: true, parse: ([v]) => parseRange(v, name) });

export function iprangeOf(m: Match): IpRange | null {
  return (m.state['iprange'] as IpRange | undefined) ?? null;
}

export const iprange: MatchExtension = {
  kind: 'match',
  name: 'iprange',
  // its IPv6 form (addresses, options) is not modelled yet: in ip6tables it is kept as written
  families: ['ipv4'],
  options: [rangeOpt('src-range'), rangeOpt('dst-range')],
  finalize(options: OptionValue[]) {
    if (options.length === 0) throw new ValueError("iprange match: You must specify `--src-range' or `--dst-range'", 'missing-argument', 'add --src-range FIRST-LAST');
    const r: IpRange = {};
    for (const o of options) r[o.name === 'src-range' ? 'src' : 'dst'] = { invert: o.invert, range: o.value as IPv4Range };
    return { iprange: r };
  },
  save(m) {
    const r = iprangeOf(m);
    if (!r) return '';
    let out = '';
    for (const [k, name] of [['src', 'src-range'], ['dst', 'dst-range']] as const) {
      const v = r[k];
      if (v) out += `${v.invert ? ' !' : ''} --${name} ${formatIPv4(v.range.from)}-${formatIPv4(v.range.to)}`;
    }
    return out;
  },
};
