// Messages quote what was wrong, but a token can be megabytes long (a pasted
// blob, a corrupt file): a message quotes at most the first ~200 characters of
// any one word, and says how much it left out.
export const MAX_QUOTED_CHARS = 200;

/** Shortens every run of non-space characters longer than `max` to its first `max` characters. */
export function clipTokens(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  return text.replace(new RegExp(`\\S{${max + 1},}`, 'g'), (t) => `${t.slice(0, max)}…(${t.length - max} more characters)`);
}

/** A value quoted in a message: clipped, and never throwing on odd input. */
export function quoteToken(v: string, max = MAX_QUOTED_CHARS): string {
  return v.length > max ? `"${v.slice(0, max)}"…(${v.length - max} more characters)` : `"${v}"`;
}
