// CanonLines' texts kept as bytes (LineBytes): what writeCanonical gives back
// must be the texts given, in order, across chunk ends, chains taking turns,
// lines that are not ASCII or longer than a chunk (kept as strings).
import { describe, expect, it } from 'vitest';
import { CanonLines, LineBytes, writeCanonical, type RulesetTexts } from './ruleset-texts.js';

/** writeCanonical of one filter table with the chains' parts, as a string */
function written(chains: { name: string; parts: CanonLines }[]): string {
  const rt: RulesetTexts = { tables: [{ name: 'filter', chains: chains.map((c) => ({ name: c.name, builtin: false, policy: null, texts: [], parts: c.parts })) }] };
  let out = '';
  writeCanonical(rt, {
    text: (s) => (out += s),
    span: () => {
      throw new Error('no spans here');
    },
    bytes: (b, s, e) => {
      // a run is within one chunk
      expect(e).toBeLessThanOrEqual(b.length);
      out += Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
    },
  });
  return out;
}

describe('LineBytes: canonical lines as bytes', () => {
  it('gives back every text in order: chains taking turns, chunk ends, non-ASCII and overlong lines as strings', () => {
    const bytes = new LineBytes();
    const a = new CanonLines(bytes);
    const b = new CanonLines(bytes);
    const want: Record<string, string[]> = { a: [], b: [] };
    for (let k = 0; k < 6000; k++) {
      // lengths that make lines end at and near a chunk's end (1,1 .. 97 characters)
      let s = `-A ${k % 3 ? 'a' : 'b'} -s 2001:db8::${k.toString(16)}/128 -j DROP` + 'x'.repeat(k % 61);
      if (k % 997 === 5) s += ' -m comment --comment "bloqué"';
      if (k === 4000) s += 'y'.repeat(70000);
      (k % 3 ? a : b).text(s);
      want[k % 3 ? 'a' : 'b'].push(s);
    }
    const out = written([{ name: 'a', parts: a }, { name: 'b', parts: b }]);
    expect(out).toBe(['*filter', ':a - [0:0]', ':b - [0:0]', ...want.a, ...want.b, 'COMMIT', ''].join('\n'));
    // the ASCII lines are bytes: only the non-ASCII and the overlong one are strings
    expect((a.texts?.length ?? 0) + (b.texts?.length ?? 0)).toBe(8);
    expect(bytes.chunks.length).toBeGreaterThan(4);
    // a run of one chain's lines is one entry while its lines follow each other in a chunk
    const c = new CanonLines(new LineBytes());
    for (let k = 0; k < 100; k++) c.text(`-A c -d 198.18.0.${k}/32 -j DROP`);
    expect(c.entries.length).toBe(2);
  });

  it('a line that fits a chunk exactly, then the next one in a new chunk', () => {
    const bytes = new LineBytes();
    const c = new CanonLines(bytes);
    const first = 'a'.repeat((1 << 16) - 1); // with its line end: the whole chunk
    c.text(first);
    c.text('-A c -j DROP');
    expect(bytes.chunks.length).toBe(2);
    expect(c.entries.length).toBe(4);
    expect(written([{ name: 'c', parts: c }])).toBe(['*filter', ':c - [0:0]', first, '-A c -j DROP', 'COMMIT', ''].join('\n'));
  });

  it('text3(a, b, c) keeps what text(a + b + c) keeps: the same entries, bytes and strings (non-ASCII in any piece, overlong)', () => {
    const one = new LineBytes();
    const three = new LineBytes();
    const a = new CanonLines(one);
    const b = new CanonLines(three);
    for (let k = 0; k < 5000; k++) {
      const head = k % 7 ? '-A INPUT' : '-A é';
      const addrs = k % 11 ? ` -s 198.18.${k & 255}.0/24` : k % 2 ? ' -d ü' : '';
      let rest = ' -p tcp -m tcp --dport ' + k + 'z'.repeat(k % 53) + (k % 13 ? '' : ' -m comment --comment "ñ"');
      if (k === 3000) rest += 'y'.repeat(70000);
      a.text(head + addrs + rest);
      b.text3(head, addrs, rest);
    }
    expect(b.length).toBe(a.length);
    for (let k = 0; k < a.length; k++) expect(b.at(k)).toBe(a.at(k));
    expect(b.texts).toEqual(a.texts);
    expect(three.chunks).toEqual(one.chunks);
    expect(written([{ name: 'c', parts: b }])).toBe(written([{ name: 'c', parts: a }]));
  });
});
