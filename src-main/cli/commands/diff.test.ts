import { describe, it, expect } from 'vitest';
import { run } from '../testing/capture.js';

const head = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
const OLD = `*filter\n${head}-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n`;
const SAME = `# saved by hand\n*filter\n${head.replace('[0:0]', '[10:2000]')}[3:180] -A INPUT --in-interface lo --jump ACCEPT\n-A INPUT --protocol tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n`;
const NEW = `*filter\n${head.replace(':INPUT ACCEPT', ':INPUT DROP')}-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 2222 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n`;

describe('portcullis diff', () => {
  it('exits 0 and prints nothing when the rulesets differ only in spelling, counters and comments', async () => {
    const c = await run(['diff', 'old', 'same'], { old: OLD, same: SAME });
    expect(c.code).toBe(0);
    expect(c.out).toBe('');
    expect(c.err).toBe('');
  });

  it('prints a unified view per chain and exits 1', async () => {
    const c = await run(['diff', 'old', 'new'], { old: OLD, new: NEW });
    expect(c.code).toBe(1);
    expect(c.out).toBe(
      [
        '--- old',
        '+++ new',
        '@@ filter INPUT policy ACCEPT → DROP @@',
        '  -A INPUT -i lo -j ACCEPT',
        '- -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
        '+ -A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT',
        '  -A INPUT -j DROP',
        '',
      ].join('\n'),
    );
  });

  it('prints a side-by-side view', async () => {
    const c = await run(['diff', '--side-by-side', '--context', '0', '--width', '100', 'old', 'new'], { old: OLD, new: NEW });
    expect(c.code).toBe(1);
    const lines = c.out.split('\n');
    expect(lines[1]).toBe('@@ filter INPUT policy ACCEPT → DROP @@');
    expect(lines[2]).toMatch(/^… 1 unchanged\s+… 1 unchanged$/);
    expect(lines[3]).toMatch(/^2 -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\s+\| 2 -A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT$/);
    expect(lines[3].indexOf('|')).toBe(49);
  });

  it('prints the change set as JSON in the shape of DESIGN.md', async () => {
    const c = await run(['diff', 'old', 'new', '--json'], { old: OLD, new: NEW });
    expect(c.code).toBe(1);
    expect(JSON.parse(c.out)).toEqual({
      changes: [
        { op: 'policy', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' },
        { op: 'replace', table: 'filter', chain: 'INPUT', index: 2, fromIndex: 2, from: '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', to: '-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT' },
      ],
    });
    const same = await run(['diff', 'old', 'same', '--json'], { old: OLD, same: SAME });
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out)).toEqual({ changes: [] });
  });

  it('exits 2 with check-style errors for an invalid file, and for a missing one', async () => {
    const bad = `*filter\n${head}-A INPUT -p tcp --dportt 22 -j ACCEPT\nCOMMIT\n`;
    const c = await run(['diff', 'old', 'bad'], { old: OLD, bad });
    expect(c.code).toBe(2);
    expect(c.out).toBe('');
    expect(c.err).toMatch(/^bad:5:\d+: error: unknown option "--dportt"/);
    const m = await run(['diff', 'old', 'nowhere'], { old: OLD });
    expect(m.code).toBe(2);
    expect(m.err).toContain('nowhere: error: cannot read the file: no such file');
  });

  it("a new file with errors: every finding of it, also the warnings of lines it shares with the old file (read without the old file's lines), the family note once", async () => {
    const shared = '-A INPUT -m set --match-set blk src -j DROP\n-A INPUT -j ACCEPT\n';
    const old = `*filter\n${head}${shared}COMMIT\n`;
    const bad = `*filter\n${head}${shared}-A INPUT -p tcp --dportt 22 -j ACCEPT\nCOMMIT\n`;
    const c = await run(['diff', 'old', 'bad'], { old, bad });
    expect(c.code).toBe(2);
    const alone = await run(['diff', 'bad', 'old'], { old, bad });
    const lines = c.err.split('\n');
    expect(lines[0]).toMatch(/^bad:5:\d+: warning: ipset `blk' must exist/);
    expect(lines[1]).toMatch(/^bad:7:\d+: error: unknown option "--dportt"/);
    // what the same file prints as the old one, read alone
    expect(c.err).toBe(alone.err);
    const v6 = await run(['diff', 'old.v6', 'bad.v6'], { 'old.v6': old, 'bad.v6': bad });
    expect(v6.code).toBe(2);
    expect(v6.err.match(/bad\.v6: note: read as an IPv6/g)).toHaveLength(1);
  });

  it('is a usage error (exit 2) without two files or with both views', async () => {
    const c = await run(['diff', 'old'], { old: OLD });
    expect(c.code).toBe(2);
    expect((await run(['diff', 'old', 'old', '--unified', '--side-by-side'], { old: OLD })).code).toBe(2);
    expect((await run(['diff', 'old', 'old', '--context', 'x'], { old: OLD })).code).toBe(2);
  });
});
