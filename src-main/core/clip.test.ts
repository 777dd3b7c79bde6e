import { describe, expect, it } from 'vitest';
import { clipTokens, quoteToken } from './clip.js';

describe('clipTokens', () => {
  it('keeps short text and short words as they are', () => {
    expect(clipTokens('invalid port "abc"')).toBe('invalid port "abc"');
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(clipTokens(words)).toBe(words);
  });
  it('quotes at most 200 characters of a long word and says how much it left out', () => {
    const t = 'A'.repeat(10_000_000);
    const m = clipTokens(`host/network \`${t}' not found`);
    expect(m).toBe(`host/network \`${'A'.repeat(199)}…(9999802 more characters) not found`);
    expect(m.length).toBeLessThan(300);
  });
  it('clips each long word and keeps the text between them', () => {
    const m = clipTokens(`a ${'x'.repeat(300)}\n${'y'.repeat(250)} b`, 10);
    expect(m).toBe(`a ${'x'.repeat(10)}…(290 more characters)\n${'y'.repeat(10)}…(240 more characters) b`);
  });
  it('clipping twice changes nothing', () => {
    const once = clipTokens(`x ${'q'.repeat(5000)} y`);
    expect(clipTokens(once)).toBe(once);
  });
  it('quoteToken clips the value it quotes', () => {
    expect(quoteToken('short')).toBe('"short"');
    expect(quoteToken('z'.repeat(1000))).toBe(`"${'z'.repeat(200)}"…(800 more characters)`);
  });
});
