// The search worker's work, as a plain function of messages (like engine.ts):
// it holds the search index of each large open file (built by the analysis
// worker, handed over with its arrays transferred, never kept on the page)
// and answers queries. A worker of its own, so a query is answered while the
// analysis worker is busy with a lint; only the newest query of a document is
// run, the ones it overtook are answered "superseded".
import { facetValues, searchRules, unpackHay, type SearchIndex, type SearchQuery } from '../state/search-index.js';
import type { Severity } from '../../../src-main/core/index.js';

/** indexes kept (one per large open document, a few steps of staged edits) */
const KEEP = 6;

export interface SeverityLines {
  /** lines with a finding, and the worst one's severity on each */
  lines: Int32Array;
  severities: Severity[];
}

export type ToSearch =
  | { type: 'index'; doc: number; ix: SearchIndex }
  | { type: 'query'; id: number; doc: number; query: SearchQuery; severity?: SeverityLines }
  | { type: 'drop'; doc: number };

export type FromSearch =
  | { type: 'indexed'; doc: number; targets: string[]; size: number }
  /** the rows of the hits, and the rows to show (hits with their table and chain headers), transferred */
  | { type: 'result'; id: number; hits: Int32Array; rows: Int32Array; total: number; ms: number }
  /** a newer query of the same document came first, or the document's index is gone (`missing`: send it again) */
  | { type: 'none'; id: number; missing: boolean };

type SearchPost = (m: FromSearch, transfer?: Transferable[]) => void;

export function createSearchEngine(post: SearchPost): (m: ToSearch) => void {
  const indexes = new Map<number, SearchIndex>();
  const waiting = new Map<number, Extract<ToSearch, { type: 'query' }>>();
  let scheduled = false;

  function answer(q: Extract<ToSearch, { type: 'query' }>): void {
    const ix = indexes.get(q.doc);
    if (!ix) return post({ type: 'none', id: q.id, missing: true });
    const sev = q.severity ? severityOf(q.severity) : undefined;
    const r = searchRules(ix, q.query, sev);
    const hits = Int32Array.from(r.hits);
    const rows = Int32Array.from(r.rows);
    post({ type: 'result', id: q.id, hits, rows, total: r.total, ms: r.ms }, [hits.buffer, rows.buffer]);
  }

  // queries wait for the messages already queued (the keys typed meanwhile): only the newest of a document is run
  function flush(): void {
    scheduled = false;
    const qs = [...waiting.values()];
    waiting.clear();
    for (const q of qs) answer(q);
  }

  return (m) => {
    switch (m.type) {
      case 'index':
        indexes.delete(m.doc);
        indexes.set(m.doc, unpackHay(m.ix));
        while (indexes.size > KEEP) indexes.delete(indexes.keys().next().value!);
        return post({ type: 'indexed', doc: m.doc, targets: facetValues(m.ix, 'target'), size: m.ix.size });
      case 'drop':
        indexes.delete(m.doc);
        return;
      case 'query': {
        const before = waiting.get(m.doc);
        if (before) post({ type: 'none', id: before.id, missing: false });
        waiting.set(m.doc, m);
        if (!scheduled) {
          scheduled = true;
          setTimeout(flush, 0);
        }
        return;
      }
    }
  };
}

function severityOf(s: SeverityLines): (line: number) => Severity | undefined {
  const m = new Map<number, Severity>();
  s.lines.forEach((l, k) => m.set(l, s.severities[k]));
  return (l) => m.get(l);
}
