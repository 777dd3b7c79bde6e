// The lab must leave nothing behind when a run fails: exit, uncaught error,
// SIGTERM (exit handlers), and SIGKILL (reaped by the next lab).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labRoot, reapStaleLabs } from './lab.js';
import { run } from './run.js';
import { skipLab } from './testing.js';
import { repoRoot } from './fixtures.js';

async function leftovers(slot: number): Promise<string[]> {
  const ns = (await run(['ip', 'netns', 'list'])).stdout.toString();
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout.toString();
  const out: string[] = [];
  if (ns.includes(`pcl-s${slot}-`)) out.push('namespace');
  if (new RegExp(`pcls${slot}[hi]`).test(links)) out.push('link');
  if (existsSync(join(labRoot(), `s${slot}`))) out.push('directory');
  return out;
}

function child(how: 'exit' | 'throw' | 'wait'): Promise<{ slot: number; done: Promise<void>; kill: (s: NodeJS.Signals) => void }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'e2e/lab/crash-child.ts'), how], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = new Promise<void>((r) => c.on('exit', () => r()));
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.stdout.once('data', (b: Buffer) => resolve({ slot: Number(b.toString().trim()), done, kill: (s) => c.kill(s) }));
    c.on('exit', (code) => reject(new Error(`child ended (${code}) before starting a lab: ${err}`)));
  });
}

/** what is left of the slot's lab, looked at again for up to 10 s: the kernel ends a deleted namespace (and the veth ends in it) in a worker of its own, later on a loaded machine */
async function leftoversSettled(slot: number): Promise<string[]> {
  let left = await leftovers(slot);
  for (const t0 = Date.now(); left.length && Date.now() - t0 < 10_000; left = await leftovers(slot)) await new Promise((r) => setTimeout(r, 100));
  return left;
}

describe.skipIf(skipLab)('lab: teardown when a run fails', () => {
  for (const how of ['exit', 'throw'] as const) {
    it(`removes everything when the process ends without stop() (${how})`, async () => {
      const c = await child(how);
      await c.done;
      expect(await leftoversSettled(c.slot)).toEqual([]);
    });
  }

  it('removes everything on SIGTERM', async () => {
    const c = await child('wait');
    c.kill('SIGTERM');
    await c.done;
    expect(await leftoversSettled(c.slot)).toEqual([]);
  });

  it('reaps a lab whose process was SIGKILLed', async () => {
    const c = await child('wait');
    c.kill('SIGKILL');
    await c.done;
    expect(await leftovers(c.slot)).not.toEqual([]);
    reapStaleLabs();
    expect(await leftoversSettled(c.slot)).toEqual([]);
  });
});
