// V8's young generation for the command line, set before anything else runs.
//
// A command's objects either die within a line (the parser's scratch) or live
// to the end (the model, the canonical lines): a big nursery only holds more
// garbage. V8 grows its semi-spaces to 16 MB each; kept at 1 MB they cost no
// CPU time on the bench's shapes (canon, diff and lint at 100k rules take the
// same user time) and 30–50 MB less peak memory. --max-semi-space-size set at
// run time does not stop the growth; a growth factor of 1 does, when it is set
// before the heap has grown (hence this module is the bin's first import, start.ts).
//
// Scavenges run on the main thread only (--no-parallel-scavenge). With a 1 MB
// nursery each one copies a few hundred KB; handing that to helper threads costs
// more than it saves, and on a busy machine the main thread waits for helpers
// that get no core: canon on 100k Docker rules at load 11 spent 765 ms of wall
// time in scavenges with helpers and 258 ms without, the same CPU time. (The
// marking flags cannot be changed once the heap exists: V8 aborts.)
// Only in the built bin (dist/cli.cjs), never
// in a process that merely imports the sources (the tests).
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

const builtBin = typeof __filename === 'string' && __filename.endsWith('.cjs');

if (builtBin) {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--no-parallel-scavenge');
}

/**
 * Named files of at most this many bytes each (a 20,000-rule blocklist, a
 * 7,000-rule kube-proxy nat table) are read in a few hundred ms, too short
 * for TurboFan's inlining to repay its compile time (see tuneForInput).
 */
const SMALL_INPUT = 1 << 20;

/**
 * TurboFan without inlining when the command reads only small files, set
 * once the command's bundle is loaded (load-bundle.ts: a code cache is valid
 * only for the flags it was made with, and V8 checks them when it reads it;
 * so never while the build writes the caches). On inputs of ~1 MB V8 spends
 * more CPU on its compiler threads than the command on its main thread, most
 * of it inlining; without it, 10k-rule canon/diff/lint take 20-30% less CPU
 * in all (TurboFan's threads ~45% less) and the same main-thread time within
 * ~5%. Above that size inlining pays: 100k rules without it cost the main
 * thread 6-13% more. The largest file counts, not the sum: diff takes most of
 * the new file's lines from the old one's reading (core/diff-reuse.ts), so two
 * 0.8 MB files cost it about what one costs canon. Standard input ('-'), of
 * unknown size, keeps inlining.
 */
export function tuneForInput(args: readonly string[]): void {
  if (!builtBin || process.env.PORTCULLIS_CODE_CACHE === 'write') return;
  let largest = 0;
  for (const a of args) {
    if (a === '-') return;
    largest = Math.max(largest, fileSize(a));
    if (largest > SMALL_INPUT) return;
  }
  if (largest > 0) setFlagsFromString('--no-turbo-inlining');
}

/** the size of the regular file an argument names, else 0 (an option, an address, a missing file) */
function fileSize(arg: string): number {
  try {
    const st = statSync(arg, { throwIfNoEntry: false });
    return st?.isFile() ? st.size : 0;
  } catch {
    return 0; // a name too long, a path through a file, no permission
  }
}
