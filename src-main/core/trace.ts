// The packet tracer: walks a described packet through the netfilter hooks of
// its path, table by table in the kernel's priority order, following jumps,
// gotos and RETURN, until a verdict. Where the answer depends on something the
// description leaves open or on history (limit, statistic, recent …), the walk
// forks and every outcome is reported with its condition — never guessed.
import type { Family, Hook, Ruleset } from './model.js';
import { parseProtocol } from './values.js';
import { PROTO_ICMP, PROTO_TCP, type Packet } from './analysis/packet-match.js';
import type { ConnState } from './analysis/packet.js';
import { parseStateList } from './extensions/match-conntrack.js';
import { parseIcmpType, printedCode } from './extensions/match-icmp.js';
import { HostNetError, readAddr, readHostNet, type Addr, type HostNet } from './analysis/host-net.js';
import { parseIcmp6Type } from './extensions/match-icmp6.js';
import { packetOut, PORT_PROTOS, type TracePacketOut } from './trace-nat.js';
import { flatten, walkPacket, type Top, type TraceDecision, type TraceGiveUp, type TraceHook, type TraceStep, type TraceVerdict, type WalkLimits } from './trace-walk.js';

export type { TraceDecision, TraceGiveUp, TraceHook, TraceStep, TraceVerdict } from './trace-walk.js';
export type { TracePacketOut } from './trace-nat.js';
export type { Packet } from './analysis/packet-match.js';

/** A packet as a person describes it (the CLI's options). */
export interface PacketSpec {
  src?: string;
  dst?: string;
  /** tcp, udp, icmp (in IPv6 also icmpv6, ipv6-icmp), a name from /etc/protocols or a number */
  proto: string | number;
  sport?: number;
  dport?: number;
  /** a number, `8/0`, or a name like echo-request (ICMPv6: as ip6tables names them, e.g. neighbour-solicitation) */
  icmpType?: string | number;
  icmpCode?: number;
  /** IPv6 hop limit (default: open; 255 for neighbour and router discovery) */
  hopLimit?: number;
  inIface?: string;
  outIface?: string;
  /** NEW (default; UNTRACKED for ICMPv6 neighbour and router discovery and MLD, as conntrack leaves them), ESTABLISHED, RELATED, INVALID, UNTRACKED */
  state?: string;
  /** TCP flags as FIN,SYN,… ; default SYN for NEW, ACK otherwise */
  tcpFlags?: string;
  mark?: number;
  length?: number;
}

export interface TraceOptions {
  /**
   * the host's own addresses (decides INPUT or FORWARD after DNAT, and addrtype
   * LOCAL), each `IP` or `IFACE=IP`, either with `/LEN`; an interface's first
   * address is its primary one, where REDIRECT sends packets and IPv4's
   * MASQUERADE takes its source from (IPv6 selects by the lengths; /LEN also
   * gives the on-link prefix addrtype's ANYCAST and UNREACHABLE look at)
   */
  local?: readonly string[];
  /** routes, `NET/LEN=IFACE` or `default=IFACE`: the interface a forwarded packet leaves by when --out is not given */
  routes?: readonly string[];
  /** the path: INPUT (PREROUTING then INPUT), FORWARD, OUTPUT; default from the interfaces given */
  hook?: TraceHook;
  /** give up ("UNKNOWN") past this many distinct outcomes (default 256) */
  maxOutcomes?: number;
  /** give up ("UNKNOWN") past this many steps (default 50,000 + 20 per rule: near-linear in the ruleset) */
  maxSteps?: number;
}

export interface TraceOutcome {
  /** the conditions under which this outcome happens, joined with "and" ("" when unconditional) */
  condition: string;
  conditions: string[];
  verdict: TraceVerdict;
  decidedBy: TraceDecision | null;
  path: TraceStep[];
  /** the hooks the packet went through, e.g. PREROUTING, INPUT */
  hooks: Hook[];
  /** the packet as it leaves the last hook, after every NAT (null where the tracer cannot know it) */
  packet: TracePacketOut;
}

