// The lint of a file after a staged edit, reusing what the lint before the
// edit found where the edit cannot have changed it. A chain's own checks
// (shadowed and redundant rules, a trailing rule that repeats the policy,
// statistic balance, limits without a drop, source-port trust) read its rules,
// the verdicts of the chains it jumps to (the verdict a chain always ends in,
// if any: "jump X (which always ends in DROP)"), and the packet-space
// environment — the interface names and IPv6 networks of the whole ruleset.
// So an edit of chain X changes those findings of X and, when X's verdict
// changed, of the chains that jump to X (and so on up while verdicts change),
// nothing else, as long as the environment is the same;
// the table-wide and ruleset-wide checks (unused and undefined chains,
// deprecated matches, the INPUT chain's established rule, DNAT ports, the SSH
// lockout, IPv6) run again in full. lint-incremental.property.test.ts checks
// the result against a full lint.
import type { Ruleset, Table, Chain } from './model.js';
import type { Finding } from './findings.js';
import { lintParsed, type ChainLint } from './lint.js';
import type { LintContext, LintOptions } from './lint/context.js';
import type { ParseResult } from './parse.js';
import type { ChangedChain } from './edit-reparse.js';

/** What a lint leaves for the lint after the next edit. */
export interface LintMemo {
  opts: string;
  env: Env;
  /** per chain (`table chain`): its own checks' findings */
  chains: Map<string, Finding[]>;
  /** per chain some rule jumps to (`table chain`): the verdict it always ends in, or null */
  verdicts: Map<string, string | null>;
}

/** The edit between the file a memo was made for and this one. */
export interface EditSince {
  memo: LintMemo;
  /** the chains whose rules the edit changed */
  changed: readonly ChangedChain[];
  /** the earlier file's 1-based line → this file's (0: the line is gone) */
  moved: Int32Array;
}

interface IncrementalLint {
  findings: Finding[];
  memo: LintMemo;
  /** chains whose findings were carried over (not checked again) */
  reused: number;
}

/** Thrown out of lintIncremental when its `stop` says so: the lint was given up between two chains. */
export class LintStopped extends Error {
  constructor() {
    super('the lint was stopped');
    this.name = 'LintStopped';
  }
}

/**
 * lintParsed's findings; with `since`, the chains the edit cannot have touched
 * are not checked again. `stop` is asked before each chain (a cancel the
 * caller can see while this runs, e.g. a flag in shared memory): when it says
 * yes the lint ends there with LintStopped, its thread free for the next job.
 */
export function lintIncremental(parsed: Pick<ParseResult, 'ruleset' | 'findings' | 'lines'>, opts: LintOptions, since?: EditSince, stop?: () => boolean): IncrementalLint {
  const memo: LintMemo = { opts: JSON.stringify(opts), env: envOf(parsed.ruleset), chains: new Map(), verdicts: new Map() };
  const usable = since && since.memo.opts === memo.opts && sameEnv(since.memo.env, memo.env) ? since : undefined;
  let affected: Set<string> | null = null;
  let reused = 0;
  const chains: ChainLint = {
    reuse(t, c, ctx) {
      if (stop?.()) throw new LintStopped();
      const key = `${t.name} ${c.name}`;
      if (!usable) return undefined;
      affected ??= reaching(parsed.ruleset, usable, ctx);
      if (affected.has(key)) return undefined;
      const before = usable.memo.chains.get(key);
      const found = before && movedFindings(before, usable.moved);
      if (!found) return undefined;
      memo.chains.set(key, found);
      reused++;
      return found;
    },
    record(t, c, found) {
      memo.chains.set(`${t.name} ${c.name}`, found);
    },
    finished(ctx) {
      // the verdicts the next edit's lint compares with. A chain the edit did not reach keeps the one it had: its
      // rules and the verdicts of the chains it jumps to are what they were (else `reaching` would have taken it in);
      // working each one out again was most of an edit's lint of 20,000 kube-proxy chains
      const before = usable && affected ? usable.memo.verdicts : null;
      for (const t of parsed.ruleset.tables) {
        for (const name of callersOf(t).keys()) {
          const key = `${t.name} ${name}`;
          const was = before && !affected!.has(key) ? before.get(key) : undefined;
          memo.verdicts.set(key, was !== undefined ? was : ctx.chainVerdict(t, name));
        }
      }
    },
  };
  return { findings: lintParsed(parsed, opts, chains), memo, reused };
}

