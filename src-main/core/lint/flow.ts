// Checks about where packets end up: limit-without-drop, dnat-port-mismatch,
// no-established-accept, source-port-trust and ssh-lockout (the apply's predictor).
import type { Chain, Rule, Table } from '../model.js';
import { findChain, findTable } from '../model.js';
import { reachingHooks } from '../validate.js';
import { boxDiff, boxesMeet, DIM, isFull, type Box, type IntervalSet } from '../analysis/space.js';
import { CONN_STATES } from '../analysis/packet.js';
import { targetAction } from '../analysis/targets.js';
import { predictLockout } from '../apply/lockout.js';
import type { Finding } from '../findings.js';
import { isDropLike, verdictOf, type LintContext } from './context.js';
import { MeetIndex } from './meet-index.js';

const isLimited = (c: Chain['rules'][number]) =>
  c.matches.some((m) => m.name === 'limit' || (m.name === 'hashlimit' && !m.options.some((o) => o.name === 'hashlimit-above')) || (m.unknown && m.name === 'hashlimit' && !m.unknown.tokens.includes('--hashlimit-above')));

const dimOf = (b: Box, d: number): IntervalSet | undefined => b.get(d);
const has = (s: IntervalSet | undefined, v: number) => !s || s.some((_, k) => k % 2 === 0 && v >= s[k] && v <= s[k + 1]);

/** Most pieces the unmatched rest of a limited rule may split into before we stop (and claim nothing). */
const MAX_PIECES = 64;
/** Most later DROP rules subtracted from one limited rule before we stop (and claim nothing). */
const MAX_DROPS = 1024;

export function checkLimit(ctx: LintContext, t: Table, c: Chain): void {
  if (t.name !== 'filter') return;
  let index: MeetIndex | null = null;
  // whether a matches array limits: asked once per array (a template's rules share one), none for a rule without matches
  let lastMatches: Rule['matches'] | null = null;
  let limited = false;
  const rules = c.rules;
  for (let pos = 0; pos < rules.length; pos++) {
    const ms = rules[pos].matches;
    if (ms.length === 0) continue;
    if (ms !== lastMatches) {
      lastMatches = ms;
      limited = isLimited(rules[pos]);
    }
    if (!limited || verdictOf(ctx.label(t, c, pos) ?? '') !== 'ACCEPT') continue;
    index ??= meetIndex(ctx, t, c);
    limitFate(ctx, t, c, pos, index);
  }
}

/** Every deciding rule of the chain, filed by the packets it matches. */
function meetIndex(ctx: LintContext, t: Table, c: Chain): MeetIndex {
  const index = new MeetIndex((k) => ctx.space(c, k).boxes);
  for (let k = 0; k < c.rules.length; k++) if (ctx.label(t, c, k)) index.add(k, ctx.space(c, k).boxes);
  return index;
}

/**
 * Follows the packets over the limit of rule `pos` through the later rules
 * that can meet them: reports when an ACCEPT (or the ACCEPT policy) takes them.
 */
