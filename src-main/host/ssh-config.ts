// ~/.ssh/config, read the way OpenSSH reads it for one destination: a single
// pass, first value wins (IdentityFile and friends accumulate), Host and Match
// blocks switch options on and off, Include splices files in place. `Match exec`
// is never run: a configuration file must not make the app execute commands.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { patternListMatches, wildcardMatch } from './known-hosts.js';

export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  proxyJump?: string;
  proxyCommand?: string;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  hostKeyAlias?: string;
  strictHostKeyChecking?: string;
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  pubkeyAuthentication?: boolean;
  passwordAuthentication?: boolean;
  kbdInteractiveAuthentication?: boolean;
  batchMode?: boolean;
  /** things in the file we did not honour, with where */
  warnings: string[];
}

export interface SshConfigContext {
  /** the destination as typed (alias) */
  host: string;
  /** user from the command line, if any (Match user) */
  user?: string;
  localUser?: string;
  homeDir?: string;
  /** file reader, replaceable in tests */
  readFile?: (path: string) => string | undefined;
  listDir?: (dir: string) => string[];
}

const MULTI = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);

/** Splits an option line into keyword and arguments, honouring `key=value` and double quotes. */
export function splitConfigLine(line: string): { key: string; args: string[] } | undefined {
  const t = line.trim();
  if (!t || t.startsWith('#')) return undefined;
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/.exec(t);
  if (!m) return undefined;
  const args: string[] = [];
  const rest = m[2];
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /\s/.test(rest[i])) i++;
    if (i >= rest.length) break;
    if (rest[i] === '#') break; // trailing comment
    let arg = '';
    if (rest[i] === '"') {
      i++;
      while (i < rest.length && rest[i] !== '"') arg += rest[i++];
      i++;
    } else {
      while (i < rest.length && !/\s/.test(rest[i])) arg += rest[i++];
    }
    args.push(arg);
  }
  return { key: m[1].toLowerCase(), args };
}

function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const l = v.toLowerCase();
  return l === 'yes' || l === 'true' ? true : l === 'no' || l === 'false' ? false : undefined;
}

