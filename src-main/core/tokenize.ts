// iptables-restore's word splitting (add_param_to_argv in iptables' xshared.c):
// spaces and tabs separate words; double quotes group, with backslash escaping
// the next character inside them; single quotes are ordinary characters; a
// closing quote ends the word (`x"y z"w` is two words, `xy z` and `w`).

export interface Word {
  text: string;
  /** 0-based offset of the word's first character in the line */
  start: number;
  /** it was (partly) quoted: a quoted `!` is still negation in 1.8.9, but printing needs it */
  quoted: boolean;
}

export interface TokenizeResult {
  words: Word[];
  /** an opening quote was never closed */
  unterminatedQuote: boolean;
}

export function tokenizeLine(line: string, from = 0): TokenizeResult {
  const words: Word[] = [];
  let buf = '';
  let start = -1;
  let inQuote = false;
  let escaped = false;
  let quoted = false;
  const n = line.length;
  for (let i = from; i < n; i++) {
    const c = line.charCodeAt(i);
    if (inQuote) {
      if (escaped) {
        buf += line[i];
        escaped = false;
        continue;
      }
      if (c === 92 /* \ */) {
        escaped = true;
        continue;
      }
      if (c !== 34 /* " */) {
        buf += line[i];
        continue;
      }
      inQuote = false; // the closing quote ends the word, below
    } else if (c === 34) {
      inQuote = true;
      quoted = true;
      if (start < 0) start = i;
      continue;
    } else if (c !== 32 && c !== 9 && c !== 10) {
      if (start < 0) start = i;
      buf += line[i];
      continue;
    } else if (buf.length === 0 && !quoted) {
      continue;
    }
    // end of a word: whitespace, or a closing quote
    if (buf.length > 0 || quoted) words.push({ text: buf, start, quoted });
    buf = '';
    start = -1;
    quoted = false;
  }
  if (buf.length > 0 || (quoted && !inQuote)) words.push({ text: buf, start, quoted });
  else if (inQuote) words.push({ text: buf, start, quoted: true });
  return { words, unterminatedQuote: inQuote };
}
