// -m srh (libip6t_srh, revision 1): the IPv6 Segment Routing Header.
import type { MatchExtension } from './types.js';
import { ValueError, formatIPv6, maskToPrefix6, parseAddressItem6 } from '../values.js';
import { xtUInt } from './xt-options.js';

// the three comparisons of one field share its value (the last one given wins)
const FIELDS = [
  ['hdr-len', 'hdrLen'],
  ['segs-left', 'segsLeft'],
  ['last-entry', 'lastEntry'],
] as const;
const SIDS = ['psid', 'nsid', 'lsid'] as const;

function sid(arg: string, name: string): { addr: bigint; mask: bigint } {
  // the address is kept as written (not masked); a bare address is /128
  const slash = arg.lastIndexOf('/');
  const full = parseAddressItem6(arg);
  if (full.kind !== 'net6') throw new ValueError(`srh: bad value for option "--srh-${name}"`, 'invalid-argument', 'write an IPv6 address with /prefix');
  const raw = parseAddressItem6(slash >= 0 ? arg.slice(0, slash) : arg);
  return { addr: raw.kind === 'net6' ? raw.addr : full.addr, mask: full.mask };
}

export const srh: MatchExtension = {
  kind: 'match',
  name: 'srh',
  families: ['ipv6'],
  options: [
    { name: 'srh-next-hdr', arg: 'required', invert: true, parse: ([v]) => xtUInt('srh', 'srh-next-hdr', v, 0, 255) },
    ...FIELDS.flatMap(([f]) =>
      (['eq', 'gt', 'lt'] as const).map((op) => ({
        name: `srh-${f}-${op}`, arg: 'required' as const, invert: true, parse: ([v]: string[]) => xtUInt('srh', `srh-${f}-${op}`, v, 0, 255),
      })),
    ),
    { name: 'srh-tag', arg: 'required', invert: true, parse: ([v]) => xtUInt('srh', 'srh-tag', v, 0, 65535) },
    ...SIDS.map((s) => ({ name: `srh-${s}`, arg: 'required' as const, invert: true, parse: ([v]: string[]) => sid(v, s) })),
  ],
  finalize(options) {
    const state: Record<string, unknown> = {};
    for (const o of options) {
      state[o.name] = { invert: o.invert };
      const field = FIELDS.find(([f]) => o.name.startsWith(`srh-${f}-`));
      if (field) state[field[1]] = o.value;
      else (state[o.name] as Record<string, unknown>).value = o.value;
    }
    return state;
  },
  save(m) {
    const s = m.state as Record<string, { invert: boolean; value?: unknown } | number | undefined>;
    const flag = (name: string) => s[name] as { invert: boolean; value?: unknown } | undefined;
    const inv = (name: string) => (flag(name)!.invert ? ' !' : '');
    let out = '';
    if (flag('srh-next-hdr')) out += `${inv('srh-next-hdr')} --srh-next-hdr ${flag('srh-next-hdr')!.value as number}`;
    for (const [f, key] of FIELDS)
      for (const op of ['eq', 'gt', 'lt']) if (flag(`srh-${f}-${op}`)) out += `${inv(`srh-${f}-${op}`)} --srh-${f}-${op} ${s[key] as number}`;
    if (flag('srh-tag')) out += `${inv('srh-tag')} --srh-tag ${flag('srh-tag')!.value as number}`;
    for (const name of SIDS) {
      const o = flag(`srh-${name}`);
      if (!o) continue;
      const v = o.value as { addr: bigint; mask: bigint };
      out += `${o.invert ? ' !' : ''} --srh-${name} ${formatIPv6(v.addr)}/${maskToPrefix6(v.mask)}`;
    }
    return out;
  },
};
