// The packet spaces of one big chain, kept packed in typed arrays instead of
// as object graphs. A rule's RuleSpace is an object, an array of boxes, a box,
// its [dim, set …] array and an array per interval set: about 420 bytes for a
// rule with an address, a protocol and a port, where the same numbers packed
// are about 60. The lint keeps each chain's spaces while the chain's checks run
// (they ask for a rule's space several times), so a 75,000-rule chain of
// rate-limited service rules held ~30 MB of them. Packed, a space is unpacked
// into new objects on each request (boxes are never changed once built, and no
// check compares them by identity), which costs less than building it again.
import { Box, type IntervalSet } from './space.js';
import type { RuleSpace } from './rule-space.js';

const EXACT = 1;
const CHANCE = 2;
/** the flags word's bits above these two count the boxes */
const BOX_SHIFT = 2;

/** Words of one chunk (256 KB): a space bigger than that gets a chunk of its own size. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;

/**
 * One chain's spaces by rule position, in chunks of CHUNK words filled in
 * turn (no copy as it grows, no room reserved for rules whose spaces are not
 * packed): `at[pos]` is the chunk's number times CHUNK plus where the space
 * starts in it, plus one (0: not packed). Layout per space: flags (exact,
 * chance, number of boxes); per box its number of dimensions; per dimension
 * its number, the length of its set and the set's numbers.
 */
export class PackedSpaces {
  private chunks: Uint32Array[] = [];
  /** the chunk being filled and the next free word in it */
  private data: Uint32Array | null = null;
  private used = 0;
  private readonly at: Int32Array;

  constructor(rules: number) {
    this.at = new Int32Array(rules);
  }

  /** The space of rule `pos` as new objects, or undefined when it was not packed. */
  get(pos: number): RuleSpace | undefined {
    const a = this.at[pos];
    if (a === 0) return undefined;
    return unpack(this.chunks[(a - 1) >>> CHUNK_BITS], (a - 1) & (CHUNK - 1));
  }

  /**
   * Packs rule `pos`'s space; false (nothing kept) when a number in it is not a
   * 32-bit unsigned integer (every dimension's numbers are, but the layout does
   * not depend on it) or the space is marked cheap (rebuilt on each request).
   */
  put(pos: number, s: RuleSpace): boolean {
    if (s.cheap) return false;
    const need = wordsOf(s);
    if (need < 0) return false;
    let d = this.data;
    if (d === null || this.used + need > d.length) {
      d = this.data = new Uint32Array(Math.max(CHUNK, need));
      this.chunks.push(d);
      this.used = 0;
    }
    let o = this.used;
    const start = o;
    d[o++] = (s.exact ? EXACT : 0) | (s.chance ? CHANCE : 0) | (s.boxes.length << BOX_SHIFT);
    for (const b of s.boxes) {
      d[o++] = b.size;
      for (let k = 0; k < b.size; k++) {
        const set = b.setAt(k);
        d[o++] = b.dimAt(k);
        d[o++] = set.length;
        for (let j = 0; j < set.length; j++) d[o++] = set[j];
      }
    }
    this.used = o;
    this.at[pos] = ((this.chunks.length - 1) << CHUNK_BITS) + start + 1;
    return true;
  }
}

const isU32 = (v: number) => v >>> 0 === v;

/** The words a space takes packed; -1 when it cannot be packed. */
function wordsOf(s: RuleSpace): number {
  if (s.boxes.length >= 1 << (32 - BOX_SHIFT)) return -1;
  let n = 1;
  for (const b of s.boxes) {
    n++;
    for (let k = 0; k < b.size; k++) {
      const set = b.setAt(k);
      if (!isU32(b.dimAt(k))) return -1;
      for (let j = 0; j < set.length; j++) if (!isU32(set[j])) return -1;
      n += 2 + set.length;
    }
  }
  return n;
}

/** where unpackBox reads next in the array being unpacked */
let cursor = 0;

function unpack(d: Uint32Array, o: number): RuleSpace {
  const flags = d[o];
  const n = flags >>> BOX_SHIFT;
  cursor = o + 1;
  let boxes: Box[];
  // a literal for the usual one box: an array built by push reserves room for more
  if (n === 1) boxes = [unpackBox(d)];
  else {
    boxes = [];
    for (let i = 0; i < n; i++) boxes.push(unpackBox(d));
  }
  return { boxes, exact: (flags & EXACT) !== 0, chance: (flags & CHANCE) !== 0 };
}

function unpackBox(d: Uint32Array): Box {
  let o = cursor;
  const dims = d[o++];
  const kv = new Array<number | IntervalSet>(2 * dims);
  for (let k = 0; k < dims; k++) {
    kv[2 * k] = d[o++];
    const len = d[o++];
    let set: IntervalSet;
    if (len === 2) set = [d[o], d[o + 1]];
    else {
      set = [];
      for (let j = 0; j < len; j++) set.push(d[o + j]);
    }
    o += len;
    kv[2 * k + 1] = set;
  }
  cursor = o;
  return Box.ofFlat(kv);
}
