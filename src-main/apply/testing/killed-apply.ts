// The lab's interrupted applies: `portcullis apply …` run as a child and sent a
// signal the moment its stderr shows a given line — SIGKILL once its rules are
// running ("client vanished": only the host-side timer can revert them), SIGKILL
// while it holds the apply lock, SIGINT (Ctrl-C) at either. node runs the CLI
// itself (tsx's loader), so the signal hits the process that runs the apply, not
// a wrapper. And the wait for the host's own revert timer that follows a kill.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from '../../../e2e/lab/fixtures.js';

export interface InterruptedApply {
  /** what the CLI printed up to its exit */
  out: string;
  err: string;
  /** its exit code, or the signal that ended it */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the signal was sent (a host timer counts from about here) and when the CLI had exited */
  sentAt: number;
  exitedAt: number;
}

/**
 * Runs `apply ARGS…` and sends `signal` the moment stderr shows `at`; resolves
 * once the CLI has exited. Rejects (the child killed) when `at` does not come
 * within 30 s, or the CLI ends before it.
 */
export async function applyInterrupted(args: readonly string[], at: string, signal: NodeJS.Signals): Promise<InterruptedApply> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src-main/cli/main.ts'), 'apply', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
    env: { ...process.env },
  });
  let out = '';
  let err = '';
  let sentAt = 0;
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await new Promise<void>((resolveExit, reject) => {
      const t = setTimeout(() => reject(new Error(`no "${at}" line within 30 s:\n${err}`)), 30_000);
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (!sentAt && err.includes(at)) {
          sentAt = Date.now();
          child.kill(signal);
        }
      });
      // 'close', not 'exit': all it printed has been read
      child.on('close', () => {
        clearTimeout(t);
        if (sentAt) resolveExit();
        else reject(new Error(`the CLI ended before "${at}":\n${err}`));
      });
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return { out, err, code: child.exitCode, signal: child.signalCode, sentAt, exitedAt: Date.now() };
}

/** Runs `apply ARGS…` and SIGKILLs it once 'rules running' is printed (see applyInterrupted). */
export async function applyKilledOnceRunning(args: readonly string[]): Promise<{ stderr: string; killedAt: number }> {
  const r = await applyInterrupted(args, 'rules running', 'SIGKILL');
  return { stderr: r.err, killedAt: r.sentAt };
}

/**
 * After a client vanished at `killedAt`, its host's revert timer (`timeoutS`)
 * is due: waits until that deadline, then until `reverted()` says the timer has
 * done its work (its process, units and log line) — up to `graceMs` more: on a
 * loaded machine the timer's restore and read-back end late, and a fixed margin
 * after the deadline was a guess that sometimes came too early. Returns either
 * way: the caller asserts the host's state, which names what is wrong.
 */
export async function waitForHostRevert(killedAt: number, timeoutS: number, reverted: () => Promise<boolean>, graceMs = 30_000): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const due = killedAt + timeoutS * 1000;
  await sleep(Math.max(0, due - Date.now()));
  while (!(await reverted()) && Date.now() < due + graceMs) await sleep(250);
}
