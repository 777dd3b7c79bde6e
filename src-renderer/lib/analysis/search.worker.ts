// The renderer's search thread: the large files' search indexes live here and
// queries run here, beside the analysis worker (a lint does not hold a query up).
import { createSearchEngine, type FromSearch, type ToSearch } from './search-engine.js';

const scope = self as unknown as { postMessage(m: FromSearch, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToSearch>) => void) | null };
const handle = createSearchEngine((m, transfer) => scope.postMessage(m, transfer ?? []));
scope.onmessage = (e) => handle(e.data);
