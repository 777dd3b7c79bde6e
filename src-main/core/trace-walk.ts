// The tracer's walk: every way a described packet can go through the hooks of
// its path, table by table, following jumps, gotos and RETURN.
//
// Bounded, whatever the ruleset's shape:
// - No recursion: chains are walked with explicit stacks, so a jump chain as
//   deep as the kernel allows (10,000 levels and more) is fine.
// - Identical states are merged. A jump into a user chain is a call whose
//   result (the ways it can end: return with some packet state, or a verdict)
//   is computed once per entry state and reused, and branches that reach the
//   same rule in the same state become one (their conditions joined with "or").
//   A chain that jumps twice to the next one under `-m statistic`, twenty deep,
//   is walked in linear time, not 2^20.
// - A budget of steps (rules looked at, branches made): when it runs out the
//   walk stops and says so, with the reason and the rule it was at. It never
//   answers from a partial walk.
import type { Chain, Hook, Rule, Ruleset, Table, TableName } from './model.js';
import { findTable } from './model.js';
import { canonicalRule } from './canonical.js';
import { PROTO_ICMP, PROTO_TCP, ruleConds, type Cond, type EvalContext, type Packet } from './analysis/packet-match.js';
import { targetAction } from './analysis/targets.js';
import { isLoopback, isMulticast, readAddr, routeKind6, routeOut, type Addr, type HostNet } from './analysis/host-net.js';
import { natDestination, natKey, natSource, rawView, type ConnNat } from './trace-nat.js';

export type TraceVerdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'QUEUE';
export type TraceHook = 'INPUT' | 'FORWARD' | 'OUTPUT' | 'PREROUTING' | 'POSTROUTING';

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
  /** 1-based rule index; null when the chain's policy acts (or conntrack, for a packet of an existing connection) */
  index: number | null;
  line: number | null;
  /** the rule as iptables-save prints it; null for a policy */
  rule: string | null;
  /** what happened: ACCEPT, DROP, jump X, goto X, RETURN, LOG (continue), policy ACCEPT, DNAT to … */
  action: string;
}

/** Where and why the walk gave up. */
export interface TraceGiveUp {
  reason: string;
  table: TableName | null;
  chain: string | null;
  index: number | null;
  line: number | null;
}

// ---- persistent sequences: O(1) append and concatenation, flattened once at the end

type Seq<T> = null | { one: T; prev: Seq<T> } | { a: Seq<T>; b: Seq<T> };
const append = <T>(s: Seq<T>, x: T): Seq<T> => ({ one: x, prev: s });
const concat = <T>(a: Seq<T>, b: Seq<T>): Seq<T> => (a === null ? b : b === null ? a : { a, b });

export function flatten<T>(s: Seq<T>): T[] {
  const out: T[] = [];
  const todo: Array<Seq<T>> = [s];
  // right to left, then reversed
  while (todo.length) {
    const n = todo.pop()!;
    if (n === null) continue;
    if ('one' in n) {
      out.push(n.one);
      todo.push(n.prev);
    } else {
      todo.push(n.a, n.b);
    }
  }
  return out.reverse();
}

/** A condition an outcome rests on, with its opposite (to see that "p or not p" is no condition at all). */
interface CondItem {
  text: string;
  opposite: string;
  /** about chance or history (limit, statistic …), not about the packet */
  chance?: boolean;
}

const MAX_COND_TEXT = 300;
/** Where ways that differ only by chance come together: one condition, the same object every time. */
const BY_CHANCE: CondItem = { text: 'by chance at the rate and statistic matches on the way', opposite: 'by other chance', chance: true };

