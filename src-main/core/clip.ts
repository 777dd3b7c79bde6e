// Messages quote what was wrong, but a token can be megabytes long (a pasted
// blob, a corrupt file): a message quotes at most the first ~200 characters of
// any one word, and says how much it left out.
const MAX_QUOTED_CHARS = 200;

/** Shortens every run of non-space characters longer than `max` to its first `max` characters. */
export function clipTokens(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  // a scan, not a regex: V8's regex engine overflows its stack on a 10 MB match
  let out = '';
  let from = 0;
  let wordStart = -1;
  for (let i = 0; i <= text.length; i++) {
    // '…' ends a word too, so a message clipped once is not clipped again
    const space = i === text.length || text[i] === '…' || /\s/.test(text[i]);
    if (!space && wordStart < 0) wordStart = i;
    else if (space && wordStart >= 0) {
      const len = i - wordStart;
      if (len > max) {
        out += `${text.slice(from, wordStart + max)}…(${len - max} more characters)`;
        from = i;
      }
      wordStart = -1;
    }
  }
  return out + text.slice(from);
}

/** A value quoted in a message: clipped, and never throwing on odd input. */
export function quoteToken(v: string, max = MAX_QUOTED_CHARS): string {
  return v.length > max ? `"${v.slice(0, max)}"…(${v.length - max} more characters)` : `"${v}"`;
}
