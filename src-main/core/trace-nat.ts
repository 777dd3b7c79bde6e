// What NAT does to a packet, as the kernel's nat core does it: DNAT, REDIRECT,
// SNAT and MASQUERADE with their address and port ranges, and whether the
// translation changed the tuple (conntrack's DNAT/SNAT status).
import type { Hook } from './model.js';
import type { Packet } from './analysis/packet-match.js';
import type { TargetAction } from './analysis/target-action.js';
import { formatAddr, loopbackOf, masqueradeSource, type Addr, type HostNet } from './analysis/host-net.js';

/** The packet as it leaves the last hook, after every NAT (null where the tracer cannot know it). */
export interface TracePacketOut {
  src: string | null;
  dst: string | null;
  sport?: number | null;
  dport?: number | null;
}

/** The NAT of a connection: what its first packet's walk through nat changed. */
export interface ConnNat {
  dst?: { dst: Addr | undefined; dport: number | undefined; dstLocal: boolean; changed: boolean | undefined; text: string };
  src?: { src: Addr | undefined; sport: number | undefined; changed: boolean | undefined; text: string };
}

type DnatAction = Extract<TargetAction, { kind: 'dnat' }>;
type SnatAction = Extract<TargetAction, { kind: 'snat' }>;
type DstNat = NonNullable<ConnNat['dst']>;
type SrcNat = NonNullable<ConnNat['src']>;

export const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

/** A port after NAT to lo..hi: the kernel keeps one already in the range, else picks one (known only when the range is one port). */
function pickPort(cur: number | undefined, lo: number | null, hi: number | null): number | undefined {
  if (lo === null || hi === null) return cur;
  if (cur !== undefined && cur >= lo && cur <= hi) return cur;
  return lo === hi ? lo : undefined;
}

const same = (x: Addr | undefined, y: Addr | undefined) => (x === undefined || y === undefined ? undefined : x === y);

/** Did the NAT change the tuple? conntrack sets its DNAT/SNAT status only then. */
function changedTuple(a: boolean | undefined, b: boolean | undefined): boolean | undefined {
  if (a === false || b === false) return true;
  return a === true && b === true ? false : undefined;
}

/** An address in a NAT's words: IPv6 in brackets when a port follows, as ip6tables prints it. */
const natWord = (a: Addr, port: boolean) => (typeof a === 'bigint' && port ? `[${formatAddr(a)}]` : formatAddr(a));
const natRange = (lo: Addr, hi: Addr, port: boolean) => (typeof lo === 'bigint' && port ? `[${formatAddr(lo)}-${formatAddr(hi)}]` : `${formatAddr(lo)}-${formatAddr(hi)}`);

/**
 * Where DNAT or REDIRECT sends the packet. REDIRECT goes to the primary address
 * of the interface the packet came in on (127.0.0.1 or ::1 for a locally
 * generated one); when that address was not given, the destination is open but
 * local. (The kernel's IPv6 REDIRECT takes the interface's first address in
 * `ip -6 addr show` order — global before link-local, newest first, as the
 * lab test observed on ip6tables-legacy — so give them in that order.)
 */
export function natDestination(p: Packet, a: DnatAction, hook: Hook, net: HostNet): DstNat {
  const ports = PORT_PROTOS.has(p.proto);
  const withPort = ports && a.port !== null;
  let dst: Addr | undefined;
  let dstLocal = false;
  let where: string;
  if (a.toLocal) {
    if (hook === 'OUTPUT') {
      dst = loopbackOf(net.family);
      where = natWord(dst, withPort);
    } else {
      dst = p.inIface !== undefined ? net.primary.get(p.inIface) : undefined;
      dstLocal = true;
      where = dst !== undefined ? natWord(dst, withPort) : `the primary address of ${p.inIface ?? 'the incoming interface'}`;
    }
  } else if (a.addr === null) {
    dst = p.dst;
    where = dst !== undefined ? natWord(dst, withPort) : 'the same address';
  } else if (a.addr === a.addrHi) {
    dst = a.addr;
    where = natWord(a.addr, withPort);
  } else {
    where = `one of ${natRange(a.addr, a.addrHi!, withPort)}`;
  }
  const dport = ports ? pickPort(p.dport, a.port, a.portHi) : p.dport;
  const portText = !ports || a.port === null ? '' : dport !== undefined ? `:${dport}` : `:${a.port}-${a.portHi}`;
  const changed = changedTuple(same(dst, p.dst), ports ? same(dport, p.dport) : true);
  return { dst, dport, dstLocal, changed, text: where + portText };
}

/** The new source of SNAT or MASQUERADE (the outgoing interface's primary address). */
export function natSource(p: Packet, a: SnatAction, net: HostNet): SrcNat {
  const ports = PORT_PROTOS.has(p.proto);
  const withPort = ports && a.port !== null;
  let src: Addr | undefined;
  let where: string;
  if (a.fromInterface) {
    src = p.outIface !== undefined ? masqueradeSource(net, p.outIface, p.dst) : undefined;
    where = src !== undefined ? natWord(src, withPort) : `the address of ${p.outIface ?? 'the outgoing interface'}`;
  } else if (a.addr === null) {
    src = p.src;
    where = src !== undefined ? natWord(src, withPort) : 'the same address';
  } else if (a.addr === a.addrHi) {
    src = a.addr;
    where = natWord(a.addr, withPort);
  } else {
    // a source already in the range is kept
    src = p.src !== undefined && p.src >= a.addr && p.src <= a.addrHi! ? p.src : undefined;
    where = src !== undefined ? natWord(src, withPort) : `one of ${natRange(a.addr, a.addrHi!, withPort)}`;
  }
  const sport = ports ? pickPort(p.sport, a.port, a.portHi) : p.sport;
  const portText = !ports || a.port === null ? '' : sport !== undefined ? `:${sport}` : `:${a.port}-${a.portHi}`;
  const changed = changedTuple(same(src, p.src), ports ? same(sport, p.sport) : true);
  return { src, sport, changed, text: where + portText };
}

/** raw runs before conntrack: every packet there is INVALID to -m state/conntrack, or UNTRACKED after CT --notrack. */
export function rawView(p: Packet): Packet {
  return { ...p, state: p.state === 'UNTRACKED' ? 'UNTRACKED' : 'INVALID', dnat: false, snat: false };
}

export function packetOut(p: Packet): TracePacketOut {
  const a = (v: Addr | undefined) => (v === undefined ? null : formatAddr(v));
  const out: TracePacketOut = { src: a(p.src), dst: a(p.dst) };
  if (PORT_PROTOS.has(p.proto)) {
    out.sport = p.sport ?? null;
    out.dport = p.dport ?? null;
  }
  return out;
}


/** A connection's NAT as a key (bigint addresses written out: JSON has no bigint). */
export function natKey(n: ConnNat | null): string {
  if (!n || (!n.dst && !n.src)) return '';
  return JSON.stringify(n, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
