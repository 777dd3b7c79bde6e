// Which rows of a staged step are new or changed, and which rules of the
// file as opened are gone: compared by the line as written, which the
// preserving writer keeps for every rule that was not touched. Plain data in,
// plain data out, so the analysis worker computes it for a large file.
import type { RuleRow } from './rows.js';

export interface StagedMarks {
  /** rows of the current step whose text is not in the base */
  changed: Set<number>;
  /** the base's rule lines that are gone */
  deleted: string[];
}

export function stagedMarksOf(base: { rows: readonly RuleRow[]; lines: readonly string[] }, cur: { rows: readonly RuleRow[]; lines: readonly string[] }): StagedMarks {
  const key = (r: RuleRow, lines: readonly string[]) =>
    r.kind === 'rule' || r.kind === 'disabled' ? `${r.table}\u0000${r.chain.name}\u0000${r.line ? lines[r.line - 1] : ''}` : null;
  const before = new Map<string, number>();
  for (const r of base.rows) {
    const k = key(r, base.lines);
    if (k) before.set(k, (before.get(k) ?? 0) + 1);
  }
  const changed = new Set<number>();
  cur.rows.forEach((r, i) => {
    const k = key(r, cur.lines);
    if (!k) return;
    const n = before.get(k) ?? 0;
    if (n > 0 && (r.kind === 'rule' || r.kind === 'disabled') && r.line) before.set(k, n - 1);
    else changed.add(i);
  });
  const deleted: string[] = [];
  for (const [k, n] of before) for (let j = 0; j < n; j++) deleted.push(k.split('\u0000')[2]);
  return { changed, deleted };
}
