// -m ipv6header (libip6t_ipv6header): which extension headers the packet has.
import type { MatchExtension } from './types.js';
import { ValueError, parseProtocol } from '../values.js';
import { xtFcheck } from './xt-options.js';

// chain_flags: header protocol → bit, in the order save prints them
const FLAGS: ReadonlyArray<readonly [number, number, string]> = [
  [0, 128, 'hop-by-hop'],
  [60, 64, 'ipv6-opts'],
  [43, 32, 'ipv6-route'],
  [44, 16, 'ipv6-frag'],
  [51, 8, 'ah'],
  [50, 4, 'esp'],
  [59, 2, 'ipv6-nonxt'],
  [255, 1, 'protocol'],
];
// chain_protos: the names ip6tables knows besides /etc/protocols
const NAMES: Record<string, number> = { 'hop-by-hop': 0, protocol: 255, hop: 0, dst: 60, route: 43, frag: 44, auth: 51, esp: 50, none: 59, prot: 255 };

function headerBit(name: string): number {
  let proto: number;
  try {
    proto = parseProtocol(name);
  } catch {
    if (!(name in NAMES)) throw new ValueError(`unknown header \`${name}' specified`, 'invalid-argument', 'use hop-by-hop, dst, route, frag, auth, esp, none or prot');
    proto = NAMES[name];
  }
  const f = FLAGS.find(([p]) => p === proto);
  if (!f) throw new ValueError(`unknown header \`${proto}' specified`, 'invalid-argument', 'only extension headers: hop-by-hop, dst, route, frag, auth, esp, none, prot');
  return f[1];
}

interface Ipv6HeaderMatch {
  /** the headers' bits (FLAGS) */
  flags: number;
  invert: boolean;
  soft: boolean;
}

export const ipv6header: MatchExtension<Ipv6HeaderMatch> = {
  kind: 'match',
  name: 'ipv6header',
  families: ['ipv6'],
  options: [
    { name: 'header', arg: 'required', invert: true, parse: ([v]) => v.split(',').reduce((m, n) => m | headerBit(n), 0) },
    { name: 'soft', arg: 'none' },
  ],
  finalize(options) {
    xtFcheck('ipv6header', options, [{ name: 'header', mand: true }]);
    const h = options.find((o) => o.name === 'header')!;
    return { flags: h.value as number, invert: h.invert, soft: options.some((o) => o.name === 'soft') };
  },
  save(m) {
    const flags = m.state.flags;
    const names = FLAGS.filter(([, bit]) => flags & bit).map(([, , n]) => n);
    return `${m.state.invert ? ' !' : ''} --header ${names.length ? names.join(',') : 'NONE'}${m.state.soft ? ' --soft' : ''}`;
  },
};
