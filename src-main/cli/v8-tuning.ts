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
import { setFlagsFromString } from 'node:v8';

if (typeof __filename === 'string' && __filename.endsWith('.cjs')) {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--no-parallel-scavenge');
}
