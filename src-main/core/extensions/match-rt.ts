// -m rt (libip6t_rt): the IPv6 routing header — type, segments left, length, type-0 addresses.
import type { MatchExtension } from './types.js';
import { ValueError, formatIPv6, parseIPv6 } from '../values.js';
import { parseU32Range, xtUInt, type U32Range } from './xt-options.js';

// IP6T_RT_HOPS
const MAX_ADDRS = 16;

interface RtState {
  type: { value: number; invert: boolean } | null;
  segsleft: U32Range;
  segsInvert: boolean;
  len: { value: number; invert: boolean } | null;
  res: boolean;
  addrs: bigint[] | null;
  notStrict: boolean;
}

function parseAddrs(arg: string): bigint[] {
  const items = arg.split(',');
  if (items.length > MAX_ADDRS) throw new ValueError('too many addresses specified', 'invalid-argument', `at most ${MAX_ADDRS} addresses`);
  return items.map((a) => {
    const v = parseIPv6(a);
    if (v === null) throw new ValueError(`host/network \`${a}' not found`, 'invalid-argument', 'write IPv6 addresses, comma-separated');
    return v;
  });
}

export const rt: MatchExtension<RtState> = {
  kind: 'match',
  name: 'rt',
  families: ['ipv6'],
  options: [
    { name: 'rt-type', arg: 'required', invert: true, parse: ([v]) => xtUInt('rt', 'rt-type', v, 0, 0xffffffff) },
    { name: 'rt-segsleft', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'rt', 'rt-segsleft') },
    { name: 'rt-len', arg: 'required', invert: true, parse: ([v]) => xtUInt('rt', 'rt-len', v, 0, 0xffffffff) },
    { name: 'rt-0-res', arg: 'none' },
    { name: 'rt-0-addrs', arg: 'required', parse: ([v]) => parseAddrs(v) },
    { name: 'rt-0-not-strict', arg: 'none' },
  ],
  finalize(options) {
    const s: RtState = { type: null, segsleft: { lo: 0, hi: 0xffffffff }, segsInvert: false, len: null, res: false, addrs: null, notStrict: false };
    // rt_parse checks each option against those before it
    const type0 = () => s.type !== null && s.type.value === 0 && !s.type.invert;
    for (const o of options) {
      switch (o.name) {
        case 'rt-type': s.type = { value: o.value as number, invert: o.invert }; break;
        case 'rt-segsleft': s.segsleft = o.value as U32Range; s.segsInvert = o.invert; break;
        case 'rt-len': s.len = { value: o.value as number, invert: o.invert }; break;
        case 'rt-0-res':
          if (!type0()) throw new ValueError("`--rt-type 0' required before `--rt-0-res'", 'invalid-argument', 'put --rt-type 0 first');
          s.res = true;
          break;
        case 'rt-0-addrs':
          if (!type0()) throw new ValueError("`--rt-type 0' required before `--rt-0-addrs'", 'invalid-argument', 'put --rt-type 0 first');
          s.addrs = o.value as bigint[];
          break;
        default:
          if (!s.addrs) throw new ValueError("`--rt-0-addr ...' required before `--rt-0-not-strict'", 'invalid-argument', 'give --rt-0-addrs first');
          s.notStrict = true;
      }
    }
    return s;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.type) out += `${s.type.invert ? ' !' : ''} --rt-type ${s.type.value}`;
    if (!(s.segsleft.lo === 0 && s.segsleft.hi === 0xffffffff))
      out += `${s.segsInvert ? ' !' : ''} --rt-segsleft ${s.segsleft.lo !== s.segsleft.hi ? `${s.segsleft.lo}:${s.segsleft.hi}` : s.segsleft.lo}`;
    if (s.len) out += `${s.len.invert ? ' !' : ''} --rt-len ${s.len.value}`;
    if (s.res) out += ' --rt-0-res';
    if (s.addrs) out += ' --rt-0-addrs ' + s.addrs.map(formatIPv6).join(',');
    if (s.notStrict) out += ' --rt-0-not-strict';
    return out;
  },
};
