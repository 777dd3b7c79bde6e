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

/** a document's rows as the marks read them; `heads`: the table and chain rows' indexes, in order (RuleRows.heads) */
export interface MarkedRows {
  rows: readonly RuleRow[];
  lines: readonly string[];
  heads?: readonly number[];
}

/**
 * `only` ("table chain"): the chains that can differ (the rest hold the same
 * lines in both: each of their rows finds itself in the base, so none is
 * marked and none is gone); their rows alone are compared, found through the
 * heads. The same marks as comparing every row, at the cost of those chains.
 */
export function stagedMarksOf(base: MarkedRows, cur: MarkedRows, only?: ReadonlySet<string>): StagedMarks {
  const key = (r: RuleRow, lines: readonly string[]) =>
    r.kind === 'rule' || r.kind === 'disabled' ? `${r.table}\u0000${r.chain.name}\u0000${r.line ? lines[r.line - 1] : ''}` : null;
  const before = new Map<string, number>();
  for (const i of rowsIn(base, only)) {
    const k = key(base.rows[i], base.lines);
    if (k) before.set(k, (before.get(k) ?? 0) + 1);
  }
  const changed = new Set<number>();
  for (const i of rowsIn(cur, only)) {
    const r = cur.rows[i];
    const k = key(r, cur.lines);
    if (!k) continue;
    const n = before.get(k) ?? 0;
    if (n > 0 && (r.kind === 'rule' || r.kind === 'disabled') && r.line) before.set(k, n - 1);
    else changed.add(i);
  }
  const deleted: string[] = [];
  for (const [k, n] of before) for (let j = 0; j < n; j++) deleted.push(k.split('\u0000')[2]);
  return { changed, deleted };
}

/** the indexes of every row, or (with `only` and the heads) of the rows of those chains, in order */
function* rowsIn(d: MarkedRows, only?: ReadonlySet<string>): Generator<number> {
  if (!only || !d.heads) {
    for (let i = 0; i < d.rows.length; i++) yield i;
    return;
  }
  const heads = d.heads;
  for (let h = 0; h < heads.length; h++) {
    const r = d.rows[heads[h]];
    if (r.kind !== 'chain' || !only.has(`${r.table} ${r.chain.name}`)) continue;
    const end = h + 1 < heads.length ? heads[h + 1] : d.rows.length;
    for (let i = heads[h] + 1; i < end; i++) yield i;
  }
}
