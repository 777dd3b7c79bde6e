import { describe, expect, it } from 'vitest';
import { visible } from './visible.js';

describe('visible', () => {
  it('leaves ordinary text and tabs alone', () => {
    expect(visible('-A INPUT -j ACCEPT\t# ok é')).toBe('-A INPUT -j ACCEPT\t# ok é');
  });
  it('writes out a CRLF line end, escapes and other controls', () => {
    expect(visible("Bad argument `\r'")).toBe("Bad argument `\\r'");
    expect(visible('\x1b[31mred\x00')).toBe('\\x1b[31mred\\x00');
    expect(visible('a\x7fb\x85c\nd')).toBe('a\\x7fb\\x85c\\nd');
  });
});
