// The tokenizer follows iptables-restore's add_param_to_argv, quirks included;
// each case here was checked against iptables-legacy-restore 1.8.9.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { splitWords, tokenizeLine } from './tokenize.js';

const words = (s: string) => tokenizeLine(s).words.map((w) => w.text);

// the reference: iptables' loop, one character at a time
const reference = (line: string) => {
  const out: { text: string; start: number; quoted: boolean }[] = [];
  let i = 0;
  let unterminated = false;
  while (i < line.length) {
    if (' \t\n'.includes(line[i])) { i++; continue; }
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !' \t\n'.includes(line[i])) {
      if (line[i] !== '"') { text += line[i++]; continue; }
      quoted = true;
      i++;
      let closed = false;
      while (i < line.length) {
        if (line[i] === '\\') { if (i + 1 < line.length) text += line[i + 1]; i += 2; continue; }
        if (line[i] === '"') { closed = true; i++; break; }
        text += line[i++];
      }
      if (!closed) unterminated = true;
      break;
    }
    out.push({ text, start, quoted });
  }
  return { words: out, unterminatedQuote: unterminated };
};

describe('tokenizeLine', () => {
  it('splits on spaces and tabs, any number of them', () => {
    expect(words('-A  INPUT\t-j   ACCEPT')).toEqual(['-A', 'INPUT', '-j', 'ACCEPT']);
  });
  it('groups double-quoted text and unescapes backslashes inside quotes', () => {
    expect(words('--comment "a \\"b\\" c" x')).toEqual(['--comment', 'a "b" c', 'x']);
    expect(words('--log-prefix "x\\\\y"')).toEqual(['--log-prefix', 'x\\y']);
  });
  it('keeps an empty quoted string as an empty word', () => {
    expect(words('--comment "" -j ACCEPT')).toEqual(['--comment', '', '-j', 'ACCEPT']);
  });
  it('treats single quotes as ordinary characters', () => {
    expect(words("--comment 'a b'")).toEqual(['--comment', "'a", "b'"]);
  });
  it('ends a word at its closing quote (x"y z"w is two words)', () => {
    expect(words('x"y z"w')).toEqual(['xy z', 'w']);
  });
  it('reports an unterminated quote', () => {
    const r = tokenizeLine('--comment "abc');
    expect(r.unterminatedQuote).toBe(true);
    expect(r.words.map((w) => w.text)).toEqual(['--comment', 'abc']);
  });
  it('records where each word starts, for error columns', () => {
    expect(tokenizeLine('-A INPUT  -j DROP').words.map((w) => w.start)).toEqual([0, 3, 10, 13]);
  });
  it('round-trips words quoted the way iptables-save quotes them', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 12 }).filter((s) => !s.includes('\n')), { maxLength: 6 }), (ws) => {
        const line = ws.map((w) => '"' + w.replace(/["\\]/g, (c) => '\\' + c) + '"').join(' ');
        expect(words(line)).toEqual(ws);
      }),
    );
  });
  it('splits every line as add_param_to_argv does, character by character (quotes, backslashes, tabs, an unclosed quote)', () => {
    const char = fc.constantFrom('a', 'b', ' ', '"', '\\', '\t', "'", '-', 'x', 'é');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 60 }).map((cs) => cs.join('')), fc.integer({ min: 0, max: 3 }), (line, from) => {
        const r = tokenizeLine(line, Math.min(from, line.length));
        const ref = reference(line.slice(Math.min(from, line.length)));
        const shift = Math.min(from, line.length);
        expect({ words: r.words.map((w) => ({ ...w, start: w.start - shift })), unterminatedQuote: r.unterminatedQuote }).toEqual(ref);
      }),
      { numRuns: 3000 },
    );
  });
  it('splits lines without tabs the same way (words and quotes found with indexOf), and splitWords gives the same texts and starts', () => {
    const char = fc.constantFrom('a', 'b', ' ', ' ', '"', '\\', "'", '-', 'x', 'é');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 80 }).map((cs) => cs.join('')), fc.integer({ min: 0, max: 3 }), (line, from) => {
        const at = Math.min(from, line.length);
        const r = tokenizeLine(line, at);
        const ref = reference(line.slice(at));
        expect({ words: r.words.map((w) => ({ ...w, start: w.start - at })), unterminatedQuote: r.unterminatedQuote }).toEqual(ref);
        const texts: string[] = [];
        const starts: number[] = [];
        const n = splitWords(line, at, texts, starts);
        expect({ texts: texts.slice(0, n), starts: starts.slice(0, n) }).toEqual({ texts: r.words.map((w) => w.text), starts: r.words.map((w) => w.start) });
      }),
      { numRuns: 3000 },
    );
  });
  it('splits a long line of many words after a quote in linear time', () => {
    const line = '-A X -m comment --comment "a \\"b" ' + 'w '.repeat(200_000) + '"tail';
    const t0 = performance.now();
    const r = tokenizeLine(line);
    expect(r.words.length).toBe(200_007);
    expect(r.words[5].text).toBe('a "b');
    expect(r.words[200_006].text).toBe('tail');
    expect(r.unterminatedQuote).toBe(true);
    // quadratic rescans of the line's rest (a search for the next quote per word) take minutes here
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
