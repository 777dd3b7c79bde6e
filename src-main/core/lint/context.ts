// What every lint check shares: the ruleset, the packet-space environment, and
// cached facts about rules and chains.
import type { Chain, Rule, Ruleset, Table } from '../model.js';
import { findChain } from '../model.js';
import { canonicalRuleBody } from '../canonical.js';
import type { Finding, FindingCode, Severity } from '../findings.js';
import { Dims, IfaceClasses } from '../analysis/space.js';
import { RestCache, ruleSpaceShared, type RuleSpace, type SpaceEnv } from '../analysis/rule-space.js';
import { Addr6Classes } from '../analysis/addr6.js';
import { endsChain, targetAction } from '../analysis/targets.js';
import type { TargetAction } from '../analysis/target-action.js';
import { matchesHaveConds } from '../analysis/packet-match.js';
import { PackedSpaces } from '../analysis/space-pack.js';

export interface LintOptions {
  /** the admin's address as the server sees it (for ssh-lockout) */
  client?: string;
  /** the server's SSH port (default 22 when client is given) */
  sshPort?: number;
  /** the server's own addresses */
  local?: string[];
  /** the server address of the SSH session (default: the first of local) */
  server?: string;
  /** the interface the client's packets arrive on, when known */
  inIface?: string;
  /**
   * Told after each chain's own checks how many rules they went through, and
   * after each check over the whole ruleset (with its number of rules): what
   * they made is garbage by then (a caller that keeps memory tight, the CLI,
   * may collect it there).
   */
  checked?: (rules: number) => void;
}

/** Per-run facts about one chain's rules, by position (plain arrays: no per-rule maps). */
interface ChainFacts {
  spaces: Array<RuleSpace | undefined>;
  /** a big chain's spaces, packed (see space-pack.ts); `spaces` then holds only those that cannot be */
  packed: PackedSpaces | null;
  labels: Array<string | null | undefined>;
  bodies: Array<string | undefined>;
}

/**
 * Rules from which a chain's spaces are kept packed: below it they are few and
 * objects cost no unpacking (kube-proxy's 20,000 small chains).
 */
const PACK_FROM = 2048;

export class LintContext {
  readonly findings: Finding[] = [];
  readonly env: SpaceEnv;
  // Caches live as long as this context (one lint run): the model may be
  // edited between runs, so nothing is kept on the rule objects themselves.
  private facts = new Map<Chain, ChainFacts>();
  private decides = new Map<Table, Map<string, string | null>>();
  private jumpLabels = new Map<Table, Map<string, string | null>>();
  /** the packet space of each template's matches and generic part (see ruleSpaceShared) */
  private rests = new RestCache();

  constructor(readonly ruleset: Ruleset, readonly opts: LintOptions) {
    const ins = new Set<string>();
    const outs = new Set<string>();
    // index loops: this runs once, unoptimised, where for-of makes an iterator result per rule
    for (const t of ruleset.tables) for (const c of t.chains) {
      const rules = c.rules;
      for (let k = 0; k < rules.length; k++) {
        const r = rules[k];
        if (r.inIface) ins.add(r.inIface.name);
        if (r.outIface) outs.add(r.outIface.name);
      }
    }
    const inIfaces = new IfaceClasses(ins);
    const outIfaces = new IfaceClasses(outs);
    this.env = { dims: new Dims(inIfaces.max, outIfaces.max), inIfaces, outIfaces };
    if (ruleset.family === 'ipv6') this.env.addr6 = Addr6Classes.of(ruleset);
  }

  /** the chain chainFacts() answered for last, and its facts: the checks ask of one chain's rules in a row (no Map look-up per rule) */
  private lastChain: Chain | null = null;
  private lastFacts: ChainFacts | null = null;

  private chainFacts(c: Chain): ChainFacts {
    if (c === this.lastChain) return this.lastFacts!;
    let f = this.facts.get(c);
    if (!f) this.facts.set(c, (f = { spaces: [], packed: c.rules.length >= PACK_FROM ? new PackedSpaces(c.rules.length) : null, labels: [], bodies: [] }));
    this.lastChain = c;
    this.lastFacts = f;
    return f;
  }

  /**
   * Forgets what was worked out about the chain's rules once the per-chain
   * checks are done with it, so the lint holds one chain's packet spaces at a
   * time rather than the whole ruleset's — except for the filter chains that
   * later checks walk again: when the nat table rewrites ports, every filter
   * chain (dnat-port-mismatch walks them all, and would otherwise work all
   * their spaces out a second time). INPUT keeps its labels only:
   * no-established-accept stops at the first accept of established packets
   * and rebuilds the few spaces it looks at (20,000 INPUT rules' spaces were
   * kept through the rest of the lint for it).
   */
  release(t: Table, c: Chain): void {
    if (t.name === 'filter' && this.natRewritesPorts()) return;
    const f = this.facts.get(c);
    if (f && t.name === 'filter' && c.name === 'INPUT') {
      f.spaces = [];
      f.packed = null;
    } else this.facts.delete(c);
    if (this.lastChain === c) this.lastChain = this.lastFacts = null;
  }

