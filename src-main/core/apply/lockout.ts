// Will a NEW SSH connection from where the server sees us still get in?
// A TCP SYN from the client address to the SSH port walks the INPUT path of the
// ruleset that would run; it must be ACCEPTed in every outcome the tracer
// finds, and still be addressed to this host's SSH port when it arrives (a DNAT
// or REDIRECT of port 22 sends it elsewhere, even when every chain accepts).
//
// This is the ONE lockout predictor: the lint's `ssh-lockout` finding (what the
// app shows while staging, `lint --client`) and the apply's refusal both come
// from predictLockout, so the warning and the refusal cannot disagree. What
// differs is only what the caller knows (the apply also knows the interface
// the client's packets arrive on and all of the host's addresses).
//
// Both families: the ruleset says its family (iptables or ip6tables); a session
// over the other family is not filtered by it (`open`, with a note). An apply
// predicts both families of its change (predictFamilyLockout): the session's
// for the session's client, the other one for the client address the profile
// would have over it (found main-side, apply/other-family.ts), or says it was
// not checked and why. The walk is
// the tracer's, bounded (state merging, a step budget): when it gives up the
// answer is `unknown` with the reason, never a guess either way.
import type { Family, Ruleset } from '../model.js';
import type { Finding } from '../findings.js';
import { readAddr } from '../analysis/host-net.js';
import { describeGiveUp, packetFromSpec, tracePacket, TraceInputError, type TraceGiveUp, type TraceOutcome, type TraceResult, type TraceStep } from '../trace.js';

interface LockoutQuery {
  /** the client address as the server reports it for this session (SSH_CONNECTION); IPv4 or IPv6 */
  client: string | undefined;
  /** the server address of this session (SSH_CONNECTION) */
  server?: string;
  sshPort: number;
  /** the interface the client's packets come in on (`ip route get CLIENT` on the host) */
  inIface?: string;
  /** every address of the host (those of the other family are ignored) */
  local?: readonly string[];
}

/** Where a finding points: a rule (index 1-based) or a chain's policy (no index). */
interface Place {
  table: Finding['table'];
  chain: string;
  index?: number;
  line: number;
}

type LockoutVerdict =
  | { kind: 'open'; note?: string }
  | { kind: 'locked'; all: boolean; reasons: string[]; finding: Finding }
  | { kind: 'unknown'; reason: string; finding?: Finding };

const FAMILY_WORD: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/**
 * The family of an address as SSH_CONNECTION reports it; an IPv4-mapped IPv6
 * address (`::ffff:198.18.0.5`, a dual-stack socket) is IPv4 on the wire.
 */
export function addressFamily(a: string): { family: Family; address: string } | null {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped && readAddr(mapped[1], 'ipv4') !== null) return { family: 'ipv4', address: mapped[1] };
  if (readAddr(a, 'ipv4') !== null) return { family: 'ipv4', address: a };
  if (readAddr(a, 'ipv6') !== null) return { family: 'ipv6', address: a };
  return null;
}

/**
 * Predicts whether a new SSH connection from `q.client` gets in under `rs`
 * (an iptables or ip6tables ruleset): open, locked (with the finding to show
 * and refuse on) or unknown (with the reason).
 */
export function predictLockout(rs: Ruleset, q: LockoutQuery): LockoutVerdict {
  if (!q.client) return { kind: 'unknown', reason: 'the server did not report the client address (no SSH_CONNECTION)' };
  const family = rs.family ?? 'ipv4';
  const client = addressFamily(q.client);
  if (!client) return { kind: 'unknown', reason: `the client address "${q.client}" is neither an IPv4 nor an IPv6 address` };
  if (client.family !== family) {
    return { kind: 'open', note: `the session comes from ${q.client}, not ${FAMILY_WORD[family]}: the ${FAMILY_WORD[family]} ruleset does not filter it` };
  }
  const res = traceSsh(rs, family, client.address, q);
  if (typeof res === 'string') return { kind: 'unknown', reason: res };
  const who = { client: q.client, port: q.sshPort };
  if (res.unknown) return unknownVerdict(res, res.unknown, who);
  return lockedOrOpen(outcomesOf(res), who);
}

/**
 * How this profile reaches the host over the family its SSH session does NOT
 * use, as found on the admin's side (apply/other-family.ts: the profile's host
 * name resolved, the host's own addresses, the laptop's source address and a
 * TCP connection to sshd; never a second login):
 * - reachable: a connection of this profile may come in over that family from
 *   `client` (the address the host sees, `server` the host's address it goes
 *   to, `inIface` where it arrives); `via` says how that was found, for the plan;
 * - unreachable: no connection of this profile uses that family (why);
 * - unknown: it may, but from where cannot be told (a jump host, NAT): why.
 */
