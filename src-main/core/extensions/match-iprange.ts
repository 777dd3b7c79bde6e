// -m iprange (libxt_iprange, revision 1): source and/or destination address ranges.
import type { Match, OptionValue } from '../model.js';
import { ValueError, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import { not } from './util.js';
import { fieldCond, inv, type Cond } from '../analysis/packet.js';
import { DIM, iv } from '../analysis/space.js';

/** An inclusive range of IPv4 addresses (32-bit numbers); iptables keeps a reversed one as given. */
interface IPv4Range {
  from: number;
  to: number;
}

/** ip6tables: 128-bit addresses */
interface IPv6Range {
  from: bigint;
  to: bigint;
}

interface IpRange {
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

const SIDES = [['src', 'src-range', DIM.src], ['dst', 'dst-range', DIM.dst]] as const;

/** A range the tracer reads (a reversed one, kept as given, it leaves opaque). */
const ordered = (r: IPv4Range | IPv6Range): boolean => r.from <= r.to;
/** A range the packet space reads: IPv4, in order (an IPv6 one is opaque there). */
const readable4 = (r: IPv4Range | IPv6Range): r is IPv4Range => typeof r.from === 'number' && r.from <= r.to;

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
  words(r) {
    const out: string[] = [];
    for (const [k, w] of [['src', 'from'], ['dst', 'to']] as const) {
      const v = r[k];
      if (v) out.push(`${not(v.invert)}${w} ${fmt(v.range.from)}–${fmt(v.range.to)}`);
    }
    return out;
  },
  analysis: {
    conditions(r) {
      const out: Cond[] = [];
      for (const [k, name] of SIDES) {
        const v = r[k];
        if (!v) continue;
        const range = v.range;
        if (!ordered(range)) return null;
        const text = `${v.invert ? '! ' : ''}--${name} ${fmt(range.from)}-${fmt(range.to)}`;
        out.push(fieldCond(text, text, (p) => {
          const a = p[k];
          return inv(v.invert, a === undefined ? undefined : a >= range.from && a <= range.to);
        }));
      }
      return out;
    },
    space(r, space) {
      for (const [k, , d] of SIDES) {
        const v = r[k];
        if (!v) continue;
        if (!readable4(v.range)) return false;
        space.set(d, iv(v.range.from, v.range.to), v.invert);
      }
      return true;
    },
  },
};
