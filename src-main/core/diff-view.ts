// The diff as text for the command line: unified, or side by side.
import type { ChainDiff, DiffRow, RowKind, RulesetDiff } from './diff-types.js';

interface ViewOptions {
  /** unchanged rules shown around each change (default 3) */
  context?: number;
}

function chainHeader(c: ChainDiff): string {
  const pol = c.policy && c.policy.from !== c.policy.to ? ` policy ${c.policy.from} → ${c.policy.to}` : '';
  const st = c.status === 'added' ? ' (new chain)' : c.status === 'deleted' ? ' (chain deleted)' : '';
  return `@@ ${c.table} ${c.chain}${st}${pol} @@`;
}

/** Which rows to show with `context` unchanged rows around changes; null marks a skipped run. */
function visibleRows(rows: DiffRow[], context: number): (DiffRow | { skipped: number })[] {
  const show = new Uint8Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].kind === 'same') continue;
    for (let q = Math.max(0, r - context); q <= Math.min(rows.length - 1, r + context); q++) show[q] = 1;
  }
  const out: (DiffRow | { skipped: number })[] = [];
  let skipped = 0;
  for (let r = 0; r < rows.length; r++) {
    if (show[r] && rows[r].skipped === undefined) {
      if (skipped) out.push({ skipped });
      skipped = 0;
      out.push(rows[r]);
    } else skipped += rows[r].skipped ?? 1;
  }
  if (skipped) out.push({ skipped });
  return out;
}

/** A unified view, one hunk per changed chain: ` ` kept, `-` old, `+` new. */
export function formatUnified(d: RulesetDiff, oldName: string, newName: string, opts: ViewOptions = {}): string {
  const context = opts.context ?? 3;
  const lines: string[] = [`--- ${oldName}`, `+++ ${newName}`];
  for (const c of d.chains) {
    if (c.status === 'same') continue;
    lines.push(chainHeader(c));
    for (const r of visibleRows(c.rows, context)) {
      if ('skipped' in r) {
        lines.push(`  … ${r.skipped} unchanged rule${r.skipped === 1 ? '' : 's'}`);
        continue;
      }
      switch (r.kind) {
        case 'same': lines.push(`  ${r.right!.text}`); break;
        case 'delete': lines.push(`- ${r.left!.text}`); break;
        case 'add': lines.push(`+ ${r.right!.text}`); break;
        case 'replace': lines.push(`- ${r.left!.text}`, `+ ${r.right!.text}`); break;
        case 'move-from': lines.push(`- ${r.left!.text}    # moved to #${r.other}`); break;
        case 'move-to': lines.push(`+ ${r.right!.text}    # moved from #${r.other}`); break;
      }
    }
  }
  return lines.join('\n') + '\n';
}

function fit(s: string, w: number): string {
  const chars = [...s];
  if (chars.length <= w) return s + ' '.repeat(w - chars.length);
  return chars.slice(0, w - 1).join('') + '…';
}

/** Two columns per changed chain, old on the left, new on the right, a marker between. */
export function formatSideBySide(d: RulesetDiff, oldName: string, newName: string, opts: ViewOptions & { width?: number } = {}): string {
  const context = opts.context ?? 3;
  const col = Math.max(20, Math.floor(((opts.width ?? 160) - 3) / 2));
  const lines: string[] = [`${fit(oldName, col)}   ${newName}`];
  const marks: Record<RowKind, string> = { same: ' ', add: '>', delete: '<', replace: '|', 'move-from': '<', 'move-to': '>' };
  for (const c of d.chains) {
    if (c.status === 'same') continue;
    lines.push(chainHeader(c));
    for (const r of visibleRows(c.rows, context)) {
      if ('skipped' in r) {
        lines.push(fit(`… ${r.skipped} unchanged`, col) + '   ' + `… ${r.skipped} unchanged`);
        continue;
      }
      const left = r.left ? `${r.left.index} ${r.left.text}` : '';
      let right = r.right ? `${r.right.index} ${r.right.text}` : '';
      let leftText = left;
      if (r.kind === 'move-from') leftText = `${left} (→ #${r.other})`;
      if (r.kind === 'move-to') right = `${right} (from #${r.other})`;
      lines.push(`${fit(leftText, col)} ${marks[r.kind]} ${right}`.trimEnd());
    }
  }
  return lines.join('\n') + '\n';
}
