// The one handler map behind window.fw. Both transports (Electron's ipcMain and
// the browser-mode WebSocket) call `dispatch`, so validation, error mapping and
// the services behind them are written and tested once. Nothing here imports
// electron: what only Electron can do (a native dialog) comes in as a dependency.
import {
  FwFailure,
  fail,
  MAX_RULESET_CHARS,
  isChannel,
  ok,
  type AppInfo,
  type ArgsOf,
  type Channel,
  type Mode,
  type Result,
  type ResultOf,
} from '../contract/index.js';
import { quoteToken } from '../core/clip.js';
import type { RecentFiles } from '../services/recent-files.js';
import { isHostProfileInput, type HostProfiles } from '../services/host-profiles.js';
import { isPromptAnswer } from '../services/prompts.js';
import type { HostWorkbench } from '../services/host-workbench.js';

interface HandlerDeps {
  app: { name: string; version: string; mode: Mode };
  recent: RecentFiles;
  profiles: HostProfiles;
  workbench: HostWorkbench;
  /** whether passwords can be kept in the OS keychain */
  secretsAvailable: boolean;
  /** a native "open file" dialog; absent in browser mode */
  pickRulesetFile?: () => Promise<string | null>;
  /** a native dialog for a profile's key or known_hosts file; absent in browser mode */
  pickHostFile?: (kind: 'identity' | 'known-hosts') => Promise<string | null>;
}

type Handlers = { [C in Channel]: (...args: ArgsOf<C>) => Promise<ResultOf<C>> };

type Validators = { [C in Channel]: (args: unknown[]) => boolean };

const isId = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x);

function isApplyRequest(x: unknown): boolean {
  const o = x as Record<string, unknown>;
  if (!o || typeof o !== 'object') return false;
  const b = o.base as Record<string, unknown> | null;
  const optHex = (v: unknown) => v === undefined || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
  return (
    typeof o.text === 'string' &&
    o.text.length <= MAX_RULESET_CHARS &&
    typeof o.name === 'string' &&
    o.name.length <= 200 &&
    typeof o.confirmTimeoutS === 'number' &&
    typeof o.force === 'boolean' &&
    (b === null ||
      (typeof b === 'object' &&
        typeof b.takenAt === 'string' &&
        optHex(b.savedSha256) &&
        optHex(b.runningRulesSha256) &&
        optHex(b.saved6Sha256) &&
        optHex(b.running6RulesSha256))) &&
    (o.family === undefined || o.family === 4 || o.family === 6) &&
    (o.ipv6 === undefined || (o.family !== 6 && isProposal(o.ipv6)))
  );
}

function isProposal(x: unknown): boolean {
  const o = x as Record<string, unknown>;
  return !!o && typeof o === 'object' && typeof o.text === 'string' && o.text.length <= MAX_RULESET_CHARS && typeof o.name === 'string' && o.name.length <= 200;
}

