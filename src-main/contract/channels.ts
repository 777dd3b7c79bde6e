// The single source of channel names and payloads (as GitHub Desktop's
// ipc-shared.ts): every function of window.fw is one entry here, and both
// implementations (the Electron preload and the browser-mode WebSocket client)
// are generated from this map, so they cannot drift apart.
import type { Result } from './result.js';

export type Mode = 'electron' | 'browser';

export interface AppInfo {
  name: string;
  version: string;
  mode: Mode;
  /** what this mode can do; the renderer offers only these */
  capabilities: {
    /** a native open-file dialog in main (else the renderer uses <input type=file>) */
    openDialog: boolean;
  };
}

/** A ruleset file read by main. `text` is untrusted: never insert it as HTML. */
export interface OpenedFile {
  /** opaque id for reopening through recentFiles; never a path the renderer may choose */
  id: string;
  name: string;
  /** shown to the admin so they know which file this is */
  path: string;
  size: number;
  text: string;
}

export interface RecentFile {
  id: string;
  name: string;
  path: string;
  /** ISO time */
  openedAt: string;
}

/** Channel → argument tuple and result value. */
export interface InvokeMap {
  'app:get-info': { args: []; result: AppInfo };
  /** shows the native open dialog; null when the admin cancels */
  'ruleset:open-dialog': { args: []; result: OpenedFile | null };
  /** files opened before (or given on the command line), newest first */
  'recent:list': { args: []; result: RecentFile[] };
  /** reads a recent file again, by its id */
  'recent:open': { args: [id: string]; result: OpenedFile };
  'recent:remove': { args: [id: string]; result: RecentFile[] };
}

export type Channel = keyof InvokeMap;
export type ArgsOf<C extends Channel> = InvokeMap[C]['args'];
export type ResultOf<C extends Channel> = InvokeMap[C]['result'];

/** window.fw's function names → channels. The preload exposes exactly these. */
export const FW_FUNCTIONS = {
  getAppInfo: 'app:get-info',
  openRulesetDialog: 'ruleset:open-dialog',
  listRecentFiles: 'recent:list',
  openRecentFile: 'recent:open',
  removeRecentFile: 'recent:remove',
} as const satisfies Record<string, Channel>;

export type FwFunctionName = keyof typeof FW_FUNCTIONS;

export type FwApi = {
  readonly [F in FwFunctionName]: (...args: ArgsOf<(typeof FW_FUNCTIONS)[F]>) => Promise<Result<ResultOf<(typeof FW_FUNCTIONS)[F]>>>;
};

export const CHANNELS: readonly Channel[] = Object.values(FW_FUNCTIONS);

export function isChannel(s: unknown): s is Channel {
  return typeof s === 'string' && (CHANNELS as readonly string[]).includes(s);
}

/** One transport-level invoke: `(channel, args) → Result`. */
export type InvokeFn = (channel: Channel, args: unknown[]) => Promise<Result<unknown>>;

/**
 * The factory both bridges use: one function per contract entry, each a thin
 * call into the transport. Plain functions only, so contextBridge copies them
 * cleanly and nothing else leaks into the page.
 */
export function buildFwApi(invoke: InvokeFn): FwApi {
  const api: Record<string, (...args: unknown[]) => Promise<Result<unknown>>> = {};
  for (const [name, channel] of Object.entries(FW_FUNCTIONS)) {
    api[name] = (...args: unknown[]) => invoke(channel, args);
  }
  return Object.freeze(api) as unknown as FwApi;
}