/** Conditions x or y: what they share, and the rest as one "(…) or (…)" condition. */
function joinConds(x: Seq<CondItem>, y: Seq<CondItem>): Seq<CondItem> {
  if (x === y) return x;
  const a = flatten(x);
  const b = flatten(y);
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  const ra = a.slice(k);
  const rb = b.slice(k);
  let out: Seq<CondItem> = null;
  for (let j = 0; j < k; j++) out = append(out, a[j]);
  if (!ra.length || !rb.length) return out;
  if (ra.length === 1 && rb.length === 1 && ra[0].text === rb[0].opposite) return out;
  if (ra.every((c) => c.chance) && rb.every((c) => c.chance)) return append(out, BY_CHANCE);
  const words = (r: CondItem[]) => (r.length === 1 ? r[0].text : `(${r.map((c) => c.text).join(' and ')})`);
  const text = `${words(ra)} or ${words(rb)}`;
  if (text.length > MAX_COND_TEXT) {
    const many = `one of ${ra.length + rb.length} conditions in several combinations`;
    return append(out, { text: many, opposite: `not ${many}` });
  }
  return append(out, { text: `(${text})`, opposite: `not (${text})` });
}

/**
 * State merging: an item whose key (place and packet state) was met before joins
 * that twin (its conditions or-ed in) and returns false; a new one is recorded
 * under its key and returns true, for the caller to queue.
 */
function mergeOrKeep<T extends { st: { cond: Seq<CondItem> } }>(seen: Map<string, T>, key: string, item: T): boolean {
  const twin = seen.get(key);
  if (twin) {
    twin.st.cond = joinConds(twin.st.cond, item.st.cond);
    return false;
  }
  seen.set(key, item);
  return true;
}

// ---- states --------------------------------------------------------------------------

/** What the future of a walk depends on, plus what it has recorded so far (conditions, path). */
interface St {
  pkt: Packet;
  /** answers given to open conditions (not to chance: each evaluation of limit or statistic is its own) */
  assumed: ReadonlyMap<string, boolean>;
  cond: Seq<CondItem>;
  path: Seq<TraceStep>;
  /** the DNAT went to this host (REDIRECT) */
  redirected: boolean;
  /** what nat did to this packet (for the replay of a connection's later packets) */
  nat: ConnNat;
}

function stateKey(st: St): string {
  const p = st.pkt;
  const assumed = st.assumed.size ? [...st.assumed].map(([k, v]) => `${v ? '+' : '-'}${k}`).sort().join('\u0001') : '';
  return [
    p.src, p.dst, p.proto, p.sport, p.dport, p.icmpType, p.icmpCode, p.inIface, p.outIface, p.notInIfaces?.join(','), p.state,
    p.tcpFlags, p.mark, p.ctmark, p.length, p.fragment, p.dnat, p.snat, p.dstLocal, st.redirected,
    natKey(st.nat), assumed,
  ].join('|');
}

const copyState = (st: St): St => ({ ...st, pkt: { ...st.pkt } });

/** The budget ran out, or the walk met something it cannot follow. */
class GiveUp extends Error {
  constructor(readonly info: TraceGiveUp) {
    super(info.reason);
  }
}

export interface WalkLimits {
  /** steps (rules looked at, branches made) before giving up */
  steps: number;
  /** distinct outcomes before giving up */
  outcomes: number;
}

interface Budget {
  left: number;
  limits: WalkLimits;
}

// ---- one chain walk: calls into user chains with summaries ------------------------------

type Exit =
  | { kind: 'return'; st: St }
  | { kind: 'decide'; st: St; verdict: TraceVerdict; by: TraceDecision };

/** A branch inside a call: the chain it is in (goto changes it) and the next rule. */
interface Br {
  st: St;
  chain: Chain;
  idx: number;
  key?: string;
}

/** A call of a chain in one entry state: its branches, and the ways it ends (merged). */
interface Call {
  key: string;
  work: Br[];
  pending: Map<string, Br>;
  exits: Exit[];
  exitAt: Map<string, Exit>;
  /** the branch that jumped here, resumed with each exit */
  caller: { call: Call; br: Br } | null;
}

