// -j CT (libxt_CT, revision 2): conntrack settings for the connection: notrack, helper, zone, events, timeout.
import { ValueError, strtoulWhole } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtString } from './xt-options.js';

interface CtZone {
  /** zone id, or 'mark' to take it from the packet mark */
  id: number | 'mark';
  /** which direction(s) the zone applies to */
  dir: 'both' | 'orig' | 'reply';
}

interface CtState {
  notrack: boolean;
  helper: string;
  timeout: string;
  ctevents: string[];
  expevents: string[];
  zone: CtZone | null;
}


// in the order iptables prints them
const CT_EVENTS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];
const EXP_EVENTS = ['new'];

function parseEvents(arg: string, table: readonly string[]): string[] {
  const set = new Set<string>();
  for (const e of arg.split(',')) {
    if (!table.includes(e)) throw new ValueError(`Unknown event type "${e}"`, 'invalid-argument', `events are ${table.join(',')}`);
    set.add(e);
  }
  return table.filter((e) => set.has(e));
}

function parseZone(arg: string): number | 'mark' {
  if (arg.toLowerCase() === 'mark') return 'mark';
  const n = strtoulWhole(arg, 0, 0xffff);
  if (n === null) throw new ValueError(`Cannot parse ${arg} as a zone ID`, 'invalid-argument', 'a zone is 0-65535 or mark');
  return n;
}

// The kernel's own conntrack helpers and the protocols they attach to
const HELPERS: Record<string, readonly number[]> = {
  ftp: [6], irc: [6], pptp: [6], sane: [6], 'Q.931': [6], sip: [6, 17], 'H.245': [17],
  tftp: [17], amanda: [17], snmp: [17], 'netbios-ns': [17], RAS: [17],
};

export const ct: TargetExtension<CtState> = {
  kind: 'target',
  name: 'CT',
  tables: ['raw'],
  // sets up the connection and lets the packet continue
  terminal: false,
  options: [
    { name: 'notrack', arg: 'none' },
    // char helper[16], timeout[32]
    { name: 'helper', arg: 'required', parse: ([v]) => xtString(v, 16) },
    { name: 'timeout', arg: 'required', parse: ([v]) => xtString(v, 32) },
    { name: 'ctevents', arg: 'required', parse: ([v]) => parseEvents(v, CT_EVENTS) },
    { name: 'expevents', arg: 'required', parse: ([v]) => parseEvents(v, EXP_EVENTS) },
    { name: 'zone-orig', arg: 'required', parse: ([v]) => parseZone(v) },
    { name: 'zone-reply', arg: 'required', parse: ([v]) => parseZone(v) },
    { name: 'zone', arg: 'required', parse: ([v]) => parseZone(v) },
  ],
  finalize(options) {
    const s: CtState = { notrack: false, helper: '', timeout: '', ctevents: [], expevents: [], zone: null };
    // the three zone options write one id and OR their direction flags together
    let orig = false;
    let reply = false;
    let zoneMark = false;
    let zoneId = 0;
    for (const o of options) {
      switch (o.name) {
        case 'notrack': s.notrack = true; break;
        case 'helper': s.helper = o.value as string; break;
        case 'timeout': s.timeout = o.value as string; break;
        case 'ctevents': s.ctevents = o.value as string[]; break;
        case 'expevents': s.expevents = o.value as string[]; break;
        default:
          if (o.name === 'zone-orig') orig = true;
          if (o.name === 'zone-reply') reply = true;
          if (o.value === 'mark') zoneMark = true;
          zoneId = o.value === 'mark' ? 0 : (o.value as number);
      }
    }
    if (zoneMark || zoneId) s.zone = { id: zoneMark ? 'mark' : zoneId, dir: orig === reply ? 'both' : orig ? 'orig' : 'reply' };
    return { ...s };
  },
  kernelCheck(state, rule) {
    const { helper, notrack } = state;
    // with --notrack the kernel sets up no conntrack entry, so it never looks the helper up
    if (!helper || notrack) return null;
    // the helper is looked up for the rule's protocol, so -p must name one
    if (!rule.proto || rule.proto.num === 0 || rule.proto.invert)
      return `CT --helper ${helper} needs a protocol: add -p tcp or -p udp (not negated)`;
    const protos = HELPERS[helper];
    if (!protos) return `CT --helper ${helper}: the kernel has no conntrack helper of that name (known: ${Object.keys(HELPERS).join(', ')})`;
    if (!protos.includes(rule.proto.num))
      return `CT --helper ${helper} works with -p ${protos.map((p) => (p === 6 ? 'tcp' : 'udp')).join(' or -p ')}, not this rule's protocol`;
    return null;
  },
  save(t) {
    const s = t.state;
    let out = s.notrack ? ' --notrack' : '';
    if (s.helper) out += ` --helper ${s.helper}`;
    if (s.timeout) out += ` --timeout ${s.timeout}`;
    if (s.ctevents.length) out += ` --ctevents ${s.ctevents.join(',')}`;
    if (s.expevents.length) out += ` --expevents ${s.expevents.join(',')}`;
    if (s.zone) out += ` --zone${s.zone.dir === 'both' ? '' : '-' + s.zone.dir} ${s.zone.id}`;
    return out;
  },
  // helper, zone, events and timeout do not change what the rules see of the packet
  analysis: { action: (s) => (s.notrack ? { kind: 'notrack' } : { kind: 'continue', name: 'CT' }) },
};
