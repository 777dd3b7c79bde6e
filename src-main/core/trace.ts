// The packet tracer: walks a described packet through the netfilter hooks of
// its path, table by table in the kernel's priority order, following jumps,
// gotos and RETURN, until a verdict. Where the answer depends on something the
// description leaves open or on history (limit, statistic, recent …), the walk
// forks and every outcome is reported with its condition — never guessed.
import type { Chain, Hook, Rule, Ruleset, Table, TableName } from './model.js';
import { findChain, findTable } from './model.js';
import { canonicalRule } from './canonical.js';
import { formatIPv4, parseProtocol } from './values.js';
import { PROTO_ICMP, PROTO_TCP, ruleConds, type Cond, type EvalContext, type Packet } from './analysis/packet-match.js';
import { readIPv4, readIcmpType, readStates, type ConnState } from './analysis/match-options.js';
import { targetAction, type TargetAction } from './analysis/targets.js';
import { HostNetError, isLoopback, readHostNet, routeOut, type HostNet } from './analysis/host-net.js';

export type { Packet } from './analysis/packet-match.js';

/** A packet as a person describes it (the CLI's options). */
export interface PacketSpec {
  src?: string;
  dst?: string;
  /** tcp, udp, icmp, a name from /etc/protocols or a number */
  proto: string | number;
  sport?: number;
  dport?: number;
  /** a number, `8/0`, or a name like echo-request */
  icmpType?: string | number;
  icmpCode?: number;
  inIface?: string;
  outIface?: string;
  /** NEW (default), ESTABLISHED, RELATED, INVALID, UNTRACKED */
  state?: string;
  /** TCP flags as FIN,SYN,… ; default SYN for NEW, ACK otherwise */
  tcpFlags?: string;
  mark?: number;
  length?: number;
}

export type TraceHook = 'INPUT' | 'FORWARD' | 'OUTPUT' | 'PREROUTING' | 'POSTROUTING';

export interface TraceOptions {
  /**
   * the host's own addresses (decides INPUT or FORWARD after DNAT, and addrtype
   * LOCAL), each `IP` or `IFACE=IP`; an interface's first address is its primary
   * one, where REDIRECT sends packets and MASQUERADE takes its source from
   */
  local?: readonly string[];
  /** routes, `NET/LEN=IFACE` or `default=IFACE`: the interface a forwarded packet leaves by when --out is not given */
  routes?: readonly string[];
  /** the path: INPUT (PREROUTING then INPUT), FORWARD, OUTPUT; default from the interfaces given */
  hook?: TraceHook;
  /** stop forking after this many outcomes (default 64) */
  maxOutcomes?: number;
}

export type TraceVerdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'QUEUE';

export interface TraceDecision {
  table: TableName;
  chain: string;
  /** 1-based, as iptables -L --line-numbers */
  index: number;
  line: number | null;
}