function limitFate(ctx: LintContext, t: Table, c: Chain, pos: number, index: MeetIndex): void {
  let rest: Box[] = ctx.space(c, pos).boxes;
  let drops = 0;
  const cands = index.candidates(rest, pos);
  for (let k = cands.next(); k >= 0; k = cands.next()) {
    if (!rest.length) break;
    const sp = ctx.space(c, k);
    if (!rest.some((b) => sp.boxes.some((e) => boxesMeet(b, e)))) continue;
    if (sp.chance || !sp.exact) return; // cannot tell what happens to the excess
    const v = verdictOf(ctx.label(t, c, k)!);
    if (v === 'ACCEPT') {
      ctx.report('warning', 'limit-without-drop', t, c, pos,
        `rule #${pos + 1} accepts at most the limited rate, but packets over the limit are accepted anyway by rule #${k + 1} (${ctx.body(c, k)}): the limit does nothing`,
        `add a rule right after #${pos + 1} that drops the rest: the same match without -m limit, with -j DROP`);
      return;
    }
    if (v !== 'DROP' && v !== 'REJECT') return;
    if (++drops > MAX_DROPS) return;
    const next: Box[] = [];
    for (const b of rest) {
      let pieces = [b];
      for (const e of sp.boxes) pieces = pieces.flatMap((p) => boxDiff(p, e, ctx.env.dims));
      next.push(...pieces);
    }
    if (next.length > MAX_PIECES) return;
    rest = next;
  }
  if (rest.length === 0 || !c.builtin) return;
  if (c.policy === 'ACCEPT') {
    ctx.report('warning', 'limit-without-drop', t, c, pos,
      `rule #${pos + 1} accepts at most the limited rate, but nothing after it drops the packets over the limit: the chain's ACCEPT policy lets them in anyway, so the limit does nothing`,
      `add a rule right after #${pos + 1} with the same match without -m limit and -j DROP`);
  }
}

export function checkDnatPorts(ctx: LintContext): void {
  const nat = findTable(ctx.ruleset, 'nat');
  const filter = findTable(ctx.ruleset, 'filter');
  if (!nat || !filter) return;
  const natHooks = reachingHooks(nat);
  const rewrites: Rewrite[] = [];
  // ports that some DNAT/REDIRECT keeps (a load-balancing cascade sending one backend the same port),
  // with where it sends them (undefined: anywhere we cannot compare): a filter rule on that port for
  // such a destination still serves those connections, so it is not a mismatch
  const kept = new Map<number, Array<IntervalSet | undefined>>();
  for (const c of nat.chains) {
    if (!natHooks.get(c.name)?.has('PREROUTING')) continue;
    c.rules.forEach((r, pos) => {
      const a = targetAction(r);
      if (a.kind !== 'dnat') return;
      const b = ctx.space(c, pos).boxes;
      if (b.length !== 1) return;
      const dp = dimOf(b[0], DIM.dport);
      if (!dp || dp.length !== 2 || dp[0] !== dp[1]) return;
      const to = typeof a.addr === 'number' ? [a.addr, typeof a.addrHi === 'number' ? a.addrHi : a.addr] : undefined;
      if (a.port === null || a.port === dp[0]) {
        const k = kept.get(dp[0]);
        if (k) k.push(to); else kept.set(dp[0], [to]);
        return;
      }
      rewrites.push({ chain: c, pos, proto: dimOf(b[0], DIM.proto), from: dp[0], to: a.port, toAddr: to, name: a.name });
    });
    // the chain's spaces are not looked at again (26,000 kube-proxy KUBE-SEP chains' were kept to the end)
    ctx.release(nat, c);
  }
  if (!rewrites.length) return;
  const byPort = portIndex(rewrites.map((w) => w.from));
  const filterHooks = reachingHooks(filter);
  for (const c of filter.chains) {
    const h = filterHooks.get(c.name);
    if (!h || !(h.has('INPUT') || h.has('FORWARD'))) continue;
    for (let pos = 0; pos < c.rules.length; pos++) {
      // a destination port comes from a match: a rule without one (85,000 fail2ban REJECTs) has none to compare
      if (c.rules[pos].matches.length === 0) continue;
      // the first rewrite (in nat order) whose old port this rule matches and whose new port it does not
      let first = Infinity;
      for (const b of ctx.space(c, pos).boxes) {
        const dp = dimOf(b, DIM.dport);
        if (!dp) continue;
        const pr = dimOf(b, DIM.proto);
        byPort.each(dp, (i) => {
          const w = rewrites[i];
          if (i >= first || has(dp, w.to)) return;
          // a rule for another destination than the one the rewrite sends to is not about those connections
          const dst = dimOf(b, DIM.dst);
          if (w.toAddr && !meets(dst, w.toAddr)) return;
          if (kept.get(w.from)?.some((k) => !k || meets(dst, k))) return;
          if (!pr || !w.proto || pr.some((_, k) => k % 2 === 0 && w.proto!.some((__, j) => j % 2 === 0 && pr[k] <= w.proto![j + 1] && w.proto![j] <= pr[k + 1]))) first = i;
        });
      }
      if (first === Infinity) continue;
      const w = rewrites[first];
      const line = w.chain.rules[w.pos].source?.line;
      ctx.report('warning', 'dnat-port-mismatch', filter, c, pos,
        `rule #${pos + 1} matches destination port ${w.from}, but nat ${w.chain.name} #${w.pos + 1}${line ? ` (line ${line})` : ''} already changed port ${w.from} to ${w.to} (${w.name}) before the filter table sees the packet: for those connections this rule never matches`,
        `match --dport ${w.to} (the port after ${w.name}) in this rule`);
    }
  }
}