interface Walker {
  ruleset: Ruleset;
  ctx: EvalContext;
  net: HostNet;
  budget: Budget;
  memo: Map<string, Exit[]>;
  /** chains being walked right now, per table: a jump back into one is a loop */
  open: Set<Chain>;
  /** the hook of the chain walk, for REDIRECT (PREROUTING or OUTPUT) */
  hook: Hook;
  table: Table;
  chains: Map<string, Chain>;
}

function tick(w: Walker, chain: Chain, idx: number, rule: Rule | null): void {
  if (--w.budget.left >= 0) return;
  throw new GiveUp({
    reason: `the walk went past its budget of ${w.budget.limits.steps} steps: the ruleset has too many ways for this packet to go`,
    table: w.table.name, chain: chain.name, index: rule ? idx + 1 : null, line: rule?.source?.line ?? null,
  });
}

function addBranch(call: Call, br: Br): void {
  const key = `${br.chain.name}#${br.idx}|${stateKey(br.st)}`;
  if (!mergeOrKeep(call.pending, key, br)) return;
  br.key = key;
  call.work.push(br);
}

function addExit(call: Call, e: Exit): void {
  const key = `${e.kind}|${e.kind === 'decide' ? `${e.verdict} ${e.by.chain} ${e.by.index}` : ''}|${stateKey(e.st)}`;
  if (mergeOrKeep(call.exitAt, key, e)) call.exits.push(e);
}

/** The caller's branch goes on with each way the called chain ended. */
function resume(w: Walker, call: Call, br: Br, exits: readonly Exit[]): void {
  for (const e of exits) {
    tick(w, br.chain, br.idx, null);
    const st: St = { ...copyState(e.st), cond: concat(br.st.cond, e.st.cond), path: concat(br.st.path, e.st.path) };
    if (e.kind === 'return') addBranch(call, { st, chain: br.chain, idx: br.idx });
    else addExit(call, { ...e, st });
  }
}

function assume(st: St, c: Cond, holds: boolean): void {
  if (!c.chance) {
    const m = new Map(st.assumed);
    m.set(c.key, holds);
    st.assumed = m;
  }
  st.cond = append(st.cond, holds ? { text: c.holds, opposite: c.fails, chance: c.chance } : { text: c.fails, opposite: c.holds, chance: c.chance });
  pin(st.pkt, c, holds);
}

/** A host address as a rule prints it (`/32`, `/128`), or null. */
function hostOf(v: string): Packet['src'] | undefined {
  if (v.endsWith('/32')) return readAddr(v.slice(0, -3), 'ipv4') ?? undefined;
  if (v.endsWith('/128')) return readAddr(v.slice(0, -4), 'ipv6') ?? undefined;
  return undefined;
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
    case '-s': p.src ??= hostOf(v); break;
    case '-d': p.dst ??= hostOf(v); break;
    case '--dport': if (/^\d+$/.test(v)) p.dport ??= Number(v); break;
    case '--sport': if (/^\d+$/.test(v)) p.sport ??= Number(v); break;
  }
}

/** Does the rule match: true, false, or the conditions it cannot tell. */
function evaluate(w: Walker, st: St, rule: Rule): boolean | Cond[] {
  const seen = w.table.name === 'raw' ? rawView(st.pkt) : st.pkt;
  let open: Cond[] | null = null;
  for (const c of ruleConds(rule)) {
    const v = c.chance ? undefined : st.assumed.get(c.key) ?? c.test(seen, w.ctx);
    if (v === false) return false;
    if (v === undefined) (open ??= []).push(c);
  }
  return open ?? true;
}