export interface TraceStep {
  table: TableName;
  chain: string;
  /** 1-based rule index; null when the chain's policy acts */
  index: number | null;
  line: number | null;
  /** the rule as iptables-save prints it; null for a policy */
  rule: string | null;
  /** what happened: ACCEPT, DROP, jump X, goto X, RETURN, LOG (continue), policy ACCEPT, DNAT to … */
  action: string;
  /** the assumption this step rests on, when the walk forked here */
  condition?: string;
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

export interface TracePacketOut {
  src: string | null;
  dst: string | null;
  sport?: number | null;
  dport?: number | null;
}

export interface TraceResult {
  /** the verdict when every outcome agrees, else CONDITIONAL */
  verdict: TraceVerdict | 'CONDITIONAL';
  decidedBy: TraceDecision | null;
  /** the steps every outcome shares (the whole path when the walk did not fork) */
  path: TraceStep[];
  /** every possible outcome, when the walk forked */
  outcomes?: TraceOutcome[];
  hooks: Hook[];
  /** the packet after every NAT, when the walk did not fork */
  packet?: TracePacketOut;
  /** the walk forked more than maxOutcomes times; outcomes are incomplete */
  truncated?: boolean;
}

export class TraceInputError extends Error {
  override name = 'TraceInputError';
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/** Turns a described packet into the tracer's packet; throws TraceInputError on bad values. */
export function packetFromSpec(spec: PacketSpec): Packet {
  const addr = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined;
    const v = readIPv4(s);
    if (v === null) throw new TraceInputError(`${what}: "${s}" is not an IPv4 address`);
    return v;
  };
  let proto: number;
  try {
    proto = typeof spec.proto === 'number' ? spec.proto : parseProtocol(spec.proto);
  } catch {
    throw new TraceInputError(`unknown protocol "${spec.proto}"`);
  }
  const states = readStates(spec.state ?? 'NEW');
  if (!states || states.length !== 1) throw new TraceInputError(`state: "${spec.state}" is not one of NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED`);
  const state = states[0];
  const port = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new TraceInputError(`${what}: ${v} is not a port from 0 to 65535`);
    return v;
  };
  const p: Packet = {
    src: addr(spec.src, 'source'), dst: addr(spec.dst, 'destination'), proto,
    inIface: spec.inIface, outIface: spec.outIface, state, mark: spec.mark ?? 0, ctmark: 0, length: spec.length, fragment: false,
  };
  if (proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) {
    p.sport = port(spec.sport, 'source port');
    p.dport = port(spec.dport, 'destination port');
  }
  if (proto === PROTO_TCP) {
    if (spec.tcpFlags !== undefined) {
      let v = 0;
      for (const f of spec.tcpFlags.split(',')) {
        const b = ({ FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, NONE: 0 } as Record<string, number>)[f.toUpperCase()];
        if (b === undefined) throw new TraceInputError(`tcp flags: unknown flag "${f}"`);
        v |= b;
      }
      p.tcpFlags = v;
    } else p.tcpFlags = state === 'NEW' ? TCP_SYN : TCP_ACK;
  }
  if (proto === PROTO_ICMP) {
    if (spec.icmpType !== undefined) {
      const t = readIcmpType(String(spec.icmpType));
      if (!t || t.type === null) throw new TraceInputError(`icmp type: "${spec.icmpType}" is not an ICMP type`);
      p.icmpType = t.type;
      p.icmpCode = spec.icmpCode ?? t.code ?? 0;
    } else {
      // a ping, unless told otherwise
      p.icmpType = 8;
      p.icmpCode = 0;
    }
  }
  return p;
}

// ---- the walk ----------------------------------------------------------------------

type Stage = { kind: 'chain'; table: TableName; hook: Hook } | { kind: 'route' };

const PRE: Stage[] = [
  { kind: 'chain', table: 'raw', hook: 'PREROUTING' },
  { kind: 'chain', table: 'mangle', hook: 'PREROUTING' },
  { kind: 'chain', table: 'nat', hook: 'PREROUTING' },
  { kind: 'route' },
];
// Priorities: mangle -150, filter 0, security 50, nat (source) 100.
const LOCAL_IN: Stage[] = [
  { kind: 'chain', table: 'mangle', hook: 'INPUT' },
  { kind: 'chain', table: 'filter', hook: 'INPUT' },
  { kind: 'chain', table: 'security', hook: 'INPUT' },
  { kind: 'chain', table: 'nat', hook: 'INPUT' },
];
const POST: Stage[] = [
  { kind: 'chain', table: 'mangle', hook: 'POSTROUTING' },
  { kind: 'chain', table: 'nat', hook: 'POSTROUTING' },
];
const FORWARD: Stage[] = [
  { kind: 'chain', table: 'mangle', hook: 'FORWARD' },
  { kind: 'chain', table: 'filter', hook: 'FORWARD' },
  { kind: 'chain', table: 'security', hook: 'FORWARD' },
  ...POST,
];
const LOCAL_OUT: Stage[] = [
  { kind: 'chain', table: 'raw', hook: 'OUTPUT' },
  { kind: 'chain', table: 'mangle', hook: 'OUTPUT' },
  { kind: 'chain', table: 'nat', hook: 'OUTPUT' },
  { kind: 'chain', table: 'filter', hook: 'OUTPUT' },
  { kind: 'chain', table: 'security', hook: 'OUTPUT' },
  ...POST,
];

interface Frame {
  chain: Chain;
  idx: number;
}

interface Branch {
  pkt: Packet;
  stages: Stage[];
  stageIdx: number;
  table: Table | null;
  stack: Frame[];
  path: TraceStep[];
  conditions: string[];
  assumed: Map<string, boolean>;
  hooks: Hook[];
  /** the decision of each table walked so far */
  decisions: Array<{ table: TableName; by: TraceDecision | null }>;
  dnatTo: number | null;
  redirected: boolean;
  /** for a packet of an existing connection: the NAT its first packet set up (conntrack applies it) */
  ctNat: ConnNat | null;
  /** what the nat table did to this (first) packet, for the replay of later packets */
  nat: ConnNat;
  verdict: TraceVerdict | null;
  finalBy: TraceDecision | null;
}

