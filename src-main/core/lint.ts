// The lint: everything an experienced admin would point out in a ruleset,
// as findings with a code, a severity, a place and a fix. Each check lives in
// lint/ and works on the parsed ruleset only, so the UI, the importer and the
// CLI share it.
import { ruleCount, type Chain, type Ruleset, type Table } from './model.js';
import type { Finding } from './findings.js';
import type { ParseResult } from './parse.js';
import { LintContext, type LintOptions } from './lint/context.js';
import { checkShadows, checkTrailingPolicy } from './lint/shadow.js';
import { checkChains, checkWrongTable } from './lint/chains.js';
import { checkMatches, nthCascade } from './lint/matches.js';
import { checkBalance } from './lint/balance.js';
import { checkDnatPorts, checkEstablished, checkLimit, checkSourcePorts, checkSshLockout } from './lint/flow.js';
import { checkIpv6 } from './lint/ipv6.js';

export type { LintOptions } from './lint/context.js';

export function lintRuleset(ruleset: Ruleset, opts: LintOptions = {}): Finding[] {
  return sortFindings(dedupe(collect(ruleset, opts)));
}

/**
 * The per-chain checks' findings of chains a lint before an edit already
 * worked out (lint-incremental.ts): a chain's own checks read only its rules,
 * the verdicts of the chains it jumps to and the packet-space environment (the
 * interface names and IPv6 networks of the whole ruleset).
 */
export interface ChainLint {
  /** the chain's findings as an earlier lint made them (lines moved to where they are now); undefined: check it */
  reuse(t: Table, c: Chain, ctx: LintContext): readonly Finding[] | undefined;
  /** what the checks found for a chain they ran on */
  record(t: Table, c: Chain, found: Finding[]): void;
  /** every check has run (the context's verdicts of chains can be read) */
  finished(ctx: LintContext): void;
}

/** Every check's findings, in the order the checks made them (duplicates included). */
function collect(ruleset: Ruleset, opts: LintOptions, wrongTableKnown = false, chains?: ChainLint): Finding[] {
  const ctx = new LintContext(ruleset, opts);
  for (const t of ruleset.tables) {
    checkChains(ctx, t);
    if (!wrongTableKnown) checkWrongTable(ctx, t);
    checkMatches(ctx, t);
    for (const c of t.chains) {
      const known = chains?.reuse(t, c, ctx);
      if (known) {
        for (const f of known) ctx.findings.push(f);
        continue;
      }
      const from = ctx.findings.length;
      checkShadows(ctx, t, c);
      checkTrailingPolicy(ctx, t, c);
      checkBalance(ctx, t, c);
      checkLimit(ctx, t, c);
      checkSourcePorts(ctx, t, c);
      ctx.release(t, c);
      opts.checked?.(c.rules.length);
      chains?.record(t, c, ctx.findings.slice(from));
    }
  }
  // the checks over the whole ruleset, each told as done (LintOptions.checked)
  const all = opts.checked && ruleCount(ruleset);
  for (const check of [checkDnatPorts, checkEstablished, checkSshLockout, checkIpv6]) {
    check(ctx);
    if (all) opts.checked!(all);
  }
  chains?.finished(ctx);
  return ctx.findings;
}

/**
 * Parse findings and lint findings of one file together, each problem once:
 * what the parser already reported (wrong-table at COMMIT, -m nth) is not
 * repeated, and a parse error on `-m nth` gets the statistic cascade as its fix.
 */
export function lintParsed(parsed: Pick<ParseResult, 'ruleset' | 'findings' | 'lines'>, opts: LintOptions = {}, chains?: ChainLint): Finding[] {
  const parseFindings = parsed.findings.map((f) => (f.code === 'obsolete-match' ? withCascade(f, parsed.lines) : f));
  // one dedupe and sort over both (the same result as deduping and sorting the lint's own first)
  const all = parseFindings;
  // A file that parsed without errors had every table validated at its COMMIT
  // (wrong-table included): the kernel checks are not walked a second time.
  const wrongTableKnown = !parsed.findings.some((f) => f.severity === 'error');
  for (const f of collect(parsed.ruleset, opts, wrongTableKnown, chains)) all.push(f);
  return sortFindings(dedupe(all));
}

function withCascade(f: Finding, lines: string[]): Finding {
  const text = lines[f.line - 1] ?? '';
  if (!/-m\s+nth\b/.test(text)) return f;
  // the group: neighbouring lines with -m nth and the same --every
  const every = /--every\s+(\d+)/.exec(text)?.[1];
  let count = every ? Number(every) : 0;
  if (!(count >= 2 && count <= 64)) count = 0;
  if (!count) {
    let n = 1;
    for (let k = f.line; k < lines.length && /-m\s+nth\b/.test(lines[k]); k++) n++;
    count = n;
  }
  const cascade = nthCascade(count);
  return {
    ...f,
    fix: `-m nth is gone; with -m statistic each rule has its own counter, so split ${count} ways as: ${cascade.map((s, k) => `rule ${k + 1}: ${s}`).join('; ')}`,
  };
}

/**
 * Each problem once: the first finding with the same code, line, table, chain
 * and rule wins, and one wrong-table finding per line is enough.
 */
function dedupe(fs: Finding[]): Finding[] {
  const kept = new Map<number, Finding[]>(); // by line
  return fs.filter((f) => {
    const same = kept.get(f.line);
    if (!same) {
      kept.set(f.line, [f]);
      return true;
    }
    for (const g of same) {
      if (g.code !== f.code) continue;
      if (f.code === 'wrong-table') return false;
      if ((g.table ?? '') === (f.table ?? '') && (g.chain ?? '') === (f.chain ?? '') && (g.index ?? '') === (f.index ?? '')) return false;
    }
    same.push(f);
    return true;
  });
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;
function sortFindings(fs: Finding[]): Finding[] {
  return fs.sort((a, b) => a.line - b.line || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (a.code === b.code ? 0 : a.code.localeCompare(b.code)));
}
