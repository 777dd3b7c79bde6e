// -m tcp (libxt_tcp): ports, flags and options of TCP segments.
import { ValueError, parsePortRange, requireUInt } from '../values.js';
import type { MatchAnalysis, MatchExtension, SpaceConstraint } from './types.js';
import { collectOptions, not, opt, portRangeWords, type OptionState } from './util.js';
import type { OptionValue } from '../model.js';
import { fieldCond, inv, type Cond } from '../analysis/packet.js';
import { DIM, fromValues, iv } from '../analysis/space.js';

export interface PortRange {
  lo: number;
  hi: number;
}

// iptables prints flags in this order, and knows these names.
const FLAGS: Array<[string, number]> = [['FIN', 1], ['SYN', 2], ['RST', 4], ['PSH', 8], ['ACK', 16], ['URG', 32]];

function parseTcpFlagList(s: string): number {
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

function formatTcpFlags(v: number): string {
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

const PORT_FIELDS = [['sport', DIM.sport], ['dport', DIM.dport]] as const;

/** `[!] --sport A[:B]` as printed, and the range sorted; null when save leaves it out (the full range). */
export function printedPorts(s: OptionState, name: 'sport' | 'dport'): { text: string; lo: number; hi: number; invert: boolean } | null {
  const o = opt(s, name);
  const text = savePorts(name, o).trim();
  if (!o || !text) return null;
  const r = o.value as PortRange;
  return { text, lo: Math.min(r.lo, r.hi), hi: Math.max(r.lo, r.hi), invert: o.invert };
}

function portConds(s: OptionState): Cond[] {
  const out: Cond[] = [];
  for (const [name] of PORT_FIELDS) {
    const pr = printedPorts(s, name);
    if (!pr) continue;
    const { lo, hi, invert } = pr;
    out.push(fieldCond(pr.text, pr.text, (p) => {
      const v = p[name];
      return inv(invert, v === undefined ? undefined : v >= lo && v <= hi);
    }));
  }
  return out;
}

/** `--tcp-flags` when save prints it (a zero mask is left out unless negated). */
function printedFlags(s: OptionState): { text: string; mask: number; comp: number; invert: boolean } | null {
  const f = opt(s, 'tcp-flags');
  if (!f) return null;
  const { mask, comp } = f.value as TcpFlags;
  if (!mask && !f.invert) return null;
  return { text: `${f.invert ? '! ' : ''}--tcp-flags ${formatTcpFlags(mask)} ${formatTcpFlags(comp)}`, mask, comp, invert: f.invert };
}

/** A port option's range into the space, as printedPorts reads it: nothing when absent or the full range (save leaves it out). */
function portSpace(o: OptionValue | undefined, d: number, space: SpaceConstraint): void {
  if (!o) return;
  const r = o.value as PortRange;
  if (r.lo === 0 && r.hi === 0xffff) return;
  space.set(d, iv(Math.min(r.lo, r.hi), Math.max(r.lo, r.hi)), o.invert);
}

/** The flag combinations (0-63) a mask and comparison let through. */
function flagValues(mask: number, comp: number): number[] {
  const vals: number[] = [];
  for (let v = 0; v < 64; v++) if ((v & mask) === comp) vals.push(v);
  return vals;
}

/** tcp and udp: the ports (tcp: and flags) a packet must have; --tcp-option is opaque. */
export const portAnalysis: MatchAnalysis<OptionState> = {
  conditions(s) {
    if (opt(s, 'tcp-option')) return null;
    const out = portConds(s);
    const fl = printedFlags(s);
    if (fl) {
      const { mask, comp, invert } = fl;
      out.push(fieldCond(fl.text, fl.text, (p) => inv(invert, p.tcpFlags === undefined ? undefined : (p.tcpFlags & mask) === comp)));
    }
    return out;
  },
  space(s, space) {
    if (opt(s, 'tcp-option')) return false;
    // what printedPorts says, without its text (the lint asks this of every rule with ports)
    portSpace(opt(s, 'sport'), DIM.sport, space);
    portSpace(opt(s, 'dport'), DIM.dport, space);
    const fl = printedFlags(s);
    if (fl) space.set(DIM.tcpFlags, fromValues(flagValues(fl.mask, fl.comp)), fl.invert);
    return true;
  },
};

/** tcp and udp in words: the ports (destination first), tcp's flags; the printed form when only what has no words is given. */
export function portWords(s: OptionState, text: () => string): string[] {
  const out: string[] = [];
  for (const [name, w] of [['dport', 'to port'], ['sport', 'from port']] as const) {
    const o = opt(s, name);
    if (o && savePorts(name, o)) out.push(`${not(o.invert)}${w} ${portRangeWords(o.value as PortRange)}`);
  }
  const fl = printedFlags(s);
  if (fl) out.push(`${not(fl.invert)}flags ${formatTcpFlags(fl.comp)} of ${formatTcpFlags(fl.mask)}`);
  // --tcp-option alone
  return out.length || !opt(s, 'tcp-option') ? out : [text()];
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
  analysis: portAnalysis,
  words: portWords,
};
