// -m physdev (libxt_physdev): the bridge ports a bridged packet came in on or goes out of.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';

interface PhysdevMatch {
  /** bridge port names; a trailing `+` matches any name with that prefix */
  in: { name: string; invert: boolean } | null;
  out: { name: string; invert: boolean } | null;
  isIn: { invert: boolean } | null;
  isOut: { invert: boolean } | null;
  isBridged: { invert: boolean } | null;
}

/** xtables_parse_interface: the name must fit IFNAMSIZ with its NUL. */
function parseIface([v]: string[]): string {
  if (v.length >= 16) throw new ValueError(`interface name \`${v}' must be shorter than IFNAMSIZ (15)`, 'invalid-argument');
  return v;
}

export const physdev: MatchExtension<PhysdevMatch> = {
  kind: 'match',
  name: 'physdev',
  options: [
    { name: 'physdev-in', arg: 'required', invert: true, parse: parseIface },
    { name: 'physdev-out', arg: 'required', invert: true, parse: parseIface },
    { name: 'physdev-is-in', arg: 'none', invert: true },
    { name: 'physdev-is-out', arg: 'none', invert: true },
    { name: 'physdev-is-bridged', arg: 'none', invert: true },
  ],
  finalize(options) {
    if (options.length === 0) throw new ValueError('PHYSDEV: no physdev option specified', 'missing-argument', 'add --physdev-in PORT, --physdev-out PORT or --physdev-is-bridged');
    const s: PhysdevMatch = { in: null, out: null, isIn: null, isOut: null, isBridged: null };
    for (const o of options) {
      switch (o.name) {
        case 'physdev-in': s.in = { name: o.value as string, invert: o.invert }; break;
        case 'physdev-out': s.out = { name: o.value as string, invert: o.invert }; break;
        case 'physdev-is-in': s.isIn = { invert: o.invert }; break;
        case 'physdev-is-out': s.isOut = { invert: o.invert }; break;
        default: s.isBridged = { invert: o.invert };
      }
    }
    return s;
  },
  kernelCheck(state, _rule, { hooks }) {
    const s = state;
    // locally generated packets have no output bridge port yet unless bridged is required
    if ((s.out || s.isOut) && (!s.isBridged || s.isBridged.invert) && hooks.has('OUTPUT'))
      return '--physdev-out and --physdev-is-out only work in FORWARD and POSTROUTING with bridged traffic (or with --physdev-is-bridged)';
    return null;
  },
  save(m) {
    const s = m.state;
    let out = '';
    if (s.isIn) out += s.isIn.invert ? ' ! --physdev-is-in' : ' --physdev-is-in';
    if (s.in) out += `${s.in.invert ? ' !' : ''} --physdev-in ${s.in.name}`;
    if (s.isOut) out += s.isOut.invert ? ' ! --physdev-is-out' : ' --physdev-is-out';
    if (s.out) out += `${s.out.invert ? ' !' : ''} --physdev-out ${s.out.name}`;
    if (s.isBridged) out += s.isBridged.invert ? ' ! --physdev-is-bridged' : ' --physdev-is-bridged';
    return out;
  },
};
