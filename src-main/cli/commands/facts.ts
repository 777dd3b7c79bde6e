// `portcullis facts HOST`: what the host runs and how its firewall is set up.
// Also home of what every host command shares (options, session set-up, exit codes),
// exported for pull and apply.
import { registerCommand } from './index.js';
import { flag, int, list, parseArgs, str, UsageError, type OptionDefs, type ParsedArgs } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { existsSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { ReadStream } from 'node:tty';
import { isHostError, parseTarget, type AnyHostError, openSession, type HopRef, type HostFacts, type HostSession, type SessionOptions, type TargetSpec } from '../../host/index.js';
import { clipTokens } from '../../core/clip.js';

export const HOST_OPTIONS: OptionDefs = {
  identity: { type: 'string', multiple: true, short: 'i' },
  'known-hosts': { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  jump: { type: 'string', short: 'J' },
  sudo: { type: 'boolean' },
  trust: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'password-file': { type: 'string', multiple: true },
  'passphrase-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
};

export const HOST_OPTIONS_USAGE = `Host options:
  HOST                    [user@]host[:port], or an alias from the ssh config
  -i, --identity F        identity file (repeatable); tried before the config's and the agent ($SSH_AUTH_SOCK)
  --known-hosts F         known_hosts file to check (repeatable; default ~/.ssh/known_hosts and the config's)
  --ssh-config F          ssh config file (default ~/.ssh/config; "none" to ignore it)
  -J, --jump HOST[,HOST]  jump host(s), like ssh -J (overrides the config's ProxyJump)
  --sudo                  require root through sudo when not logged in as root
  --trust SHA256:…        accept an unknown host key with this fingerprint (and add it to known_hosts);
                          a changed key is never accepted
  --timeout S             seconds to connect and log in, per hop (default 20)
  --password-stdin        read the TARGET's password (login and sudo) from the first line of stdin;
                          it is never offered to a jump host
  --password-file HOP=F   the password for one hop (a jump host, or the target) from the first
                          line of file F (repeatable; F may be /dev/fd/N or <(pass show …));
                          HOP is [user@]host[:port] as in the route, e.g. alice@bastion=~/.bastion-pw
  --passphrase-stdin      read the identity file passphrase from the next line of stdin
                          (at a terminal without these, each hop's password is asked for by name
                          when its server wants one: "password for alice@bastion")
Exit: 0 done, 2 error (connection, authentication, usage), 5 host key unknown or changed.`;

/** Session options from the shared host options. Secrets come from stdin only, never from argv. */
export function sessionOptionsFrom(args: ParsedArgs, io: CliIO): SessionOptions {
  const timeout = int(args, 'timeout', 1, 3600);
  for (const t of list(args, 'trust'))
    if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(t)) throw new UsageError(`--trust wants a fingerprint like SHA256:… (43 base64 characters), not "${escapeControls(t)}"`);
  const sshConfig = str(args, 'ssh-config');
  const opts: SessionOptions = {
    identityFiles: list(args, 'identity'),
    knownHostsFiles: list(args, 'known-hosts'),
    sshConfigPath: sshConfig === 'none' ? null : sshConfig,
    jump: str(args, 'jump'),
    sudo: flag(args, 'sudo') ? true : 'auto',
    trust: list(args, 'trust'),
    timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    log: (l) => io.err(`portcullis: ${escapeControls(l)}\n`),
  };
  const perHop = list(args, 'password-file').map((spec) => readHopPassword(spec, io));
  if (perHop.length) opts.hopPassword = (hop) => matchHopPassword(perHop, hop);
  if (flag(args, 'password-stdin') || flag(args, 'passphrase-stdin')) {
    const lines = io.readFile('-').split('\n');
    if (flag(args, 'password-stdin')) opts.password = lines.shift() ?? '';
    if (flag(args, 'passphrase-stdin')) opts.passphrase = lines.shift() ?? '';
    // stdin carried the target's password; a jump host that wants its own is asked on the terminal, if there is one
    if (process.stderr.isTTY && existsSync('/dev/tty')) opts.askPassword = (prompt) => askHidden(escapeControls(prompt), openTty());
  } else if (process.stdin.isTTY && process.stderr.isTTY) {
    // a person at a terminal: ask like ssh does, only when a server wants it
    opts.askPassword = (prompt) => askHidden(escapeControls(prompt));
    opts.passphrase = (file) => askHidden(`Enter passphrase for key '${escapeControls(file)}': `);
  }
  return opts;
}

interface HopPassword {
  spec: string;
  hop: TargetSpec;
  password: string;
}

/** `HOP=FILE`: the first line of FILE is HOP's password (never another hop's). */
function readHopPassword(spec: string, io: CliIO): HopPassword {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--password-file wants HOP=FILE (e.g. alice@bastion=/run/user/1000/bastion.pw), not "${escapeControls(clipTokens(spec))}"`);
  let hop: TargetSpec;
  try {
    hop = parseTarget(spec.slice(0, eq));
  } catch (e) {
    throw new UsageError(`--password-file ${escapeControls(clipTokens(spec.slice(0, eq)))}: ${(e as Error).message}`);
  }
  const file = spec.slice(eq + 1).replace(/^~\//, `${homedir()}/`);
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    throw new UsageError(`--password-file: cannot read ${escapeControls(clipTokens(file))}: ${(e as Error).message}`);
  }
  return { spec: spec.slice(0, eq), hop, password: text.split('\n')[0].replace(/\r$/, '') };
}

/** The password given for this hop: its name (alias or as written) or address, and its user and port when the spec names them. */
function matchHopPassword(given: readonly { hop: TargetSpec; password: string }[], hop: HopRef): string | undefined {
  const m = given.find((g) => (g.hop.host === hop.name || g.hop.host === hop.host) && (g.hop.user ?? hop.user) === hop.user && (g.hop.port ?? hop.port) === hop.port);
  return m?.password;
}

/** The controlling terminal, when stdin is a pipe; undefined without one. */
function openTty(): ReadStream | undefined {
  try {
    return new ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    return undefined;
  }
}

/** Reads a line from the terminal (stdin, or `tty`) without echo; undefined on Ctrl-C or Ctrl-D. */
function askHidden(prompt: string, tty?: ReadStream): Promise<string | undefined> {
  if (tty === undefined && !process.stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const stdin = tty ?? process.stdin;
    // echo off before the prompt shows: an answer typed at once must not be echoed
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    let answer = '';
    const done = (v: string | undefined) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      if (tty) tty.destroy();
      process.stderr.write('\n');
      resolve(v);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(answer);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else if (ch >= ' ') answer += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** How to get root when sudo is what failed: the option that gives the password, or that sudo may not be allowed at all. */
function privilegeHint(e: AnyHostError): string | undefined {
  if (e.kind !== 'privilege') return undefined;
  const mayNot = 'if this user may not use sudo at all, log in as root or as a user who may';
  switch (e.reason) {
    case 'sudo-needs-password':
      return `give the sudo password with --password-stdin (the first line of stdin, e.g. --password-stdin < FILE); ${mayNot}`;
    case 'sudo-wrong-password':
      return 'give the right sudo password with --password-stdin (the first line of stdin)';
    case 'no-sudo':
      return `sudo may not be allowed for this user: log in as root or as a user who may use sudo`;
    case 'needs-root':
      return /password/.test(e.message) && !e.message.includes('--password-stdin') ? `with --sudo --password-stdin the sudo password is read from the first line of stdin; ${mayNot}` : undefined;
    default:
      return undefined;
  }
}

/** A login that needed a password nobody gave: how to give that hop's own. */
function passwordHint(e: AnyHostError): string | undefined {
  if (e.kind !== 'auth' || !e.notTried.some((n) => n.includes('no password given'))) return undefined;
  if (!e.allowed.some((m) => m === 'password' || m === 'keyboard-interactive')) return undefined;
  const who = `${e.hop.user}@${e.hop.port === 22 ? e.hop.name : `${e.hop.name}:${e.hop.port}`}`;
  return `${who} wants a password: give it with --password-file ${who}=FILE (--password-stdin is the target's only), or run at a terminal to be asked`;
}

/** Maps a failure to its exit code, printing it; rethrows what is not a host error. */
export function reportHostError(e: unknown, cmd: string, io: CliIO, json: boolean): number {
  if (!isHostError(e)) throw e;
  const code = e.kind === 'host-key-unknown' || e.kind === 'host-key-changed' || e.kind === 'host-key-revoked' ? 5 : 2;
  io.err(`portcullis ${cmd}: ${escapeControls(e.message)}\n`);
  const hint = privilegeHint(e) ?? passwordHint(e);
  if (hint) io.err(`portcullis ${cmd}: ${hint}\n`);
  if (json) io.out(jsonText({ error: e.toPlain() }, 2) + '\n');
  return code;
}

export async function withSession<T>(host: string, opts: SessionOptions, fn: (s: HostSession) => Promise<T>): Promise<T> {
  const s = await openSession(host, opts);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const yesNo = (b: boolean | null | undefined) => (b === null || b === undefined ? 'unknown' : b ? 'yes' : 'no');

function formatFacts(f: HostFacts, target: { host: string; port: number; user: string }): string {
  const unitText = (name: string, u: { active: string | null; enabled: string | null }) =>
    `${name}.service ${u.active ?? '?'}/${u.enabled ?? 'not installed'}`;
  const file = (p: string, x: HostFacts['files']['iptables']) =>
    x.present === null ? `${p} unknown` : x.present ? `${p} ${x.mode ?? ''} ${x.owner ?? ''} ${x.size ?? '?'} bytes`.replace(/\s+/g, ' ') : `${p} absent`;
  const cfg = f.iptablesConfig;
  const rows: [string, string][] = [
    ['host', `${f.host} (${target.user}@${target.host}:${target.port}${f.clientAddress ? `, seen from ${f.clientAddress}` : ''})`],
    ['hostname', f.hostname ?? '?'],
    ['os', `${f.os.prettyName ?? f.os.id ?? '?'}${f.os.release ? ` — ${f.os.release}` : ''}${f.os.kernel ? `, kernel ${f.os.kernel}` : ''}`],
    [
      'iptables',
      f.iptables.present
        ? `${f.iptables.version ?? '?'} ${f.iptables.backend}${f.iptables.package ? ` (${f.iptables.package})` : ''}; restore --test ${yesNo(f.iptables.restoreTest)}, --wait ${yesNo(f.iptables.restoreWait)}`
        : 'absent',
    ],
    ['ip6tables', f.ip6tables.present ? (f.ip6tables.version ?? 'present') : 'absent'],
    [
      'services',
      `iptables-services ${f.iptablesServices.installed === null ? 'unknown' : f.iptablesServices.installed ? 'installed' : 'not installed'}; ${unitText('iptables', f.iptablesServices.iptables)}; ${unitText('ip6tables', f.iptablesServices.ip6tables)}`,
    ],
    ['firewalld', `${f.firewalld}${f.firewalldUnit.enabled && f.firewalldUnit.enabled !== f.firewalld ? ` (${f.firewalldUnit.enabled})` : ''}`],
    [
      'config',
      cfg.readable
        ? `SAVE_ON_STOP=${yesNo(cfg.saveOnStop)} SAVE_ON_RESTART=${yesNo(cfg.saveOnRestart)} SAVE_COUNTER=${yesNo(cfg.saveCounter)}${cfg.restoreWait !== undefined ? ` RESTORE_WAIT=${cfg.restoreWait}` : ''}${cfg.modules ? ` MODULES="${cfg.modules}"` : ''}`
        : cfg.present === false
          ? 'no /etc/sysconfig/iptables-config'
          : 'unreadable (needs root)',
    ],
    ['files', `${file('/etc/sysconfig/iptables', f.files.iptables)}; ${file('/etc/sysconfig/ip6tables', f.files.ip6tables)}`],
    ['selinux', `${f.selinux.mode}${f.selinux.fileContext ? `, file context ${f.selinux.fileContext}` : ''}`],
    ['ip_forward', `ipv4 ${yesNo(f.ipForward.ipv4)}, ipv6 ${yesNo(f.ipForward.ipv6)}`],
    ...(f.addresses
      ? ([['addresses', [...f.addresses.ipv4, ...f.addresses.ipv6].map((a) => `${a.address}/${a.prefix} (${a.iface}${a.scope === 'global' ? '' : ', ' + a.scope})`).join(', ') || 'none']] as [string, string][])
      : []),
    ['ipset', f.ipset.present ? (f.ipset.version ?? 'present') : 'absent'],
    ['tables', `ipv4 ${f.loadedTables.ipv4?.join(',') || (f.loadedTables.ipv4 ? 'none loaded' : '?')}; ipv6 ${f.loadedTables.ipv6?.join(',') || (f.loadedTables.ipv6 ? 'none loaded' : '?')}`],
    ['privilege', `${f.privilege}${f.privilegeDetail ? ` (${f.privilegeDetail})` : ''}`],
    ['host key', f.hostKey ? `${f.hostKey.keyType} ${f.hostKey.fingerprint}` : '?'],
  ];
  let out = rows.map(([k, v]) => `${k.padEnd(11)} ${escapeControls(v)}`).join('\n') + '\n';
  if (f.warnings.length) out += 'warnings:\n' + f.warnings.map((w) => `  - ${escapeControls(w)}`).join('\n') + '\n';
  return out;
}

registerCommand({
  name: 'facts',
  usage: `usage: portcullis facts HOST [--json] [host options]

Gathers, in one round trip: OS release, iptables version and backend, what
iptables-restore supports (--test, --wait), iptables-services and firewalld
state, the iptables-config flags that bite, SELinux mode and the file's
context, ip_forward, ipset, the privilege available, and the client address
the server sees. --json prints them as JSON.

${HOST_OPTIONS_USAGE}`,
  async run(argv, io) {
    const args = parseArgs(argv, HOST_OPTIONS);
    if (args.positionals.length !== 1) throw new UsageError('facts needs exactly one HOST');
    const json = flag(args, 'json');
    const opts = sessionOptionsFrom(args, io);
    try {
      const { facts, target } = await withSession(args.positionals[0], opts, async (s) => ({ facts: await s.facts(), target: s.target }));
      io.out(json ? jsonText(facts, 2) + '\n' : formatFacts(facts, target));
      return 0;
    } catch (e) {
      return reportHostError(e, 'facts', io, json);
    }
  },
});