  private rewritesPorts: boolean | undefined;

  /** Some nat rule's DNAT or REDIRECT names a port (what dnat-port-mismatch looks at). */
  private natRewritesPorts(): boolean {
    if (this.rewritesPorts === undefined) {
      const nat = this.ruleset.tables.find((x) => x.name === 'nat');
      this.rewritesPorts = Boolean(nat?.chains.some((c) => c.rules.some((r) => {
        const a = targetAction(r);
        return a.kind === 'dnat' && a.port !== null;
      })));
    }
    return this.rewritesPorts;
  }

  /** The packets rule `pos` of the chain matches (computed once per run). */
  space(c: Chain, pos: number): RuleSpace {
    const facts = this.chainFacts(c);
    const packed = facts.packed;
    if (packed) {
      const p = packed.get(pos);
      if (p) return p;
    }
    const f = facts.spaces;
    let s = f[pos];
    if (s === undefined) {
      // an IPv6 rule's networks found by its place (Addr6Classes.at)
      this.env.addr6?.at(c.rules, pos);
      s = ruleSpaceShared(c.rules[pos], this.env, this.rests);
      // an address-only rule's space is built again on each request: cheaper than keeping 70,000 of them
      if (s.cheap || packed?.put(pos, s)) return s;
      while (f.length < pos) f.push(undefined); // dense: a far index would make the array a dictionary
      f[pos] = s;
    }
    return s;
  }

  /** decisionLabel of rule `pos` of the chain (computed once per run). */
  label(t: Table, c: Chain, pos: number): string | null {
    const f = this.chainFacts(c).labels;
    let l = f[pos];
    if (l === undefined) {
      // a label is the table's and the target's alone: rules of one template share their target
      const r = c.rules[pos];
      if (r.target === null || r.target !== this.lastTarget || t !== this.lastTable) {
        this.lastTarget = r.target;
        this.lastTable = t;
        this.lastLabel = decisionLabel(this, t, r);
      }
      f[pos] = l = this.lastLabel;
    }
    return l;
  }

  /** the target and table label() worked a label out for last, and that label */
  private lastTarget: Rule['target'] = null;
  private lastTable: Table | null = null;
  private lastLabel: string | null = null;

  /** The rule as iptables-save prints it after `-A CHAIN`, trimmed (computed once per run). */
  body(c: Chain, pos: number): string {
    const f = this.chainFacts(c).bodies;
    let b = f[pos];
    if (b === undefined) f[pos] = b = canonicalRuleBody(c.rules[pos]).trim();
    return b;
  }

  /** `jump X (which always ends in V)` or null, once per chain name. */
  jumpLabel(t: Table, chain: string): string | null {
    let memo = this.jumpLabels.get(t);
    if (!memo) this.jumpLabels.set(t, (memo = new Map()));
    let l = memo.get(chain);
    if (l === undefined) {
      const v = this.chainVerdict(t, chain);
      memo.set(chain, (l = v ? `jump ${chain} (which always ends in ${v})` : null));
    }
    return l;
  }

  report(severity: Severity, code: FindingCode, t: Table, c: Chain | null, index: number | null, message: string, fix?: string, line?: number): void {
    const rule = c && index !== null ? c.rules[index] : undefined;
    this.findings.push({
      code, severity, message,
      line: line ?? rule?.source?.line ?? c?.source?.line ?? t.source?.line ?? 0,
      table: t.name,
      ...(c ? { chain: c.name } : {}),
      ...(index !== null ? { index: index + 1 } : {}),
      ...(fix ? { fix } : {}),
    });
  }

  /**
   * When every packet entering the chain gets a verdict there (it has a rule
   * that matches everything and decides, with no RETURN or goto before it),
   * that verdict (`DROP`, `ACCEPT` …); else null. The seed's LOGGING chain: DROP.
   */
  /**
   * The verdict a user chain always ends in, or null. Worked out with an
   * explicit stack, not recursion: a 10,000-deep jump chain is a valid ruleset.
   */
  chainVerdict(t: Table, name: string): string | null {
    let memo = this.decides.get(t);
    if (!memo) this.decides.set(t, (memo = new Map()));
    const known = memo;
    if (known.has(name)) return known.get(name)!;
    const open = new Set<string>();
    const stack: Array<{ c: Chain; k: number }> = [];
    const enter = (n: string): boolean => {
      const c = findChain(t, n);
      if (!c || c.builtin || open.has(n)) { known.set(n, null); return false; }
      open.add(n);
      stack.push({ c, k: 0 });
      return true;
    };
    const finish = (v: string | null) => {
      const f = stack.pop()!;
      open.delete(f.c.name);
      known.set(f.c.name, v);
    };
    if (!enter(name)) return known.get(name) ?? null;
    // the last rule's target and action: rules of one template share their target (a blocklist's 70,000 DROPs)
    let lastTarget: Rule['target'] | undefined;
    let lastAction: TargetAction | undefined;
    while (stack.length) {
      const f = stack[stack.length - 1];
      f.k = nextToLook(f.c.rules, f.k);
      if (f.k >= f.c.rules.length) { finish(null); continue; }
      const r = f.c.rules[f.k];
      const a = r.target === lastTarget ? lastAction! : targetAction(r);
      lastTarget = r.target;
      lastAction = a;
      if (a.kind === 'return') { finish(null); continue; }
      const catchAll = !narrowedByGenericPart(r) && !matchesHaveConds(r);
      if (a.kind === 'goto' || (a.kind === 'jump' && catchAll)) {
        // the callee's verdict first, then this rule again
        if (!known.has(a.chain)) { if (enter(a.chain)) continue; }
        const sub = known.get(a.chain) ?? null;
        if (a.kind === 'goto') {
          if (sub === null) { finish(null); continue; }
          if (catchAll) { finish(sub); continue; }
        } else if (sub !== null) { finish(sub); continue; }
        f.k++;
        continue;
      }
      f.k++;
      if (!catchAll) continue;
      const label = decisionLabel(this, t, r);
      if (label) finish(label);
    }
    return known.get(name) ?? null;
  }
}