function cloneBranch(b: Branch): Branch {
  return {
    ...b,
    pkt: { ...b.pkt },
    stack: b.stack.map((f) => ({ ...f })),
    path: b.path.slice(),
    conditions: b.conditions.slice(),
    assumed: new Map(b.assumed),
    hooks: b.hooks.slice(),
    decisions: b.decisions.slice(),
  };
}

/** Fills in what a condition's assumption tells about the packet (so later rules agree with it). */
function pin(p: Packet, c: Cond, holds: boolean): void {
  const m = /^(!\s)?(-i|-o|-s|-d|--dport|--sport) (\S+)$/.exec(c.text);
  if (!m) return;
  const positive = !m[1] === holds;
  if (!positive) return;
  const v = m[3];
  switch (m[2]) {
    case '-i': if (!v.endsWith('+')) p.inIface ??= v; break;
    case '-o': if (!v.endsWith('+')) p.outIface ??= v; break;
    case '-s': if (v.endsWith('/32')) p.src ??= readIPv4(v.slice(0, -3)) ?? undefined; break;
    case '-d': if (v.endsWith('/32')) p.dst ??= readIPv4(v.slice(0, -3)) ?? undefined; break;
    case '--dport': if (/^\d+$/.test(v)) p.dport ??= Number(v); break;
    case '--sport': if (/^\d+$/.test(v)) p.sport ??= Number(v); break;
  }
}

/** The NAT of a connection: what its first packet's walk through nat changed. */
interface ConnNat {
  dst?: { dst: number | undefined; dport: number | undefined; dstLocal: boolean; changed: boolean | undefined; text: string };
  src?: { src: number | undefined; sport: number | undefined; changed: boolean | undefined; text: string };
}

function readNet(opts: TraceOptions): HostNet {
  try {
    return readHostNet(opts.local, opts.routes);
  } catch (e) {
    if (e instanceof HostNetError) throw new TraceInputError(e.message);
    throw e;
  }
}

function toPacket(packet: PacketSpec | Packet): Packet {
  const p = 'mark' in packet && typeof (packet as Packet).ctmark === 'number' ? { ...(packet as Packet) } : packetFromSpec(packet as PacketSpec);
  // a new connection has no NAT yet; without tracking there is no NAT status; otherwise it is history
  if (p.state === 'NEW' || p.state === 'INVALID' || p.state === 'UNTRACKED') {
    p.dnat ??= false;
    p.snat ??= false;
  }
  return p;
}

// ---- NAT ---------------------------------------------------------------------------

type DnatAction = Extract<TargetAction, { kind: 'dnat' }>;
type SnatAction = Extract<TargetAction, { kind: 'snat' }>;
type DstNat = NonNullable<ConnNat['dst']>;
type SrcNat = NonNullable<ConnNat['src']>;

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

/** A port after NAT to lo..hi: the kernel keeps one already in the range, else picks one (known only when the range is one port). */
function pickPort(cur: number | undefined, lo: number | null, hi: number | null): number | undefined {
  if (lo === null || hi === null) return cur;
  if (cur !== undefined && cur >= lo && cur <= hi) return cur;
  return lo === hi ? lo : undefined;
}

const same = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : x === y);

/** Did the NAT change the tuple? conntrack sets its DNAT/SNAT status only then. */
function changedTuple(a: boolean | undefined, b: boolean | undefined): boolean | undefined {
  if (a === false || b === false) return true;
  return a === true && b === true ? false : undefined;
}

/**
 * Where DNAT or REDIRECT sends the packet. REDIRECT goes to the primary address
 * of the interface the packet came in on (127.0.0.1 for a locally generated
 * one); when that address was not given, the destination is open but local.
 */
