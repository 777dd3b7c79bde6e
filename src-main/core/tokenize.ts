// iptables-restore's word splitting (add_param_to_argv in iptables' xshared.c):
// spaces and tabs separate words; double quotes group, with backslash escaping
// the next character inside them; single quotes are ordinary characters; a
// closing quote ends the word (`x"y z"w` is two words, `xy z` and `w`).

export interface Word {
  text: string;
  /** 0-based offset of the word's first character in the line */
  start: number;
  /** it was (partly) quoted */
  quoted: boolean;
}

interface TokenizeResult {
  words: Word[];
  /** an opening quote was never closed */
  unterminatedQuote: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

export function tokenizeLine(line: string, from = 0): TokenizeResult {
  // Most lines have no quote and no tab: words are what lies between spaces,
  // found with indexOf (native) instead of a loop over every character.
  if (isPlain(line, from)) return plainWords(line, from);
  const texts: string[] = [];
  const starts: number[] = [];
  const quoted: boolean[] = [];
  const unterminatedQuote = splitQuoted(line, from, texts, starts, quoted) < 0;
  const words: Word[] = new Array(texts.length);
  for (let k = 0; k < texts.length; k++) words[k] = { text: texts[k], start: starts[k], quoted: quoted[k] };
  return { words, unterminatedQuote };
}

/**
 * The words of a line with quotes or tabs into the caller's arrays (texts,
 * starts, and whether each was quoted when `quoted` is given). Returns the
 * number of words, negated minus one when an opening quote was never closed.
 */
function splitQuoted(line: string, from: number, texts: string[], starts: number[], quoted: boolean[] | null): number {
  const n = line.length;
  // spaces the only separators (no tab or line feed): a word's end and a quote's are found with indexOf
  // (native), not a loop over every character (kube-proxy's lines each have a quoted comment)
  const spacesOnly = line.indexOf('\t', from) < 0 && line.indexOf('\n', from) < 0;
  let i = from;
  let count = 0;
  let unterminatedQuote = false;
  // the next quote and backslash at or after i (-1: none is left; -2: not looked for yet), found again
  // only once i is past them: a line of many words must not be searched to its end for each one
  let quote = -2;
  let backslash = -2;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    // Fast path: a bare word is a slice of the line (most words are).
    if (spacesOnly) {
      let sp = line.indexOf(' ', i);
      if (sp < 0) sp = n;
      if (quote !== -1 && quote < i) quote = line.indexOf('"', i);
      i = quote < 0 || quote > sp ? sp : quote;
      c = i < n ? line.charCodeAt(i) : 0;
    } else while (i < n && c !== 34 && !isSpace(c)) c = line.charCodeAt(++i);
    if (i >= n || c !== 34) {
      texts[count] = line.slice(start, i);
      starts[count] = start;
      if (quoted) quoted[count] = false;
      count++;
      continue;
    }
    // The word has a quote: its runs of plain characters are sliced, not
    // added one character at a time (a string per character: kube-proxy's
    // comments were an eighth of everything canon allocated)
    let buf = line.slice(start, i);
    i++; // the opening quote
    let closed = false;
    let run = i;
    while (i < n) {
      // the next backslash or quote: what lies before either is plain
      if (quote !== -1 && quote < i) quote = line.indexOf('"', i);
      if (backslash !== -1 && backslash < i) backslash = line.indexOf('\\', i);
      if (backslash >= 0 && (quote < 0 || backslash < quote)) {
        buf += line.slice(run, backslash);
        if (backslash + 1 < n) buf += line[backslash + 1];
        i = backslash + 2;
        run = i;
        continue;
      }
      if (quote >= 0) {
        i = quote;
        closed = true;
        break; // the closing quote ends the word
      }
      i = n;
    }
    buf += line.slice(run, Math.min(i, n));
    if (closed) i++;
    else unterminatedQuote = true;
    texts[count] = ownText(buf);
    starts[count] = start;
    if (quoted) quoted[count] = true;
    count++;
  }
  return unterminatedQuote ? -count - 1 : count;
}

/**
 * A quoted word as a string of its own: a slice of 13 characters or more would
 * be a view that keeps the whole line (and the file's text it came from) alive
 * for as long as the model keeps the word (a comment, a log prefix).
 */
function ownText(s: string): string {
  if (s.length < 13) return s;
  // its two parts concatenated and read: a string of its own characters once the GC drops the tree (see ownCopy)
  const t = s.slice(0, 1) + s.slice(1);
  t.charCodeAt(0);
  return t;
}

function isPlain(line: string, from: number): boolean {
  return line.indexOf('"', from) < 0 && line.indexOf('\t', from) < 0 && line.indexOf('\n', from) < 0;
}

function plainWords(line: string, from: number): TokenizeResult {
  const texts: string[] = [];
  const starts: number[] = [];
  const n = splitPlain(line, from, texts, starts);
  const words: Word[] = new Array(n);
  for (let k = 0; k < n; k++) words[k] = { text: texts[k], start: starts[k], quoted: false };
  return { words, unterminatedQuote: false };
}

/** Words without quotes: what lies between spaces, found with indexOf (native) instead of a loop over every character. */
function splitPlain(line: string, from: number, texts: string[], starts: number[]): number {
  const n = line.length;
  let count = 0;
  let i = from;
  while (i < n) {
    if (line.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let end = line.indexOf(' ', i);
    if (end < 0) end = n;
    texts[count] = line.slice(i, end);
    starts[count] = i;
    count++;
    i = end + 1;
  }
  return count;
}

/**
 * tokenizeLine into two arrays the caller reuses from line to line (the words'
 * texts and start offsets) instead of a Word object per word: the file reader's
 * path, one line per rule. Returns the number of words; entries past it are stale.
 */
export function splitWords(line: string, from: number, texts: string[], starts: number[]): number {
  if (isPlain(line, from)) return splitPlain(line, from, texts, starts);
  const n = splitQuoted(line, from, texts, starts, null);
  return n < 0 ? -n - 1 : n;
}