export interface TraceResult {
  /**
   * the verdict when every outcome agrees, else CONDITIONAL; UNKNOWN when the
   * walk gave up (see unknown) — then nothing is claimed about the packet
   */
  verdict: TraceVerdict | 'CONDITIONAL' | 'UNKNOWN';
  decidedBy: TraceDecision | null;
  /** the steps every outcome shares (the whole path when the walk did not fork) */
  path: TraceStep[];
  /** every possible outcome, when the walk forked */
  outcomes?: TraceOutcome[];
  hooks: Hook[];
  /** the packet after every NAT, when the walk did not fork */
  packet?: TracePacketOut;
  /** the walk gave up: outcomes (those found before) are incomplete */
  truncated?: boolean;
  /** why and where the walk gave up (with verdict UNKNOWN) */
  unknown?: TraceGiveUp;
}

export class TraceInputError extends Error {
  override name = 'TraceInputError';
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const PROTO_ICMPV6 = 58;
/** MLD query, report, done; router and neighbour solicitation and advertisement; MLDv2 report */
const UNTRACKED_ICMP6 = new Set([130, 131, 132, 133, 134, 135, 136, 143]);
const TCP_FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, NONE: 0 };

/**
 * Turns a described packet into the tracer's packet; throws TraceInputError on
 * bad values. `family` is the ruleset's: IPv6 addresses and ICMPv6 types (names
 * as ip6tables knows them) for ip6tables, IPv4 and ICMP for iptables.
 */
export function packetFromSpec(spec: PacketSpec, family: Family = 'ipv4'): Packet {
  const proto = specProto(spec.proto, family);
  const state = specState(spec.state);
  const p: Packet = {
    src: specAddr(spec.src, 'source', family), dst: specAddr(spec.dst, 'destination', family), proto,
    inIface: spec.inIface, outIface: spec.outIface, state, mark: spec.mark ?? 0, ctmark: 0, length: spec.length, fragment: false,
  };
  if (spec.hopLimit !== undefined) p.hopLimit = specHopLimit(spec.hopLimit, family);
  if (PORT_PROTOS.has(proto)) {
    p.sport = specPort(spec.sport, 'source port');
    p.dport = specPort(spec.dport, 'destination port');
  }
  if (proto === PROTO_TCP) p.tcpFlags = spec.tcpFlags !== undefined ? specTcpFlags(spec.tcpFlags) : state === 'NEW' ? TCP_SYN : TCP_ACK;
  if (proto === PROTO_ICMP && family === 'ipv4') Object.assign(p, specIcmp(spec));
  if (proto === PROTO_ICMPV6 && family === 'ipv6') {
    Object.assign(p, specIcmp6(spec));
    // conntrack leaves neighbour and router discovery and MLD untracked (nf_conntrack_icmpv6's noct_valid_new)
    if (spec.state === undefined && UNTRACKED_ICMP6.has(p.icmpType!)) p.state = 'UNTRACKED';
  }
  return p;
}

const familyWord = (f: Family) => (f === 'ipv6' ? 'IPv6' : 'IPv4');

function specAddr(s: string | undefined, what: string, family: Family): Addr | undefined {
  if (s === undefined) return undefined;
  const v = readAddr(s, family);
  if (v !== null) return v;
  const other: Family = family === 'ipv6' ? 'ipv4' : 'ipv6';
  const hint = readAddr(s, other) !== null ? ` (it is an ${familyWord(other)} address: trace it through the ${other === 'ipv6' ? 'ip6tables' : 'iptables'} ruleset)` : '';
  throw new TraceInputError(`${what}: "${s}" is not an ${familyWord(family)} address${hint}`);
}

/** tcp, udp, icmp (icmpv6 in IPv6), a name from /etc/protocols or a number. */
function specProto(v: string | number, family: Family): number {
  if (typeof v === 'number') return v;
  // ip6tables' users say "icmp" for ping too; its protocol is ipv6-icmp
  if (family === 'ipv6' && /^(icmp|icmpv6|icmp6|ipv6-icmp)$/i.test(v)) return PROTO_ICMPV6;
  try {
    return parseProtocol(v);
  } catch {
    throw new TraceInputError(`unknown protocol "${v}"`);
  }
}

/** One connection state, read as -m state reads its list (prefixes allowed). */
function specState(s: string | undefined): ConnState {
  let states: readonly ConnState[] | null;
  try {
    states = parseStateList(s ?? 'NEW');
  } catch {
    states = null;
  }
  if (!states || states.length !== 1) throw new TraceInputError(`state: "${s}" is not one of NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED`);
  return states[0];
}