/** Arguments come from a page we treat as untrusted: check arity and types before any service sees them. */
const validators: Validators = {
  'app:get-info': (a) => a.length === 0,
  'ruleset:open-dialog': (a) => a.length === 0,
  'recent:list': (a) => a.length === 0,
  'recent:open': (a) => a.length === 1 && isId(a[0]),
  'recent:remove': (a) => a.length === 1 && isId(a[0]),
  'hosts:list': (a) => a.length === 0,
  'hosts:save': (a) => a.length === 1 && isHostProfileInput(a[0]),
  'hosts:pick-file': (a) => a.length === 1 && (a[0] === 'identity' || a[0] === 'known-hosts'),
  'hosts:remove': (a) => a.length === 1 && isId(a[0]),
  'hosts:forget-secrets': (a) => a.length === 1 && isId(a[0]),
  'host:connect': (a) => a.length === 1 && isId(a[0]),
  'host:disconnect': (a) => a.length === 1 && isId(a[0]),
  'host:pull': (a) => a.length === 1 && isId(a[0]),
  'host:history': (a) => a.length === 1 && isId(a[0]),
  'host:versions': (a) => a.length === 1 && isId(a[0]),
  'host:version': (a) => a.length === 2 && isId(a[0]) && isId(a[1]),
  'prompt:answer': (a) => a.length === 2 && isId(a[0]) && isPromptAnswer(a[1]),
  'apply:start': (a) => a.length === 2 && isId(a[0]) && isApplyRequest(a[1]),
  'apply:answer': (a) => a.length === 2 && isId(a[0]) && typeof a[1] === 'boolean',
};

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    async 'app:get-info'(): Promise<AppInfo> {
      return { ...deps.app, capabilities: { openDialog: !!deps.pickRulesetFile, secrets: deps.secretsAvailable } };
    },
    async 'ruleset:open-dialog'() {
      if (!deps.pickRulesetFile) throw new FwFailure('unsupported', 'there is no native file dialog in browser mode; choose a file in the page instead');
      const path = await deps.pickRulesetFile();
      return path === null ? null : deps.recent.openPath(path);
    },
    'recent:list': () => deps.recent.list(),
    'recent:open': (id) => deps.recent.open(id),
    'recent:remove': (id) => deps.recent.remove(id),
    'hosts:list': () => deps.profiles.list(),
    'hosts:save': (input) => deps.workbench.saveProfile(input),
    async 'hosts:pick-file'(kind) {
      if (!deps.pickHostFile) throw new FwFailure('unsupported', 'there is no native file dialog in browser mode: put the file in ~/.ssh and type its path');
      const path = await deps.pickHostFile(kind);
      if (path !== null) deps.workbench.files.remember(path);
      return path;
    },
    async 'hosts:remove'(id) {
      await deps.workbench.removeHost(id);
      return deps.profiles.remove(id);
    },
    'hosts:forget-secrets': (id) => deps.workbench.forgetSecrets(id),
    'host:connect': (id) => deps.workbench.connect(id),
    'host:disconnect': (id) => deps.workbench.disconnect(id),
    'host:pull': (id) => deps.workbench.pull(id),
    'host:history': (id) => deps.workbench.history(id),
    'host:versions': (id) => deps.workbench.versions(id),
    'host:version': (id, versionId) => deps.workbench.version(id, versionId),
    async 'prompt:answer'(id, answer) {
      deps.workbench.prompts.answer(id, answer);
      return null;
    },
    'apply:start': (id, req) => deps.workbench.startApply(id, req),
    async 'apply:answer'(id, keep) {
      return deps.workbench.answerApply(id, keep);
    },
  };
}

export type Dispatch = (channel: unknown, args: unknown) => Promise<Result<unknown>>;

/** Validates, calls and wraps: never throws, always a Result. */
export function createDispatcher(handlers: Handlers, log: (msg: string) => void = () => {}): Dispatch {
  return async (channel, args) => {
    // the channel is untrusted data: String() on {toString: 1} throws, so only a string is quoted
    if (!isChannel(channel)) return fail('unknown-channel', typeof channel === 'string' ? `no such function: ${quoteToken(channel)}` : 'a call needs a channel name (a string)');
    if (!Array.isArray(args) || !validators[channel](args)) return fail('invalid-argument', `invalid arguments for ${channel}`);
    try {
      const fn = handlers[channel] as (...a: unknown[]) => Promise<unknown>;
      return ok(await fn(...args));
    } catch (e) {
      if (e instanceof FwFailure) return fail(e.code, e.message, e.details);
      // what was thrown may be anything, even an object whose message getter throws
      log(`${channel} failed: ${describeThrown(e, true)}`);
      return fail('internal', `${channel} failed: ${describeThrown(e, false)}`);
    }
  };
}

/** What was thrown, as text, whatever it is (String() itself can throw on a hostile object). */
function describeThrown(e: unknown, stack: boolean): string {
  try {
    if (e instanceof Error) return (stack ? e.stack : e.message) ?? e.message;
    return String(e);
  } catch {
    return 'an unprintable value was thrown';
  }
}
