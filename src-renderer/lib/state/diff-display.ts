// What the diff view shows, row by row: per changed chain a header, the changed
// rows, a few unchanged rules around each change for context, and the longer
// unchanged runs folded into one row ("⋯ 42 unchanged rules") that the admin
// can open a bit at a time. Pure: plain data in, plain data out.
import type { ChainDiff, DiffRow, RulesetDiff } from '../../../src-main/core/index.js';

export type DisplayRow =
  | { kind: 'chain'; chain: ChainDiff }
  /** `change`: the number of this change (0-based) among all changes shown, -1 for an unchanged rule */
  | { kind: 'row'; chain: ChainDiff; row: DiffRow; change: number }
  /** `key` names the fold for `expanded`; `count` rules are hidden */
  | { kind: 'fold'; chain: ChainDiff; key: string; count: number };

interface DisplayOptions {
  /** chains without changes are left out (default true) */
  onlyChanges?: boolean;
  /** unchanged rules shown before and after each change (default 3) */
  context?: number;
  /** fold key → how many of its rules the admin opened (from its top) */
  expanded?: ReadonlyMap<string, number>;
}

interface Display {
  rows: DisplayRow[];
  /** position in `rows` of each change, in order (for F7 / Shift+F7) */
  changes: number[];
}

/** Folds shorter than this are shown: a fold row would hide no more than it takes. */
const MIN_FOLD = 2;

export function displayRows(d: RulesetDiff, opts: DisplayOptions = {}): Display {
  const onlyChanges = opts.onlyChanges ?? true;
  const context = opts.context ?? 3;
  const expanded = opts.expanded ?? new Map<string, number>();
  const rows: DisplayRow[] = [];
  const changes: number[] = [];
  for (const chain of d.chains) {
    if (onlyChanges && chain.status === 'same') continue;
    const policyChanged = !!chain.policy && chain.policy.from !== chain.policy.to;
    rows.push({ kind: 'chain', chain });
    if (policyChanged || chain.status === 'added' || chain.status === 'deleted') changes.push(rows.length - 1);
    const show = shownRows(chain.rows, context);
    let k = 0;
    while (k < chain.rows.length) {
      if (show[k]) {
        const row = chain.rows[k];
        const change = row.kind === 'same' ? -1 : changes.length;
        rows.push({ kind: 'row', chain, row, change });
        if (change >= 0) changes.push(rows.length - 1);
        k++;
        continue;
      }
      let end = k;
      while (end < chain.rows.length && !show[end]) end++;
      const key = `${chain.table}/${chain.chain}/${k}`;
      const open = Math.min(end - k, expanded.get(key) ?? 0);
      for (let q = k; q < k + open; q++) rows.push({ kind: 'row', chain, row: chain.rows[q], change: -1 });
      const rest = end - k - open;
      if (rest >= MIN_FOLD) rows.push({ kind: 'fold', chain, key, count: rest });
      else for (let q = k + open; q < end; q++) rows.push({ kind: 'row', chain, row: chain.rows[q], change: -1 });
      k = end;
    }
  }
  return { rows, changes };
}

/** Which rows stand within `context` of a change. */
function shownRows(rows: readonly DiffRow[], context: number): Uint8Array {
  const show = new Uint8Array(rows.length);
  let lastChange = -Infinity;
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].kind !== 'same') lastChange = r;
    if (r - lastChange <= context) show[r] = 1;
  }
  let nextChange = Infinity;
  for (let r = rows.length - 1; r >= 0; r--) {
    if (rows[r].kind !== 'same') nextChange = r;
    if (nextChange - r <= context) show[r] = 1;
  }
  return show;
}

/** The row glyph beside the colour (G2: never colour alone). */
export const ROW_GLYPH: Record<DiffRow['kind'], string> = { same: '', add: '+', delete: '−', replace: '~', 'move-from': '↕', 'move-to': '↕' };
export const ROW_WORD: Record<DiffRow['kind'], string> = { same: 'unchanged', add: 'added', delete: 'deleted', replace: 'changed', 'move-from': 'moved away', 'move-to': 'moved here' };
