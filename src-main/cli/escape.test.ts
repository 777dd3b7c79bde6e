// Text from a ruleset is untrusted: control characters in chain names, comments
// and log prefixes never reach a terminal as they are (DESIGN.md "Untrusted text").
import { describe, expect, it } from 'vitest';
import { run } from './testing/capture.js';

const ESC = '\x1b';
const EVIL = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:EVIL${ESC}[31m - [0:0]
-A INPUT -j LOG --log-prefix "${ESC}]0;pwned\x07 x"
-A INPUT -m comment --comment "${ESC}[2J" -j ACCEPT
COMMIT
`;
const SCRIPT = `iptables -N EVIL${ESC}[31m\niptables -A INPUT -j LOG --log-prefix "${ESC}]0;pwned\x07 x"\n`;

describe('control characters from a ruleset', () => {
  it('canon escapes them on a terminal, and keeps the bytes in a pipe', async () => {
    const tty = await run(['canon', 'evil.rules'], { 'evil.rules': EVIL }, { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.out).not.toContain(ESC);
    expect(tty.out).toContain('--log-prefix "\\x1b]0;pwned\\x07 x"');
    const pipe = await run(['canon', 'evil.rules'], { 'evil.rules': EVIL });
    expect(pipe.out).toContain(`:EVIL${ESC}[31m - [0:0]`);
  });

  it('lint escapes them in the place of a finding (the chain name), not only in its message', async () => {
    const r = await run(['lint', 'evil.rules'], { 'evil.rules': EVIL }, { tty: true });
    expect(r.out).toMatch(/\[unused-chain\] filter\/EVIL\\x1b\[31m:/);
    expect(r.out + r.err).not.toContain(ESC);
  });

  it('import escapes them in the place of a finding too', async () => {
    const r = await run(['import', 'evil.sh'], { 'evil.sh': SCRIPT }, { tty: true });
    expect(r.err).toMatch(/filter\/EVIL\\x1b\[31m/);
    expect(r.out + r.err).not.toContain(ESC);
  });
});

describe('C1 control characters in --json output', () => {
  const CSI = '\x9b'; // a one-byte CSI for terminals that act on C1
  const C1 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:EVIL${CSI}31m\x85 - [0:0]
COMMIT
`;
  it('lint --json writes them as \\u009b, JSON that parses back to the same text', async () => {
    const r = await run(['lint', 'c1.rules', '--json'], { 'c1.rules': C1 }, { tty: true });
    expect(r.out).not.toMatch(/[\x7f-\x9f]/);
    expect(r.out).toContain('EVIL\\u009b31m\\u0085');
    const j = JSON.parse(r.out) as { findings: { chain: string }[] };
    expect(j.findings.some((f) => f.chain === `EVIL${CSI}31m\x85`)).toBe(true);
  });

  it('so do diff --json and trace --json', async () => {
    const d = await run(['diff', 'a.rules', 'c1.rules', '--json'], { 'a.rules': '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', 'c1.rules': C1 }, { tty: true });
    expect(d.out).not.toMatch(/[\x7f-\x9f]/);
    expect(d.out).toContain('\\u009b');
    expect(JSON.stringify(JSON.parse(d.out))).toContain(CSI);
  });
});

describe('bidirectional controls from a ruleset (Trojan Source)', () => {
  const RLO = '\u202e';
  const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
  const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${BIDI.map((c, i) => `-A INPUT -s 198.51.100.${i + 1}/32 -m comment --comment "ok${c}PCCA" -j DROP`).join('\n')}
:X${RLO}Y - [0:0]
COMMIT
`;
  it('canon, lint and their JSON show every one as \\uXXXX on a terminal', async () => {
    const tty = await run(['canon', 'bidi.rules'], { 'bidi.rules': RULES }, { tty: true });
    expect(tty.code).toBe(0);
    for (const c of BIDI) expect(tty.out).not.toContain(c);
    expect(tty.out).toContain('--comment "ok\\u202ePCCA"');
    expect(tty.out).toContain('--comment "ok\\u2066PCCA"');
    const lint = await run(['lint', 'bidi.rules'], { 'bidi.rules': RULES }, { tty: true });
    for (const c of BIDI) expect(lint.out + lint.err).not.toContain(c);
    expect(lint.out).toContain('X\\u202eY');
    const json = await run(['lint', 'bidi.rules', '--json'], { 'bidi.rules': RULES }, { tty: true });
    for (const c of BIDI) expect(json.out).not.toContain(c);
    // the same JSON: a reader gets the characters back
    expect(JSON.stringify(JSON.parse(json.out))).toContain(`X${RLO}Y`);
  });
});

describe('a huge offending token', () => {
  const token = 'A'.repeat(10 * 1024 * 1024);
  it('check, lint (text and JSON) and import quote at most ~200 characters of it', async () => {
    const file = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s ${token} -j ACCEPT\n-A INPUT -p tcp --dport ${token} -j ACCEPT\n-A INPUT -j ${token}\nCOMMIT\n`;
    for (const argv of [['check', 'big.rules'], ['lint', 'big.rules'], ['lint', 'big.rules', '--json'], ['canon', 'big.rules']]) {
      const r = await run(argv, { 'big.rules': file });
      expect(r.code).toBe(1);
      expect((r.out + r.err).length).toBeLessThan(4000);
      expect(r.out + r.err).toMatch(/A{150}…\(\d+ more characters\)/);
    }
    const imp = await run(['import', 'big.sh'], { 'big.sh': `iptables -A INPUT -p tcp --dport ${token} -j ACCEPT\n` });
    expect(imp.code).toBe(1);
    expect((imp.out + imp.err).length).toBeLessThan(4000);
    expect(imp.err).toMatch(/more characters\)/);
  }, 60_000);
});
