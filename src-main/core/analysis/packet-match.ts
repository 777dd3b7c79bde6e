// Does a described packet match a rule? Each part of the rule (generic -s -d -i
// -o -p -f, then every match) becomes a condition that answers true, false, or
// "cannot tell" — because the packet leaves a field open (no --in given), the
// match depends on history or chance (limit, statistic, recent …), or we do not
// model the match. The tracer forks on "cannot tell" instead of guessing.
import type { AddressSpec, InterfaceSpec, Rule } from '../model.js';
import { formatNet, formatNet6 } from '../values.js';
import { addressTypes, inNet, isMulticast, readAddrRange, type Addr } from './host-net.js';
import {
  HISTORY_MATCHES, arg, matchOptions, readIcmpType, readMark, readPortList, readPortRange, readStates, readTcpFlags,
  type MatchOptions,
} from './match-options.js';
import { fieldCond, inv, type Cond, type ConnState, type EvalContext, type Packet } from './packet.js';

export { PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Cond, type ConnState, type EvalContext, type Packet } from './packet.js';

/** `eth+` matches every name that starts with `eth`; `+` alone matches all. */
export function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function unknownField(key: string, text: string, holds: string, fails: string, test: Cond['test']): Cond {
  return { key, text, chance: false, holds, fails, test };
}

function addressCond(flag: '-s' | '-d', a: AddressSpec): Cond | null {
  const field = flag === '-s' ? 'src' : 'dst';
  if (a.kind === 'host-name') {
    const text = `${a.invert ? '! ' : ''}${flag} ${a.name}`;
    return { key: text, text, chance: false, holds: text, fails: `not ${text}`, test: () => undefined };
  }
  if (a.kind === 'net6' ? a.mask === 0n : a.mask === 0) {
    if (!a.invert) return null;
  }
  const net = a.kind === 'net6' ? formatNet6(a.addr, a.mask) : formatNet(a.addr, a.mask);
  const text = `${a.invert ? '! ' : ''}${flag} ${net}`;
  const words = flag === '-s' ? 'from' : 'to';
  return unknownField(text, text, `${words} ${a.invert ? 'outside ' : ''}${net}`, `${words} ${a.invert ? '' : 'outside '}${net}`,
    (p) => {
      const v = p[field];
      return inv(a.invert, v === undefined ? undefined : inNet(v, a.addr, a.mask));
    });
}

function ifaceCond(flag: '-i' | '-o', i: InterfaceSpec): Cond | null {
  if (i.name === '' || (i.name === '+' && !i.invert)) return null;
  const field = flag === '-i' ? 'inIface' : 'outIface';
  const text = `${i.invert ? '! ' : ''}${flag} ${i.name}`;
  const verb = flag === '-i' ? 'arriving on' : 'leaving by';
  return unknownField(text, text, `${i.invert ? 'not ' : ''}${verb} ${i.name}`, `${i.invert ? '' : 'not '}${verb} ${i.name}`, (p) => {
    const v = p[field];
    if (v === undefined && field === 'inIface' && !i.name.endsWith('+') && p.notInIfaces?.includes(i.name)) return i.invert;
    return inv(i.invert, v === undefined ? undefined : ifaceMatches(i.name, v));
  });
}

let ruleSeq = 0;
const ruleIds = new WeakMap<Rule, number>();
function ruleId(r: Rule): number {
  let id = ruleIds.get(r);
  if (id === undefined) ruleIds.set(r, (id = ++ruleSeq));
  return id;
}

const inRanges = (v: number, rs: Array<[number, number]>) => rs.some(([lo, hi]) => v >= lo && v <= hi);

function portCond(text: string, field: 'sport' | 'dport', ranges: Array<[number, number]>, invert: boolean): Cond {
  return fieldCond(text, text, (p) => {
    const v = p[field];
    return inv(invert, v === undefined ? undefined : inRanges(v, ranges));
  });
}

function opaque(m: MatchOptions, key: string): Cond {
  return { key, text: m.text, chance: false, holds: `${m.text} matches`, fails: `${m.text} does not match`, test: () => undefined };
}

