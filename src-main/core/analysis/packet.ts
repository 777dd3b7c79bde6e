// The words an extension and the analysis share about packets: what a described
// packet carries (for the tracer and the lockout prediction), and the condition
// a part of a rule imposes on it. A leaf module: extensions describe their
// meaning with it (core/extensions/match-*.ts `analysis`), packet-match.ts
// and the tracer evaluate it, and neither has to know the other's internals.

/** Connection tracking states a packet can be in (conntrack's SNAT and DNAT are status bits, see Packet). */
export const CONN_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'] as const;
export type ConnState = (typeof CONN_STATES)[number];

/** An address of either family: a number (IPv4) or a bigint (IPv6, 128 bits); its type says its family. */
export type Addr = number | bigint;

export interface Packet {
  /** a number for IPv4, a bigint for IPv6 */
  src?: Addr;
  dst?: Addr;
  /** IP protocol number */
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  /** IPv6 hop limit (the hl match) */
  hopLimit?: number;
  inIface?: string;
  outIface?: string;
  /** when inIface is open: names it is known not to be (a remote client never arrives on lo) */
  notInIfaces?: string[];
  state: ConnState;
  /** TCP flags bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32) */
  tcpFlags?: number;
  /** nfmark, set by MARK targets on the way */
  mark: number;
  /** connection mark, set by CONNMARK */
  ctmark: number;
  /** total length in bytes */
  length?: number;
  fragment: boolean;
  /**
   * conntrack's DNAT and SNAT status bits (ctstate DNAT / SNAT): set when a
   * NAT changed the connection's destination or source; undefined when the
   * connection's history is not known (an ESTABLISHED packet)
   */
  dnat?: boolean;
  snat?: boolean;
  /** dst is open but known to be one of the host's own (after REDIRECT to an interface whose address is not given) */
  dstLocal?: boolean;
}

/** What a condition may ask about the host the packet meets. */
export interface EvalContext {
  /** is the address one of the host's own: true, false, or unknown */
  isLocal(addr: Addr): boolean | undefined;
  /** an IPv6 address's ANYCAST and UNREACHABLE (addrtype's route lookup) from the routes known; absent: not known */
  routeKind?(addr: bigint): { anycast: boolean | undefined; unreachable: boolean | undefined };
}

/**
 * One part of a rule as a test on a packet: true, false, or undefined for
 * "cannot tell" (the packet leaves the field open). The tracer forks on
 * undefined instead of guessing.
 */
export interface Cond {
  /** the same key is given the same answer throughout one walk */
  key: string;
  /** the part of the rule, as iptables-save prints it */
  text: string;
  /** depends on history or chance, not on the packet */
  chance: boolean;
  /** plain words for "this condition holds" / "does not hold" */
  holds: string;
  fails: string;
  test(p: Packet, ctx: EvalContext): boolean | undefined;
}

export const PROTO_TCP = 6;
export const PROTO_ICMP = 1;

/** `!` applied to an answer that may be "cannot tell". */
export const inv = (invert: boolean, v: boolean | undefined): boolean | undefined => (v === undefined ? undefined : invert ? !v : v);

/**
 * A condition on packet fields, keyed by its text (two rules testing
 * `--dport 22` get one answer in one walk). Built once per rule: the test is
 * a closure over already-read values, never re-read per packet.
 */
export function fieldCond(text: string, holds: string, test: Cond['test']): Cond {
  return { key: text, text, chance: false, holds, fails: `not (${holds})`, test };
}

/** Is `v` in one of the inclusive ranges (flattened: lo0, hi0, lo1, hi1 …)? */
export function inRanges(v: number, ranges: readonly number[]): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (v >= ranges[i] && v <= ranges[i + 1]) return true;
  return false;
}

/** The wording of a match whose result depends on history or chance. */
export interface ChanceWords {
  holds: string;
  fails: string;
}
