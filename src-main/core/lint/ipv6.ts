// Findings only an IPv6 (ip6tables) ruleset can have: neighbour discovery and
// router advertisements that the filter drops (the host loses IPv6 altogether),
// and `-p icmp`, which is IPv4's ICMP and matches nothing useful in ip6tables.
import type { Chain, Rule, Table } from '../model.js';
import { findChain, findTable } from '../model.js';
import type { Packet } from '../analysis/packet-match.js';
import { ruleTest } from '../analysis/packet-match.js';
import { targetAction } from '../analysis/targets.js';
import type { LintContext } from './context.js';
import type { FindingCode } from '../findings.js';

type Fate = 'accept' | 'drop' | 'unknown';

/** The ICMPv6 messages a host cannot do without (RFC 4890 §4.4.1), as they arrive or leave. */
const ESSENTIAL: ReadonlyArray<{ type: number; name: string; chain: 'INPUT' | 'OUTPUT'; severity: 'error' | 'warning'; code: FindingCode; why: string }> = [
  { type: 135, name: 'neighbour solicitations', chain: 'INPUT', severity: 'error', code: 'ipv6-nd-dropped', why: 'other hosts and the router cannot resolve this host\'s address: the host loses IPv6 altogether' },
  { type: 136, name: 'neighbour advertisements', chain: 'INPUT', severity: 'error', code: 'ipv6-nd-dropped', why: 'the host cannot resolve its router or neighbours: it loses IPv6 altogether' },
  { type: 134, name: 'router advertisements', chain: 'INPUT', severity: 'warning', code: 'ipv6-ra-dropped', why: 'an address or default route learned from the router (SLAAC) expires and is not renewed: the host loses IPv6 unless it is configured statically' },
  { type: 135, name: 'outgoing neighbour solicitations', chain: 'OUTPUT', severity: 'error', code: 'ipv6-nd-dropped', why: 'the host cannot resolve its router or neighbours: it loses IPv6 altogether' },
  { type: 136, name: 'outgoing neighbour advertisements', chain: 'OUTPUT', severity: 'error', code: 'ipv6-nd-dropped', why: 'other hosts cannot resolve this host\'s address: it loses IPv6 altogether' },
];

// a walk into user chains deeper than this is not followed (the answer is then unknown)
const MAX_DEPTH = 32;

export function checkIpv6(ctx: LintContext): void {
  if (ctx.ruleset.family !== 'ipv6') return;
  checkIcmpProtocol(ctx);
  checkNeighbourDiscovery(ctx);
}

/** `-p icmp` (protocol 1) in ip6tables: ICMPv6 is protocol 58, so the rule never sees ping, errors or ND. */
function checkIcmpProtocol(ctx: LintContext): void {
  for (const t of ctx.ruleset.tables)
    for (const c of t.chains)
      c.rules.forEach((r, k) => {
        if (r.proto && r.proto.num === 1 && !r.proto.invert)
          ctx.report('warning', 'icmp-in-ipv6', t, c, k,
            'rule matches -p icmp, IPv4\'s ICMP (protocol 1): IPv6 packets never carry it, so in ip6tables this rule matches nothing useful (ping, errors and neighbour discovery are ICMPv6)',
            'write -p ipv6-icmp (with -m icmp6 --icmpv6-type TYPE for one type)');
      });
}

function checkNeighbourDiscovery(ctx: LintContext): void {
  const filter = findTable(ctx.ruleset, 'filter');
  if (!filter) return;
  const reported = new Set<string>();
  for (const e of ESSENTIAL) {
    const chain = findChain(filter, e.chain);
    if (!chain) continue;
    // ND travels with hop limit 255, untracked by conntrack; never on lo
    const pkt: Packet = { proto: 58, icmpType: e.type, icmpCode: 0, hopLimit: 255, state: 'UNTRACKED', mark: 0, ctmark: 0, fragment: false, notInIfaces: ['lo'] };
    const where: { chain: Chain; index: number | null } = { chain, index: null };
    const fate = walk(filter, chain, pkt, 0, where);
    if (fate !== 'drop') continue;
    const key = `${e.code}/${e.chain}`;
    const by = where.index === null ? `the ${where.chain.name} policy (DROP)` : `${where.chain.name} #${where.index + 1} (${ctx.body(where.chain, where.index)})`;
    ctx.report(e.severity, e.code, filter, where.chain, where.index,
      `ICMPv6 ${e.name} (type ${e.type}) are dropped by ${by}: ${e.why}`,
      e.chain === 'INPUT'
        ? `accept them before that point: -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${e.type} -m hl --hl-eq 255 -j ACCEPT`
        : `accept them before that point: -A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${e.type} -j ACCEPT`);
    reported.add(key);
  }
}

/** What happens to the packet from this chain on: accepted, dropped (where), or cannot tell. */
function walk(t: Table, c: Chain, pkt: Packet, depth: number, where: { chain: Chain; index: number | null }): Fate | 'return' {
  if (depth > MAX_DEPTH) return 'unknown';
  let unsure = false;
  for (let k = 0; k < c.rules.length; k++) {
    const r = c.rules[k];
    const m = matches(r, pkt);
    if (m === false) continue;
    const a = targetAction(r);
    let fate: Fate | 'return' | null = null;
    switch (a.kind) {
      case 'accept': fate = 'accept'; break;
      case 'drop': case 'reject': fate = 'drop'; break;
      case 'return': fate = 'return'; break;
      case 'jump': case 'goto': {
        const sub = findChain(t, a.chain);
        if (!sub) { fate = 'unknown'; break; }
        const inner = walk(t, sub, pkt, depth + 1, where);
        fate = inner === 'return' ? (a.kind === 'goto' ? 'return' : null) : inner;
        break;
      }
      case 'continue': case 'mark': case 'none': fate = null; break;
      default: fate = 'unknown';
    }
    if (fate === null) continue;
    if (m === undefined) {
      // the rule may or may not take it: a drop it may not reach says nothing, an accept it may reach leaves it open
      if (fate === 'accept' || fate === 'unknown' || fate === 'return') unsure = true;
      continue;
    }
    if (fate === 'drop' && !unsure) {
      if (a.kind === 'drop' || a.kind === 'reject') { where.chain = c; where.index = k; }
      return 'drop';
    }
    if (fate === 'drop' || fate === 'unknown') return 'unknown';
    return unsure && fate === 'accept' ? 'accept' : fate;
  }
  if (!c.builtin) return unsure ? 'unknown' : 'return';
  if (c.policy === 'DROP' && !unsure) {
    where.chain = c;
    where.index = null;
    return 'drop';
  }
  return c.policy === 'DROP' ? 'unknown' : 'accept';
}

/** true: the rule matches the packet; false: it cannot; undefined: it depends on what the packet does not say. */
function matches(r: Rule, pkt: Packet): boolean | undefined {
  return ruleTest(r, pkt, NO_HOST);
}

const NO_HOST = { isLocal: () => undefined };