function chanceCond(m: MatchOptions, key: string): Cond {
  let holds = `${m.text} matches`;
  let fails = `${m.text} does not match`;
  if (m.name === 'limit' || m.name === 'hashlimit') {
    const rate = arg(m, 'limit') ?? arg(m, 'hashlimit-upto') ?? arg(m, 'hashlimit') ?? arg(m, 'hashlimit-above');
    const above = m.options.has('hashlimit-above');
    if (rate) {
      holds = above ? `over ${rate}` : `under ${rate}`;
      fails = above ? `under ${rate}` : `over ${rate}`;
    }
  } else if (m.name === 'statistic') {
    const mode = arg(m, 'mode');
    const invert = m.options.get('every')?.invert || m.options.get('probability')?.invert;
    if (mode === 'nth') {
      const every = arg(m, 'every');
      holds = `${invert ? 'all but ' : ''}1 packet in ${every} of those reaching this rule`;
      fails = `${invert ? '' : 'all but '}1 packet in ${every} of those reaching this rule`;
    } else if (mode === 'random') {
      const p = arg(m, 'probability');
      holds = `with probability ${invert ? `1-${p}` : p}`;
      fails = `with probability ${invert ? p : `1-${p}`}`;
    }
  } else if (m.name === 'recent') {
    const name = arg(m, 'name') ?? 'DEFAULT';
    holds = `the address is in recent list ${name} (${m.text})`;
    fails = `the address is not in recent list ${name} (${m.text})`;
  } else if (m.name === 'connlimit') {
    holds = `connection count over the limit (${m.text})`;
    fails = `connection count within the limit (${m.text})`;
  }
  return { key, text: m.text, chance: true, holds, fails, test: () => undefined };
}

