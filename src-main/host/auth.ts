// Client authentication for one hop: which methods to try, in what order, and
// a record of what was tried so a failure can say exactly why.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, KeyboardInteractiveCallback, ParsedKey, Prompt } from 'ssh2';
import { ConfigError, type AuthAttempt, type HopRef } from './errors.js';
import type { ResolvedHop } from './target.js';

type AuthMethodSpec =
  | { kind: 'publickey'; file: string; key: ParsedKey }
  | { kind: 'agent'; socket: string }
  | { kind: 'keyboard-interactive' }
  | { kind: 'password' };

export interface Credentials {
  password?: string;
  /**
   * Asked for the password only when a server wants one (password or a
   * keyboard-interactive "Password:" prompt, or sudo); the answer is then
   * reused for that hop only (and for sudo when the hop is the target). The
   * prompt names the hop (`password for alice@bastion: `); `hop` says which
   * one, so an answer can be kept per hop. The CLI asks on the terminal, the app in a dialog.
   */
  askPassword?: (prompt: string, hop: HopRef) => Promise<string | undefined>;
  /** a passphrase for every encrypted key, or a function asked once per key file */
  passphrase?: string | ((file: string) => Promise<string | undefined>);
  /** agent socket; false disables; default SSH_AUTH_SOCK (Windows: the OpenSSH agent pipe) */
  agent?: string | false;
  /** answers keyboard-interactive prompts; default: the password for a single hidden prompt */
  keyboardInteractive?: (prompts: Prompt[], info: { name: string; instructions: string; hop: string }) => Promise<string[] | undefined>;
}

/** What a password prompt says: whose password, for which hop (`password for alice@bastion: `). */
function passwordPrompt(hop: { user: string; name: string; host: string; port: number }): string {
  const where = hop.port === 22 ? hop.name : `${hop.name}:${hop.port}`;
  return `password for ${hop.user}@${where}${hop.name !== hop.host ? ` (${hop.host})` : ''}: `;
}

/** Where the agent is: SSH_AUTH_SOCK, else (Windows) the Win32-OpenSSH agent pipe. */
function defaultAgent(): string | undefined {
  if (process.env.SSH_AUTH_SOCK) return process.env.SSH_AUTH_SOCK;
  if (process.platform === 'win32') return '\\\\.\\pipe\\openssh-ssh-agent';
  return undefined;
}

interface LoadedKeys {
  keys: { file: string; key: ParsedKey }[];
  notTried: string[];
}

/**
 * Reads and decrypts the identity files for a hop. Files named explicitly
 * (`required`) must exist; files from defaults or the config may be missing,
 * as OpenSSH allows.
 */
export async function loadIdentities(hop: ResolvedHop, creds: Credentials, required: Set<string>, pause: <T>(p: Promise<T>) => Promise<T>): Promise<LoadedKeys> {
  const files = hop.identityFiles.length
    ? hop.identityFiles
    : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f));
  const out: LoadedKeys = { keys: [], notTried: [] };
  for (const file of files) {
    if (!existsSync(file)) {
      if (required.has(file)) throw new ConfigError(`identity file ${file} not found`);
      continue;
    }
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      if (required.has(file)) throw new ConfigError(`cannot read identity file ${file}: ${(e as Error).message}`);
      out.notTried.push(`${file}: unreadable`);
      continue;
    }
    let parsed = ssh2.utils.parseKey(data);
    if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
      const pp = typeof creds.passphrase === 'function' ? await pause(creds.passphrase(file)) : creds.passphrase;
      if (pp === undefined) {
        out.notTried.push(`${file} is passphrase-protected and no passphrase was given`);
        continue;
      }
      parsed = ssh2.utils.parseKey(data, pp);
      if (parsed instanceof Error) {
        out.notTried.push(`${file}: wrong passphrase`);
        continue;
      }
    }
    if (parsed instanceof Error) {
      const why = /Unsupported key format/i.test(parsed.message)
        ? 'unsupported key format (PuTTY v3 and PKCS#8 keys are not readable: convert with ssh-keygen -p or puttygen)'
        : parsed.message;
      if (required.has(file)) throw new ConfigError(`identity file ${file}: ${why}`);
      out.notTried.push(`${file}: ${why}`);
      continue;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key.isPrivateKey && !key.isPrivateKey()) {
      // a .pub given by mistake
      out.notTried.push(`${file} is a public key`);
      if (required.has(file)) throw new ConfigError(`identity file ${file} is a public key; give the private key file`);
      continue;
    }
    out.keys.push({ file, key });
  }
  return out;
}

export interface AuthPlan {
  handler: (methodsLeft: AuthenticationType[] | null, partial: boolean | null, next: (m: AnyAuthMethod | false) => void) => void;
  attempts: AuthAttempt[];
  notTried: string[];
  /** the methods the server said it accepts (from its last failure reply) */
  allowed: () => string[];
  /** a password question still waiting for its answer (resolves with it), if one is open */
  pendingPassword: () => Promise<string | undefined> | undefined;
}

/**
 * The sequence OpenSSH would try, with one deliberate difference: identity
 * files named for this host go before the agent, so an agent full of keys
 * cannot exhaust the server's MaxAuthTries before the right key is offered.
 */
