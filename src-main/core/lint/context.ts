// What every lint check shares: the ruleset, the packet-space environment, and
// cached facts about rules and chains.
import type { Chain, Rule, Ruleset, Table } from '../model.js';
import { findChain } from '../model.js';
import type { Finding, Severity } from '../findings.js';
import { Dims, IfaceClasses } from '../analysis/space.js';
import { ruleSpace, type RuleSpace, type SpaceEnv } from '../analysis/rule-space.js';
import { endsChain, targetAction } from '../analysis/targets.js';
import { ruleConds } from '../analysis/packet-match.js';

export interface LintOptions {
  /** the admin's address as the server sees it (for ssh-lockout) */
  client?: string;
  /** the server's SSH port (default 22 when client is given) */
  sshPort?: number;
  /** the server's own addresses */
  local?: string[];
}

export class LintContext {
  readonly findings: Finding[] = [];
  readonly env: SpaceEnv;
  private spaces = new WeakMap<Rule, RuleSpace>();
  private decides = new Map<Table, Map<string, string | null>>();

  constructor(readonly ruleset: Ruleset, readonly opts: LintOptions) {
    const ins = new Set<string>();
    const outs = new Set<string>();
    for (const t of ruleset.tables) for (const c of t.chains) for (const r of c.rules) {
      if (r.inIface) ins.add(r.inIface.name);
      if (r.outIface) outs.add(r.outIface.name);
    }
    const inIfaces = new IfaceClasses(ins);
    const outIfaces = new IfaceClasses(outs);
    this.env = { dims: new Dims(inIfaces.max, outIfaces.max), inIfaces, outIfaces };
  }

  space(r: Rule): RuleSpace {
    let s = this.spaces.get(r);
    if (!s) this.spaces.set(r, (s = ruleSpace(r, this.env)));
    return s;
  }

  report(severity: Severity, code: string, t: Table, c: Chain | null, index: number | null, message: string, fix?: string, line?: number): void {
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
  chainVerdict(t: Table, name: string, seen = new Set<string>()): string | null {
    let memo = this.decides.get(t);
    if (!memo) this.decides.set(t, (memo = new Map()));
    if (memo.has(name)) return memo.get(name)!;
    const c = findChain(t, name);
    if (!c || c.builtin || seen.has(name)) return null;
    seen.add(name);
    let v: string | null = null;
    for (const r of c.rules) {
      const a = targetAction(r);
      const catchAll = ruleConds(r).length === 0;
      if (a.kind === 'return') break;
      if (a.kind === 'goto') {
        const g = this.chainVerdict(t, a.chain, seen);
        if (g === null) break;
        if (catchAll) { v = g; break; }
        continue;
      }
      if (!catchAll) continue;
      if (a.kind === 'jump') {
        const j = this.chainVerdict(t, a.chain, seen);
        if (j !== null) { v = j; break; }
        continue;
      }
      const label = decisionLabel(this, t, r);
      if (label) { v = label; break; }
    }
    memo.set(name, v);
    return v;
  }
}

/**
 * What the rule does to the packets it matches when that ends their walk
 * through the chain: ACCEPT, DROP, REJECT, RETURN, goto X, jump X (→ DROP),
 * DNAT …; null when matched packets go on to the next rule.
 */
export function decisionLabel(ctx: LintContext, t: Table, r: Rule): string | null {
  const a = targetAction(r);
  if (a.kind === 'jump') {
    const v = ctx.chainVerdict(t, a.chain);
    return v ? `jump ${a.chain} (which always ends in ${v})` : null;
  }
  if (!endsChain(a)) return null;
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

/** The plain verdict a decision label amounts to (jump X (which always ends in DROP) → DROP). */
export function verdictOf(label: string): string {
  const m = /always ends in (.+)\)$/.exec(label);
  return m ? verdictOf(m[1]) : label.split(' ')[0];
}

export const isDropLike = (label: string | null) => label !== null && ['DROP', 'REJECT'].includes(verdictOf(label));
