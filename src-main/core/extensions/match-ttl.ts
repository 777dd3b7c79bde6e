// -m ttl (libipt_ttl): the IPv4 time-to-live compared with a value.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface TtlMatch {
  op: 'eq' | 'ne' | 'lt' | 'gt';
  value: number;
}

const ttlValue = (name: string) => ([v]: string[]) => xtUInt('ttl', name, v, 0, 255);

export const ttl: MatchExtension<TtlMatch> = {
  kind: 'match',
  name: 'ttl',
  // libipt_*: ip6tables has no such extension (it has the IPv6 counterpart)
  families: ['ipv4'],
  options: [
    { name: 'ttl-lt', arg: 'required', parse: ttlValue('ttl-lt') },
    { name: 'ttl-gt', arg: 'required', parse: ttlValue('ttl-gt') },
    { name: 'ttl-eq', arg: 'required', invert: true, parse: ttlValue('ttl-eq') },
    // the old spelling of --ttl-eq (same option id)
    { name: 'ttl', arg: 'required', invert: true, parse: ttlValue('ttl') },
  ],
  finalize(options) {
    if (options.length === 0)
      throw new ValueError("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt", 'missing-argument', 'add --ttl-eq N, --ttl-lt N or --ttl-gt N');
    // --ttl and --ttl-eq share one option id
    const eqs = options.filter((o) => o.name === 'ttl' || o.name === 'ttl-eq');
    if (eqs.length > 1) throw new ValueError(`ttl: option "--${eqs[1].name === 'ttl' ? 'ttl' : 'ttl-eq'}" can only be used once.`, 'invalid-argument');
    const named = options.map((o) => (o.name === 'ttl' ? { ...o, name: 'ttl-eq' } : o));
    const any = ['ttl-eq', 'ttl-lt', 'ttl-gt'];
    xtFcheck('ttl', named, [
      { name: 'ttl-lt', excl: any },
      { name: 'ttl-gt', excl: any },
      { name: 'ttl-eq', excl: any },
    ]);
    const o = named[0];
    const op: TtlMatch['op'] = o.name === 'ttl-lt' ? 'lt' : o.name === 'ttl-gt' ? 'gt' : o.invert ? 'ne' : 'eq';
    const s: TtlMatch = { op, value: o.value as number };
    return s;
  },
  save(m) {
    const s = m.state;
    const opt = s.op === 'ne' ? ' ! --ttl-eq' : ` --ttl-${s.op}`;
    return `${opt} ${s.value}`;
  },
};