/** Runs one branch of a call until it ends, forks or calls another chain (returned, to be run first). */
function walkBranch(w: Walker, call: Call, br: Br): Call | null {
  for (;;) {
    if (br.idx >= br.chain.rules.length) {
      addExit(call, { kind: 'return', st: br.st });
      return null;
    }
    const idx = br.idx++;
    const rule = br.chain.rules[idx];
    tick(w, br.chain, idx, rule);
    const m = evaluate(w, br.st, rule);
    if (m === false) continue;
    if (m !== true) {
      // fork: c0 fails | c0 holds, c1 fails | … ; this branch goes on with all of them holding
      for (let k = 0; k < m.length; k++) {
        tick(w, br.chain, idx, rule);
        const st = copyState(br.st);
        for (let j = 0; j < k; j++) assume(st, m[j], true);
        assume(st, m[k], false);
        addBranch(call, { st, chain: br.chain, idx: br.idx });
      }
      br.st = copyState(br.st);
      for (const c of m) assume(br.st, c, true);
    }
    const next = applyTarget(w, call, br, idx, rule);
    if (next !== 'go on') return next;
    if (m !== true) {
      // after a fork the ways may be in the same state again (a LOG under -m limit): queue this one to merge
      addBranch(call, br);
      return null;
    }
  }
}

const texts = new WeakMap<Rule, string>();
/** The rule as iptables-save prints it, once per rule however many ways pass it. */
function ruleText(chain: string, rule: Rule): string {
  let t = texts.get(rule);
  if (t === undefined) texts.set(rule, (t = canonicalRule(chain, rule)));
  return t;
}

/** What the rule's target does to the branch: go on, end it, or call a chain (the new call). */
function applyTarget(w: Walker, call: Call, br: Br, idx: number, rule: Rule): 'go on' | Call | null {
  const a = targetAction(rule);
  const by: TraceDecision = { table: w.table.name, chain: br.chain.name, index: idx + 1, line: rule.source?.line ?? null };
  const st = br.st;
  const step = (action: string) => { st.path = append(st.path, { ...by, rule: ruleText(br.chain.name, rule), action }); };
  const decide = (verdict: TraceVerdict) => { addExit(call, { kind: 'decide', st, verdict, by }); return null; };
  switch (a.kind) {
    case 'none': step('no target (counted, continue)'); return 'go on';
    case 'accept': step('ACCEPT'); return decide('ACCEPT');
    case 'drop': step('DROP'); return decide('DROP');
    case 'reject': step(`REJECT (${a.with})`); return decide('REJECT');
    case 'queue': step(a.name); return decide('QUEUE');
    case 'terminal': step(`${a.name} (ends the walk; treated as accepted)`); return decide('ACCEPT');
    case 'return':
      step('RETURN');
      addExit(call, { kind: 'return', st });
      return null;
    case 'jump':
    case 'goto': {
      const next = w.chains.get(a.chain);
      if (!next) {
        step(`${a.kind} ${a.chain} (no such chain: the kernel would not load this table)`);
        return 'go on';
      }
      step(`${a.kind} ${a.chain}`);
      if (w.open.has(next)) {
        throw new GiveUp({ reason: `a loop of jumps back into ${a.chain} (the kernel would not load this table)`, ...by });
      }
      if (a.kind === 'goto') {
        // the rest of this call is the other chain's walk: its RETURN returns from this call
        br.chain = next;
        br.idx = 0;
        return 'go on';
      }
      return enterCall(w, call, br, next);
    }
    case 'dnat': {
      const d = natDestination(st.pkt, a, w.hook, w.net);
      st.pkt.dst = d.dst;
      st.pkt.dport = d.dport;
      if (d.dstLocal) st.pkt.dstLocal = true;
      st.redirected = d.dstLocal;
      st.pkt.dnat = d.changed;
      st.nat = { ...st.nat, dst: d };
      step(`${a.name} to ${d.text}`);
      return decide('ACCEPT');
    }
    case 'snat': {
      const d = natSource(st.pkt, a, w.net);
      st.pkt.src = d.src;
      st.pkt.sport = d.sport;
      st.pkt.snat = d.changed;
      st.nat = { ...st.nat, src: d };
      step(`${a.name} to ${d.text}`);
      return decide('ACCEPT');
    }
    case 'mark': {
      const v = a.apply(st.pkt.mark, st.pkt.ctmark);
      st.pkt[a.field] = v;
      step(`${a.text.replace(/^-j /, '')} (${a.field} now 0x${v.toString(16)}, continue)`);
      return 'go on';
    }
    case 'notrack':
      st.pkt.state = 'UNTRACKED';
      step('NOTRACK (the packet is UNTRACKED from here, continue)');
      return 'go on';
    case 'continue': step(`${a.name} (continue)`); return 'go on';
    case 'unknown': step(`${a.name} (not modelled: assumed to continue)`); return 'go on';
  }
}

