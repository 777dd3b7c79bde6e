// -m hl (libip6t_hl): the IPv6 hop limit compared with a value (ip6tables' ttl).
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';
import { fieldCond, inv } from '../analysis/packet.js';

interface HlMatch {
  op: 'eq' | 'ne' | 'lt' | 'gt';
  value: number;
}

const hlValue = (name: string) => ([v]: string[]) => xtUInt('hl', name, v, 0, 255);

export const hl: MatchExtension<HlMatch> = {
  kind: 'match',
  name: 'hl',
  families: ['ipv6'],
  options: [
    { name: 'hl-lt', arg: 'required', parse: hlValue('hl-lt') },
    { name: 'hl-gt', arg: 'required', parse: hlValue('hl-gt') },
    { name: 'hl-eq', arg: 'required', invert: true, parse: hlValue('hl-eq') },
    // the old spelling of --hl-eq (same option id)
    { name: 'hl', arg: 'required', invert: true, parse: hlValue('hl') },
  ],
  finalize(options) {
    if (options.length === 0)
      throw new ValueError("HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'", 'missing-argument', 'add --hl-eq N, --hl-lt N or --hl-gt N');
    const eqs = options.filter((o) => o.name === 'hl' || o.name === 'hl-eq');
    if (eqs.length > 1) throw new ValueError(`hl: option "--${eqs[1].name}" can only be used once.`, 'invalid-argument');
    const named = options.map((o) => (o.name === 'hl' ? { ...o, name: 'hl-eq' } : o));
    const any = ['hl-eq', 'hl-lt', 'hl-gt'];
    xtFcheck('hl', named, [
      { name: 'hl-lt', excl: any },
      { name: 'hl-gt', excl: any },
      { name: 'hl-eq', excl: any },
    ]);
    const o = named[0];
    const op: HlMatch['op'] = o.name === 'hl-lt' ? 'lt' : o.name === 'hl-gt' ? 'gt' : o.invert ? 'ne' : 'eq';
    const s: HlMatch = { op, value: o.value as number };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.op === 'ne' ? ' ! --hl-eq' : ` --hl-${s.op}`} ${s.value}`;
  },
  analysis: {
    conditions({ op, value }) {
      const text = `${op === 'ne' ? '! --hl-eq' : `--hl-${op}`} ${value}`;
      return [fieldCond(text, text, (p) => {
        if (p.hopLimit === undefined) return undefined;
        const r = op === 'eq' || op === 'ne' ? p.hopLimit === value : op === 'lt' ? p.hopLimit < value : p.hopLimit > value;
        return inv(op === 'ne', r);
      })];
    },
  },
};
