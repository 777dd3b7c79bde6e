// Reading a ruleset file in pieces, for the commands that keep only canonical
// texts (canon, diff): the file's bytes and its whole text are never held at
// once, only a piece of each (parseRulesetPieces). A 15 MB file otherwise
// costs 15 MB of bytes and 15 MB of text at the peak of the parse.
import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync, readSync, type BigIntStats } from 'node:fs';
import { decodeRulesetBytes } from '../core/index.js';

/** Why reading the file failed: an I/O error, or bytes that are not UTF-8 (with the place of the first, as decodeRulesetBytes says it). */
export class ReadFailure extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

// Bytes are read 1 MB at a time into one buffer (outside V8's heap) and decoded
// 16 KB at a time: a piece of text is then done with before the next scavenge
// (the nursery is 1 MB, see v8-tuning.ts) and dies young. Pieces of 1 MB
// outlived it and were promoted: 40 MB more at the peak on 100k Docker rules.
const READ = 1 << 20;
const PIECE = 1 << 14;

/**
 * What readFilePieces says of the pieces given so far: `bytes` while they are
 * the bytes of a regular file one for one (every byte ASCII), and the file's
 * identity and times when it was opened (for reading those bytes again, see
 * canon-out.ts).
 */
export interface PieceState {
  bytes: boolean;
  stat: BigIntStats | null;
}

/** The file's text in pieces of about 16 KB, decoded as UTF-8 exactly as decodeRulesetBytes does (never a replacement character). */
export function* readFilePieces(path: string, state?: PieceState): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ReadFailure(e);
  }
  try {
    if (state) {
      state.stat = fstatSync(fd, { bigint: true });
      state.bytes = state.stat.isFile();
    }
    // fatal: a byte that is not UTF-8 stops the read; the message then comes from the whole file
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const buf = Buffer.allocUnsafeSlow(READ);
    // while every byte so far was ASCII the decoder has seen none: an ASCII
    // piece is its bytes as Latin-1 (a tenth of the decoder's time; most files)
    let ascii = true;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, READ, null);
      } catch (e) {
        throw new ReadFailure(e);
      }
      if (n === 0) break;
      for (let at = 0; at < n; at += PIECE) {
        const end = Math.min(n, at + PIECE);
        const bytes = buf.subarray(at, end);
        if (ascii && isAscii(bytes)) yield buf.toString('latin1', at, end);
        else {
          ascii = false;
          if (state) state.bytes = false;
          yield decodeOr(path, () => decoder.decode(bytes, { stream: true }));
        }
      }
    }
    const tail = decodeOr(path, () => decoder.decode());
    if (tail !== '') yield tail;
  } finally {
    closeSync(fd);
  }
}

function decodeOr(path: string, decode: () => string): string {
  try {
    return decode();
  } catch {
    const d = decodeRulesetBytes(readFileSync(path));
    throw new ReadFailure(d.ok ? new Error('the file changed while it was read') : new Error(d.problem.message));
  }
}