function natDestination(p: Packet, a: DnatAction, hook: Hook, net: HostNet): DstNat {
  let dst: number | undefined;
  let dstLocal = false;
  let where: string;
  if (a.toLocal) {
    if (hook === 'OUTPUT') {
      dst = 0x7f000001;
      where = '127.0.0.1';
    } else {
      dst = p.inIface !== undefined ? net.primary.get(p.inIface) : undefined;
      dstLocal = true;
      where = dst !== undefined ? formatIPv4(dst) : `the primary address of ${p.inIface ?? 'the incoming interface'}`;
    }
  } else if (a.addr === null) {
    dst = p.dst;
    where = dst !== undefined ? formatIPv4(dst) : 'the same address';
  } else if (a.addr === a.addrHi) {
    dst = a.addr;
    where = formatIPv4(a.addr);
  } else {
    where = `one of ${formatIPv4(a.addr)}-${formatIPv4(a.addrHi!)}`;
  }
  const ports = PORT_PROTOS.has(p.proto);
  const dport = ports ? pickPort(p.dport, a.port, a.portHi) : p.dport;
  const portText = !ports || a.port === null ? '' : dport !== undefined ? `:${dport}` : `:${a.port}-${a.portHi}`;
  const changed = changedTuple(same(dst, p.dst), ports ? same(dport, p.dport) : true);
  return { dst, dport, dstLocal, changed, text: where + portText };
}

/** The new source of SNAT or MASQUERADE (the outgoing interface's primary address). */
function natSource(p: Packet, a: SnatAction, net: HostNet): SrcNat {
  let src: number | undefined;
  let where: string;
  if (a.name === 'MASQUERADE') {
    src = p.outIface !== undefined ? net.primary.get(p.outIface) : undefined;
    where = src !== undefined ? formatIPv4(src) : `the address of ${p.outIface ?? 'the outgoing interface'}`;
  } else if (a.addr === null) {
    src = p.src;
    where = src !== undefined ? formatIPv4(src) : 'the same address';
  } else if (a.addr === a.addrHi) {
    src = a.addr;
    where = formatIPv4(a.addr);
  } else {
    // a source already in the range is kept
    src = p.src !== undefined && p.src >= a.addr && p.src <= a.addrHi! ? p.src : undefined;
    where = src !== undefined ? formatIPv4(src) : `one of ${formatIPv4(a.addr)}-${formatIPv4(a.addrHi!)}`;
  }
  const ports = PORT_PROTOS.has(p.proto);
  const sport = ports ? pickPort(p.sport, a.port, a.portHi) : p.sport;
  const portText = !ports || a.port === null ? '' : sport !== undefined ? `:${sport}` : `:${a.port}-${a.portHi}`;
  const changed = changedTuple(same(src, p.src), ports ? same(sport, p.sport) : true);
  return { src, sport, changed, text: where + portText };
}

function setDestination(b: Branch, d: DstNat): void {
  b.pkt.dst = d.dst;
  b.pkt.dport = d.dport;
  if (d.dstLocal) b.pkt.dstLocal = true;
  b.redirected = d.dstLocal;
  b.dnatTo = d.dst ?? null;
  b.pkt.dnat = d.changed;
  b.nat.dst = d;
}

function setSource(b: Branch, d: SrcNat): void {
  b.pkt.src = d.src;
  b.pkt.sport = d.sport;
  b.pkt.snat = d.changed;
  b.nat.src = d;
}

/** A packet of an existing connection: conntrack applies the NAT its first packet got, where nat would run. */
function applyConnNat(b: Branch, hook: Hook): void {
  const n = b.ctNat;
  if (!n) return;
  const step = (action: string) => b.path.push({ table: 'nat', chain: hook, index: null, line: null, rule: null, action });
  if ((hook === 'PREROUTING' || hook === 'OUTPUT') && n.dst && n.dst.changed !== false) {
    b.pkt.dst = n.dst.dst;
    b.pkt.dport = n.dst.dport;
    if (n.dst.dstLocal) b.pkt.dstLocal = true;
    b.redirected = n.dst.dstLocal;
    b.dnatTo = n.dst.dst ?? null;
    step(`conntrack: DNAT to ${n.dst.text} (the connection's, set up by its first packet)`);
  }
  if ((hook === 'POSTROUTING' || hook === 'INPUT') && n.src && n.src.changed !== false) {
    b.pkt.src = n.src.src;
    b.pkt.sport = n.src.sport;
    step(`conntrack: SNAT to ${n.src.text} (the connection's, set up by its first packet)`);
  }
}

/** raw runs before conntrack: every packet there is INVALID to -m state/conntrack, or UNTRACKED after CT --notrack. */
function rawView(p: Packet): Packet {
  return { ...p, state: p.state === 'UNTRACKED' ? 'UNTRACKED' : 'INVALID', dnat: false, snat: false };
}