function specPort(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new TraceInputError(`${what}: ${v} is not a port from 0 to 65535`);
  return v;
}

function specHopLimit(v: number, family: Family): number {
  if (family !== 'ipv6') throw new TraceInputError('hop limit: only IPv6 packets have one (hl)');
  if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new TraceInputError(`hop limit: ${v} is not a number from 0 to 255`);
  return v;
}

function specTcpFlags(s: string): number {
  let v = 0;
  for (const f of s.split(',')) {
    const b = TCP_FLAG_BITS[f.toUpperCase()];
    if (b === undefined) throw new TraceInputError(`tcp flags: unknown flag "${f}"`);
    v |= b;
  }
  return v;
}

/** An ICMP type and code: a number, TYPE/CODE or a name; a ping unless told otherwise. */
function specIcmp(spec: PacketSpec): Pick<Packet, 'icmpType' | 'icmpCode'> {
  if (spec.icmpType === undefined) return { icmpType: 8, icmpCode: 0 };
  let t;
  try {
    t = parseIcmpType(String(spec.icmpType));
  } catch {
    t = null;
  }
  // type 255 is iptables' `any`: not one packet's type
  if (!t || t.type === 255) throw new TraceInputError(`icmp type: "${spec.icmpType}" is not an ICMP type`);
  return { icmpType: t.type, icmpCode: spec.icmpCode ?? printedCode(t) ?? 0 };
}

/** An ICMPv6 type and code as ip6tables reads --icmpv6-type (names, prefixes, TYPE/CODE); an echo request unless told otherwise. */
function specIcmp6(spec: PacketSpec): Pick<Packet, 'icmpType' | 'icmpCode' | 'hopLimit'> {
  if (spec.icmpType === undefined) return { icmpType: 128, icmpCode: 0 };
  let t;
  try {
    t = parseIcmp6Type(String(spec.icmpType));
  } catch (e) {
    throw new TraceInputError(`icmpv6 type: "${spec.icmpType}" is not an ICMPv6 type (${(e as Error).message})`);
  }
  const out: Pick<Packet, 'icmpType' | 'icmpCode' | 'hopLimit'> = { icmpType: t.type, icmpCode: spec.icmpCode ?? t.codeMin };
  // neighbour and router discovery travel with hop limit 255 (RFC 4861), which receivers check
  if (t.type >= 133 && t.type <= 137) out.hopLimit = spec.hopLimit ?? 255;
  return out;
}

// ---- the walk ----------------------------------------------------------------------

function readNet(opts: TraceOptions, family: Family): HostNet {
  try {
    return readHostNet(opts.local, opts.routes, family);
  } catch (e) {
    if (e instanceof HostNetError) throw new TraceInputError(e.message);
    throw e;
  }
}

function toPacket(packet: PacketSpec | Packet, family: Family): Packet {
  const p = 'mark' in packet && typeof (packet as Packet).ctmark === 'number' ? { ...(packet as Packet) } : packetFromSpec(packet as PacketSpec, family);
  // a new connection has no NAT yet; without tracking there is no NAT status; otherwise it is history
  if (p.state === 'NEW' || p.state === 'INVALID' || p.state === 'UNTRACKED') {
    p.dnat ??= false;
    p.snat ??= false;
  }
  return p;
}

/** Steps per rule in the ruleset, on top of a floor: near-linear work for any shape. */
const STEPS_FLOOR = 50_000;
const STEPS_PER_RULE = 20;

function limitsFor(ruleset: Ruleset, opts: TraceOptions): WalkLimits {
  let rules = 0;
  for (const t of ruleset.tables) for (const c of t.chains) rules += c.rules.length;
  return { steps: opts.maxSteps ?? STEPS_FLOOR + STEPS_PER_RULE * rules, outcomes: opts.maxOutcomes ?? 256 };
}

export function tracePacket(ruleset: Ruleset, packet: PacketSpec | Packet, opts: TraceOptions = {}): TraceResult {
  const family = ruleset.family ?? 'ipv4';
  const pkt = toPacket(packet, family);
  const net = readNet(opts, family);
  const hook: TraceHook = opts.hook ?? (pkt.outIface !== undefined && pkt.inIface === undefined ? 'OUTPUT'
    : pkt.outIface !== undefined && pkt.inIface !== undefined ? 'FORWARD' : 'INPUT');
  const r = walkPacket({ ruleset, pkt, hook, net, limits: limitsFor(ruleset, opts) });
  return assemble(r.done, r.giveUp);
}