interface Rewrite {
  chain: Chain;
  pos: number;
  proto: IntervalSet | undefined;
  from: number;
  to: number;
  /** the IPv4 address range it sends to (IPv6 and REDIRECT: not compared) */
  toAddr?: IntervalSet;
  name: string;
}

/** Whether a dimension (absent: everything) meets an interval set. */
function meets(s: IntervalSet | undefined, t: IntervalSet): boolean {
  if (!s) return true;
  for (let k = 0; k < s.length; k += 2) for (let j = 0; j < t.length; j += 2) if (s[k] <= t[j + 1] && t[j] <= s[k + 1]) return true;
  return false;
}

/** The rewrites by old port: each(set, fn) calls fn with the index of every rewrite whose old port is in the set. */
function portIndex(ports: number[]): { each(s: IntervalSet, fn: (i: number) => void): void } {
  const byPort = new Map<number, number[]>();
  ports.forEach((p, i) => { const l = byPort.get(p); if (l) l.push(i); else byPort.set(p, [i]); });
  const sorted = [...byPort.keys()].sort((a, b) => a - b);
  return {
    each(s, fn) {
      for (let k = 0; k < s.length; k += 2) {
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < s[k]) lo = mid + 1; else hi = mid; }
        for (let j = lo; j < sorted.length && sorted[j] <= s[k + 1]; j++) for (const i of byPort.get(sorted[j])!) fn(i);
      }
    },
  };
}

const ESTABLISHED = CONN_STATES.indexOf('ESTABLISHED');
const NEW = CONN_STATES.indexOf('NEW');

function isCatchAll(ctx: LintContext, c: Chain, pos: number): boolean {
  if (narrowedForSure(c.rules[pos])) return false;
  const sp = ctx.space(c, pos);
  return sp.exact && !sp.chance && sp.boxes.length === 1 && [...sp.boxes[0].entries()].every(([d, s]) => isFull(s, ctx.env.dims.max(d)));
}

/**
 * A generic part whose packet space cannot be full (an IPv4 network other than
 * 0.0.0.0/0, a host name, an interface, a protocol, -f), so the rule is no
 * catch-all without building its space. IPv6 networks are left to the space:
 * numbered by the ruleset's prefixes, one may cover them all.
 */
function narrowedForSure(r: Rule): boolean {
  return addr(r.src) || addr(r.dst) || iface(r.inIface) || iface(r.outIface) || Boolean(r.proto && (r.proto.num !== 0 || r.proto.invert)) || Boolean(r.fragment);
}

// plain functions, not closures made on every call: checkEstablished asks this of every INPUT rule
const addr = (a: Rule['src']) => a != null && (a.kind === 'host-name' || (a.kind === 'net' && (a.mask !== 0 || a.invert)));
const iface = (i: Rule['inIface']) => i != null && i.name !== '' && (i.name !== '+' || i.invert);

