// Small helpers shared by the lab's modules.
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { run } from './run.js';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(/\s+/)[1], 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export async function keygen(path: string, type: 'ed25519' | 'ecdsa' | 'rsa', comment: string, passphrase = '', pem = false) {
  const argv = ['ssh-keygen', '-q', '-t', type, '-N', passphrase, '-C', comment, '-f', path];
  if (type === 'rsa') argv.push('-b', '2048');
  if (pem) argv.push('-m', 'PEM');
  await run(argv);
}

export function write(path: string, text: string | Buffer, mode = 0o644): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

export async function waitFor(cond: () => boolean, ms: number, what: string, detail: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`lab: ${what} did not happen within ${ms} ms\n${detail()}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
