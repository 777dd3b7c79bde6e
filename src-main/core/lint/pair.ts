// Findings across a host's two firewalls, the IPv4 ruleset (iptables) and the
// IPv6 one (ip6tables): what is closed on one family but open on the other.
// An admin who locks down IPv4 and forgets IPv6 leaves the host wide open.
import type { Chain, Family, Rule, Ruleset, Table } from '../model.js';
import { findChain, findTable } from '../model.js';
import type { Finding, FindingCode } from '../findings.js';
import { canonicalRuleBody } from '../canonical.js';
import { targetAction } from '../analysis/targets.js';
import { isMatchOf, opt } from '../extensions/util.js';
import { printedPorts, tcp } from '../extensions/match-tcp.js';
import { udp } from '../extensions/match-udp.js';
import { multiport } from '../extensions/match-multiport.js';
import { state } from '../extensions/match-state.js';
import { conntrack, type CtState } from '../extensions/match-conntrack.js';
import { recent } from '../extensions/match-recent.js';

interface PairOptions {
  /** the SSH port (default 22) */
  sshPort?: number;
}

/** A pair finding says which of the two files it is about. */
export type PairFinding = Finding & { family: Family };

const NAME: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const other = (f: Family): Family => (f === 'ipv4' ? 'ipv6' : 'ipv4');
// a walk into user chains deeper than this is not followed
const MAX_DEPTH = 16;
// port ranges wider than this are compared as ranges, not port by port
const MAX_EXPAND = 1024;

export function lintPair(v4: Ruleset, v6: Ruleset, opts: PairOptions = {}): PairFinding[] {
  const out: PairFinding[] = [];
  const sets = { ipv4: v4, ipv6: v6 } as const;
  checkDefaults(sets, out);
  checkPorts(sets, out);
  checkSshLimit(sets, opts.sshPort ?? 22, out);
  return out.sort((a, b) => (a.family === b.family ? a.line - b.line : a.family === 'ipv4' ? -1 : 1));
}

function finding(family: Family, severity: Finding['severity'], code: FindingCode, where: { chain?: Chain; index?: number | null; line?: number }, message: string, fix?: string): PairFinding {
  const rule = where.chain && where.index != null ? where.chain.rules[where.index] : undefined;
  return {
    family, code, severity, message,
    line: where.line ?? rule?.source?.line ?? where.chain?.source?.line ?? 0,
    table: 'filter',
    ...(where.chain ? { chain: where.chain.name } : {}),
    ...(where.index != null ? { index: where.index + 1 } : {}),
    ...(fix ? { fix } : {}),
  };
}

// ---- default: what a chain does with a packet no rule decides --------------------

/** A rule with no condition at all. */
function unconditional(r: Rule): boolean {
  return !r.src && !r.dst && !r.inIface && !r.outIface && (!r.proto || (r.proto.num === 0 && !r.proto.invert)) && !r.fragment && r.matches.every((m) => m.name === 'comment');
}

interface Default {
  open: boolean;
  /** how, in words */
  how: string;
  chain?: Chain;
  index: number | null;
}

/** The chain's verdict for what no rule before takes: its policy, or an unconditional last verdict rule. */
function effectiveDefault(rs: Ruleset, chainName: string): Default {
  const t = findTable(rs, 'filter');
  const c = t && findChain(t, chainName);
  if (!t || !c) return { open: true, how: 'there is no filter table: everything is accepted', index: null };
  for (let k = 0; k < c.rules.length; k++) {
    const r = c.rules[k];
    if (!unconditional(r)) continue;
    const a = targetAction(r);
    if (a.kind === 'accept') return { open: true, how: `rule #${k + 1} (${canonicalRuleBody(r).trim()}) accepts everything`, chain: c, index: k };
    if (a.kind === 'drop' || a.kind === 'reject') return { open: false, how: `rule #${k + 1} (${canonicalRuleBody(r).trim()}) refuses everything else`, chain: c, index: k };
  }
  return c.policy === 'DROP'
    ? { open: false, how: 'its policy is DROP', chain: c, index: null }
    : { open: true, how: 'its policy is ACCEPT and no rule refuses the rest', chain: c, index: null };
}