function assemble(done: Top[], giveUp: TraceGiveUp | null): TraceResult {
  const outcomes: TraceOutcome[] = done.map((b) => {
    const verdict = b.verdict ?? 'ACCEPT';
    let decidedBy: TraceDecision | null;
    if (verdict !== 'ACCEPT') decidedBy = b.finalBy;
    else {
      const filter = b.decisions.find((d) => d.table === 'filter');
      decidedBy = filter ? filter.by : [...b.decisions].reverse().find((d) => d.by)?.by ?? null;
    }
    const conditions = [...new Set(flatten(b.st.cond).map((c) => c.text))];
    return { condition: conditions.join(' and '), conditions, verdict, decidedBy, path: flatten(b.st.path), hooks: b.hooks, packet: packetOut(b.st.pkt) };
  });
  // the branch where conditions fail first: where two paths part, the one that goes on to a later rule first
  outcomes.sort(byPartingStep);
  if (giveUp) {
    return { verdict: 'UNKNOWN', decidedBy: null, path: [], hooks: outcomes[0]?.hooks ?? [], unknown: giveUp, outcomes, truncated: true };
  }
  if (outcomes.length === 1) {
    const o = outcomes[0];
    return { verdict: o.verdict, decidedBy: o.decidedBy, path: o.path, hooks: o.hooks, packet: o.packet };
  }
  const verdicts = new Set(outcomes.map((o) => o.verdict));
  const sameBy = outcomes.every((o) => sameDecision(o.decidedBy, outcomes[0].decidedBy));
  let common = outcomes[0].path.length;
  for (const o of outcomes) {
    let k = 0;
    while (k < common && k < o.path.length && sameStep(o.path[k], outcomes[0].path[k])) k++;
    common = k;
  }
  return {
    verdict: verdicts.size === 1 ? outcomes[0].verdict : 'CONDITIONAL',
    decidedBy: verdicts.size === 1 && sameBy ? outcomes[0].decidedBy : null,
    path: outcomes[0].path.slice(0, common),
    outcomes,
    hooks: outcomes[0].hooks,
  };
}

function byPartingStep(a: TraceOutcome, b: TraceOutcome): number {
  const n = Math.min(a.path.length, b.path.length);
  for (let k = 0; k < n; k++) {
    const x = a.path[k];
    const y = b.path[k];
    if (sameStep(x, y)) continue;
    const xi = x.index ?? Infinity;
    const yi = y.index ?? Infinity;
    if (xi !== yi) return yi - xi;
    return x.action < y.action ? -1 : x.action > y.action ? 1 : 0;
  }
  return a.path.length - b.path.length;
}

function sameDecision(a: TraceDecision | null, b: TraceDecision | null): boolean {
  if (!a || !b) return a === b;
  return a.table === b.table && a.chain === b.chain && a.index === b.index;
}
function sameStep(a: TraceStep, b: TraceStep): boolean {
  return a.table === b.table && a.chain === b.chain && a.index === b.index && a.action === b.action;
}

/** "ACCEPT while under 25/min, otherwise DROP by INPUT #7" */
export function describeTrace(r: TraceResult): string {
  const by = (d: TraceDecision | null) => (d ? ` by ${d.table === 'filter' ? '' : d.table + ' '}${d.chain} #${d.index}` : ' by the policy');
  if (r.unknown) return `UNKNOWN: ${describeGiveUp(r.unknown)}`;
  if (!r.outcomes) return `${r.verdict}${by(r.decidedBy)}`;
  return r.outcomes.map((o) => `${o.verdict}${by(o.decidedBy)}${o.condition ? ` if ${o.condition}` : ''}`).join('; otherwise ')
    + (r.truncated ? ' (more outcomes not shown)' : '');
}

/** "gave up at filter C7 #2 (line 31): the walk went past its budget …" */
export function describeGiveUp(g: TraceGiveUp): string {
  const at = g.chain ? `${g.table} ${g.chain}${g.index !== null ? ` #${g.index}` : ''}${g.line ? ` (line ${g.line})` : ''}` : null;
  return `${at ? `gave up at ${at}: ` : 'gave up: '}${g.reason}`;
}
