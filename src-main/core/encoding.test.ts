// Bytes that iptables-restore reads differently from text: a NUL ends the line
// for it (observed on iptables-legacy 1.8.9: `-A INPUT -s 10.0.0.1 -j ACCEPT\0 -j DROP`
// loads as an ACCEPT rule), and invalid UTF-8 is kept byte for byte by iptables
// (a Latin-1 comment loads and saves unchanged). Portcullis refuses both with
// the place, never accepts the NUL and never replaces bytes.
import { describe, expect, it } from 'vitest';
import { decodeRulesetBytes, parseRuleset, canonicalRuleset } from './index.js';
import { firstInvalid } from './encoding.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...enc(p)] : p)));

describe('a NUL byte in a line', () => {
  it('is an error at its column, and the line is read as iptables-restore reads it (up to the NUL)', () => {
    const r = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1 -j ACCEPT\0 -j DROP\nCOMMIT\n');
    const nul = r.findings.filter((f) => f.code === 'nul-byte');
    expect(nul).toEqual([expect.objectContaining({ severity: 'error', line: 3, col: 31 })]);
    expect(nul[0].message).toContain('`-j DROP\' after it is ignored');
    // no other error: what is left is the ACCEPT rule iptables loads
    expect(r.findings.filter((f) => f.severity === 'error')).toHaveLength(1);
    expect(canonicalRuleset(r.ruleset)).toContain('-A INPUT -s 10.0.0.1/32 -j ACCEPT\n');
    expect(canonicalRuleset(r.ruleset)).not.toContain('\0');
  });
});

describe('invalid UTF-8', () => {
  it('valid UTF-8 decodes unchanged', () => {
    const d = decodeRulesetBytes(enc('-A INPUT -m comment --comment "café ✓ 🔥" -j ACCEPT\n'));
    expect(d).toEqual({ ok: true, text: '-A INPUT -m comment --comment "café ✓ 🔥" -j ACCEPT\n' });
  });

  it('a Latin-1 byte is refused with its line and byte column, never replaced', () => {
    const d = decodeRulesetBytes(bytes('*filter\n-A INPUT -m comment --comment "caf', [0xe9], '" -j ACCEPT\nCOMMIT\n'));
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.problem).toMatchObject({ line: 2, col: 35, byte: 0xe9 });
    expect(d.problem.message).toContain('line 2, byte 35');
    expect(d.problem.message).toContain('0xE9');
  });

  it('finds overlong forms, surrogates, truncated sequences and bytes that never occur', () => {
    expect(firstInvalid(bytes('ab', [0xc0, 0xaf]))).toBe(2); // overlong '/'
    expect(firstInvalid(bytes('a', [0xed, 0xa0, 0x80]))).toBe(1); // a surrogate
    expect(firstInvalid(bytes('abc', [0xe2, 0x82]))).toBe(3); // cut short at the end
    expect(firstInvalid(bytes('x', [0xff]))).toBe(1);
    expect(firstInvalid(bytes('ok ✓', [0xf4, 0x90, 0x80, 0x80]))).toBe(6); // past U+10FFFF
    expect(firstInvalid(enc('all fine ✓ 🔥'))).toBe(enc('all fine ✓ 🔥').length);
  });
});