function checkDefaults(sets: Record<Family, Ruleset>, out: PairFinding[]): void {
  for (const chain of ['INPUT', 'FORWARD']) {
    const d = { ipv4: effectiveDefault(sets.ipv4, chain), ipv6: effectiveDefault(sets.ipv6, chain) };
    for (const f of ['ipv4', 'ipv6'] as const) {
      if (!d[f].open || d[other(f)].open) continue;
      out.push(finding(f, 'warning', 'pair-policy-mismatch', { chain: d[f].chain, index: d[f].index },
        `${NAME[f]} ${chain} lets in what no rule refuses (${d[f].how}), but ${NAME[other(f)]} ${chain} refuses it (${d[other(f)].how}): what is closed over ${NAME[other(f)]} is open over ${NAME[f]}`,
        `refuse the rest over ${NAME[f]} too: ${d[other(f)].index === null ? `:${chain} DROP [0:0]` : `end ${chain} with the same refusal`} (and accept what the host needs first${f === 'ipv6' ? ', including ICMPv6 neighbour discovery' : ''})`));
    }
  }
}

// ---- ports: open to everyone on one family, restricted on the other ------------

interface Opening {
  proto: 'tcp' | 'udp';
  ports: Array<[number, number]>;
  /** null: from anyone; else how it is restricted, in words */
  restriction: string | null;
  chain: Chain;
  index: number;
}

/** The rules reachable from INPUT that accept new tcp/udp connections to given ports. */
function openings(rs: Ruleset): Opening[] {
  const t = findTable(rs, 'filter');
  const input = t && findChain(t, 'INPUT');
  if (!t || !input) return [];
  const out: Opening[] = [];
  const seen = new Set<Chain>();
  const visit = (c: Chain, depth: number, inherited: string | null) => {
    if (depth > MAX_DEPTH || seen.has(c)) return;
    seen.add(c);
    c.rules.forEach((r, k) => {
      if (r.inIface && r.inIface.name === 'lo' && !r.inIface.invert) return;
      const a = targetAction(r);
      const restriction = restrictionOf(r) ?? inherited;
      if ((a.kind === 'jump' || a.kind === 'goto') && t) {
        const sub = findChain(t, a.chain);
        if (sub) visit(sub, depth + 1, restriction);
        return;
      }
      if (a.kind !== 'accept') return;
      const o = portsOf(r);
      if (o) out.push({ ...o, restriction, chain: c, index: k });
    });
    seen.delete(c);
  };
  visit(input, 0, null);
  return out;
}

/** The rule takes only packets of existing connections (ESTABLISHED/RELATED): it opens nothing. */
function onlyOldStates(r: Rule): boolean {
  for (const m of r.matches) {
    let st: { invert: boolean; states: readonly CtState[] } | undefined;
    if (isMatchOf(m, state)) {
      const o = opt(m.state, 'state');
      st = o && { invert: o.invert, states: o.value as CtState[] };
    } else if (isMatchOf(m, conntrack)) st = m.state.ctstate;
    // conntrack's SNAT and DNAT are not states of a connection's age
    if (!st || st.invert || st.states.some((s) => s === 'SNAT' || s === 'DNAT')) continue;
    if (!st.states.includes('NEW') && !st.states.includes('UNTRACKED') && !st.states.includes('INVALID')) return true;
  }
  return false;
}

/** How a rule narrows who may connect (source address, interface, address sets), or null. */
function restrictionOf(r: Rule): string | null {
  const parts: string[] = [];
  if (r.src && !((r.src.kind === 'net' && r.src.mask === 0 && !r.src.invert) || (r.src.kind === 'net6' && r.src.mask === 0n && !r.src.invert))) {
    parts.push(`from ${canonicalRuleBody({ ...r, dst: null, inIface: null, outIface: null, proto: null, fragment: null, matches: [], target: null }).trim().replace(/^(!\s*)?-s /, (x, n) => (n ? 'not ' : ''))}`);
  }
  if (r.inIface && !r.inIface.invert && !r.inIface.name.endsWith('+')) parts.push(`on ${r.inIface.name}`);
  for (const m of r.matches) {
    if (m.name === 'iprange' || m.name === 'set' || m.name === 'geoip') parts.push(`by -m ${m.name}`);
  }
  return parts.length ? parts.join(' ') : null;
}

function portsOf(r: Rule): Pick<Opening, 'proto' | 'ports'> | null {
  if (!r.proto || r.proto.invert || (r.proto.num !== 6 && r.proto.num !== 17)) return null;
  const proto = r.proto.num === 6 ? 'tcp' : 'udp';
  if (onlyOldStates(r)) return null;
  for (const m of r.matches) {
    if (isMatchOf(m, tcp) || isMatchOf(m, udp)) {
      const pr = printedPorts(m.state, 'dport');
      if (pr && !pr.invert) return { proto, ports: [[pr.lo, pr.hi]] };
    }
    if (isMatchOf(m, multiport)) {
      const mp = m.state;
      if ((mp.kind === 'dports' || mp.kind === 'ports') && !mp.invert) return { proto, ports: mp.ports.map((p): [number, number] => [p.lo, p.hi]) };
    }
  }
  return null;
}

