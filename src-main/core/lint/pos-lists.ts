// Lists of rule positions by an integer key (an address block, a port, a
// box's hash), for the lint's indexes over one chain. A Map from key to array
// cost about 100 bytes per key and a growing hash table on the JS heap: at
// 70,000 keys (a blocklist's addresses) several MB that the young generation
// copied and the old one kept as garbage after the chain. Here the keys and
// the lists live in typed arrays (off the JS heap, never copied by a
// scavenge): an open-addressing table of keys, each with its list chained
// through two arrays in the order positions were added. freeze() then lays
// every list out contiguously, for an index that is built once and searched
// (binary search by position).

const EMPTY = new Int32Array(0);

export class PosLists {
  /** slot → key */
  private keys: Int32Array;
  /** slot → first entry + 1; after freeze(): the list's start in `flat` */
  private heads: Int32Array;
  /** slot → last entry (valid when heads[slot] > 0) */
  private tails: Int32Array;
  /** slot → length of its list (0: a free slot) */
  private counts: Int32Array;
  /** entry → position */
  private pos: Int32Array = EMPTY;
  /** entry → next entry + 1 (0: the list's end) */
  private next: Int32Array = EMPTY;
  private entries = 0;
  private used = 0;
  private mask: number;
  /** every list, one after another (after freeze()) */
  private flat: Int32Array | null = null;

  constructor(capacity = 8) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.mask = n - 1;
    this.keys = new Int32Array(n);
    this.heads = new Int32Array(n);
    this.tails = new Int32Array(n);
    this.counts = new Int32Array(n);
  }

  /** Number of keys. */
  get size(): number {
    return this.used;
  }

  /** The slot of a key, or -1 when it has no list. */
  find(key: number): number {
    const { keys, counts, mask } = this;
    for (let s = hash(key) & mask; ; s = (s + 1) & mask) {
      if (counts[s] === 0) return -1;
      if (keys[s] === key) return s;
    }
  }

  /** Appends a position to the key's list (not after freeze()); positions come in ascending order. */
  add(key: number, p: number): void {
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    const { keys, counts, mask } = this;
    let s = hash(key) & mask;
    while (counts[s] !== 0 && keys[s] !== key) s = (s + 1) & mask;
    // the same position twice in a row (a rule's two boxes under one key) is kept once
    if (counts[s] !== 0 && this.pos[this.tails[s]] === p) return;
    const e = this.entry(p);
    if (counts[s] === 0) {
      keys[s] = key;
      this.heads[s] = e + 1;
      this.used++;
    } else {
      this.next[this.tails[s]] = e + 1;
    }
    this.tails[s] = e;
    this.counts[s]++;
  }

  /** The key's list length (0 for -1). */
  count(slot: number): number {
    return slot < 0 ? 0 : this.counts[slot];
  }

  /** The first entry of the slot's list (-1: none); with nextEntry and posAt, a walk without a callback. */
  firstEntry(slot: number): number {
    return slot < 0 ? -1 : this.heads[slot] - 1;
  }

  nextEntry(e: number): number {
    return this.next[e] - 1;
  }

  posAt(e: number): number {
    return this.pos[e];
  }

  /**
   * Lays every list out contiguously (start(slot) … start(slot) + count(slot)
   * in list()): no more add(); the chained entries are freed.
   */
  freeze(): void {
    const flat = new Int32Array(this.entries);
    let at = 0;
    const { heads, counts } = this;
    for (let s = 0; s < heads.length; s++) {
      if (counts[s] === 0) continue;
      const start = at;
      for (let e = heads[s] - 1; e >= 0; e = this.next[e] - 1) flat[at++] = this.pos[e];
      heads[s] = start;
      counts[s] = at - start;
    }
    this.flat = flat;
    this.pos = EMPTY;
    this.next = EMPTY;
    this.tails = EMPTY;
  }

  /** After freeze(): the array every list lies in. */
  list(): Int32Array {
    return this.flat!;
  }

  /** After freeze(): where the slot's list starts in list(). */
  start(slot: number): number {
    return this.heads[slot];
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
    const { keys, heads, tails, counts } = this;
    const n = keys.length * 2;
    this.mask = n - 1;
    this.keys = new Int32Array(n);
    this.heads = new Int32Array(n);
    this.tails = new Int32Array(n);
    this.counts = new Int32Array(n);
    for (let s = 0; s < keys.length; s++) {
      if (counts[s] === 0) continue;
      let t = hash(keys[s]) & this.mask;
      while (this.counts[t] !== 0) t = (t + 1) & this.mask;
      this.keys[t] = keys[s];
      this.heads[t] = heads[s];
      this.tails[t] = tails[s];
      this.counts[t] = counts[s];
    }
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
