/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { FwApi } from '../src-main/contract/index.js';

declare global {
  interface Window {
    /** provided by the Electron preload; absent in browser mode (see lib/bridge/fw.ts) */
    readonly fw?: FwApi;
  }
}
