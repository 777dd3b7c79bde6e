// The built CLI parses diff's second file in a worker thread; the result must be
// exactly what the in-process path (used by the other tests) prints.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REALWORLD, REPO_ROOT, sharedAvailable } from '../core/testing/shared-data.js';
import { run } from './testing/capture.js';

const cli = join(REPO_ROOT, 'dist', 'cli.cjs');

describe.skipIf(!sharedAvailable())('portcullis diff, built, with its parse worker', () => {
  beforeAll(() => {
    const b = spawnSync('node', [join(REPO_ROOT, 'build', 'build.mjs'), 'cli'], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  }, 60_000);

  const cases: Array<[string, string, string[]]> = [
    ['001.rules', '002.rules', []],
    ['044.rules', '044.rules', []],
    ['010.rules', '011.rules', ['--json']],
    ['020.rules', '021.rules', ['--side-by-side']],
    ['001.rules', '123.rules', []], // the new file is invalid: its errors, exit 2
    ['001.rules', 'missing.rules', []], // cannot be read: said so, exit 2
  ];
  for (const [a, b, opts] of cases) {
    it(`${a} vs ${b} ${opts.join(' ')}: same output and exit status as in process`, async () => {
      const args = ['diff', ...opts, join(REALWORLD, a), join(REALWORLD, b)];
      const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const inProcess = await run(args);
      expect(built.status).toBe(inProcess.code);
      expect(built.stdout).toBe(inProcess.out);
      expect(built.stderr).toBe(inProcess.err);
    });
  }
});