function packetOut(p: Packet): TracePacketOut {
  const a = (v: number | undefined) => (v === undefined ? null : formatIPv4(v));
  const out: TracePacketOut = { src: a(p.src), dst: a(p.dst) };
  if (PORT_PROTOS.has(p.proto)) {
    out.sport = p.sport ?? null;
    out.dport = p.dport ?? null;
  }
  return out;
}

/**
 * A packet of an ESTABLISHED connection gets the NAT its first packet got: walk
 * that first packet (same fields, NEW, a SYN for TCP) under this ruleset, and
 * start one branch per way it could have been translated. (A connection set
 * up under other rules may have another translation: the tracer assumes this
 * ruleset's.)
 */
function replayConnection(ruleset: Ruleset, first: Branch, opts: TraceOptions): Branch[] {
  const p0: Packet = { ...first.pkt, state: 'NEW', dnat: false, snat: false, dstLocal: undefined };
  if (p0.proto === PROTO_TCP) p0.tcpFlags = TCP_SYN;
  // nat decides before filter does: the translation is the nat table's whatever the first packet's verdict
  const alive = explore(ruleset, p0, opts).done;
  // one branch per distinct translation: the conditions that led to it do not matter to this packet
  const groups = new Map<string, ConnNat>();
  for (const r of alive) groups.set(JSON.stringify(r.nat), r.nat);
  return [...groups.values()].map((nat) => {
    const b = cloneBranch(first);
    b.ctNat = nat;
    b.pkt.dnat = nat.dst?.changed ?? false;
    b.pkt.snat = nat.src?.changed ?? false;
    if (groups.size > 1) {
      const parts = [nat.dst && nat.dst.changed !== false ? `DNAT to ${nat.dst.text}` : '', nat.src && nat.src.changed !== false ? `SNAT to ${nat.src.text}` : ''].filter(Boolean);
      b.conditions = [parts.length ? `the connection's first packet got ${parts.join(' and ')}` : `the connection's first packet got no NAT`];
    }
    return b;
  });
}

export function tracePacket(ruleset: Ruleset, packet: PacketSpec | Packet, opts: TraceOptions = {}): TraceResult {
  const { done, truncated } = explore(ruleset, toPacket(packet), opts);
  return assemble(done, truncated);
}

