// -m connlimit (libxt_connlimit): the number of connections per address group.
import type { Match, OptionValue } from '../model.js';
import { ValueError, maskToPrefix, maskToPrefix6, parsePlenMask6, parseUInt } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import { parsePlenMask } from './match-conntrack.js';

interface Connlimit {
  /** upto: match while at most `count` connections; above: match when more */
  direction: 'upto' | 'above';
  count: number;
  /** prefix length that groups addresses */
  mask: number;
  /** group by source (default) or destination address */
  side: 'saddr' | 'daddr';
}

const countOpt = (name: string): OptionSpec => ({
  name,
  arg: 'required',
  invert: true,
  parse: ([v]) => {
    const n = parseUInt(v);
    if (n === null) throw new ValueError(`connlimit: bad value for option "--${name}", or out of range (0-4294967295).`, 'invalid-argument');
    return n;
  },
});

/** iptables names the option being parsed first, then the one it clashes with. */
function clash(options: OptionValue[], a: string, b: string): void {
  const i = options.findIndex((o) => o.name === a);
  const j = options.findIndex((o) => o.name === b);
  if (i < 0 || j < 0) return;
  const [first, second] = i < j ? [a, b] : [b, a];
  throw new ValueError(`connlimit: option "--${second}" cannot be used together with "--${first}".`, 'invalid-argument');
}

export const connlimit: MatchExtension<Connlimit> = {
  kind: 'match',
  name: 'connlimit',
  options: [
    countOpt('connlimit-upto'),
    countOpt('connlimit-above'),
    {
      name: 'connlimit-mask',
      arg: 'required',
      parse: ([v], ctx) =>
        ctx.family === 'ipv6' ? maskToPrefix6(parsePlenMask6(v, 'connlimit', 'connlimit-mask')) : maskToPrefix(parsePlenMask(v, 'connlimit', 'connlimit-mask')),
    },
    { name: 'connlimit-saddr', arg: 'none' },
    { name: 'connlimit-daddr', arg: 'none' },
  ],
  finalize(options: OptionValue[], ctx) {
    clash(options, 'connlimit-upto', 'connlimit-above');
    clash(options, 'connlimit-saddr', 'connlimit-daddr');
    const c = options.find((o) => o.name === 'connlimit-upto' || o.name === 'connlimit-above');
    if (!c) throw new ValueError('You must specify "--connlimit-above" or "--connlimit-upto".', 'missing-argument', 'add --connlimit-above N');
    // `!` swaps the direction
    const above = (c.name === 'connlimit-above') !== c.invert;
    const cl: Connlimit = {
      direction: above ? 'above' : 'upto',
      count: c.value as number,
      mask: (options.find((o) => o.name === 'connlimit-mask')?.value as number | undefined) ?? (ctx.family === 'ipv6' ? 128 : 32),
      side: options.some((o) => o.name === 'connlimit-daddr') ? 'daddr' : 'saddr',
    };
    return cl;
  },
  save(m) {
    const c = m.state;
    return c ? ` --connlimit-${c.direction} ${c.count} --connlimit-mask ${c.mask} --connlimit-${c.side}` : '';
  },
  analysis: {
    chance: (_c, text) => ({ holds: `connection count over the limit (${text})`, fails: `connection count within the limit (${text})` }),
  },
};
