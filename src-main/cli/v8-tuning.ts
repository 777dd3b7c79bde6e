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
 * for TurboFan's inlining to repay its compile time (see tuneForInput); the
 * bound applies to apply, pull and facts (local commands: LOCAL_INPUT).
 */
const SMALL_INPUT = 1 << 20;
/**
 * For the commands that read local files only: named files of at most this
 * many bytes each (100,000 rules of most shapes; a 200,000-rule kube-proxy
 * file is 30 MB) compile without inlining too (see tuneForInput).
 */
const LOCAL_INPUT = 16 << 20;
/**
 * Named files of at most this many bytes each (about 1,000-2,500 rules; most
 * real rulesets) are read in well under 100 ms: TurboFan does not run at all.
 */
const TINY_INPUT = 128 << 10;
/**
 * The commands that only read local files. The others (apply, pull, facts)
 * talk SSH, whose pure-JavaScript parts (an encrypted key's bcrypt-pbkdf)
 * need TurboFan whatever the size of a file named.
 */
const LOCAL_COMMANDS = new Set(['check', 'canon', 'diff', 'lint', 'trace', 'import', 'recipe', 'recipes']);

/**
 * TurboFan per the largest file a command names, set once the command's
 * bundle is loaded (load-bundle.ts: a code cache is valid only for the flags
 * it was made with, and V8 checks them when it reads it; so never while the
 * build writes the caches).
 *
 * Up to 1 MB, no inlining: on inputs of ~1 MB V8 spends more CPU on its
 * compiler threads than the command on its main thread, most of it inlining;
 * without it, 10k-rule canon/diff/lint take 20-30% less CPU in all
 * (TurboFan's threads ~45% less) and the same main-thread time within ~5%.
 * For the commands that read local files only, no inlining up to 16 MB:
 * measured interleaved on a quiet machine at 100k rules (5 runs, medians),
 * wall time without inlining was lower or the same on every shape: canon
 * blocklist 230 -> 190 ms, docker 220 -> 180, blocklist6 330 -> 280, kube,
 * tree, mixed, ratelimit, manymatch, calico within +-2%; lint blocklist 830 ->
 * 670, docker 880 -> 780, blocklist6 730 -> 630, kube 1830 -> 1750, mixed
 * 1450 -> 1320, manymatch within +3%; diff blocklist 340 -> 310, docker
 * 440 -> 360. What inlining saves the main thread, its compile threads
 * spend again on a 2-core machine. Above 16 MB inlining is kept: at 200k
 * kube-proxy rules (30 MB) canon and lint were 2-5% slower without it.
 * apply, pull and facts keep inlining above 1 MB.
 *
 * Up to 128 KB, for a command that reads local files only, no TurboFan at
 * all: compiling even without inlining pages in TurboFan's ~4 MB of machine
 * code and ~3-5 MB of compile zones and code for a run of ~100 ms of main
 * thread. 1,000 rules (blocklist, docker, tree, kube, mixed; canon, diff,
 * lint): peak RSS 6-9 MB less (~53 -> ~47 MB), CPU in all 20-50 ms less, main
 * thread the same to +5% (lint mixed 122 -> 128 ms). At 3,000 rules the main
 * thread took 10-15% longer without TurboFan, at 10,000 rules 20-100%.
 *
 * The largest file counts, not the sum: diff takes most of the new file's
 * lines from the old one's reading (core/diff-reuse.ts), so two 0.8 MB files
 * cost it about what one costs canon. Standard input ('-'), of unknown size,
 * keeps TurboFan whole.
 */
export function tuneForInput(command: string, args: readonly string[]): void {
  if (!builtBin || process.env.PORTCULLIS_CODE_CACHE === 'write') return;
  const flag = inputFlag(command, args);
  if (flag) setFlagsFromString(flag);
}

/** the V8 flag tuneForInput sets for these arguments, if any */
export function inputFlag(command: string, args: readonly string[]): string | undefined {
  let largest = 0;
  for (const a of args) {
    if (a === '-') return undefined;
    largest = Math.max(largest, fileSize(a));
  }
  if (largest === 0) return undefined;
  const noInlining = LOCAL_COMMANDS.has(command) ? LOCAL_INPUT : SMALL_INPUT;
  if (largest > noInlining) return undefined;
  return largest <= TINY_INPUT && LOCAL_COMMANDS.has(command) ? '--no-turbofan' : '--no-turbo-inlining';
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
