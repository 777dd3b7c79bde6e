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

  it('--rules6: an unreadable IPv6 file is said like FILE; it does not go with --family 6; --family is 4 or 6', async () => {
    const missing = await run(['apply', 'plain', 'x.rules', '--rules6', '/nonexistent/rules.v6', '--ssh-config', 'none'], { 'x.rules': '*filter\nCOMMIT\n' });
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('/nonexistent/rules.v6: error: cannot read the file: no such file\n');
    const both = await run(['apply', 'plain', 'x.rules', '--rules6', 'y.rules', '--family', '6', '--ssh-config', 'none'], { 'x.rules': '', 'y.rules': '' });
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--rules6 goes with the IPv4 FILE/);
    const bad = await run(['apply', 'plain', 'x.rules', '--family', '5', '--ssh-config', 'none'], { 'x.rules': '' });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--family is 4 \(iptables\) or 6 \(ip6tables\), not "5"/);
  });
});