/**
 * The first rule from k on that chainVerdict must look at: a rule without a
 * target, or one that matches only some packets (its generic part narrows it)
 * and neither returns nor goes to a chain, can neither end the walk nor enter
 * a chain that ends it. A loop of its own over the rules alone: the walk is
 * made once per chain, and its own loop passed a blocklist's 70,000 narrowed
 * DROPs unoptimised. Rules of one template share their target (its action is
 * asked once).
 */
function nextToLook(rules: readonly Rule[], k: number): number {
  let last: Rule['target'] | undefined;
  let returns = false;
  for (; k < rules.length; k++) {
    const r = rules[k];
    const tg = r.target;
    if (tg === null) continue;
    if (tg.chain) {
      // a narrowed jump is passed (only a catch-all one takes its chain's verdict); a goto never
      if (tg.kind === 'goto' || !narrowedByGenericPart(r)) return k;
      continue;
    }
    if (tg !== last) {
      last = tg;
      returns = targetAction(r).kind === 'return';
    }
    if (returns || !narrowedByGenericPart(r)) return k;
  }
  return k;
}

/**
 * What the rule does to the packets it matches when that ends their walk
 * through the chain: ACCEPT, DROP, REJECT, RETURN, goto X, jump X (→ DROP),
 * DNAT …; null when matched packets go on to the next rule.
 */
function decisionLabel(ctx: LintContext, t: Table, r: Rule): string | null {
  const a = targetAction(r);
  if (a.kind === 'jump') return ctx.jumpLabel(t, a.chain);
  if (!endsChain(a)) return null;
  if (a.kind === 'dnat' || a.kind === 'snat') {
    // built text: once per action (rules of one template share their target, hence their action)
    let l = builtLabels.get(a);
    if (l === undefined) builtLabels.set(a, (l = actionLabel(a)));
    return l;
  }
  return actionLabel(a);
}

const builtLabels = new WeakMap<TargetAction, string | null>();

function actionLabel(a: TargetAction): string | null {
  switch (a.kind) {
    case 'accept': return 'ACCEPT';
    case 'drop': return 'DROP';
    case 'reject': return 'REJECT';
    case 'return': return 'RETURN';
    case 'goto': return `goto ${a.chain}`;
    case 'queue': return a.name;
    case 'dnat': case 'snat': return a.text.replace(/^-j /, '');
    case 'terminal': return a.name;
    default: return null;
  }
}

/**
 * True when the rule's generic part (-s -d -i -o -p -f) alone gives it a
 * condition, so it cannot match every packet: the cheap half of
 * `ruleConds(r).length === 0`, without building the conditions.
 */
function narrowedByGenericPart(r: Rule): boolean {
  return narrowedAddr(r.src) || narrowedAddr(r.dst) || narrowedIface(r.inIface) || narrowedIface(r.outIface) ||
    Boolean(r.proto && (r.proto.num !== 0 || r.proto.invert)) || Boolean(r.fragment);
}

// plain functions, not closures made on every call: the lint asks this of every rule
const narrowedAddr = (a: Rule['src']) => a != null && (a.kind === 'host-name' || a.mask !== 0 || a.invert);
const narrowedIface = (i: Rule['inIface']) => i != null && i.name !== '' && (i.name !== '+' || i.invert);

/** The plain verdict a decision label amounts to (jump X (which always ends in DROP) → DROP). */
export function verdictOf(label: string): string {
  if (label.startsWith('jump ')) {
    const m = /always ends in (.+)\)$/.exec(label);
    if (m) return verdictOf(m[1]);
  }
  const sp = label.indexOf(' ');
  return sp < 0 ? label : label.slice(0, sp);
}

export const isDropLike = (label: string | null) => {
  if (label === null) return false;
  const v = verdictOf(label);
  return v === 'DROP' || v === 'REJECT';
};