function defaultReadFile(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The effective options for `ctx.host` from the config text. `file` names the
 * text for messages and anchors relative Includes (OpenSSH: relative to ~/.ssh).
 */
export function resolveSshConfig(text: string, file: string, ctx: SshConfigContext): SshHostConfig {
  const home = ctx.homeDir ?? homedir();
  const localUser = ctx.localUser ?? safeUserName();
  const readFile = ctx.readFile ?? defaultReadFile;
  const listDir = ctx.listDir ?? ((d: string) => (existsSync(d) ? readdirSync(d) : []));
  const values = new Map<string, string[]>();
  const multi = new Map<string, string[]>();
  const out: SshHostConfig = { identityFiles: [], warnings: [] };

  const currentHostName = () => (values.get('hostname')?.[0] ?? ctx.host).replace(/%h/g, ctx.host);

  const matchCriteria = (args: string[], where: string): boolean => {
    let ok = true;
    for (let i = 0; i < args.length; i++) {
      let crit = args[i].toLowerCase();
      const negate = crit.startsWith('!');
      if (negate) crit = crit.slice(1);
      let r: boolean;
      switch (crit) {
        case 'all':
          r = true;
          break;
        case 'canonical':
          r = false; // we never canonicalize host names
          break;
        case 'final':
          r = true; // our single pass is also the last one
          break;
        case 'host':
        case 'originalhost':
        case 'user':
        case 'localuser':
        case 'localnetwork':
        case 'exec':
        case 'tagged': {
          const arg = args[++i];
          if (arg === undefined) {
            out.warnings.push(`${where}: Match ${crit} needs an argument`);
            return false;
          }
          const list = arg.split(',');
          if (crit === 'host') r = patternListMatches(currentHostName(), list);
          else if (crit === 'originalhost') r = patternListMatches(ctx.host, list);
          else if (crit === 'user') r = patternListMatches(values.get('user')?.[0] ?? ctx.user ?? localUser, list);
          else if (crit === 'localuser') r = patternListMatches(localUser, list);
          else {
            out.warnings.push(`${where}: Match ${crit} is not evaluated (${crit === 'exec' ? 'running commands from ssh config is disabled' : 'unsupported'}); block skipped`);
            return false;
          }
          break;
        }
        default:
          out.warnings.push(`${where}: unknown Match criterion "${crit}"; block skipped`);
          return false;
      }
      if (negate) r = !r;
      ok = ok && r;
    }
    return ok;
  };

  const processText = (body: string, name: string, depth: number, active: { on: boolean }) => {
    if (depth > 16) {
      out.warnings.push(`${name}: Include nested too deep`);
      return;
    }
    body.split(/\r?\n/).forEach((line, idx) => {
      const where = `${name}:${idx + 1}`;
      const parsed = splitConfigLine(line);
      if (!parsed) return;
      const { key, args } = parsed;
      if (key === 'host') {
        const pats = args.flatMap((a) => a.split(',')).filter(Boolean);
        active.on = patternListMatches(ctx.host, pats);
        return;
      }
      if (key === 'match') {
        active.on = matchCriteria(args, where);
        return;
      }
      if (key === 'include') {
        if (!active.on) return;
        for (const pattern of args) {
          let p = expandTilde(pattern, home);
          if (!isAbsolute(p)) p = join(home, '.ssh', p);
          const dir = dirname(p);
          const base = basename(p);
          const files = /[*?]/.test(base)
            ? listDir(dir)
                .filter((f) => wildcardMatch(f, base))
                .sort()
                .map((f) => join(dir, f))
            : [p];
          for (const f of files) {
            const t = readFile(f);
            if (t === undefined) continue; // OpenSSH ignores missing include files
            const saved: boolean = active.on;
            processText(t, f, depth + 1, active);
            active.on = saved;
          }
        }
        return;
      }
      if (!active.on) return;
      if (MULTI.has(key)) {
        multi.set(key, [...(multi.get(key) ?? []), ...args]);
        return;
      }
      if (!values.has(key)) values.set(key, args);
    });
  };
  processText(text, file, 0, { on: true });

  const v = (k: string) => values.get(k)?.[0];
  const tokens = (s: string, hostName: string, port: number, user: string) =>
    expandTilde(s, home).replace(/%(.)/g, (m, c: string) => {
      switch (c) {
        case '%':
          return '%';
        case 'd':
          return home;
        case 'u':
          return localUser;
        case 'h':
          return hostName;
        case 'n':
          return ctx.host;
        case 'p':
          return String(port);
        case 'r':
          return user;
        default:
          out.warnings.push(`token ${m} is not expanded`);
          return m;
      }
    });

  out.hostName = v('hostname')?.replace(/%h/g, ctx.host).replace(/%%/g, '%');
  out.user = v('user');
  if (v('port') !== undefined) {
    const n = Number(v('port'));
    if (Number.isInteger(n) && n > 0 && n < 65536) out.port = n;
    else out.warnings.push(`Port "${v('port')}" is not a port number`);
  }
  const hostName = out.hostName ?? ctx.host;
  const port = out.port ?? 22;
  const user = ctx.user ?? out.user ?? localUser;
  out.identityFiles = (multi.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none').map((f) => tokens(f, hostName, port, user));
  out.identitiesOnly = yesNo(v('identitiesonly'));
  if (v('identityagent')) out.identityAgent = tokens(v('identityagent')!, hostName, port, user);
  out.proxyJump = v('proxyjump');
  out.proxyCommand = v('proxycommand');
  if (values.has('userknownhostsfile'))
    out.userKnownHostsFiles = values.get('userknownhostsfile')!.filter((f) => f !== 'none').map((f) => tokens(f, hostName, port, user));
  if (values.has('globalknownhostsfile'))
    out.globalKnownHostsFiles = values.get('globalknownhostsfile')!.filter((f) => f !== 'none').map((f) => tokens(f, hostName, port, user));
  out.hostKeyAlias = v('hostkeyalias');
  out.strictHostKeyChecking = v('stricthostkeychecking');
  const num = (k: string) => {
    const s = v(k);
    if (s === undefined) return undefined;
    const n = Number(s);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  out.connectTimeout = num('connecttimeout');
  out.serverAliveInterval = num('serveraliveinterval');
  out.serverAliveCountMax = num('serveralivecountmax');
  out.pubkeyAuthentication = yesNo(v('pubkeyauthentication'));
  out.passwordAuthentication = yesNo(v('passwordauthentication'));
  out.kbdInteractiveAuthentication = yesNo(v('kbdinteractiveauthentication') ?? v('challengeresponseauthentication'));
  out.batchMode = yesNo(v('batchmode'));
  if (out.proxyCommand && out.proxyCommand.toLowerCase() !== 'none')
    out.warnings.push('ProxyCommand is not supported (it would run a local command); use ProxyJump');
  return out;
}

function expandTilde(p: string, home: string = homedir()): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** Reads and resolves a config file; a missing file gives empty options. */
export function loadSshConfig(path: string | null, ctx: SshConfigContext): SshHostConfig {
  if (!path) return { identityFiles: [], warnings: [] };
  const text = (ctx.readFile ?? defaultReadFile)(path);
  if (text === undefined) return { identityFiles: [], warnings: [] };
  return resolveSshConfig(text, path, ctx);
}
