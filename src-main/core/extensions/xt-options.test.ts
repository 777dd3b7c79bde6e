// xtString's byte length is counted without encoding: the same as TextEncoder's
// (what the kernel's char[] gets), lone surrogates included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { utf8Length, xtString } from './xt-options.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// the encoding reference: xtString as it was, with the bytes encoded
const reference = (s: string, size: number, min: number): string => {
  const bytes = encoder.encode(s);
  if (min && bytes.length < min) throw new Error('too short');
  return bytes.length >= size ? decoder.decode(bytes.slice(0, size - 1)) : s;
};
// ASCII, two- and three-byte characters, pairs and lone halves of them
const text = fc.array(fc.constantFrom('a', ' ', '[', 'é', 'ß', '€', '漢', '😀', '\ud83d', '\ude00', '\u0000', '\u07ff', '\u0800', '\uffff'), { maxLength: 40 }).map((cs) => cs.join(''));

describe('xtString', () => {
  it('counts UTF-8 bytes as TextEncoder encodes them', () => {
    fc.assert(fc.property(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 40 })), (s) => {
      expect(utf8Length(s)).toBe(encoder.encode(s).length);
    }), { numRuns: 3000 });
  });
  it('checks the minimum and cuts to size - 1 bytes as the encoded bytes say', () => {
    fc.assert(fc.property(text, fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 3 }), (s, size, min) => {
      let want: string | Error;
      try {
        want = reference(s, size, min);
      } catch (e) {
        want = e as Error;
      }
      if (want instanceof Error) expect(() => xtString(s, size, min)).toThrow(/minimum length/);
      else expect(xtString(s, size, min)).toBe(want);
    }), { numRuns: 3000 });
  });
});
