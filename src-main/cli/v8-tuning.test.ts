// Which V8 flag the bin sets for a command and its files (v8-tuning.ts); that
// each is in effect in the built bin is diff-worker.test.ts's (V8's own trace).
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputFlag } from './v8-tuning.js';

describe('inputFlag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-v8-tuning-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: number) => {
    const p = join(dir, name);
    writeFileSync(p, Buffer.alloc(bytes, 0x41));
    return p;
  };
  const tiny = file('tiny.rules', 128 << 10);
  const small = file('small.rules', (128 << 10) + 1);
  const big = file('big.rules', (1 << 20) + 1);
  const huge = file('huge.rules', (16 << 20) + 1);

  it('no TurboFan for a command that reads local files of 128 KB or less, no inlining up to 16 MB, TurboFan whole above', () => {
    for (const c of ['check', 'canon', 'diff', 'lint', 'trace', 'import', 'recipe', 'recipes']) {
      expect(inputFlag(c, [tiny]), c).toBe('--no-turbofan');
      expect(inputFlag(c, [small]), c).toBe('--no-turbo-inlining');
      expect(inputFlag(c, [big]), c).toBe('--no-turbo-inlining');
      expect(inputFlag(c, [huge]), c).toBeUndefined();
    }
    expect(inputFlag('diff', [tiny, small])).toBe('--no-turbo-inlining');
    expect(inputFlag('diff', [tiny, big])).toBe('--no-turbo-inlining');
    expect(inputFlag('diff', [big, huge])).toBeUndefined();
  });

  it('commands that talk SSH keep TurboFan for their pure-JavaScript key work, and inline above 1 MB', () => {
    for (const c of ['apply', 'pull', 'facts']) {
      expect(inputFlag(c, [tiny, '--host', 'h']), c).toBe('--no-turbo-inlining');
      expect(inputFlag(c, [big, '--host', 'h']), c).toBeUndefined();
    }
  });

  it('standard input, no file, an option value or a missing file: nothing is assumed small', () => {
    expect(inputFlag('canon', ['-'])).toBeUndefined();
    expect(inputFlag('canon', [tiny, '-'])).toBeUndefined();
    expect(inputFlag('canon', [])).toBeUndefined();
    expect(inputFlag('canon', ['--family', '6'])).toBeUndefined();
    expect(inputFlag('canon', [join(dir, 'missing.rules')])).toBeUndefined();
    expect(inputFlag('canon', [dir])).toBeUndefined();
  });
});
