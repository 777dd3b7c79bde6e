// The page's side of the search worker: it hands a large file's index over
// (its arrays transferred: the page keeps none of it) and asks queries, each
// answered with the hits' rows or "none" when a newer query overtook it.
import { searchIndexBuffers, type SearchIndex, type SearchQuery, type SearchResult } from '../state/search-index.js';
import type { Severity } from '../../../src-main/core/index.js';
import { createSearchEngine, type FromSearch, type SeverityLines, type ToSearch } from './search-engine.js';

interface SearchWorkerLike {
  postMessage(m: ToSearch, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<FromSearch>) => void) | null;
}

/** what the search worker says of an index it took */
export interface IndexInfo {
  targets: string[];
  size: number;
}

/** a query's answer; `missing`: the worker has no index for the document (build and send it again) */
type QueryAnswer = { result: SearchResult } | { result: null; missing: boolean };

export class SearchClient {
  private worker: SearchWorkerLike | null = null;
  private nextId = 1;
  private readonly asked = new Map<number, (a: QueryAnswer) => void>();
  private readonly installing = new Map<number, (i: IndexInfo) => void>();

  constructor(private readonly spawn: () => SearchWorkerLike) {}

  /** Hands the index over (its arrays are transferred: unusable here afterwards). */
  install(doc: number, ix: SearchIndex): Promise<IndexInfo> {
    return new Promise((resolve) => {
      this.installing.set(doc, resolve);
      this.ensure().postMessage({ type: 'index', doc, ix }, searchIndexBuffers(ix));
    });
  }

  query(doc: number, query: SearchQuery, severities?: ReadonlyMap<number, Severity>): Promise<QueryAnswer> {
    const id = this.nextId++;
    const severity: SeverityLines | undefined = severities ? { lines: Int32Array.from(severities.keys()), severities: [...severities.values()] } : undefined;
    return new Promise((resolve) => {
      this.asked.set(id, resolve);
      this.ensure().postMessage({ type: 'query', id, doc, query, ...(severity ? { severity } : {}) });
    });
  }

  drop(doc: number): void {
    this.worker?.postMessage({ type: 'drop', doc });
  }

  private ensure(): SearchWorkerLike {
    if (this.worker) return this.worker;
    const w = this.spawn();
    w.onmessage = (e) => this.onMessage(e.data);
    this.worker = w;
    return w;
  }

  private onMessage(m: FromSearch): void {
    if (m.type === 'indexed') {
      const r = this.installing.get(m.doc);
      this.installing.delete(m.doc);
      r?.({ targets: m.targets, size: m.size });
      return;
    }
    const r = this.asked.get(m.id);
    this.asked.delete(m.id);
    if (!r) return;
    if (m.type === 'none') r({ result: null, missing: m.missing });
    else r({ result: { hits: Array.from(m.hits), rows: Array.from(m.rows), total: m.total, ms: m.ms } });
  }
}

function spawnSearchWorker(): SearchWorkerLike {
  if (typeof Worker === 'undefined') return inlineSearchWorker();
  return new Worker(new URL('./search.worker.ts', import.meta.url), { type: 'module', name: 'portcullis-search' }) as unknown as SearchWorkerLike;
}

/** The search engine on this thread (unit tests, no Worker), with the worker's copy semantics and asynchrony. */
export function inlineSearchWorker(): SearchWorkerLike {
  const w: SearchWorkerLike = {
    onmessage: null,
    postMessage(m, transfer) {
      const copy = structuredClone(m, { transfer });
      setTimeout(() => handle(copy), 0);
    },
  };
  const handle = createSearchEngine((m, transfer) => {
    const copy = structuredClone(m, { transfer });
    setTimeout(() => w.onmessage?.({ data: copy } as MessageEvent<FromSearch>), 0);
  });
  return w;
}

export const search = new SearchClient(spawnSearchWorker);
