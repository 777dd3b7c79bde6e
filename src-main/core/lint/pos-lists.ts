// Lists of rule positions by an integer key (an address block, a port, a
// box's hash), for the lint's indexes over one chain. A Map from key to array
// cost about 100 bytes per key and a growing hash table on the JS heap: at
// 70,000 keys (a blocklist's addresses) several MB that the young generation
// copied and the old one kept as garbage after the chain. Here the keys and
// the lists live in typed arrays (off the JS heap, never copied by a
// scavenge): an open-addressing table of slots (key, last entry, count; at
// most 3/4 full) and the entries (position, next entry), each key's list a
// ring from its last entry back to its first, in the order positions were
// added. About 20 bytes per key of a blocklist, no array per key. freeze()
// then lays every list out contiguously, for an index that is built once and
// searched (binary search by position).

const EMPTY = new Int32Array(0);
/** Int32s per slot: key, last entry (after freeze(): start in `flat`), count (0: a free slot) */
const STRIDE = 3;

export class PosLists {
  private slots: Int32Array;
  /** entry → position */
  private pos: Int32Array = EMPTY;
  /** entry → the next entry of its list (the last one → the first) */
  private next: Int32Array = EMPTY;
  private entries = 0;
  private used = 0;
  /** slot count − 1 (a power of two) */
  private mask = 15;
  /** every list, one after another (after freeze()) */
  private flat: Int32Array | null = null;

  /**
   * With `bounded`: per slot, the lowest and highest number (0 … 2^32 − 1)
   * given with the key's positions (widen()), e.g. the addresses of the
   * covers filed under a block, so a look-up can tell that none of them meets
   * an interval without walking the list.
   */
  private bounds: Uint32Array | null;

  constructor(bounded = false) {
    this.slots = new Int32Array(16 * STRIDE);
    this.bounds = bounded ? new Uint32Array(16 * 2) : null;
  }

  /** Number of keys. */
  get size(): number {
    return this.used;
  }

  /** The slot of a key, or -1 when it has no list. */
  find(key: number): number {
    const { slots, mask } = this;
    for (let s = hash(key) & mask; ; s = (s + 1) & mask) {
      const at = s * STRIDE;
      if (slots[at + 2] === 0) return -1;
      if (slots[at] === key) return s;
    }
  }

  /**
   * Appends a position to the key's list (not after freeze()); positions come
   * in ascending order. Returns the key's slot (until the next add).
   */
  add(key: number, p: number): number {
    if (4 * (this.used + 1) > 3 * (this.mask + 1)) this.grow();
    const { slots, mask } = this;
    let s = hash(key) & mask;
    while (slots[s * STRIDE + 2] !== 0 && slots[s * STRIDE] !== key) s = (s + 1) & mask;
    const at = s * STRIDE;
    const count = slots[at + 2];
    // the same position twice in a row (a rule's two boxes under one key) is kept once
    if (count !== 0 && this.pos[slots[at + 1]] === p) return s;
    const e = this.entry(p);
    if (count === 0) {
      slots[at] = key;
      this.next[e] = e;
      this.used++;
      if (this.bounds) {
        this.bounds[2 * s] = 0xffffffff;
        this.bounds[2 * s + 1] = 0;
      }
    } else {
      const last = slots[at + 1];
      this.next[e] = this.next[last];
      this.next[last] = e;
    }
    slots[at + 1] = e;
    slots[at + 2] = count + 1;
    return s;
  }

  /** Widens the slot's bounds (a bounded PosLists) to hold lo … hi. */
  widen(slot: number, lo: number, hi: number): void {
    const b = this.bounds!;
    if (lo < b[2 * slot]) b[2 * slot] = lo;
    if (hi > b[2 * slot + 1]) b[2 * slot + 1] = hi;
  }

  /** Whether some number the slot's list was widened by lies in lo … hi's reach: false when every one is outside [lo, hi]'s bounds. */
  mayMeet(slot: number, lo: number, hi: number): boolean {
    const b = this.bounds!;
    return b[2 * slot] <= hi && b[2 * slot + 1] >= lo;
  }

  /** The key's list length (0 for -1). */
  count(slot: number): number {
    return slot < 0 ? 0 : this.slots[slot * STRIDE + 2];
  }

  /** The first entry of the slot's list (-1: none); with nextEntry and posAt, a walk without a callback. */
  firstEntry(slot: number): number {
    return slot < 0 ? -1 : this.next[this.slots[slot * STRIDE + 1]];
  }

  /** The entry after e in its list, -1 after its last. */
  nextEntry(e: number): number {
    const n = this.next[e];
    // the ring's way back to the first entry: positions only grow along a list
    return this.pos[n] <= this.pos[e] ? -1 : n;
  }

  posAt(e: number): number {
    return this.pos[e];
  }

  /**
   * Lays every list out contiguously (start(slot) … start(slot) + count(slot)
   * in list()): no more add(); the entries are freed.
   */
  freeze(): void {
    const flat = new Int32Array(this.entries);
    const { slots, pos, next } = this;
    // the fields first, the loop in a function of its own over typed arrays: a method whose loop was
    // optimised mid-way left it again at the first field it had not yet written (once per list frozen)
    this.flat = flat;
    this.pos = EMPTY;
    this.next = EMPTY;
    layOut(slots, pos, next, flat);
  }

  /** After freeze(): the array every list lies in. */
  list(): Int32Array {
    return this.flat!;
  }

  /** After freeze(): where the slot's list starts in list(). */
  start(slot: number): number {
    return this.slots[slot * STRIDE + 1];
  }

  private entry(p: number): number {
    const e = this.entries++;
    if (e >= this.pos.length) {
      const n = Math.max(16, this.pos.length * 2);
      const pos = new Int32Array(n);
      pos.set(this.pos);
      const next = new Int32Array(n);
      next.set(this.next);
      this.pos = pos;
      this.next = next;
    }
    this.pos[e] = p;
    return e;
  }

  private grow(): void {
    const old = this.slots;
    const n = (this.mask + 1) * 2;
    this.mask = n - 1;
    const slots = (this.slots = new Int32Array(n * STRIDE));
    const oldBounds = this.bounds;
    const bounds = oldBounds ? (this.bounds = new Uint32Array(n * 2)) : null;
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at + 2] === 0) continue;
      let s = hash(old[at]) & this.mask;
      while (slots[s * STRIDE + 2] !== 0) s = (s + 1) & this.mask;
      slots[s * STRIDE] = old[at];
      slots[s * STRIDE + 1] = old[at + 1];
      slots[s * STRIDE + 2] = old[at + 2];
      if (bounds) {
        const from = (2 * at) / STRIDE;
        bounds[2 * s] = oldBounds![from];
        bounds[2 * s + 1] = oldBounds![from + 1];
      }
    }
  }
}

/** Every slot's list (a ring from its last entry, see PosLists) into `flat`, one after another; each slot's last entry becomes its start. */
function layOut(slots: Int32Array, pos: Int32Array, next: Int32Array, flat: Int32Array): void {
  let to = 0;
  for (let at = 0; at < slots.length; at += STRIDE) {
    if (slots[at + 2] === 0) continue;
    const start = to;
    let e = next[slots[at + 1]];
    for (;;) {
      flat[to++] = pos[e];
      const n = next[e];
      // the ring's way back to the first entry: positions only grow along a list
      if (pos[n] <= pos[e]) break;
      e = n;
    }
    slots[at + 1] = start;
  }
}

/** MurmurHash3's finalizer: every bit of the key moves the low bits the table uses (keys of /24 blocks differ only high up). */
function hash(key: number): number {
  let h = key ^ (key >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
