// `portcullis apply` before it connects anywhere: options and files.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { run } from '../testing/capture.js';

describe('portcullis apply, before connecting', () => {
  it('a FILE that cannot be read is said in words, as every command says it (exit 2)', async () => {
    const missing = await run(['apply', 'plain', '/nonexistent/x.rules', '--ssh-config', 'none']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('/nonexistent/x.rules: error: cannot read the file: no such file\n');
    const dir = await run(['apply', 'plain', tmpdir(), '--ssh-config', 'none']);
    expect(dir.code).toBe(2);
    expect(dir.err).toBe(`${tmpdir()}: error: cannot read the file: is a directory\n`);
  });

  it('so is a --base that cannot be read', async () => {
    const r = await run(['apply', 'plain', 'x.rules', '--base', '/nonexistent/base.rules', '--ssh-config', 'none'], { 'x.rules': '' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^portcullis apply: --base \/nonexistent\/base\.rules: cannot read the file: no such file\n/);
  });
});
