// -m iprange (libxt_iprange, revision 1): source and/or destination address ranges.
import type { Match, OptionValue } from '../model.js';
import { ValueError, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';

/** An inclusive range of IPv4 addresses (32-bit numbers); iptables keeps a reversed one as given. */
export interface IPv4Range {
  from: number;
  to: number;
}

/** ip6tables: 128-bit addresses */
export interface IPv6Range {
  from: bigint;
  to: bigint;
}

export interface IpRange {
  src?: { invert: boolean; range: IPv4Range | IPv6Range };
  dst?: { invert: boolean; range: IPv4Range | IPv6Range };
}

function parseRange6(arg: string, opt: string): IPv6Range {
  const dash = arg.indexOf('-');
  const a = dash < 0 ? arg : arg.slice(0, dash);
  const bad = (v: string) => new ValueError(`iprange: Bad value for "--${opt}" option: "${v}"`, 'invalid-argument', 'write FIRST-LAST, e.g. 2001:db8::10-2001:db8::20');
  const from = parseIPv6(a);
  if (from === null) throw bad(a);
  if (dash < 0) return { from, to: from };
  const b = arg.slice(dash + 1);
  const to = parseIPv6(b);
  if (to === null) throw bad(b);
  return { from, to };
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

const rangeOpt = (name: string): OptionSpec => ({
  name, arg: 'required', invert: true, parse: ([v], ctx) => (ctx.family === 'ipv6' ? parseRange6(v, name) : parseRange(v, name)),
});
const fmt = (a: number | bigint) => (typeof a === 'bigint' ? formatIPv6(a) : formatIPv4(a));

export const iprange: MatchExtension<IpRange> = {
  kind: 'match',
  name: 'iprange',
  options: [rangeOpt('src-range'), rangeOpt('dst-range')],
  finalize(options: OptionValue[]) {
    if (options.length === 0) throw new ValueError("iprange match: You must specify `--src-range' or `--dst-range'", 'missing-argument', 'add --src-range FIRST-LAST');
    const r: IpRange = {};
    for (const o of options) r[o.name === 'src-range' ? 'src' : 'dst'] = { invert: o.invert, range: o.value as IPv4Range | IPv6Range };
    return r;
  },
  save(m) {
    const r = m.state;
    let out = '';
    for (const [k, name] of [['src', 'src-range'], ['dst', 'dst-range']] as const) {
      const v = r[k];
      if (v) out += `${v.invert ? ' !' : ''} --${name} ${fmt(v.range.from)}-${fmt(v.range.to)}`;
    }
    return out;
  },
};