/** A jump: reuse what the chain does in this state when known, else a new call to run first. */
function enterCall(w: Walker, call: Call, br: Br, next: Chain): Call | null {
  const key = `${next.name}|${stateKey(br.st)}`;
  const known = w.memo.get(key);
  if (known) {
    resume(w, call, br, known);
    return null;
  }
  const inner = newCall(key, { ...copyState(br.st), cond: null, path: null }, next);
  inner.caller = { call, br };
  return inner;
}

function newCall(key: string, st: St, chain: Chain): Call {
  const call: Call = { key, work: [], pending: new Map(), exits: [], exitAt: new Map(), caller: null };
  addBranch(call, { st, chain, idx: 0 });
  return call;
}

/** Walks a builtin chain in one state: every way it can end (conditions and path relative to the entry). */
function walkChain(w: Walker, chain: Chain, entry: St): readonly Exit[] {
  const rootKey = `${chain.name}|${stateKey(entry)}`;
  const known = w.memo.get(rootKey);
  if (known) return known;
  const stack: Array<{ call: Call; chain: Chain }> = [{ call: newCall(rootKey, entry, chain), chain }];
  w.open.add(chain);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const br = top.call.work.pop();
    if (br) {
      top.call.pending.delete(br.key!);
      const inner = walkBranch(w, top.call, br);
      if (inner) {
        const entered = inner.work[0].chain;
        w.open.add(entered);
        stack.push({ call: inner, chain: entered });
      }
      continue;
    }
    stack.pop();
    w.open.delete(top.chain);
    w.memo.set(top.call.key, top.call.exits);
    if (top.call.caller) resume(w, top.call.caller.call, top.call.caller.br, top.call.exits);
  }
  return w.memo.get(rootKey)!;
}

// ---- the hooks of the packet's path ------------------------------------------------------

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

/** One way the packet goes through its hooks. */
export interface Top {
  st: St;
  stages: Stage[];
  stageIdx: number;
  hooks: Hook[];
  /** the decision of each table walked so far */
  decisions: Array<{ table: TableName; by: TraceDecision | null }>;
  /** for a packet of an existing connection: the NAT its first packet set up (conntrack applies it) */
  ctNat: ConnNat | null;
  verdict: TraceVerdict | null;
  finalBy: TraceDecision | null;
}

interface WalkInput {
  ruleset: Ruleset;
  pkt: Packet;
  hook: TraceHook;
  net: HostNet;
  limits: WalkLimits;
}

interface WalkResult {
  done: Top[];
  giveUp: TraceGiveUp | null;
}

/** Every way the packet can go, or where the walk gave up. */
export function walkPacket(input: WalkInput, budget: Budget = { left: input.limits.steps, limits: input.limits }): WalkResult {
  const tops = new Walk(input, budget);
  try {
    return { done: tops.run(), giveUp: null };
  } catch (e) {
    if (e instanceof GiveUp) return { done: tops.done, giveUp: e.info };
    throw e;
  }
}

class Walk {
  readonly done: Top[] = [];
  private readonly work: Top[] = [];
  private readonly pending = new Map<string, Top>();
  private readonly finished = new Map<string, Top>();
  private readonly ctx: EvalContext;
  private readonly walkers = new Map<string, Walker>();
  private readonly origDst: Packet['dst'];

