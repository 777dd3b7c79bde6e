// unused-chain, undefined-chain and wrong-table: the structure of the ruleset.
import type { Table } from '../model.js';
import { findChain } from '../model.js';
import { validateTable } from '../validate.js';
import type { LintContext } from './context.js';

export function checkChains(ctx: LintContext, t: Table): void {
  const used = new Set<string>();
  // index loops, no callback per rule: this runs once per lint, mostly before the JIT has optimised it
  const chains = t.chains;
  for (let i = 0; i < chains.length; i++) {
    const c = chains[i];
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const tg = rules[k].target;
      if (!tg?.chain) continue;
      used.add(tg.name);
      if (!findChain(t, tg.name)) {
        ctx.report('error', 'undefined-chain', t, c, k, `rule #${k + 1} ${tg.kind === 'goto' ? 'goes' : 'jumps'} to chain ${tg.name}, which does not exist in the ${t.name} table`,
          `create it with :${tg.name} - [0:0] (or -N ${tg.name}) before the rule`);
      }
    }
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
