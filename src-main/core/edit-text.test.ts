// An edit's text splice (what the app's worker sends the page instead of the
// new text) makes exactly the new text and the new lines of the old ones,
// whatever the edit did: lines added, dropped or changed anywhere, the final
// newline added or taken away, empty files, repeated lines.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { spliceLines, spliceText, textLength, textSplice } from './edit-text.js';

const join = (lines: readonly string[], nl: boolean) => lines.join('\n') + (nl && lines.length ? '\n' : '');
/** the lines and final newline the parser reads in a text (split at \n, without the empty one after a final newline) */
function read(text: string): { lines: string[]; nl: boolean } {
  const lines = text.split('\n');
  const nl = lines[lines.length - 1] === '';
  if (nl) lines.pop();
  return { lines, nl };
}

describe('textSplice', () => {
  it('makes the new text and lines of the old ones for any two texts', () => {
    const line = fc.constantFrom('', 'a', 'b', '-A X -j DROP', 'COMMIT', '# c');
    const text = fc.array(line, { maxLength: 12 }).chain((ls) => fc.boolean().map((nl) => join(ls, nl)));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const ra = read(a);
        const rb = read(b);
        expect(textLength(ra.lines, ra.nl)).toBe(a.length);
        const s = textSplice(ra.lines, ra.nl, rb.lines, rb.nl);
        expect(spliceText(a, s)).toBe(b);
        expect(spliceLines(ra.lines, s)).toEqual(rb.lines);
      }),
      { numRuns: 3000 },
    );
  });

  it('one changed line of a long file is a splice of that line alone', () => {
    const lines = Array.from({ length: 1000 }, (_, k) => `-A blocklist -s 198.18.${k >> 8}.${k & 255}/32 -j DROP`);
    const after = [...lines];
    after[500] = `#${lines[500]}`;
    const s = textSplice(lines, true, after, true);
    expect(s).toMatchObject({ at: 500, remove: 1, lines: [after[500]], insert: `${after[500]}\n` });
    expect(s.to - s.from).toBe(lines[500].length + 1);
  });
});