  constructor(private readonly input: WalkInput, private readonly budget: Budget) {
    const { pkt, hook, net } = input;
    this.origDst = pkt.dst;
    const origDst = pkt.dst;
    const isLocal = (a: Addr): boolean | undefined => {
      if (isLoopback(a)) return true;
      if (net.locals) return net.locals.includes(a);
      if (hook === 'INPUT' || hook === 'PREROUTING') return a === origDst ? true : undefined;
      if (hook === 'OUTPUT') return undefined;
      return a === origDst ? false : undefined;
    };
    this.ctx = { isLocal, routeKind: (a) => routeKind6(net, a, isLocal(a)) };
  }

  run(): Top[] {
    const { pkt, hook, ruleset } = this.input;
    const st: St = { pkt, assumed: new Map(), cond: null, path: null, redirected: false, nat: {} };
    const stages = hook === 'OUTPUT' ? LOCAL_OUT : hook === 'POSTROUTING' ? POST : PRE;
    const first: Top = { st, stages, stageIdx: 0, hooks: [], decisions: [], ctNat: null, verdict: null, finalBy: null };
    const starts = !natTableRuns(pkt) && pkt.state !== 'INVALID' && pkt.state !== 'UNTRACKED' && findTable(ruleset, 'nat') ? this.replay(first) : [first];
    for (const t of starts) this.add(t);
    for (let t = this.take(); t; t = this.take()) this.step(t);
    return this.done;
  }

  private take(): Top | undefined {
    const t = this.work.pop();
    if (t) this.pending.delete(topKey(t));
    return t;
  }

  private add(t: Top): void {
    if (t.verdict || t.stageIdx >= t.stages.length) {
      const key = `${t.verdict}|${t.finalBy ? `${t.finalBy.table} ${t.finalBy.chain} ${t.finalBy.index}` : ''}|${topKey(t)}`;
      if (!mergeOrKeep(this.finished, key, t)) return;
      this.done.push(t);
      if (this.done.length > this.input.limits.outcomes) {
        throw new GiveUp({ reason: `the packet has more than ${this.input.limits.outcomes} distinct outcomes`, table: null, chain: null, index: null, line: null });
      }
      return;
    }
    const key = topKey(t);
    if (mergeOrKeep(this.pending, key, t)) this.work.push(t);
  }

  /** Walks the next table of the hook path (after routing, when that comes first). */
  private step(t: Top): void {
    const stage = t.stages[t.stageIdx];
    if (stage.kind === 'route') {
      const local = this.routeLocal(t);
      t.stages = [...t.stages.slice(0, t.stageIdx + 1), ...(local ? LOCAL_IN : FORWARD)];
      if (!local && t.st.pkt.outIface === undefined && t.st.pkt.dst !== undefined) t.st.pkt.outIface = routeOut(this.input.net, t.st.pkt.dst);
      // ip6_forward takes one off the hop limit before the FORWARD hook (-m hl there sees it)
      if (!local && t.st.pkt.hopLimit !== undefined) t.st.pkt.hopLimit = Math.max(0, t.st.pkt.hopLimit - 1);
      t.stageIdx++;
      return this.add(t);
    }
    if (t.hooks[t.hooks.length - 1] !== stage.hook) t.hooks.push(stage.hook);
    const table = findTable(this.input.ruleset, stage.table);
    // nat sees only the first packet of a connection; conntrack applies its NAT to the later ones
    const natTable = natTableRuns(t.st.pkt);
    if (stage.table === 'nat' && !natTable) applyConnNat(t, stage.hook);
    const chain = table && !(stage.table === 'nat' && !natTable) ? table.chains.find((c) => c.builtin && c.name === stage.hook) : undefined;
    if (!table || !chain) {
      t.stageIdx++;
      return this.add(t);
    }
    const w = this.walker(table, stage.hook);
    const exits = walkChain(w, chain, { ...copyState(t.st), cond: null, path: null });
    for (const e of exits) {
      const nt: Top = { ...t, st: { ...copyState(e.st), cond: concat(t.st.cond, e.st.cond), path: concat(t.st.path, e.st.path) }, hooks: t.hooks.slice(), decisions: t.decisions.slice() };
      if (e.kind === 'decide') this.decide(nt, table.name, e.by, e.verdict);
      else {
        const policy = chain.policy ?? 'ACCEPT';
        nt.st.path = append(nt.st.path, { table: table.name, chain: chain.name, index: null, line: chain.source?.line ?? null, rule: null, action: `policy ${policy}` });
        this.decide(nt, table.name, null, policy === 'DROP' ? 'DROP' : 'ACCEPT');
      }
      this.add(nt);
    }
  }

