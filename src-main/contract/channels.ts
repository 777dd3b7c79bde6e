// The single source of channel names and payloads (as GitHub Desktop's
// ipc-shared.ts): every function of window.fw is one entry here, and both
// implementations (the Electron preload and the browser-mode WebSocket client)
// are generated from this map, so they cannot drift apart.
import type { Result } from './result.js';
import type {
  ApplyRequest,
  AuditEntryDto,
  FwEvent,
  HostConnectionInfo,
  HostProfile,
  HostProfileInput,
  HostVersionDto,
  PromptAnswer,
  PullDto,
} from './hosts.js';

export type Mode = 'electron' | 'browser';

export interface AppInfo {
  name: string;
  version: string;
  mode: Mode;
  /** what this mode can do; the renderer offers only these */
  capabilities: {
    /** a native open-file dialog in main (else the renderer uses <input type=file>) */
    openDialog: boolean;
    /** passwords and passphrases can be kept in the OS keychain (Electron safeStorage); else they are asked each time */
    secrets: boolean;
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
interface InvokeMap {
  'app:get-info': { args: []; result: AppInfo };
  /** shows the native open dialog; null when the admin cancels */
  'ruleset:open-dialog': { args: []; result: OpenedFile | null };
  /** files opened before (or given on the command line), newest first */
  'recent:list': { args: []; result: RecentFile[] };
  /** reads a recent file again, by its id */
  'recent:open': { args: [id: string]; result: OpenedFile };
  'recent:remove': { args: [id: string]; result: RecentFile[] };

  /** saved host profiles, by name */
  'hosts:list': { args: []; result: HostProfile[] };
  /** adds (no id) or updates a profile; invalid fields fail with details.kind 'fields' */
  'hosts:save': { args: [input: HostProfileInput]; result: HostProfile };
  /**
   * A native dialog for a profile's identity or known_hosts file; null when the
   * admin cancels. Only a file picked here (or one under ~/.ssh) may be saved
   * in a profile. Not in browser mode (code 'unsupported').
   */
  'hosts:pick-file': { args: [kind: 'identity' | 'known-hosts']; result: string | null };
  /** removes the profile and its keychain entries; disconnects it */
  'hosts:remove': { args: [id: string]; result: HostProfile[] };
  /** forgets the passwords and passphrases kept for the profile */
  'hosts:forget-secrets': { args: [id: string]; result: null };
  /**
   * Connects (strict host keys: an unknown key is a prompt event; a changed key
   * fails with code host-key and both fingerprints) and gathers the facts.
   * Waits on the person for prompts, so it may take long.
   */
  'host:connect': { args: [id: string]; result: HostConnectionInfo };
  'host:disconnect': { args: [id: string]; result: null };
  /** the saved file and the running rules, through the open connection */
  'host:pull': { args: [id: string]; result: PullDto };
  /** the local audit history of this host's applies, newest first */
  'host:history': { args: [id: string]; result: AuditEntryDto[] };
  /** the versions of this host's rules kept on the laptop (each pull, each apply), newest first */
  'host:versions': { args: [id: string]; result: HostVersionDto[] };
  /** one kept version with its text */
  'host:version': { args: [id: string, versionId: string]; result: { version: HostVersionDto; text: string } };
  /** the answer to a prompt event */
  'prompt:answer': { args: [promptId: string, answer: PromptAnswer]; result: null };
  /** starts a safe apply; progress, the keep-or-revert question and the outcome come as events */
  'apply:start': { args: [hostId: string, request: ApplyRequest]; result: { applyId: string } };
  /** keep (true) or revert (false) the rules of a running apply that asked */
  'apply:answer': { args: [applyId: string, keep: boolean]; result: null };
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
  listHosts: 'hosts:list',
  saveHost: 'hosts:save',
  pickHostFile: 'hosts:pick-file',
  removeHost: 'hosts:remove',
  forgetHostSecrets: 'hosts:forget-secrets',
  connectHost: 'host:connect',
  disconnectHost: 'host:disconnect',
  pullHost: 'host:pull',
  hostHistory: 'host:history',
  hostVersions: 'host:versions',
  hostVersion: 'host:version',
  answerPrompt: 'prompt:answer',
  startApply: 'apply:start',
  answerApply: 'apply:answer',
} as const satisfies Record<string, Channel>;

type FwFunctionName = keyof typeof FW_FUNCTIONS;

export type FwListener = (event: FwEvent) => void;

export type FwApi = {
  readonly [F in FwFunctionName]: (...args: ArgsOf<(typeof FW_FUNCTIONS)[F]>) => Promise<Result<ResultOf<(typeof FW_FUNCTIONS)[F]>>>;
} & {
  /** events from main (prompts, apply progress); returns the function that stops listening */
  readonly onEvent: (listener: FwListener) => () => void;
};

/** The one Electron channel main sends events on (webContents.send). */
export const EVENT_CHANNEL = 'fw:event';

/** Calls that wait on a person (prompts) or on a host: the WebSocket client gives them no short timeout. */
export const LONG_CHANNELS: readonly Channel[] = ['host:connect', 'host:pull', 'apply:start', 'hosts:pick-file'];

export const CHANNELS: readonly Channel[] = Object.values(FW_FUNCTIONS);

export function isChannel(s: unknown): s is Channel {
  return typeof s === 'string' && (CHANNELS as readonly string[]).includes(s);
}

/** One transport-level invoke: `(channel, args) → Result`. */
type InvokeFn = (channel: Channel, args: unknown[]) => Promise<Result<unknown>>;
/** One transport-level subscription to main's events. */
type SubscribeFn = (listener: FwListener) => () => void;

/**
 * The factory both bridges use: one function per contract entry, each a thin
 * call into the transport. Plain functions only, so contextBridge copies them
 * cleanly and nothing else leaks into the page.
 */
export function buildFwApi(invoke: InvokeFn, subscribe: SubscribeFn): FwApi {
  const api: Record<string, (...args: never[]) => unknown> = {};
  for (const [name, channel] of Object.entries(FW_FUNCTIONS)) {
    api[name] = (...args: unknown[]) => invoke(channel, args);
  }
  api.onEvent = (listener: FwListener) => {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
    return subscribe(listener);
  };
  return Object.freeze(api) as unknown as FwApi;
}
