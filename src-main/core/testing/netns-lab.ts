// The namespace harness of the recipe lab tests (IPv4 and IPv6): namespaces joined by veth pairs,
// a python3 helper script in a scratch dir, servers started from it, and one cleanup that kills the
// servers, deletes every namespace it made and the scratch dir (register it for afterAll and exit).
// Test-only; never touches the root namespace's firewall.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class NetnsLab {
  private readonly servers: ChildProcess[] = [];
  private readonly made: string[] = [];
  private dir = '';
  /** path of the python3 helper written by `writeHelper` */
  helper = '';

  /** 4: addresses as /24; 6: as /64 with nodad (usable at once, no duplicate address detection to wait for) */
  constructor(private readonly family: 4 | 6) {}

  readonly sh = (argv: string[], input?: string): string => {
    const r = spawnSync(argv[0], argv.slice(1), { input: input ?? '', encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`\`${argv.join(' ')}\` exited ${r.status}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };

  readonly inNs = (ns: string, argv: string[], input?: string): string => this.sh(['ip', 'netns', 'exec', ns, ...argv], input);

  /** runs the helper in `ns` and returns its trimmed output */
  readonly py = (ns: string, ...args: string[]): string => this.inNs(ns, ['python3', this.helper, ...args]).trim();

  /** writes the helper script into a fresh scratch dir named `prefix…` */
  writeHelper(prefix: string, source: string): void {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.helper = join(this.dir, 'helper.py');
    writeFileSync(this.helper, source);
  }

  /** starts a helper server in `ns`; resolves at its first line of output (it prints `ready` once listening) */
  readonly startServer = (ns: string, ...args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = spawn('ip', ['netns', 'exec', ns, 'python3', this.helper, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.servers.push(c);
      const t = setTimeout(() => reject(new Error(`server ${args.join(' ')} in ${ns} did not start`)), 10_000);
      c.stdout.once('data', () => {
        clearTimeout(t);
        resolve();
      });
      c.once('exit', (code) => reject(new Error(`server ${args.join(' ')} in ${ns} exited ${code}`)));
    });

  readonly addNs = (name: string): void => {
    spawnSync('ip', ['netns', 'del', name]); // a leftover of a crashed run with the same pid
    this.sh(['ip', 'netns', 'add', name]);
    this.made.push(name);
    this.inNs(name, ['ip', 'link', 'set', 'lo', 'up']);
  };

  readonly link = (a: string, aIf: string, aIp: string, b: string, bIf: string, bIp: string): void => {
    this.sh(['ip', 'link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b]);
    const addr = (ns: string, ifName: string, ip: string) =>
      this.inNs(ns, this.family === 6 ? ['ip', '-6', 'addr', 'add', `${ip}/64`, 'dev', ifName, 'nodad'] : ['ip', 'addr', 'add', `${ip}/24`, 'dev', ifName]);
    addr(a, aIf, aIp);
    addr(b, bIf, bIp);
    this.inNs(a, ['ip', 'link', 'set', aIf, 'up']);
    this.inNs(b, ['ip', 'link', 'set', bIf, 'up']);
  };

  readonly cleanup = (): void => {
    for (const s of this.servers) if (s.exitCode === null && s.pid) try { process.kill(s.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const ns of this.made.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns]);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  };
}
