// Two rulesets side by side. The comparison is the core's semantic diff
// (canonical rule text per chain, moves and replaces recognised), $derived from
// the two documents so it is recomputed only when one of them changes.
import { diffRulesetsDetailed, type ChainDiff, type DiffRow, type RulesetDiff } from '../../../src-main/core/index.js';
import type { RulesetDoc } from './ruleset-doc.svelte.js';

export type DiffViewRow = { kind: 'chain'; chain: ChainDiff } | { kind: 'row'; chain: ChainDiff; row: DiffRow };

export class DiffSession {
  left = $state.raw<RulesetDoc | null>(null);
  right = $state.raw<RulesetDoc | null>(null);
  onlyChanges = $state(true);
  selectedRow = $state(-1);

  /** THE diff call site: src-main/core/diff.ts */
  diff = $derived<RulesetDiff | null>(this.left && this.right ? diffRulesetsDetailed(this.left.ruleset, this.right.ruleset) : null);

  rows = $derived(this.diff ? flattenDiff(this.diff, this.onlyChanges) : []);

  summary = $derived.by(() => {
    const s = { add: 0, delete: 0, replace: 0, move: 0, policy: 0, chains: 0 };
    for (const c of this.diff?.changes ?? []) {
      if (c.op === 'chain-add' || c.op === 'chain-delete') s.chains++;
      else s[c.op]++;
    }
    return s;
  });

  changeCount = $derived(this.diff?.changes.length ?? 0);
}

export function flattenDiff(d: RulesetDiff, onlyChanges: boolean): DiffViewRow[] {
  const out: DiffViewRow[] = [];
  for (const chain of d.chains) {
    if (onlyChanges && chain.status === 'same') continue;
    out.push({ kind: 'chain', chain });
    for (const row of chain.rows) if (!onlyChanges || row.kind !== 'same') out.push({ kind: 'row', chain, row });
  }
  return out;
}