export function checkEstablished(ctx: LintContext): void {
  const t = findTable(ctx.ruleset, 'filter');
  const c = t && findChain(t, 'INPUT');
  if (!t || !c) return;
  let stop = c.rules.length;
  for (let k = 0; k < c.rules.length; k++) {
    const label = ctx.label(t, c, k);
    if (isCatchAll(ctx, c, k) && label) {
      if (!isDropLike(label)) return; // everything is accepted before any drop
      stop = k;
      break;
    }
  }
  if (stop === c.rules.length && c.policy !== 'DROP') return;
  for (let k = 0; k < stop; k++) {
    if (verdictOf(ctx.label(t, c, k) ?? '') !== 'ACCEPT') continue;
    // a general one: narrowed by state (and interface) only, not by port, address or protocol
    const general = (b: Box) => [...b.keys()].every((d) => d === DIM.state || d === DIM.inIface || d === DIM.outIface || d > DIM.fragment);
    if (ctx.space(c, k).boxes.some((b) => b.has(DIM.state) && has(b.get(DIM.state), ESTABLISHED) && general(b))) return;
  }
  const where = stop < c.rules.length ? `rule #${stop + 1} (${ctx.body(c, stop)})` : 'the DROP policy';
  ctx.report('warning', 'no-established-accept', t, c, stop < c.rules.length ? stop : null,
    `the INPUT chain drops everything not accepted before ${where}, and no rule before it accepts packets of established connections: replies to connections this host opens (DNS, package updates) are dropped`,
    `insert -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT near the top of INPUT`);
}

export function checkSourcePorts(ctx: LintContext, t: Table, c: Chain): void {
  if (t.name !== 'filter') return;
  for (let pos = 0; pos < c.rules.length; pos++) {
    if (verdictOf(ctx.label(t, c, pos) ?? '') !== 'ACCEPT') continue;
    const sp = ctx.space(c, pos);
    const trusting = sp.boxes.some((b) => {
      const s = b.get(DIM.sport);
      return s && !isFull(s, 65535) && !b.has(DIM.dport) && !b.has(DIM.src) && has(b.get(DIM.state), NEW);
    });
    if (!trusting) continue;
    ctx.report('warning', 'source-port-trust', t, c, pos,
      `rule #${pos + 1} accepts packets by their source port alone, which the sender chooses freely: anyone can reach any port here by sending from that port`,
      `accept replies by connection state instead (-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT), or add --ctstate ESTABLISHED to this rule`);
  }
}

/**
 * ssh-lockout: the apply's own predictor (apply/lockout.ts), so that the
 * finding shown while staging and the apply's refusal always agree.
 */
export function checkSshLockout(ctx: LintContext): void {
  const { client, local, server, inIface } = ctx.opts;
  if (!client) return;
  const v = predictLockout(ctx.ruleset, { client, server: server ?? local?.[0], sshPort: ctx.opts.sshPort ?? 22, inIface, local });
  // open, also for a client of the other family (this ruleset does not filter its connections): no finding,
  // so that an ssh-lockout finding always means what the apply refuses on
  if (v.kind === 'open') return;
  if (v.kind === 'unknown' && !v.finding) {
    // the query itself cannot be traced (an address that is none)
    ctx.findings.push({ code: 'invalid-argument', severity: 'error', line: 0, message: `cannot check for an SSH lockout: ${v.reason}` });
    return;
  }
  reportAt(ctx, v.finding!);
}

/** A finding of the predictor, placed on the ruleset's table, chain and rule as every lint finding is. */
function reportAt(ctx: LintContext, f: Finding): void {
  const t = (f.table && findTable(ctx.ruleset, f.table)) || findTable(ctx.ruleset, 'filter') || ctx.ruleset.tables[0];
  if (!t) {
    ctx.findings.push(f);
    return;
  }
  const c = f.chain ? findChain(t, f.chain) ?? null : findChain(t, 'INPUT') ?? null;
  ctx.report(f.severity, f.code, t, c, c && f.index !== undefined ? f.index - 1 : null, f.message, f.fix);
}