export type OtherFamilyRoute =
  | { kind: 'reachable'; family: Family; client: string; server?: string; inIface?: string; via: string }
  | { kind: 'unreachable' | 'unknown'; family: Family; why: string };

/** A session over one family, and how the profile reaches the host over the other one. */
interface SessionLockoutQuery extends LockoutQuery {
  other?: OtherFamilyRoute;
}

/**
 * A family's verdict in an apply: a LockoutVerdict, or `unchecked` for the
 * family the session does not use when the profile does not reach the host
 * over it (or from where cannot be told) — said in the plan, never "open".
 * `over` is set on the other family's verdicts: the route that was assumed.
 */
export type FamilyLockoutVerdict = (LockoutVerdict & { over?: string }) | { kind: 'unchecked'; reason: string };

/**
 * The lockout verdict of one family's ruleset in an apply over a session of
 * either family: the session's family is predicted for the session's client;
 * the other family for the client `q.other` found (reachable), else unchecked
 * with the reason. Pure: what the profile reaches is found main-side.
 */
export function predictFamilyLockout(rs: Ruleset, q: SessionLockoutQuery): FamilyLockoutVerdict {
  const family = rs.family ?? 'ipv4';
  const session = q.client ? addressFamily(q.client)?.family : undefined;
  if (session === family || session === undefined) return predictLockout(rs, q);
  const word = FAMILY_WORD[family];
  const o = q.other?.family === family ? q.other : undefined;
  if (!o) return { kind: 'unchecked', reason: `${word} not checked: the SSH session runs over ${FAMILY_WORD[session]}, and whether this profile reaches the host over ${word} was not looked into` };
  if (o.kind !== 'reachable') return { kind: 'unchecked', reason: `${word} not checked: ${o.why}` };
  const over = `over ${word}, assuming ${o.via}`;
  const v = predictLockout(rs, { ...q, client: o.client, server: o.server, inIface: o.inIface });
  return { ...v, over };
}

/**
 * The lockout verdict for each family's ruleset of one apply (iptables and
 * ip6tables under one timer), predictFamilyLockout per family. `verdict` is
 * the one to refuse on: locked if any is, else unknown if any is, else open
 * or unchecked (the notes and reasons joined).
 */
export function predictLockoutFamilies(
  rulesets: Partial<Record<Family, Ruleset>>,
  q: SessionLockoutQuery,
): { byFamily: Partial<Record<Family, FamilyLockoutVerdict>>; verdict: FamilyLockoutVerdict } {
  const byFamily: Partial<Record<Family, FamilyLockoutVerdict>> = {};
  for (const f of ['ipv4', 'ipv6'] as const) {
    const rs = rulesets[f];
    if (rs) byFamily[f] = predictFamilyLockout(rs, q);
  }
  const all = Object.values(byFamily);
  const unchecked = all.flatMap((v) => (v.kind === 'unchecked' ? [v.reason] : []));
  const notes = all.flatMap((v) => (v.kind === 'open' && v.note ? [v.note] : []));
  const verdict = all.find((v) => v.kind === 'locked') ?? all.find((v) => v.kind === 'unknown')
    ?? (unchecked.length ? { kind: 'unchecked' as const, reason: [...unchecked, ...notes].join('; ') } : { kind: 'open' as const, ...(notes.length ? { note: notes.join('; ') } : {}) });
  return { byFamily, verdict };
}

/** The walk of a TCP SYN from the client to the SSH port; a string when the query cannot be traced. */
function traceSsh(rs: Ruleset, family: Family, client: string, q: LockoutQuery): TraceResult | string {
  const server = q.server !== undefined ? addressFamily(q.server) : null;
  const serverAddr = server?.family === family ? server.address : undefined;
  const others = (q.local ?? []).map(addressFamily).filter((a) => a?.family === family).map((a) => a!.address);
  const local = [...new Set([...(serverAddr ? [serverAddr] : []), ...others])];
  let pkt;
  try {
    pkt = packetFromSpec({ src: client, dst: serverAddr, proto: 'tcp', dport: q.sshPort, state: 'NEW', tcpFlags: 'SYN', inIface: q.inIface }, family);
  } catch (e) {
    if (e instanceof TraceInputError) return e.message;
    throw e;
  }
  // a remote client does not arrive on the loopback interface
  const loopback = family === 'ipv6' ? pkt.src === 1n : typeof pkt.src === 'number' && pkt.src >>> 24 === 127;
  if (!q.inIface && pkt.src !== undefined && !loopback) pkt.notInIfaces = ['lo'];
  return tracePacket(rs, pkt, { hook: 'INPUT', ...(local.length ? { local } : {}) });
}

type Outcome = Pick<TraceOutcome, 'verdict' | 'decidedBy' | 'condition' | 'path' | 'hooks'>;