/** Every way the packet can go: the finished branches. */
function explore(ruleset: Ruleset, pkt: Packet, opts: TraceOptions): { done: Branch[]; truncated: boolean } {
  const net = readNet(opts);
  const locals = net.locals;
  const hook: TraceHook = opts.hook ?? (pkt.outIface !== undefined && pkt.inIface === undefined ? 'OUTPUT'
    : pkt.outIface !== undefined && pkt.inIface !== undefined ? 'FORWARD' : 'INPUT');
  const origDst = pkt.dst;
  const ctx: EvalContext = {
    isLocal(a) {
      if (isLoopback(a)) return true;
      if (locals) return locals.includes(a);
      if (hook === 'INPUT' || hook === 'PREROUTING') return a === origDst ? true : undefined;
      if (hook === 'OUTPUT') return undefined;
      return a === origDst ? false : undefined;
    },
  };
  const stages: Stage[] = hook === 'OUTPUT' ? LOCAL_OUT : hook === 'POSTROUTING' ? POST : PRE;
  const maxOutcomes = opts.maxOutcomes ?? 64;

  const first: Branch = {
    pkt, stages, stageIdx: 0, table: null, stack: [], path: [], conditions: [], assumed: new Map(), hooks: [],
    decisions: [], dnatTo: null, redirected: false, ctNat: null, nat: {}, verdict: null, finalBy: null,
  };
  const work: Branch[] = pkt.state === 'ESTABLISHED' && findTable(ruleset, 'nat') ? replayConnection(ruleset, first, opts) : [first];
  const done: Branch[] = [];
  let truncated = false;

  const routeLocal = (b: Branch): boolean => {
    if (b.redirected || b.pkt.dstLocal) return true;
    const dst = b.pkt.dst;
    if (dst !== undefined && isLoopback(dst)) return true;
    if (locals) return dst !== undefined && locals.includes(dst);
    if (hook === 'FORWARD') return false;
    return !(b.dnatTo !== null && b.dnatTo !== origDst);
  };

  while (work.length) {
    const b = work.pop()!;
    const forks = walk(b);
    if (forks === null) {
      done.push(b);
      continue;
    }
    if (done.length + work.length + forks.length > maxOutcomes) {
      truncated = true;
      // keep one branch (all conditions hold) so the result still says something
      work.push(forks[forks.length - 1]);
      continue;
    }
    work.push(...forks);
  }

  function enterStage(b: Branch): boolean {
    // returns false when the walk is over
    for (;;) {
      if (b.stageIdx >= b.stages.length) {
        b.verdict = 'ACCEPT';
        return false;
      }
      const st = b.stages[b.stageIdx];
      if (st.kind === 'route') {
        const local = routeLocal(b);
        b.stages = [...b.stages.slice(0, b.stageIdx + 1), ...(local ? LOCAL_IN : FORWARD)];
        if (!local && b.pkt.outIface === undefined && b.pkt.dst !== undefined) b.pkt.outIface = routeOut(net, b.pkt.dst);
        b.stageIdx++;
        continue;
      }
      const addHook = () => { if (b.hooks[b.hooks.length - 1] !== st.hook) b.hooks.push(st.hook); };
      addHook();
      const t = findTable(ruleset, st.table);
      // nat sees only the first packet of a connection; conntrack applies its NAT to the later ones
      if (st.table === 'nat' && b.pkt.state !== 'NEW') applyConnNat(b, st.hook);
      const skip = !t || (st.table === 'nat' && b.pkt.state !== 'NEW');
      const chain = t ? findChain(t, st.hook) : undefined;
      if (skip || !chain) {
        b.stageIdx++;
        continue;
      }
      b.table = t!;
      b.stack = [{ chain, idx: 0 }];
      return true;
    }
  }

  function decide(b: Branch, table: TableName, by: TraceDecision | null, verdict: TraceVerdict): void {
    b.decisions.push({ table, by });
    if (verdict === 'ACCEPT') {
      b.stageIdx++;
      b.table = null;
      b.stack = [];
    } else {
      b.verdict = verdict;
      b.finalBy = by;
    }
  }

  /** Runs the branch to its end (null) or to a fork (the new branches). */
  function walk(b: Branch): Branch[] | null {
    for (;;) {
      if (b.verdict) return null;
      if (!b.table) {
        if (!enterStage(b)) return null;
      }
      const table = b.table!;
      const frame = b.stack[b.stack.length - 1];
      if (frame.idx >= frame.chain.rules.length) {
        b.stack.pop();
        if (b.stack.length === 0) {
          const c = frame.chain;
          const policy = c.builtin ? (c.policy ?? 'ACCEPT') : 'ACCEPT';
          b.path.push({ table: table.name, chain: c.name, index: null, line: c.source?.line ?? null, rule: null, action: `policy ${policy}` });
          decide(b, table.name, null, policy === 'DROP' ? 'DROP' : 'ACCEPT');
        }
        continue;
      }
      const idx = frame.idx++;
      const rule = frame.chain.rules[idx];
      // evaluate the conditions; collect the ones we cannot tell
      let matched = true;
      const open: Cond[] = [];
      const seen = table.name === 'raw' ? rawView(b.pkt) : b.pkt;
      for (const c of ruleConds(rule)) {
        const v = b.assumed.get(c.key) ?? c.test(seen, ctx);
        if (v === false) { matched = false; break; }
        if (v === undefined) open.push(c);
      }
      if (!matched) continue;
      if (open.length) {
        // fork: c0 fails | c0 holds, c1 fails | … | all hold (this branch)
        const out: Branch[] = [];
        for (let k = 0; k < open.length; k++) {
          const nb = cloneBranch(b);
          for (let j = 0; j < k; j++) assume(nb, open[j], true);
          assume(nb, open[k], false);
          out.push(nb);
        }
        const all = cloneBranch(b);
        for (const c of open) assume(all, c, true);
        // the all-hold branch re-evaluates the rule with the assumptions in place
        all.stack[all.stack.length - 1].idx = idx;
        out.push(all);
        return out;
      }
      applyTarget(b, table, frame.chain, idx, rule);
    }
  }

  function assume(b: Branch, c: Cond, holds: boolean): void {
    b.assumed.set(c.key, holds);
    b.conditions.push(holds ? c.holds : c.fails);
    pin(b.pkt, c, holds);
  }

  function applyTarget(b: Branch, table: Table, chain: Chain, idx: number, rule: Rule): void {
    const a = targetAction(rule);
    const by: TraceDecision = { table: table.name, chain: chain.name, index: idx + 1, line: rule.source?.line ?? null };
    const step = (action: string) => b.path.push({ ...by, rule: canonicalRule(chain.name, rule), action });
    switch (a.kind) {
      case 'none':
        step('no target (counted, continue)');
        return;
      case 'accept':
        step('ACCEPT');
        return decide(b, table.name, by, 'ACCEPT');
      case 'drop':
        step('DROP');
        return decide(b, table.name, by, 'DROP');
      case 'reject':
        step(`REJECT (${a.with})`);
        return decide(b, table.name, by, 'REJECT');
      case 'queue':
        step(a.name);
        return decide(b, table.name, by, 'QUEUE');
      case 'terminal':
        step(`${a.name} (ends the walk; treated as accepted)`);
        return decide(b, table.name, by, 'ACCEPT');
      case 'return': {
        step('RETURN');
        b.stack.pop();
        if (b.stack.length === 0) {
          const policy = chain.builtin ? (chain.policy ?? 'ACCEPT') : 'ACCEPT';
          b.path.push({ table: table.name, chain: chain.name, index: null, line: chain.source?.line ?? null, rule: null, action: `policy ${policy}` });
          decide(b, table.name, null, policy === 'DROP' ? 'DROP' : 'ACCEPT');
        }
        return;
      }
      case 'jump':
      case 'goto': {
        const next = findChain(table, a.chain);
        if (!next) {
          step(`${a.kind} ${a.chain} (no such chain: the kernel would not load this table)`);
          return;
        }
        step(`${a.kind} ${a.chain}`);
        if (a.kind === 'goto') {
          if (b.stack.length === 1) b.stack[0].idx = b.stack[0].chain.rules.length;
          else b.stack.pop();
        }
        b.stack.push({ chain: next, idx: 0 });
        return;
      }
      case 'dnat': {
        const hookNow = (b.stages[b.stageIdx] as { hook: Hook }).hook;
        const d = natDestination(b.pkt, a, hookNow, net);
        setDestination(b, d);
        step(`${a.name} to ${d.text}`);
        return decide(b, table.name, by, 'ACCEPT');
      }
      case 'snat': {
        const d = natSource(b.pkt, a, net);
        setSource(b, d);
        step(`${a.name} to ${d.text}`);
        return decide(b, table.name, by, 'ACCEPT');
      }
      case 'mark': {
        const v = a.apply(b.pkt.mark, b.pkt.ctmark);
        b.pkt[a.field] = v;
        step(`${a.text.replace(/^-j /, '')} (${a.field} now 0x${v.toString(16)}, continue)`);
        return;
      }
      case 'notrack':
        b.pkt.state = 'UNTRACKED';
        step('NOTRACK (the packet is UNTRACKED from here, continue)');
        return;
      case 'continue':
        step(`${a.name} (continue)`);
        return;
      case 'unknown':
        step(`${a.name} (not modelled: assumed to continue)`);
        return;
    }
  }

  return { done, truncated };
}

function assemble(done: Branch[], truncated: boolean): TraceResult {
  const outcomes: TraceOutcome[] = done.map((b) => {
    const verdict = b.verdict ?? 'ACCEPT';
    let decidedBy: TraceDecision | null;
    if (verdict !== 'ACCEPT') decidedBy = b.finalBy;
    else {
      const filter = b.decisions.find((d) => d.table === 'filter');
      decidedBy = filter ? filter.by : [...b.decisions].reverse().find((d) => d.by)?.by ?? null;
    }
    return { condition: b.conditions.join(' and '), conditions: b.conditions, verdict, decidedBy, path: b.path, hooks: b.hooks, packet: packetOut(b.pkt) };
  });
  // outcomes in walk order: the branch where conditions fail first
  outcomes.reverse();
  if (outcomes.length === 1 && !truncated) {
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
    ...(truncated ? { truncated } : {}),
  };
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
  if (!r.outcomes) return `${r.verdict}${by(r.decidedBy)}`;
  return r.outcomes.map((o) => `${o.verdict}${by(o.decidedBy)}${o.condition ? ` if ${o.condition}` : ''}`).join('; otherwise ')
    + (r.truncated ? ' (more outcomes not shown)' : '');
}