function matchConds(r: Rule, k: number, m: MatchOptions): Cond[] {
  const key = `r${ruleId(r)}m${k}`;
  if (m.name === 'comment') return [];
  if (HISTORY_MATCHES.has(m.name)) return [chanceCond(m, key)];
  if (r.matches[k].unknown && m.options.size === 0 && r.matches[k].unknown!.tokens.length > 0) return [opaque(m, key)];
  const out: Cond[] = [];
  const known = (names: string[]) => [...m.options.keys()].every((n) => names.includes(n));
  switch (m.name) {
    case 'tcp':
    case 'udp': {
      if (!known(['sport', 'dport', 'tcp-flags', 'syn', 'source-port', 'destination-port'])) return [opaque(m, key)];
      for (const [name, field] of [['sport', 'sport'], ['source-port', 'sport'], ['dport', 'dport'], ['destination-port', 'dport']] as const) {
        const o = m.options.get(name);
        if (!o) continue;
        const r0 = readPortRange(o.args[0] ?? '');
        if (!r0) return [opaque(m, key)];
        out.push(portCond(`${o.invert ? '! ' : ''}--${field} ${o.args[0]}`, field, [r0], o.invert));
      }
      const fl = m.options.get('tcp-flags');
      const syn = m.options.get('syn');
      if (fl || syn) {
        const mask = fl ? readTcpFlags(fl.args[0] ?? '') : 0x17;
        const comp = fl ? readTcpFlags(fl.args[1] ?? '') : 0x02;
        if (mask === null || comp === null) return [opaque(m, key)];
        const o = (fl ?? syn)!;
        const text = fl ? `${o.invert ? '! ' : ''}--tcp-flags ${fl.args.join(' ')}` : `${o.invert ? '! ' : ''}--syn`;
        out.push(fieldCond(text, text, (p) => inv(o.invert, p.tcpFlags === undefined ? undefined : (p.tcpFlags & mask) === comp)));
      }
      return out;
    }
    case 'multiport': {
      for (const [name, fields] of [['sports', ['sport']], ['source-ports', ['sport']], ['dports', ['dport']], ['destination-ports', ['dport']], ['ports', ['sport', 'dport']]] as const) {
        const o = m.options.get(name);
        if (!o) continue;
        const ranges = readPortList(o.args[0] ?? '');
        if (!ranges) return [opaque(m, key)];
        const text = `${o.invert ? '! ' : ''}--${name} ${o.args[0]}`;
        out.push(fieldCond(text, text, (p) => {
          const vals = fields.map((f) => p[f]);
          if (fields.length === 2) {
            // --ports: either port in the list
            if (vals.some((v) => v !== undefined && inRanges(v, ranges))) return !o.invert;
            if (vals.some((v) => v === undefined)) return undefined;
            return o.invert;
          }
          return inv(o.invert, vals[0] === undefined ? undefined : inRanges(vals[0], ranges));
        }));
      }
      if (out.length === 0) return [opaque(m, key)];
      return out;
    }
    case 'icmp': {
      const o = m.options.get('icmp-type');
      const t = o ? readIcmpType(o.args[0] ?? '') : null;
      if (!o || !t) return [opaque(m, key)];
      if (t.type === null) return o.invert ? [fieldCond(m.text, m.text, () => false)] : [];
      const text = `${o.invert ? '! ' : ''}--icmp-type ${o.args[0]}`;
      return [fieldCond(text, text, (p) => {
        if (p.icmpType === undefined) return undefined;
        if (p.icmpType !== t.type) return o.invert;
        if (t.code === null) return !o.invert;
        if (p.icmpCode === undefined) return undefined;
        return inv(o.invert, p.icmpCode === t.code);
      })];
    }
    case 'icmp6': {
      // ip6tables prints the type as TYPE or TYPE/CODE, always numbers
      const o = m.options.get('icmpv6-type');
      const t = o ? /^(\d+)(?:\/(\d+))?$/.exec(o.args[0] ?? '') : null;
      if (!o || !t) return [opaque(m, key)];
      const type = Number(t[1]);
      const code = t[2] === undefined ? null : Number(t[2]);
      const text = `${o.invert ? '! ' : ''}--icmpv6-type ${o.args[0]}`;
      return [fieldCond(text, text, (p) => {
        if (p.proto !== 58) return false;
        if (p.icmpType === undefined) return undefined;
        if (p.icmpType !== type) return o.invert;
        if (code === null) return !o.invert;
        if (p.icmpCode === undefined) return undefined;
        return inv(o.invert, p.icmpCode === code);
      })];
    }
    case 'hl': {
      const op = ['hl-eq', 'hl-lt', 'hl-gt'].find((n) => m.options.has(n));
      const o = op ? m.options.get(op)! : null;
      const v = o ? Number(o.args[0]) : NaN;
      if (!o || !Number.isInteger(v)) return [opaque(m, key)];
      const text = `${o.invert ? '! ' : ''}--${op} ${v}`;
      return [fieldCond(text, text, (p) => {
        if (p.hopLimit === undefined) return undefined;
        const r = op === 'hl-eq' ? p.hopLimit === v : op === 'hl-lt' ? p.hopLimit < v : p.hopLimit > v;
        return inv(o.invert, r);
      })];
    }
    case 'state':
    case 'conntrack': {
      const names = m.name === 'state' ? ['state'] : ['ctstate'];
      if (!known(names)) return [opaque(m, key)];
      const o = m.options.get(names[0]);
      const cs = o ? readCtStates(o.args[0] ?? '', m.name === 'conntrack') : null;
      if (!o || !cs) return [opaque(m, key)];
      const text = `${o.invert ? '! ' : ''}--${names[0]} ${o.args[0]}`;
      return [fieldCond(text, text, (p) => inv(o.invert, ctStateMatches(cs, p)))];
    }
    case 'iprange': {
      if (!known(['src-range', 'dst-range'])) return [opaque(m, key)];
      for (const [name, field] of [['src-range', 'src'], ['dst-range', 'dst']] as const) {
        const o = m.options.get(name);
        if (!o) continue;
        const r0 = readAddrRange(o.args[0] ?? '');
        if (!r0) return [opaque(m, key)];
        const text = `${o.invert ? '! ' : ''}--${name} ${o.args[0]}`;
        out.push(fieldCond(text, text, (p) => {
          const v = p[field];
          return inv(o.invert, v === undefined ? undefined : v >= r0[0] && v <= r0[1]);
        }));
      }
      return out;
    }
    case 'mark':
    case 'connmark': {
      const o = m.options.get('mark');
      const v = o ? readMark(o.args[0] ?? '') : null;
      if (!o || !v || !known(['mark'])) return [opaque(m, key)];
      const field = m.name === 'mark' ? 'mark' : 'ctmark';
      const text = `${o.invert ? '! ' : ''}--mark ${o.args[0]}${m.name === 'connmark' ? ' (connmark)' : ''}`;
      // the kernel compares (mark & mask) == value: a value with bits outside the mask never matches
      return [fieldCond(text, text, (p) => inv(o.invert, ((p[field] & v[1]) >>> 0) === v[0]))];
    }
    case 'addrtype': {
      if (!known(['src-type', 'dst-type'])) return [opaque(m, key)];
      for (const [name, field] of [['src-type', 'src'], ['dst-type', 'dst']] as const) {
        const o = m.options.get(name);
        if (!o) continue;
        const types = (o.args[0] ?? '').toUpperCase().split(',');
        const text = `${o.invert ? '! ' : ''}--${name} ${o.args[0]}`;
        out.push(fieldCond(text, text, (p, ctx) => {
          const a = p[field];
          if (a === undefined) {
            // after a REDIRECT to an interface whose address we were not told: local, so of type LOCAL only
            if (field !== 'dst' || !p.dstLocal) return undefined;
            return inv(o.invert, types.includes('LOCAL'));
          }
          return inv(o.invert, addressTypes(types, a, ctx.isLocal(a)));
        }));
      }
      return out;
    }
    case 'pkttype': {
      const o = m.options.get('pkt-type');
      if (!o) return [opaque(m, key)];
      const t = (o.args[0] ?? '').toLowerCase();
      const text = `${o.invert ? '! ' : ''}--pkt-type ${t}`;
      return [fieldCond(text, text, (p) => {
        if (p.dst === undefined) return undefined;
        const kind = p.dst === 0xffffffff ? 'broadcast' : isMulticast(p.dst) ? 'multicast' : 'unicast';
        // a subnet's broadcast address also arrives as broadcast; we cannot know the subnet (IPv6 has none)
        if (kind === 'unicast' && t === 'broadcast' && typeof p.dst === 'number' && (p.dst & 0xff) === 0xff) return undefined;
        return inv(o.invert, kind === t);
      })];
    }
    case 'length': {
      const o = m.options.get('length');
      const r0 = o ? readPortRange(o.args[0] ?? '') : null;
      if (!o || !r0) return [opaque(m, key)];
      const text = `${o.invert ? '! ' : ''}--length ${o.args[0]}`;
      return [fieldCond(text, text, (p) => inv(o.invert, p.length === undefined ? undefined : p.length >= r0[0] && p.length <= r0[1]))];
    }
    default:
      return [opaque(m, key)];
  }
}