  private decide(t: Top, table: TableName, by: TraceDecision | null, verdict: TraceVerdict): void {
    t.decisions.push({ table, by });
    if (verdict === 'ACCEPT') t.stageIdx++;
    else {
      t.verdict = verdict;
      t.finalBy = by;
    }
  }

  private walker(table: Table, hook: Hook): Walker {
    const key = `${table.name} ${hook}`;
    let w = this.walkers.get(key);
    if (!w) {
      const chains = new Map(table.chains.map((c) => [c.name, c]));
      w = { ruleset: this.input.ruleset, ctx: this.ctx, net: this.input.net, budget: this.budget, memo: new Map(), open: new Set(), hook, table, chains };
      this.walkers.set(key, w);
    }
    return w;
  }

  private routeLocal(t: Top): boolean {
    const { st } = t;
    if (st.redirected || st.pkt.dstLocal) return true;
    const dst = st.pkt.dst;
    if (dst !== undefined && isLoopback(dst)) return true;
    // IPv6 multicast (neighbour discovery, all-nodes …) is delivered to the host; it forwards none without a multicast router
    if (typeof dst === 'bigint' && isMulticast(dst)) return true;
    const { net, hook } = this.input;
    if (net.locals) return dst !== undefined && net.locals.includes(dst);
    if (hook === 'FORWARD') return false;
    // not told the host's addresses: it was for this host unless a DNAT sent it elsewhere
    return !(st.nat.dst || t.ctNat?.dst) || dst === this.origDst;
  }

  /**
   * A packet of an ESTABLISHED connection gets the NAT its first packet got: walk
   * that first packet (same fields, NEW, a SYN for TCP) under this ruleset, and
   * start one branch per way it could have been translated. (A connection set
   * up under other rules may have another translation: the tracer assumes this
   * ruleset's.)
   */
  private replay(first: Top): Top[] {
    const groups = new Map<string, ConnNat>();
    for (const p0 of firstPackets(first.st.pkt)) {
      const r = walkPacket({ ...this.input, pkt: p0 }, this.budget);
      if (r.giveUp) throw new GiveUp({ ...r.giveUp, reason: `replaying the connection's first packet: ${r.giveUp.reason}` });
      // nat decides before filter does: the translation is the nat table's whatever the first packet's verdict
      for (const d of r.done) groups.set(natKey(d.st.nat), d.st.nat);
    }
    return [...groups.values()].map((nat) => {
      // each branch its own path of hooks and decisions (the walk pushes onto them)
      const b: Top = { ...first, hooks: [...first.hooks], decisions: [...first.decisions], st: copyState(first.st), ctNat: nat };
      b.st.pkt.dnat = nat.dst?.changed ?? false;
      b.st.pkt.snat = nat.src?.changed ?? false;
      if (groups.size > 1) {
        const parts = [nat.dst && nat.dst.changed !== false ? `DNAT to ${nat.dst.text}` : '', nat.src && nat.src.changed !== false ? `SNAT to ${nat.src.text}` : ''].filter(Boolean);
        const text = parts.length ? `the connection's first packet got ${parts.join(' and ')}` : `the connection's first packet got no NAT`;
        b.st.cond = append(null, { text, opposite: `not (${text})` });
      }
      return b;
    });
  }
}

