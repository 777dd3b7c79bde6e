// The renderer's analysis thread: parse, lint, diff and recipe placement run
// here so the page keeps answering while a 100,000-rule ruleset is analysed.
// Bundled by Vite as its own file (same origin: CSP worker-src 'self').
import { createEngine } from './engine.js';
import type { FromWorker, ToWorker } from './protocol.js';

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const handle = createEngine((m, transfer) => scope.postMessage(m, transfer ?? []));
scope.onmessage = (e) => handle(e.data);
