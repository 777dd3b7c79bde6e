// The tokenizer follows iptables-restore's add_param_to_argv, quirks included;
// each case here was checked against iptables-legacy-restore 1.8.9.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tokenizeLine } from './tokenize.js';

const words = (s: string) => tokenizeLine(s).words.map((w) => w.text);

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
});
