// -m pkttype (libxt_pkttype): the link-layer packet type (to us, broadcast, multicast, other host).
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';
import { fieldCond, inv } from '../analysis/packet.js';
import { isMulticast } from '../analysis/host-net.js';

type PacketType = 'unicast' | 'broadcast' | 'multicast' | 'otherhost';

interface PktTypeMatch {
  type: PacketType;
  invert: boolean;
}

// names iptables accepts (case-insensitively), with the one it prints
const TYPES = new Map<string, PacketType>([
  ['unicast', 'unicast'], ['host', 'unicast'],
  ['broadcast', 'broadcast'], ['bcast', 'broadcast'],
  ['multicast', 'multicast'], ['mcast', 'multicast'],
  ['otherhost', 'otherhost'],
]);

export const pkttype: MatchExtension<PktTypeMatch> = {
  kind: 'match',
  name: 'pkttype',
  options: [
    {
      name: 'pkt-type',
      arg: 'required',
      invert: true,
      parse: ([v]) => {
        const t = TYPES.get(v.toLowerCase());
        if (!t)
          throw new ValueError(`Bad packet type '${v}'`, 'invalid-argument', 'the types are unicast, broadcast, multicast and otherhost');
        return t;
      },
    },
  ],
  finalize(options) {
    xtFcheck('pkttype', options, [{ name: 'pkt-type', mand: true }]);
    const o = options[options.length - 1];
    const s: PktTypeMatch = { type: o.value as PacketType, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --pkt-type ${s.type}`;
  },
  analysis: {
    conditions({ type, invert }) {
      const text = `${invert ? '! ' : ''}--pkt-type ${type}`;
      return [fieldCond(text, text, (p) => {
        if (p.dst === undefined) return undefined;
        const kind = p.dst === 0xffffffff ? 'broadcast' : isMulticast(p.dst) ? 'multicast' : 'unicast';
        // a subnet's broadcast address also arrives as broadcast; we cannot know the subnet (IPv6 has none)
        if (kind === 'unicast' && type === 'broadcast' && typeof p.dst === 'number' && (p.dst & 0xff) === 0xff) return undefined;
        return inv(invert, kind === type);
      })];
    },
  },
};
