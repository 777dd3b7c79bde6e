// What an edit changed in a file's text, as a splice of the old text and of its
// lines: what the app's analysis worker sends to the page after a staged edit
// instead of the whole new text (a 15 MB kube-proxy file joined and copied to
// the page for one disabled rule). The page makes the new text of the old one
// and the splice (a rope: no copy) and its lines likewise.
//
// A text is its lines as the parser makes them (split at \n, without the empty
// one after a final newline) each followed by a \n, except the last one when
// the file has no final newline. Lines the edit kept are mostly the very
// strings they were (the splice road copies pointers), so the common ends are
// found with cheap comparisons.

/** The old text's characters [from, to) replaced by `insert`; the old lines [at, at + remove) by `lines`. */
export interface TextSplice {
  from: number;
  to: number;
  insert: string;
  at: number;
  remove: number;
  lines: string[];
}

/** a line's terminator in a file of `n` lines */
function ends(k: number, n: number, finalNewline: boolean): boolean {
  return k < n - 1 || finalNewline;
}

/**
 * The splice that makes the text of (`after`, `afterNewline`) of the text of
 * (`before`, `beforeNewline`): the longest common run of lines (with their
 * line ends) at the start and at the end stays.
 */
export function textSplice(before: readonly string[], beforeNewline: boolean, after: readonly string[], afterNewline: boolean): TextSplice {
  const n = before.length;
  const m = after.length;
  const same = (i: number, j: number) => before[i] === after[j] && ends(i, n, beforeNewline) === ends(j, m, afterNewline);
  let p = 0;
  while (p < n && p < m && same(p, p)) p++;
  let s = 0;
  while (s < n - p && s < m - p && same(n - 1 - s, m - 1 - s)) s++;
  let from = 0;
  for (let k = 0; k < p; k++) from += before[k].length + (ends(k, n, beforeNewline) ? 1 : 0);
  let to = from;
  for (let k = p; k < n - s; k++) to += before[k].length + (ends(k, n, beforeNewline) ? 1 : 0);
  const lines = after.slice(p, m - s);
  let insert = '';
  for (let k = p; k < m - s; k++) insert += ends(k, m, afterNewline) ? after[k] + '\n' : after[k];
  return { from, to, insert, at: p, remove: n - s - p, lines };
}

/** the length of the text of these lines */
export function textLength(lines: readonly string[], finalNewline: boolean): number {
  let n = lines.length && !finalNewline ? -1 : 0;
  for (let k = 0; k < lines.length; k++) n += lines[k].length + 1;
  return n;
}

/** The text a splice makes of `text` (slices and a concatenation: V8 keeps them as a rope, nothing is copied). */
export function spliceText(text: string, s: TextSplice): string {
  return text.slice(0, s.from) + s.insert + text.slice(s.to);
}

/** The lines a splice makes of `lines` (a plain array; the page has its own lazy one). */
export function spliceLines(lines: readonly string[], s: TextSplice): string[] {
  return [...lines.slice(0, s.at), ...s.lines, ...lines.slice(s.at + s.remove)];
}
