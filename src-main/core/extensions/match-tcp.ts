// -m tcp (libxt_tcp): ports, flags and options of TCP segments.
import { ValueError, parsePortRange, requireUInt } from '../values.js';
import type { MatchExtension } from './types.js';
import { collectOptions, opt, type OptionState } from './util.js';
import type { OptionValue } from '../model.js';

export interface PortRange {
  lo: number;
  hi: number;
}

// iptables prints flags in this order, and knows these names.
const FLAGS: Array<[string, number]> = [['FIN', 1], ['SYN', 2], ['RST', 4], ['PSH', 8], ['ACK', 16], ['URG', 32]];

export function parseTcpFlagList(s: string): number {
  let v = 0;
  for (const f of s.split(',')) {
    const u = f.toUpperCase();
    if (u === 'ALL') v |= 0x3f;
    else if (u === 'NONE') continue;
    else {
      const hit = FLAGS.find(([n]) => n === u);
      if (!hit) throw new ValueError(`Unknown TCP flag \`${f}'`, 'invalid-argument', 'flags are FIN,SYN,RST,PSH,ACK,URG,ALL,NONE');
      v |= hit[1];
    }
  }
  return v;
}

export function formatTcpFlags(v: number): string {
  if (v === 0) return 'NONE';
  return FLAGS.filter(([, b]) => v & b).map(([n]) => n).join(',');
}

/** `--tcp-flags MASK COMP` (and `--syn`): the flags under MASK must be exactly COMP. */
export interface TcpFlags {
  mask: number;
  comp: number;
}

export function savePorts(name: string, o: OptionValue | undefined): string {
  if (!o) return '';
  const r = o.value as PortRange;
  if (r.lo === 0 && r.hi === 0xffff) return '';
  return `${o.invert ? ' !' : ''} --${name} ${r.lo === r.hi ? r.lo : `${r.lo}:${r.hi}`}`;
}

export const tcp: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'tcp',
  requiresProto: [6],
  options: [
    { name: 'sport', aliases: ['source-port'], arg: 'required', invert: true, parse: ([v]) => parsePortRange(v, 'tcp') },
    { name: 'dport', aliases: ['destination-port'], arg: 'required', invert: true, parse: ([v]) => parsePortRange(v, 'tcp') },
    {
      name: 'tcp-flags',
      arg: 'required',
      extraArgs: 1,
      invert: true,
      parse: ([mask, comp]) => ({ mask: parseTcpFlagList(mask), comp: parseTcpFlagList(comp) }),
    },
    { name: 'syn', arg: 'none', invert: true, parse: () => ({ mask: 0x17, comp: 0x02 }) },
    { name: 'tcp-option', arg: 'required', invert: true, parse: ([v]) => requireUInt(v, 'tcp-option', 1, 255) },
  ],
  finalize(options) {
    const s = collectOptions(options, tcp.options);
    if (s['syn'] && s['tcp-flags']) throw new ValueError('Only one of `--syn\' or `--tcp-flags\' may be specified', 'invalid-argument');
    if (s['syn']) s['tcp-flags'] = s['syn'];
    return s;
  },
  save(m) {
    const s = m.state;
    let out = savePorts('sport', opt(s, 'sport')) + savePorts('dport', opt(s, 'dport'));
    const opt_ = opt(s, 'tcp-option');
    if (opt_) out += `${opt_.invert ? ' !' : ''} --tcp-option ${opt_.value}`;
    const f = opt(s, 'tcp-flags');
    if (f) {
      const v = f.value as { mask: number; comp: number };
      if (v.mask || f.invert) out += `${f.invert ? ' !' : ''} --tcp-flags ${formatTcpFlags(v.mask)} ${formatTcpFlags(v.comp)}`;
    }
    return out;
  },
};
