// readFilePieces: the pieces join to what decodeRulesetBytes makes of the whole
// file — ASCII pieces are read as Latin-1, the rest by the UTF-8 decoder — and a
// byte that is not UTF-8 fails the read with decodeRulesetBytes' message.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRulesetBytes } from '../core/index.js';
import { ReadFailure, readFilePieces } from './read-pieces.js';

function withFile(bytes: Uint8Array, f: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-pieces-'));
  try {
    const path = join(dir, 'rules');
    writeFileSync(path, bytes);
    f(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ascii = (n: number) => Buffer.from('-A INPUT -s 198.18.0.1/32 -j DROP\n'.repeat(Math.ceil(n / 34))).subarray(0, n);

describe('reading a file in pieces', () => {
  const cases: [string, Buffer][] = [
    ['all ASCII, several reads', ascii(3 * (1 << 20) + 777)],
    // a multi-byte character across every kind of boundary: a piece's (16 KB) and a read's (1 MB), after ASCII pieces
    ['UTF-8 after ASCII pieces, across a piece boundary', Buffer.concat([ascii((1 << 14) * 5 - 1), Buffer.from('é€😀 comment\n'), ascii(40000)])],
    ['UTF-8 across a read boundary', Buffer.concat([ascii((1 << 20) - 2), Buffer.from('😀\n-A x'), ascii(20000)])],
    ['a byte-order mark first', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ascii(50000)])],
    ['a byte-order mark later', Buffer.concat([ascii(50000), Buffer.from([0xef, 0xbb, 0xbf]), ascii(10)])],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      const whole = decodeRulesetBytes(bytes);
      expect(whole.ok).toBe(true);
      withFile(bytes, (path) => expect([...readFilePieces(path)].join('')).toBe(whole.ok ? whole.text : null));
    });
  }

  it('a byte that is not UTF-8, after ASCII pieces: the whole file\'s message', () => {
    const bytes = Buffer.concat([ascii(100000), Buffer.from([0x41, 0xe9, 0x0a]), ascii(100)]);
    const whole = decodeRulesetBytes(bytes);
    expect(whole.ok).toBe(false);
    withFile(bytes, (path) => {
      let error: unknown;
      try {
        for (const piece of readFilePieces(path)) void piece;
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ReadFailure);
      expect((error as ReadFailure).message).toBe(whole.ok ? '' : whole.problem.message);
    });
  });
});
