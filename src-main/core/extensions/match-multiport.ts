// -m multiport (libxt_multiport, revision 1): up to 15 ports or port ranges.
import type { Match, OptionValue } from '../model.js';
import { ValueError, parsePort, singlePort } from '../values.js';
import type { MatchExtension, ParseContext } from './types.js';
import type { PortRange } from './match-tcp.js';
import { not, portRangeWords } from './util.js';
import { fieldCond, inRanges } from '../analysis/packet.js';
import { DIM, fromRanges } from '../analysis/space.js';

type MultiportKind = 'sports' | 'dports' | 'ports';

interface Multiport {
  /** which ports of the packet: source, destination, or either */
  kind: MultiportKind;
  invert: boolean;
  ports: PortRange[];
}

// XT_MULTI_PORTS: slots in the kernel's structure; a range takes two.
const MAX_SLOTS = 15;
const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 132: 'sctp', 33: 'dccp' };

function protoFor(ctx: ParseContext): string {
  const p = ctx.rule.proto;
  // iptables checks the -p given before -m multiport, when it parses the ports
  if (p && p.invert) throw new ValueError('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP', 'invalid-argument');
  const name = p ? PROTO_NAMES[p.num] : undefined;
  if (name) return name;
  if (!p || p.num === 0)
    throw new ValueError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'", 'missing-argument', 'put -p tcp (or udp) before -m multiport');
  throw new ValueError('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP', 'invalid-argument');
}

/** A comma list of ports and lo:hi ranges, as parse_multi_ports_v1 reads it. */
function parseMultiportList(s: string, proto: string): PortRange[] {
  const out: PortRange[] = [];
  let slots = 0;
  const items = s.split(',');
  for (const item of items) {
    if (slots >= MAX_SLOTS) throw new ValueError('too many ports specified', 'invalid-argument', 'split the ports over two rules (15 at most, a range counts as 2)');
    const colon = item.indexOf(':');
    if (colon >= 0 && slots === MAX_SLOTS - 1)
      throw new ValueError('too many ports specified', 'invalid-argument', 'split the ports over two rules (15 at most, a range counts as 2)');
    const lo = parsePort(colon >= 0 ? item.slice(0, colon) : item, proto);
    if (colon < 0) {
      out.push(singlePort(lo));
      slots++;
      continue;
    }
    const hi = parsePort(item.slice(colon + 1), proto);
    if (lo >= hi) throw new ValueError('invalid portrange specified', 'invalid-argument', lo === hi ? `write the single port ${lo}` : `write the range as ${hi}:${lo}`);
    out.push({ lo, hi });
    slots += 2;
  }
  return out.slice(); // exactly sized: the model keeps it
}

function portsOption(name: MultiportKind, alias?: string) {
  return {
    name,
    aliases: alias ? [alias] : undefined,
    arg: 'required' as const,
    invert: true,
    parse: ([v]: string[], ctx: ParseContext) => parseMultiportList(v, protoFor(ctx)),
  };
}

const PORTS_WORDS: Record<MultiportKind, string> = { dports: 'to ports', sports: 'from ports', ports: 'ports' };

function formatList(ports: PortRange[]): string {
  return ports.map((p) => (p.lo === p.hi ? String(p.lo) : `${p.lo}:${p.hi}`)).join(',');
}

export const multiport: MatchExtension<Multiport> = {
  kind: 'match',
  name: 'multiport',
  options: [portsOption('sports', 'source-ports'), portsOption('dports', 'destination-ports'), portsOption('ports')],
  finalize(options: OptionValue[]) {
    if (options.length === 0) throw new ValueError('multiport expection an option', 'missing-argument', 'add --dports, --sports or --ports');
    if (options.length > 1) {
      const long = (n: string) => (n === 'sports' ? 'source-ports' : n === 'dports' ? 'destination-ports' : n);
      throw new ValueError(`multiport: option "--${long(options[1].name)}" cannot be used together with "--${long(options[0].name)}".`, 'invalid-argument',
        'use --ports for "source or destination", or write two rules');
    }
    const o = options[0];
    const mp: Multiport = { kind: o.name as MultiportKind, invert: o.invert, ports: o.value as PortRange[] };
    return mp;
  },
  save(m) {
    const mp = m.state;
    return `${mp.invert ? ' !' : ''} --${mp.kind} ${formatList(mp.ports)}`;
  },
  words: (mp) => [`${not(mp.invert)}${PORTS_WORDS[mp.kind]} ${mp.ports.map(portRangeWords).join(', ')}`],
  analysis: {
    conditions(mp) {
      const text = `${mp.invert ? '! ' : ''}--${mp.kind} ${formatList(mp.ports)}`;
      const ranges = mp.ports.flatMap((r) => [r.lo, r.hi]);
      const { invert } = mp;
      if (mp.kind === 'ports') {
        // either port in the list
        return [fieldCond(text, text, (p) => {
          if ((p.sport !== undefined && inRanges(p.sport, ranges)) || (p.dport !== undefined && inRanges(p.dport, ranges))) return !invert;
          if (p.sport === undefined || p.dport === undefined) return undefined;
          return invert;
        })];
      }
      const field = mp.kind === 'sports' ? 'sport' : 'dport';
      return [fieldCond(text, text, (p) => {
        const v = p[field];
        return v === undefined ? undefined : inRanges(v, ranges) !== invert;
      })];
    },
    space(mp, space) {
      const s = fromRanges(mp.ports.map((r) => [r.lo, r.hi]));
      if (mp.kind === 'sports') space.set(DIM.sport, s, mp.invert);
      else if (mp.kind === 'dports') space.set(DIM.dport, s, mp.invert);
      else if (mp.invert) {
        space.set(DIM.sport, s, true);
        space.set(DIM.dport, s, true);
      } else space.either(DIM.sport, DIM.dport, s);
      return true;
    },
  },
};
