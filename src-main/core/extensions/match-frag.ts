// -m frag (libip6t_frag): the IPv6 fragment header — id, length, reserved bits, first/more/last fragment.
import type { MatchExtension } from './types.js';
import { parseU32Range, xtFcheck, xtUInt, type U32Range } from './xt-options.js';

interface FragState {
  ids: U32Range;
  idsInvert: boolean;
  len: { value: number; invert: boolean } | null;
  res: boolean;
  first: boolean;
  more: boolean;
  last: boolean;
}

const ORDER = ['fragid', 'fraglen', 'fragres', 'fragfirst', 'fragmore', 'fraglast'];

export const frag: MatchExtension<FragState> = {
  kind: 'match',
  name: 'frag',
  families: ['ipv6'],
  options: [
    { name: 'fragid', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'frag', 'fragid') },
    { name: 'fraglen', arg: 'required', invert: true, parse: ([v]) => xtUInt('frag', 'fraglen', v, 0, 0xffffffff) },
    { name: 'fragres', arg: 'none' },
    { name: 'fragfirst', arg: 'none' },
    { name: 'fragmore', arg: 'none' },
    { name: 'fraglast', arg: 'none' },
  ],
  finalize(options) {
    xtFcheck('frag', options, ORDER.map((name) => ({ name, excl: name === 'fragmore' ? ['fraglast'] : name === 'fraglast' ? ['fragmore'] : [] })));
    const s: FragState = { ids: { lo: 0, hi: 0xffffffff }, idsInvert: false, len: null, res: false, first: false, more: false, last: false };
    for (const o of options) {
      if (o.name === 'fragid') { s.ids = o.value as U32Range; s.idsInvert = o.invert; }
      else if (o.name === 'fraglen') s.len = { value: o.value as number, invert: o.invert };
      else if (o.name === 'fragres') s.res = true;
      else if (o.name === 'fragfirst') s.first = true;
      else if (o.name === 'fragmore') s.more = true;
      else s.last = true;
    }
    return s;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (!(s.ids.lo === 0 && s.ids.hi === 0xffffffff))
      out += `${s.idsInvert ? ' !' : ''} --fragid ${s.ids.lo !== s.ids.hi ? `${s.ids.lo}:${s.ids.hi}` : s.ids.lo}`;
    if (s.len) out += `${s.len.invert ? ' !' : ''} --fraglen ${s.len.value}`;
    if (s.res) out += ' --fragres';
    if (s.first) out += ' --fragfirst';
    if (s.more) out += ' --fragmore';
    if (s.last) out += ' --fraglast';
    return out;
  },
};