/** the findings with their lines where they are now; undefined when one's line is gone */
function movedFindings(fs: readonly Finding[], moved: Int32Array): Finding[] | undefined {
  const out: Finding[] = [];
  for (const f of fs) {
    if (f.line <= 0) out.push(f);
    else {
      const to = moved[f.line] ?? 0;
      if (!to) return undefined;
      out.push(to === f.line ? f : { ...f, line: to });
    }
  }
  return out;
}

/**
 * The changed chains, and the chains that jump to a chain whose verdict is not
 * what it was (`table chain`) — up the jumps for as long as verdicts change.
 */
function reaching(rs: Ruleset, since: EditSince, ctx: LintContext): Set<string> {
  const out = new Set<string>();
  for (const t of rs.tables) {
    const start = since.changed.filter((c) => c.table === t.name).map((c) => c.chain);
    if (!start.length) continue;
    const callers = callersOf(t);
    const seen = new Set<string>(start);
    const stack = [...start];
    while (stack.length) {
      const x = stack.pop()!;
      const key = `${t.name} ${x}`;
      // a chain nobody jumps to had no verdict asked: its callers (none) need nothing
      const was = since.memo.verdicts.has(key) ? since.memo.verdicts.get(key) : undefined;
      if (was !== undefined && was === ctx.chainVerdict(t, x)) continue;
      for (const w of callers.get(x) ?? []) {
        if (seen.has(w)) continue;
        seen.add(w);
        stack.push(w);
      }
    }
    for (const n of seen) out.add(`${t.name} ${n}`);
  }
  return out;
}

function callersOf(t: Table): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  const add = (callee: string, c: Chain) => {
    let s = m.get(callee);
    if (!s) m.set(callee, (s = new Set()));
    s.add(c.name);
  };
  for (const c of t.chains) {
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const tg = rules[k].target;
      if (tg?.chain) add(tg.name, c);
    }
  }
  return m;
}

/**
 * What the packet-space environment is made of: the interface names (the
 * classes are built sorted, so a set) and, for IPv6, the networks the rules
 * name. The same sets, the same environment.
 */
interface Env {
  ins: Set<string>;
  outs: Set<string>;
  /**
   * IPv6 networks as `addr/mask` in hex (a power-of-two radix is a linear
   * conversion; in decimal and sorted into one key, 100,000 networks were ~0.2 s
   * of every lint). A Map keyed by the BigInts themselves was far slower.
   */
  nets: Set<string>;
}

function envOf(rs: Ruleset): Env {
  const env: Env = { ins: new Set(), outs: new Set(), nets: new Set() };
  const six = rs.family === 'ipv6';
  for (const t of rs.tables) {
    for (const c of t.chains) {
      const rules = c.rules;
      for (let k = 0; k < rules.length; k++) {
        const r = rules[k];
        if (r.inIface) env.ins.add(r.inIface.name);
        if (r.outIface) env.outs.add(r.outIface.name);
        if (six) {
          if (r.src?.kind === 'net6') env.nets.add(`${r.src.addr.toString(16)}/${r.src.mask.toString(16)}`);
          if (r.dst?.kind === 'net6') env.nets.add(`${r.dst.addr.toString(16)}/${r.dst.mask.toString(16)}`);
        }
      }
    }
  }
  return env;
}

/** the same sets (no order to agree on: nothing is sorted) */
function sameEnv(a: Env, b: Env): boolean {
  return sameSet(a.ins, b.ins) && sameSet(a.outs, b.outs) && sameSet(a.nets, b.nets);
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of b) if (!a.has(x)) return false;
  return true;
}
