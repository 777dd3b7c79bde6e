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
  const r = new SshConfigReader(ctx);
  r.read(text, file, 0, { on: true });
  return r.result();
}

/** One pass over a config (and what it includes) for one destination: the first value of each option, in named steps. */
class SshConfigReader {
  private readonly home: string;
  private readonly localUser: string;
  private readonly readFile: (path: string) => string | undefined;
  private readonly listDir: (dir: string) => string[];
  private readonly values = new Map<string, string[]>();
  private readonly multi = new Map<string, string[]>();
  private readonly out: SshHostConfig = { identityFiles: [], warnings: [] };

  constructor(private readonly ctx: SshConfigContext) {
    this.home = ctx.homeDir ?? homedir();
    this.localUser = ctx.localUser ?? safeUserName();
    this.readFile = ctx.readFile ?? defaultReadFile;
    this.listDir = ctx.listDir ?? ((d: string) => (existsSync(d) ? readdirSync(d) : []));
  }

  /** The lines of one file: Host and Match switch `active`, Include reads in place, the rest are options. */
  read(body: string, name: string, depth: number, active: { on: boolean }): void {
    if (depth > 16) {
      this.out.warnings.push(`${name}: Include nested too deep`);
      return;
    }
    body.split(/\r?\n/).forEach((line, idx) => {
      const where = `${name}:${idx + 1}`;
      const parsed = splitConfigLine(line);
      if (!parsed) return;
      const { key, args } = parsed;
      if (key === 'host') {
        const pats = args.flatMap((a) => a.split(',')).filter(Boolean);
        active.on = patternListMatches(this.ctx.host, pats);
      } else if (key === 'match') active.on = this.matchCriteria(args, where);
      else if (key === 'include') {
        if (active.on) this.include(args, depth, active);
      } else if (!active.on) return;
      else if (MULTI.has(key)) this.multi.set(key, [...(this.multi.get(key) ?? []), ...args]);
      else if (!this.values.has(key)) this.values.set(key, args);
    });
  }

  /** Include: each file (wildcards sorted, as OpenSSH) read in place; a Host or Match inside ends with the file */
  private include(patterns: string[], depth: number, active: { on: boolean }): void {
    for (const pattern of patterns) {
      let p = expandTilde(pattern, this.home);
      if (!isAbsolute(p)) p = join(this.home, '.ssh', p);
      const dir = dirname(p);
      const base = basename(p);
      const files = /[*?]/.test(base)
        ? this.listDir(dir)
            .filter((f) => wildcardMatch(f, base))
            .sort()
            .map((f) => join(dir, f))
        : [p];
      for (const f of files) {
        const t = this.readFile(f);
        if (t === undefined) continue; // OpenSSH ignores missing include files
        const saved: boolean = active.on;
        this.read(t, f, depth + 1, active);
        active.on = saved;
      }
    }
  }

  private currentHostName(): string {
    return (this.values.get('hostname')?.[0] ?? this.ctx.host).replace(/%h/g, this.ctx.host);
  }

  /** A Match line: whether all its criteria hold; a criterion we cannot evaluate skips the block (with a warning). */
  private matchCriteria(args: string[], where: string): boolean {
    let ok = true;
    for (let i = 0; i < args.length; i++) {
      let crit = args[i].toLowerCase();
      const negate = crit.startsWith('!');
      if (negate) crit = crit.slice(1);
      let r: boolean | null;
      if (crit === 'all' || crit === 'final') r = true; // our single pass is also the last one
      else if (crit === 'canonical') r = false; // we never canonicalize host names
      else if (['host', 'originalhost', 'user', 'localuser', 'localnetwork', 'exec', 'tagged'].includes(crit)) {
        const arg = args[++i];
        if (arg === undefined) {
          this.out.warnings.push(`${where}: Match ${crit} needs an argument`);
          return false;
        }
        r = this.criterion(crit, arg.split(','), where);
      } else {
        this.out.warnings.push(`${where}: unknown Match criterion "${crit}"; block skipped`);
        return false;
      }
      if (r === null) return false;
      if (negate) r = !r;
      ok = ok && r;
    }
    return ok;
  }

  /** A Match criterion with a pattern list; null when it is not evaluated (exec, localnetwork, tagged) */
  private criterion(crit: string, list: string[], where: string): boolean | null {
    const { ctx, localUser } = this;
    if (crit === 'host') return patternListMatches(this.currentHostName(), list);
    if (crit === 'originalhost') return patternListMatches(ctx.host, list);
    if (crit === 'user') return patternListMatches(this.values.get('user')?.[0] ?? ctx.user ?? localUser, list);
    if (crit === 'localuser') return patternListMatches(localUser, list);
    this.out.warnings.push(`${where}: Match ${crit} is not evaluated (${crit === 'exec' ? 'running commands from ssh config is disabled' : 'unsupported'}); block skipped`);
    return null;
  }

  private v(k: string): string | undefined {
    return this.values.get(k)?.[0];
  }

  /** ~ and the %-tokens OpenSSH expands in file names */
  private tokens(s: string, hostName: string, port: number, user: string): string {
    const { home, localUser, ctx, out } = this;
    return expandTilde(s, home).replace(/%(.)/g, (m, c: string) => {
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
  }

  private num(k: string): number | undefined {
    const s = this.v(k);
    if (s === undefined) return undefined;
    const n = Number(s);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }

  /** The options read, typed and with their tokens expanded. */
  result(): SshHostConfig {
    const { out, values, ctx } = this;
    const v = (k: string) => this.v(k);
    out.hostName = v('hostname')?.replace(/%h/g, ctx.host).replace(/%%/g, '%');
    out.user = v('user');
    if (v('port') !== undefined) {
      const n = Number(v('port'));
      if (Number.isInteger(n) && n > 0 && n < 65536) out.port = n;
      else out.warnings.push(`Port "${v('port')}" is not a port number`);
    }
    const hostName = out.hostName ?? ctx.host;
    const port = out.port ?? 22;
    const user = ctx.user ?? out.user ?? this.localUser;
    const files = (list: string[]) => list.map((f) => this.tokens(f, hostName, port, user));
    out.identityFiles = files((this.multi.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none'));
    out.identitiesOnly = yesNo(v('identitiesonly'));
    if (v('identityagent')) out.identityAgent = this.tokens(v('identityagent')!, hostName, port, user);
    out.proxyJump = v('proxyjump');
    out.proxyCommand = v('proxycommand');
    if (values.has('userknownhostsfile')) out.userKnownHostsFiles = files(values.get('userknownhostsfile')!.filter((f) => f !== 'none'));
    if (values.has('globalknownhostsfile')) out.globalKnownHostsFiles = files(values.get('globalknownhostsfile')!.filter((f) => f !== 'none'));
    out.hostKeyAlias = v('hostkeyalias');
    out.strictHostKeyChecking = v('stricthostkeychecking');
    out.connectTimeout = this.num('connecttimeout');
    out.serverAliveInterval = this.num('serveraliveinterval');
    out.serverAliveCountMax = this.num('serveralivecountmax');
    out.pubkeyAuthentication = yesNo(v('pubkeyauthentication'));
    out.passwordAuthentication = yesNo(v('passwordauthentication'));
    out.kbdInteractiveAuthentication = yesNo(v('kbdinteractiveauthentication') ?? v('challengeresponseauthentication'));
    out.batchMode = yesNo(v('batchmode'));
    if (out.proxyCommand && out.proxyCommand.toLowerCase() !== 'none')
      out.warnings.push('ProxyCommand is not supported (it would run a local command); use ProxyJump');
    return out;
  }
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
