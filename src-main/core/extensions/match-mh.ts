// -m mh (libip6t_mh): the Mobility Header type, a number, a name or a range.
import type { MatchExtension } from './types.js';
import { ValueError, strtoulWhole } from '../values.js';

const MH_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['binding-refresh-request', 0], ['brr', 0], ['home-test-init', 1], ['hoti', 1], ['careof-test-init', 2], ['coti', 2],
  ['home-test', 3], ['hot', 3], ['careof-test', 4], ['cot', 4], ['binding-update', 5], ['bu', 5],
  ['binding-acknowledgement', 6], ['ba', 6], ['binding-error', 7], ['be', 7],
];

/** name_to_type: the first name the word starts, unless one is the word exactly; else a number 0-255. */
function mhType(s: string): number {
  const lower = s.toLowerCase();
  let hit = -1;
  for (let i = 0; i < MH_NAMES.length; i++) {
    if (!MH_NAMES[i][0].startsWith(lower)) continue;
    if (hit < 0 || MH_NAMES[i][0].length === lower.length) hit = i;
  }
  if (hit >= 0) return MH_NAMES[hit][1];
  const n = strtoulWhole(s, 0, 255);
  if (n === null) throw new ValueError(`Invalid MH type \`${s}'`, 'invalid-argument', 'a Mobility Header type name or a number 0-255');
  return n;
}

function parseTypes(arg: string): [number, number] {
  const colon = arg.indexOf(':');
  if (colon < 0) {
    const t = mhType(arg);
    return [t, t];
  }
  const a = arg.slice(0, colon);
  const b = arg.slice(colon + 1);
  const lo = a ? mhType(a) : 0;
  const hi = b ? mhType(b) : 255;
  if (lo > hi) throw new ValueError('Invalid MH type range (min > max)', 'invalid-argument', `write ${hi}:${lo}`);
  return [lo, hi];
}

interface MhMatch {
  /** inclusive range of mobility header types */
  types: [number, number];
  invert: boolean;
}

export const mh: MatchExtension<MhMatch> = {
  kind: 'match',
  name: 'mh',
  families: ['ipv6'],
  requiresProto: [135],
  options: [{ name: 'mh-type', arg: 'required', invert: true, parse: ([v]) => parseTypes(v) }],
  finalize(options) {
    const o = options.find((x) => x.name === 'mh-type');
    return { types: o ? (o.value as [number, number]) : [0, 255], invert: o ? o.invert : false };
  },
  save(m) {
    const [lo, hi] = m.state.types;
    if (lo === 0 && hi === 255) return '';
    return `${m.state.invert ? ' !' : ''} --mh-type ${lo !== hi ? `${lo}:${hi}` : lo}`;
  },
};