interface CtStates {
  states: ConnState[];
  dnat: boolean;
  snat: boolean;
}

/** `NEW,DNAT`: the conntrack states, and conntrack's virtual DNAT and SNAT states (not in -m state). */
function readCtStates(s: string, virtual: boolean): CtStates | null {
  const out: CtStates = { states: [], dnat: false, snat: false };
  const plain: string[] = [];
  for (const item of s.split(',')) {
    const u = item.toUpperCase();
    if (virtual && u === 'DNAT') out.dnat = true;
    else if (virtual && u === 'SNAT') out.snat = true;
    else plain.push(item);
  }
  if (plain.length) {
    const st = readStates(plain.join(','));
    if (!st) return null;
    out.states = st;
  }
  return out;
}

function ctStateMatches(cs: CtStates, p: Packet): boolean | undefined {
  if (cs.states.includes(p.state)) return true;
  // no conntrack entry, no NAT status
  if (p.state === 'INVALID' || p.state === 'UNTRACKED') return false;
  let open = false;
  for (const [wanted, bit] of [[cs.dnat, p.dnat], [cs.snat, p.snat]] as const) {
    if (!wanted) continue;
    if (bit === true) return true;
    if (bit === undefined) open = true;
  }
  return open ? undefined : false;
}

const compiled = new WeakMap<Rule, Cond[]>();

/** The rule's conditions, in the order the kernel checks them (generic part first, then matches in order). */
export function ruleConds(r: Rule): Cond[] {
  let c = compiled.get(r);
  if (c) return c;
  c = [];
  if (r.src) { const x = addressCond('-s', r.src); if (x) c.push(x); }
  if (r.dst) { const x = addressCond('-d', r.dst); if (x) c.push(x); }
  if (r.inIface) { const x = ifaceCond('-i', r.inIface); if (x) c.push(x); }
  if (r.outIface) { const x = ifaceCond('-o', r.outIface); if (x) c.push(x); }
  if (r.proto && (r.proto.num !== 0 || r.proto.invert)) {
    const pr = r.proto;
    const text = `${pr.invert ? '! ' : ''}-p ${pr.num}`;
    c.push(fieldCond(text, text, (p) => (pr.num === 0 ? !pr.invert : pr.invert ? p.proto !== pr.num : p.proto === pr.num)));
  }
  if (r.fragment) {
    const f = r.fragment;
    c.push(fieldCond(f.invert ? '! -f' : '-f', f.invert ? 'not a fragment' : 'a fragment', (p) => (f.invert ? !p.fragment : p.fragment)));
  }
  r.matches.forEach((m, k) => c!.push(...matchConds(r, k, matchOptions(m))));
  compiled.set(r, c);
  return c;
}