function portKeys(o: Opening): string[] {
  const keys: string[] = [];
  for (const [lo, hi] of o.ports) {
    if (hi - lo > MAX_EXPAND) keys.push(`${o.proto}/${lo}:${hi}`);
    else for (let p = lo; p <= hi; p++) keys.push(`${o.proto}/${p}`);
  }
  return keys;
}

function checkPorts(sets: Record<Family, Ruleset>, out: PairFinding[]): void {
  const open = { ipv4: openings(sets.ipv4), ipv6: openings(sets.ipv6) };
  for (const f of ['ipv4', 'ipv6'] as const) {
    const o = other(f);
    const everyone = new Set(open[o].filter((x) => x.restriction === null).flatMap(portKeys));
    const restricted = new Map<string, string>();
    for (const x of open[o]) if (x.restriction !== null) for (const k of portKeys(x)) if (!restricted.has(k)) restricted.set(k, x.restriction);
    const reported = new Set<string>();
    for (const x of open[f]) {
      if (x.restriction !== null) continue;
      for (const k of portKeys(x)) {
        if (everyone.has(k) || !restricted.has(k) || reported.has(k)) continue;
        reported.add(k);
        const [proto, port] = k.split('/');
        out.push(finding(f, 'warning', 'pair-port-open', { chain: x.chain, index: x.index },
          `port ${port}/${proto} is open to everyone over ${NAME[f]}, but ${NAME[o]} allows it only ${restricted.get(k)}: the restriction is missing over ${NAME[f]}`,
          `restrict it the same way over ${NAME[f]} (the matching ${f === 'ipv6' ? 'IPv6' : 'IPv4'} networks with -s), or open it to everyone over ${NAME[o]} if that is meant`));
      }
    }
  }
}

// ---- SSH rate limit on one family only ------------------------------------------

const LIMITING = new Set(['recent', 'hashlimit', 'connlimit', 'limit']);

/** The first rule reachable from INPUT that rate-limits new connections to the SSH port. */
function sshLimit(rs: Ruleset, port: number): { chain: Chain; index: number } | null {
  const t = findTable(rs, 'filter');
  const input = t && findChain(t, 'INPUT');
  if (!t || !input) return null;
  const seen = new Set<Chain>();
  const visit = (c: Chain, depth: number, toSsh: boolean): { chain: Chain; index: number } | null => {
    if (depth > MAX_DEPTH || seen.has(c)) return null;
    seen.add(c);
    try {
      for (let k = 0; k < c.rules.length; k++) {
        const r = c.rules[k];
        const ports = portsOf(r);
        const ssh = toSsh || (ports !== null && ports.proto === 'tcp' && ports.ports.some(([lo, hi]) => port >= lo && port <= hi));
        if (ssh && r.matches.some((m) => LIMITING.has(m.name) && !(isMatchOf(m, recent) && m.state.command === 'set'))) return { chain: c, index: k };
        const a = targetAction(r);
        if (a.kind === 'jump' || a.kind === 'goto') {
          const sub = findChain(t, a.chain);
          const hit = sub && visit(sub, depth + 1, ssh);
          if (hit) return hit;
        }
      }
      return null;
    } finally {
      seen.delete(c);
    }
  };
  return visit(input, 0, false);
}

function checkSshLimit(sets: Record<Family, Ruleset>, port: number, out: PairFinding[]): void {
  const lim = { ipv4: sshLimit(sets.ipv4, port), ipv6: sshLimit(sets.ipv6, port) };
  for (const f of ['ipv4', 'ipv6'] as const) {
    const o = other(f);
    const l = lim[o];
    if (lim[f] || !l) continue;
    // only where SSH is reachable at all over this family
    const sshOpen = openings(sets[f]).find((x) => x.proto === 'tcp' && x.ports.some(([lo, hi]) => port >= lo && port <= hi));
    const openDefault = effectiveDefault(sets[f], 'INPUT').open;
    if (!sshOpen && !openDefault) continue;
    const input = findTable(sets[f], 'filter') && findChain(findTable(sets[f], 'filter')!, 'INPUT');
    out.push(finding(f, 'warning', 'pair-ssh-rate-limit', sshOpen ? { chain: sshOpen.chain, index: sshOpen.index } : { chain: input || undefined },
      `SSH (port ${port}) is rate-limited over ${NAME[o]} (${l.chain.name} #${l.index + 1}: ${canonicalRuleBody(l.chain.rules[l.index]).trim()}) but not over ${NAME[f]}: password guessing over ${NAME[f]} is not slowed down`,
      `add the same limit over ${NAME[f]}${f === 'ipv6' ? ' (with -m recent, a --mask of ffff:ffff:ffff:ffff:: counts a whole /64 as one client)' : ''}`));
  }
}
