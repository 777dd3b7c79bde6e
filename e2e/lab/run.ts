// Process helpers for the lab. Every external command the lab runs goes through
// here with an argv array (no shell), so paths with odd characters stay inert.
import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class LabCommandError extends Error {
  override name = 'LabCommandError';
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(`lab: \`${argv.join(' ')}\` exited ${result.code}: ${result.stderr.trim() || result.stdout.toString().trim()}`);
  }
}

export function run(
  argv: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const r: RunResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (r.code !== 0 && !opts.allowFail) reject(new LabCommandError(argv, r));
      else resolve(r);
    });
    child.stdin.on('error', () => {}); // the command may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Synchronous variant for exit handlers, where no promise will ever settle. */
export function runSync(argv: string[], opts: { allowFail?: boolean; input?: string } = {}): RunResult {
  const r = spawnSync(argv[0], argv.slice(1), { input: opts.input ?? '', timeout: 15_000 });
  const res: RunResult = {
    code: r.status ?? 1,
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: (r.stderr ?? Buffer.alloc(0)).toString('utf8'),
  };
  if (r.error && !opts.allowFail) throw r.error;
  if (res.code !== 0 && !opts.allowFail) throw new LabCommandError(argv, res);
  return res;
}
