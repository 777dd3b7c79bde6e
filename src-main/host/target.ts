// From what the user typed (`[user@]host[:port]` or an ssh config alias, plus
// --jump and friends) to a route: the hops to connect through, each fully
// resolved (address, port, user, identity files, known_hosts files).
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { loadSshConfig, type SshConfigContext, type SshHostConfig } from './ssh-config.js';

export interface TargetSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host[:port]`, `ssh://[user@]host[:port]`, IPv6 as `[::1]:22` (or bare `::1` without a port). */
export function parseTarget(s: string): TargetSpec {
  let t = s.trim();
  if (t.startsWith('ssh://')) t = t.slice(6).replace(/\/$/, '');
  if (!t) throw new ConfigError('empty host');
  let user: string | undefined;
  const at = t.lastIndexOf('@');
  if (at >= 0) {
    user = t.slice(0, at);
    t = t.slice(at + 1);
    if (!user) throw new ConfigError(`empty user name in "${s}"`);
  }
  let host = t;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if ((t.match(/:/g) ?? []).length === 1) {
    const [h, p] = t.split(':');
    host = h;
    if (!/^\d+$/.test(p)) throw new ConfigError(`"${p}" in "${s}" is not a port number`);
    port = Number(p);
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new ConfigError(`port ${port} in "${s}" is out of range`);
  // a leading '-' would read as an option to anything that later sees it; no host name starts so
  if (!host || host.startsWith('-') || /[\s/\\'"`$;&|<>]/.test(host)) throw new ConfigError(`"${host}" is not a host name or address`);
  return { user, host, port };
}

export interface ResolvedHop {
  /** the alias or host as typed, for messages */
  name: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  identitiesOnly: boolean;
  identityAgent?: string;
  /** known_hosts files to check (first one is where new trust is written) */
  knownHostsFiles: string[];
  /** name to look the key up under instead of host (HostKeyAlias) */
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  allowPassword: boolean;
  allowKeyboardInteractive: boolean;
  allowPublickey: boolean;
}

export interface RouteOptions {
  /** ssh config file; null disables; default ~/.ssh/config */
  sshConfigPath?: string | null;
  /** identity files from the command line: tried before the config's */
  identityFiles?: string[];
  /**
   * Replaces the USER known_hosts files (the config's UserKnownHostsFile and
   * ~/.ssh/known_hosts), as OpenSSH's UserKnownHostsFile does. The global files
   * (/etc/ssh/ssh_known_hosts, or the config's GlobalKnownHostsFile) stay in
   * force, their @revoked and @cert-authority lines included.
   */
  knownHostsFiles?: string[];
  /** ProxyJump from the command line (`a,b`); overrides the config's; 'none' disables */
  jump?: string;
  homeDir?: string;
  localUser?: string;
  readFile?: SshConfigContext['readFile'];
}

export interface Route {
  /** jump hosts in order, then the target last */
  hops: ResolvedHop[];
  warnings: string[];
}

function localUserName(opts: RouteOptions): string {
  if (opts.localUser) return opts.localUser;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

export function resolveRoute(target: string, opts: RouteOptions = {}): Route {
  const home = opts.homeDir ?? homedir();
  const configPath = opts.sshConfigPath === undefined ? join(home, '.ssh', 'config') : opts.sshConfigPath;
  const warnings: string[] = [];
  const seen = new Set<string>();

  const resolveHop = (spec: TargetSpec, extraIdentities: string[]): { hop: ResolvedHop; cfg: SshHostConfig } => {
    const cfg = loadSshConfig(configPath, {
      host: spec.host,
      user: spec.user,
      homeDir: home,
      localUser: opts.localUser,
      readFile: opts.readFile,
    });
    warnings.push(...cfg.warnings.map((w) => `ssh config: ${w}`));
    if (cfg.proxyCommand && cfg.proxyCommand.toLowerCase() !== 'none' && !cfg.proxyJump)
      throw new ConfigError(`${spec.host}: ProxyCommand is not supported; use ProxyJump (or --jump)`);
    // user files first: the first one is where newly trusted keys are written
    const userFiles = opts.knownHostsFiles?.length
      ? opts.knownHostsFiles
      : (cfg.userKnownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]);
    const globalFiles = cfg.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
    const knownHostsFiles = [...new Set([...userFiles, ...globalFiles])];
    const identityFiles = [...extraIdentities, ...cfg.identityFiles];
    return {
      cfg,
      hop: {
        name: spec.host,
        host: cfg.hostName ?? spec.host,
        port: spec.port ?? cfg.port ?? 22,
        user: spec.user ?? cfg.user ?? localUserName(opts),
        identityFiles: [...new Set(identityFiles)],
        identitiesOnly: cfg.identitiesOnly ?? false,
        identityAgent: cfg.identityAgent,
        knownHostsFiles,
        hostKeyAlias: cfg.hostKeyAlias,
        connectTimeoutMs: cfg.connectTimeout !== undefined ? cfg.connectTimeout * 1000 : undefined,
        keepaliveIntervalMs: cfg.serverAliveInterval !== undefined ? cfg.serverAliveInterval * 1000 : undefined,
        keepaliveCountMax: cfg.serverAliveCountMax,
        allowPassword: cfg.passwordAuthentication ?? true,
        allowKeyboardInteractive: cfg.kbdInteractiveAuthentication ?? true,
        allowPublickey: cfg.pubkeyAuthentication ?? true,
      },
    };
  };

  // OpenSSH turns `ProxyJump a,b` into "reach b through a": b's own ProxyJump is
  // overridden, a's own ProxyJump still applies. Hence the recursion on the first hop only.
  const chain = (spec: TargetSpec, jumpOverride: string | undefined, identities: string[], depth: number): ResolvedHop[] => {
    if (depth > 8) throw new ConfigError('ProxyJump chain is longer than 8 hops (a loop?)');
    const { hop, cfg } = resolveHop(spec, identities);
    const key = `${hop.user}@${hop.host}:${hop.port}`;
    if (seen.has(key) && depth > 0) throw new ConfigError(`ProxyJump loop through ${key}`);
    seen.add(key);
    const jump = jumpOverride ?? cfg.proxyJump;
    if (!jump || jump.toLowerCase() === 'none') return [hop];
    const specs = jump.split(',').map((j) => parseTarget(j));
    const last = specs[specs.length - 1];
    const rest = specs.slice(0, -1).map((s) => `${s.user ? `${s.user}@` : ''}${s.host.includes(':') ? `[${s.host}]` : s.host}${s.port ? `:${s.port}` : ''}`);
    // jump hosts get the command line identities too: the lab and most sites use one key throughout
    const before = chain(last, rest.length ? rest.join(',') : undefined, opts.identityFiles ?? [], depth + 1);
    return [...before, hop];
  };

  const hops = chain(parseTarget(target), opts.jump, opts.identityFiles ?? [], 0);
  return { hops, warnings: [...new Set(warnings)] };
}
