// The lab's "client vanished" fault: `portcullis apply …` run as a child and
// SIGKILLed the moment it says its rules are running, so only the host-side
// timer can revert them. node runs the CLI itself (tsx's loader), so the
// signal hits the process that runs the apply, not a wrapper.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from '../../../e2e/lab/fixtures.js';

export interface KilledApply {
  /** what the CLI printed on stderr up to the kill */
  stderr: string;
  /** Date.now() when it was killed: the host timer counts from about here */
  killedAt: number;
}

/** runs `apply ARGS…` and kills it once 'rules running' is printed; rejects (the child killed) when that does not come within 30 s or the CLI ends first */
export async function applyKilledOnceRunning(args: readonly string[]): Promise<KilledApply> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src-main/cli/main.ts'), 'apply', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: repoRoot,
    env: { ...process.env },
  });
  let err = '';
  try {
    await new Promise<void>((resolveRunning, reject) => {
      const t = setTimeout(() => reject(new Error(`no "rules running" line within 30 s:\n${err}`)), 30_000);
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('rules running')) {
          child.kill('SIGKILL');
          clearTimeout(t);
          resolveRunning();
        }
      });
      child.on('exit', () => {
        clearTimeout(t);
        if (!err.includes('rules running')) reject(new Error(`the CLI ended early:\n${err}`));
      });
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return { stderr: err, killedAt: Date.now() };
}
