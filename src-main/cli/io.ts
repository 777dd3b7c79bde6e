// Output helpers. Text that came from a ruleset or a host is untrusted: control
// characters are escaped before they reach a terminal.
import type { PieceState } from './read-pieces.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): string;
  /**
   * The file in pieces (see read-pieces.ts), for commands that need not hold it
   * whole; throws ReadFailure as readFile throws. Without it they use readFile.
   */
  readPieces?(path: string, state?: PieceState): Iterable<string>;
  /**
   * bytes to stdout as they are (`canon`'s output, see canon-out.ts); without it, out().
   * true when they are written out (or dropped) and the caller may fill the buffer again
   */
  outBytes?(bytes: Uint8Array): boolean | void;
  /** true when stdout is a terminal (escape untrusted text) */
  tty: boolean;
}

/**
 * Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
 * (U+2066–U+2069) and the invisible marks (U+200E, U+200F, U+061C). A terminal
 * obeys them, so a comment can make a rule read as something else ("Trojan
 * Source"): they are shown as \uXXXX like the other controls.
 */
// eslint-disable-next-line no-misleading-character-class
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function escapeControls(s: string): string {
  // Keep \n and \t; show every other C0/C1 control and DEL as \xHH, bidi controls as \uXXXX.
  return s
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON text for output. JSON.stringify escapes C0 controls but leaves DEL and
 * the C1 controls (U+0080–U+009F, some terminals act on them) as they are:
 * these are written as \u00XX (and bidi controls as \u202E …), which is the same JSON. Every --json output
 * goes through here.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