/**
 * The first packet of the connection a packet belongs to, as far as it is known. ESTABLISHED: the
 * packet itself, NEW (a SYN for TCP). RELATED (an ICMP error, say) belongs to a connection between the
 * same two addresses whose protocol and ports it does not show: a TCP, a UDP and a ping connection
 * with the ports open — every translation one of them could have got.
 */
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
const isIcmp = (p: Packet) => p.proto === (typeof p.src === 'bigint' || typeof p.dst === 'bigint' ? PROTO_ICMPV6 : PROTO_ICMP);

/**
 * Whether the packet runs through the nat table (nf_nat_inet_fn): a connection's first packet — NEW,
 * or RELATED other than an ICMP error (an expected connection, FTP data say, that no helper set up
 * NAT for). Every other packet gets its connection's translation (an ICMP error: the one of the
 * connection it is about).
 */
function natTableRuns(p: Packet): boolean {
  return p.state === 'NEW' || (p.state === 'RELATED' && !isIcmp(p));
}

function firstPackets(pkt: Packet): Packet[] {
  const base: Packet = { ...pkt, state: 'NEW', dnat: false, snat: false, dstLocal: undefined };
  if (pkt.state !== 'RELATED') return [base.proto === PROTO_TCP ? { ...base, tcpFlags: 0x02 } : base];
  const ping = typeof pkt.src === 'bigint' || typeof pkt.dst === 'bigint' ? { proto: PROTO_ICMPV6, icmpType: 128 } : { proto: PROTO_ICMP, icmpType: 8 };
  const open = { sport: undefined, dport: undefined, icmpType: undefined, icmpCode: undefined, tcpFlags: undefined };
  return [{ ...base, ...open, proto: PROTO_TCP, tcpFlags: 0x02 }, { ...base, ...open, proto: PROTO_UDP }, { ...base, ...open, ...ping, icmpCode: 0 }];
}

function topKey(t: Top): string {
  const stages = t.stages.length > t.stageIdx ? t.stages.slice(t.stageIdx).map((s) => (s.kind === 'route' ? 'route' : `${s.table}/${s.hook}`)).join(',') : '';
  const decisions = t.decisions.map((d) => `${d.table}:${d.by ? `${d.by.chain}#${d.by.index}` : '-'}`).join(',');
  return `${t.stageIdx}|${stages}|${t.hooks.join(',')}|${decisions}|${t.ctNat ? `ct${natKey(t.ctNat)}` : ''}|${stateKey(t.st)}`;
}

/** A packet of an existing connection: conntrack applies the NAT its first packet got, where nat would run. */
function applyConnNat(t: Top, hook: Hook): void {
  const n = t.ctNat;
  if (!n) return;
  const st = t.st;
  const step = (action: string) => { st.path = append(st.path, { table: 'nat', chain: hook, index: null, line: null, rule: null, action }); };
  // a RELATED packet (an ICMP error) has no ports of its own: only its addresses are translated
  const ports = st.pkt.state !== 'RELATED';
  if ((hook === 'PREROUTING' || hook === 'OUTPUT') && n.dst && n.dst.changed !== false) {
    st.pkt.dst = n.dst.dst;
    if (ports) st.pkt.dport = n.dst.dport;
    if (n.dst.dstLocal) st.pkt.dstLocal = true;
    st.redirected = n.dst.dstLocal;
    step(`conntrack: DNAT to ${n.dst.text} (the connection's, set up by its first packet)`);
  }
  if ((hook === 'POSTROUTING' || hook === 'INPUT') && n.src && n.src.changed !== false) {
    st.pkt.src = n.src.src;
    if (ports) st.pkt.sport = n.src.sport;
    step(`conntrack: SNAT to ${n.src.text} (the connection's, set up by its first packet)`);
  }
}