export function planAuth(
  hop: ResolvedHop,
  keys: LoadedKeys,
  creds: Credentials,
  pause: <T>(p: Promise<T>) => Promise<T>,
  /** false once the connection is gone: ssh2 must never be handed an answer after that (it throws from inside) */
  alive: () => boolean = () => true,
): AuthPlan {
  const seq = new AuthSequence(hop, keys, creds, pause, alive);
  return { handler: seq.handler, attempts: seq.attempts, notTried: seq.notTried, allowed: () => seq.allowed, pendingPassword: () => seq.asking };
}

type SshNext = (m: AnyAuthMethod | false) => void;

/** The methods to try for one hop, handed to ssh2 one at a time (`handler`), with a record of each attempt. */
class AuthSequence {
  readonly attempts: AuthAttempt[] = [];
  readonly notTried: string[];
  private readonly queue: AuthMethodSpec[] = [];
  private readonly canPassword: boolean;
  private readonly promptText: string;
  private readonly username: string;
  /** the methods the server said it accepts (from its last failure reply) */
  allowed: string[] = [];
  private started = false;
  /** a password question waiting for its answer */
  asking: Promise<string | undefined> | undefined;

  constructor(
    private readonly hop: ResolvedHop,
    keys: LoadedKeys,
    private readonly creds: Credentials,
    private readonly pause: <T>(p: Promise<T>) => Promise<T>,
    private readonly alive: () => boolean,
  ) {
    this.notTried = [...keys.notTried];
    this.canPassword = creds.password !== undefined || !!creds.askPassword;
    this.promptText = passwordPrompt(hop);
    this.username = hop.user;
    const queue = this.queue;
    if (hop.allowPublickey) {
      for (const k of keys.keys) queue.push({ kind: 'publickey', file: k.file, key: k.key });
      const agent = creds.agent === false ? undefined : (creds.agent ?? hop.identityAgent ?? defaultAgent());
      if (agent && !(hop.identitiesOnly && keys.keys.length)) queue.push({ kind: 'agent', socket: agent });
    }
    const hasKbd = !!creds.keyboardInteractive || this.canPassword;
    if (hop.allowKeyboardInteractive && hasKbd) queue.push({ kind: 'keyboard-interactive' });
    if (hop.allowPassword && this.canPassword) queue.push({ kind: 'password' });
    if (!this.canPassword && !creds.keyboardInteractive) this.notTried.push('password and keyboard-interactive: no password given');
  }

  /** asked at most once per hop, then kept (and shared with sudo through creds) */
  private async password(prompt: string): Promise<string | undefined> {
    const { creds, hop } = this;
    if (creds.password === undefined && creds.askPassword) {
      this.asking = this.pause(creds.askPassword(prompt, { name: hop.name, host: hop.host, port: hop.port, user: hop.user })).catch(() => undefined);
      try {
        creds.password = await this.asking;
      } finally {
        this.asking = undefined;
      }
    }
    return creds.password;
  }

  readonly handler: AuthPlan['handler'] = (methodsLeft, partial, sshNext) => {
    // answers that arrive after the server hung up (a person typing slowly) are dropped here
    const next: SshNext = (m) => {
      if (this.alive()) sshNext(m);
    };
    if (methodsLeft) this.allowed = methodsLeft.filter((m) => m !== 'none');
    if (!this.started) {
      // "none" first: it costs nothing and tells us which methods the server takes
      this.started = true;
      next({ type: 'none', username: this.username });
      return;
    }
    const ok = (m: string) => !methodsLeft || methodsLeft.includes(m as AuthenticationType);
    while (this.queue.length) {
      const m = this.queue.shift()!;
      if (!ok(m.kind === 'agent' ? 'publickey' : m.kind)) continue;
      if (m.kind === 'password') return this.tryPassword(() => this.handler(methodsLeft, partial, sshNext), next);
      this.attempts.push(m.kind === 'publickey' ? { method: 'publickey', detail: m.file } : m.kind === 'agent' ? { method: 'agent', detail: m.socket } : { method: 'keyboard-interactive' });
      next(m.kind === 'publickey' ? { type: 'publickey', username: this.username, key: m.key }
        : m.kind === 'agent' ? { type: 'agent', username: this.username, agent: m.socket }
          : this.keyboardInteractive());
      return;
    }
    next(false);
  };

  /** password: asked (once) first; without an answer the next method is tried */
  private tryPassword(nextMethod: () => void, next: SshNext): void {
    this.password(this.promptText).then(
      (pw) => {
        if (pw === undefined) return nextMethod();
        this.attempts.push({ method: 'password' });
        next({ type: 'password', username: this.username, password: pw });
      },
      () => nextMethod(),
    );
  }

  private keyboardInteractive(): AnyAuthMethod {
    const { creds, hop } = this;
    return {
      type: 'keyboard-interactive',
      username: this.username,
      prompt: (name: string, instructions: string, _lang: string, prompts: Prompt[], sshFinish: KeyboardInteractiveCallback) => {
        const finish = (answers: string[]) => {
          if (this.alive()) sshFinish(answers);
        };
        if (!prompts.length) return finish([]);
        if (creds.keyboardInteractive) {
          this.pause(creds.keyboardInteractive(prompts, { name, instructions, hop: hop.name })).then(
            (a) => finish(a ?? []),
            () => finish([]),
          );
          return;
        }
        // without a prompt handler only the common case is answerable: one hidden "Password:" prompt
        if (prompts.length === 1 && !prompts[0].echo && this.canPassword) {
          this.password(this.promptText).then(
            (pw) => finish(pw === undefined ? [] : [pw]),
            () => finish([]),
          );
          return;
        }
        finish([]);
      },
    };
  }
}