function outcomesOf(res: TraceResult): Outcome[] {
  return res.outcomes ?? [{ verdict: res.verdict as TraceOutcome['verdict'], decidedBy: res.decidedBy, condition: '', path: res.path, hooks: res.hooks }];
}

/** The policy step that decided, when no rule did. */
const policyStep = (o: Outcome): TraceStep | undefined => [...o.path].reverse().find((s) => s.index === null && s.action.startsWith('policy '));
const redirectStep = (o: Outcome): TraceStep | undefined => o.path.find((s) => /^(DNAT|REDIRECT|NETMAP) to /.test(s.action));

/** Why this outcome keeps the connection out (without its condition), and where; null when it gets in. */
function refusal(o: Outcome, port: number): { why: string; at: Place | null } | null {
  if (o.verdict !== 'ACCEPT') {
    const d = o.decidedBy;
    if (d) return { why: `${o.verdict} by ${d.table} ${d.chain} #${d.index}${d.line ? ` (line ${d.line})` : ''}`, at: { table: d.table, chain: d.chain, index: d.index, line: d.line ?? 0 } };
    const p = policyStep(o);
    return { why: `${o.verdict} by the policy${p ? ` of ${p.table} ${p.chain}` : ''}`, at: p ? { table: p.table, chain: p.chain, line: p.line ?? 0 } : null };
  }
  const moved = redirectStep(o);
  if (moved) {
    return {
      why: `re-addressed by ${moved.table} ${moved.chain} #${moved.index} (${moved.action}) instead of reaching sshd on port ${port}`,
      at: { table: moved.table, chain: moved.chain, index: moved.index ?? undefined, line: moved.line ?? 0 },
    };
  }
  if (!o.hooks.includes('INPUT')) return { why: 'not delivered to this host (it would be forwarded)', at: null };
  return null;
}

/** Ways that refuse for the same reason are one reason; its condition is said when there is one way. */
function groupReasons(bad: Array<{ o: Outcome; why: string }>): string[] {
  const groups = new Map<string, string[]>();
  for (const { o, why } of bad) groups.set(why, [...(groups.get(why) ?? []), o.condition]);
  return [...groups].map(([why, conds]) => (conds.length === 1 && conds[0] ? `${why} if ${conds[0]}` : why));
}

function lockedOrOpen(outcomes: Outcome[], who: { client: string; port: number }): LockoutVerdict {
  const bad = outcomes.flatMap((o) => {
    const r = refusal(o, who.port);
    return r ? [{ o, ...r }] : [];
  });
  if (!bad.length) return { kind: 'open' };
  const all = bad.length === outcomes.length;
  const reasons = groupReasons(bad);
  const message = `a new SSH connection from ${who.client} to port ${who.port} ${all ? 'would not get in' : 'may not get in'}: ${reasons.join('; ')} — applying this ruleset ${all ? 'locks you out' : 'can lock you out'}`;
  const at = bad.find((b) => b.at)?.at ?? null;
  return { kind: 'locked', all, reasons, finding: lockoutFinding(all ? 'error' : 'warning', message, at, acceptFix(who)) };
}

function unknownVerdict(res: TraceResult, u: TraceGiveUp, who: { client: string; port: number }): LockoutVerdict {
  const seen = [...new Set(outcomesOf(res).flatMap((o) => {
    const r = refusal(o, who.port);
    return r ? [r.why] : [];
  }))];
  const reason = `the lockout check ${describeGiveUp(u)}${seen.length ? ` (ways found before that refuse it: ${seen.slice(0, 3).join('; ')})` : ''}`;
  const at: Place | null = u.table && u.chain ? { table: u.table, chain: u.chain, index: u.index ?? undefined, line: u.line ?? 0 } : null;
  const message = `cannot tell whether a new SSH connection from ${who.client} to port ${who.port} gets in: the check ${describeGiveUp(u)}`;
  const fix = `make sure the SSH rule comes before the part of the ruleset the check could not follow, e.g. ${acceptRule(who)} near the top of INPUT`;
  return { kind: 'unknown', reason, finding: lockoutFinding('warning', message, at, fix) };
}

const acceptRule = (who: { client: string; port: number }) =>
  `-A INPUT -s ${who.client}/${who.client.includes(':') ? 128 : 32} -p tcp --dport ${who.port} -j ACCEPT`;
const acceptFix = (who: { client: string; port: number }) => `accept it before that point, e.g. ${acceptRule(who)} near the top of INPUT`;

function lockoutFinding(severity: Finding['severity'], message: string, at: Place | null, fix: string): Finding {
  return {
    code: 'ssh-lockout',
    severity,
    message,
    line: at?.line ?? 0,
    ...(at ? { table: at.table, chain: at.chain, ...(at.index !== undefined ? { index: at.index } : {}) } : {}),
    fix,
  };
}
