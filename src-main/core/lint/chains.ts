// unused-chain, undefined-chain and wrong-table: the structure of the ruleset.
import type { Table } from '../model.js';
import { findChain } from '../model.js';
import { validateTable } from '../validate.js';
import type { LintContext } from './context.js';

export function checkChains(ctx: LintContext, t: Table): void {
  const used = new Set<string>();
  for (const c of t.chains) {
    c.rules.forEach((r, k) => {
      if (!r.target?.chain) return;
      used.add(r.target.name);
      if (!findChain(t, r.target.name)) {
        ctx.report('error', 'undefined-chain', t, c, k, `rule #${k + 1} ${r.target.kind === 'goto' ? 'goes' : 'jumps'} to chain ${r.target.name}, which does not exist in the ${t.name} table`,
          `create it with :${r.target.name} - [0:0] (or -N ${r.target.name}) before the rule`);
      }
    });
  }
  for (const c of t.chains) {
    if (c.builtin || used.has(c.name)) continue;
    ctx.report('warning', 'unused-chain', t, c, null,
      `chain ${c.name} is never used: no rule in the ${t.name} table jumps or goes to it${c.rules.length ? `, so its ${c.rules.length} rule${c.rules.length > 1 ? 's' : ''} never run` : ''}`,
      `add a rule such as -A INPUT -j ${c.name}, or delete the chain`);
  }
}

/** Targets in a table or hook the kernel refuses (DNAT in filter …): what iptables-restore fails on at COMMIT. */
export function checkWrongTable(ctx: LintContext, t: Table): void {
  for (const f of validateTable(t, t.source?.line ?? 0)) if (f.code === 'wrong-table') ctx.findings.push(f);
}
