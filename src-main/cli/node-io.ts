// The command line's CliIO on the real process: its streams and files.
import { readFileSync } from 'node:fs';
import { readFilePieces } from './read-pieces.js';
import { nodeStreams } from './node-streams.js';
import type { CliIO } from './io.js';
import { decodeRulesetBytes } from '../core/index.js';

export function nodeIO(): CliIO {
  return {
    ...nodeStreams(),
    readFile: (p) => decodeOrThrow(readFileSync(p === '-' ? 0 : p)),
    readPieces: readFilePieces,
  };
}

/** A file's bytes as text, or an error naming the first byte that is not UTF-8 (never replacement characters). */
function decodeOrThrow(bytes: Uint8Array): string {
  const d = decodeRulesetBytes(bytes);
  if (!d.ok) throw new Error(d.problem.message);
  return d.text;
}
