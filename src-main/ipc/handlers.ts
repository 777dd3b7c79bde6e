// The one handler map behind window.fw. Both transports (Electron's ipcMain and
// the browser-mode WebSocket) call `dispatch`, so validation, error mapping and
// the services behind them are written and tested once. Nothing here imports
// electron: what only Electron can do (a native dialog) comes in as a dependency.
import {
  FwFailure,
  fail,
  isChannel,
  ok,
  type AppInfo,
  type ArgsOf,
  type Channel,
  type Mode,
  type Result,
  type ResultOf,
} from '../contract/index.js';
import type { RecentFiles } from '../services/recent-files.js';

export interface HandlerDeps {
  app: { name: string; version: string; mode: Mode };
  recent: RecentFiles;
  /** a native "open file" dialog; absent in browser mode */
  pickRulesetFile?: () => Promise<string | null>;
}

export type Handlers = { [C in Channel]: (...args: ArgsOf<C>) => Promise<ResultOf<C>> };

type Validators = { [C in Channel]: (args: unknown[]) => boolean };

const isId = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x);

/** Arguments come from a page we treat as untrusted: check arity and types before any service sees them. */
const validators: Validators = {
  'app:get-info': (a) => a.length === 0,
  'ruleset:open-dialog': (a) => a.length === 0,
  'recent:list': (a) => a.length === 0,
  'recent:open': (a) => a.length === 1 && isId(a[0]),
  'recent:remove': (a) => a.length === 1 && isId(a[0]),
};

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    async 'app:get-info'(): Promise<AppInfo> {
      return { ...deps.app, capabilities: { openDialog: !!deps.pickRulesetFile } };
    },
    async 'ruleset:open-dialog'() {
      if (!deps.pickRulesetFile) throw new FwFailure('unsupported', 'there is no native file dialog in browser mode; choose a file in the page instead');
      const path = await deps.pickRulesetFile();
      return path === null ? null : deps.recent.openPath(path);
    },
    'recent:list': () => deps.recent.list(),
    'recent:open': (id) => deps.recent.open(id),
    'recent:remove': (id) => deps.recent.remove(id),
  };
}

export type Dispatch = (channel: unknown, args: unknown) => Promise<Result<unknown>>;

/** Validates, calls and wraps: never throws, always a Result. */
export function createDispatcher(handlers: Handlers, log: (msg: string) => void = () => {}): Dispatch {
  return async (channel, args) => {
    if (!isChannel(channel)) return fail('unknown-channel', `no such function: ${String(channel).slice(0, 80)}`);
    if (!Array.isArray(args) || !validators[channel](args)) return fail('invalid-argument', `invalid arguments for ${channel}`);
    try {
      const fn = handlers[channel] as (...a: unknown[]) => Promise<unknown>;
      return ok(await fn(...args));
    } catch (e) {
      if (e instanceof FwFailure) return fail(e.code, e.message);
      log(`${channel} failed: ${(e as Error)?.stack ?? String(e)}`);
      return fail('internal', `${channel} failed: ${(e as Error)?.message ?? String(e)}`);
    }
  };
}
