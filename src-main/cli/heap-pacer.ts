// Full collections paced by the heap's growth, for a command that knows the
// points between which what it made is mostly garbage (the lint: a chain's
// packet spaces, indexes and verdict walks die once its checks are done).
// V8 grows the old generation to about three times what the last full
// collection left before it marks again, and the lint of a large ruleset
// never gets there: its garbage piles up on top of the model to the end (100k
// rules: mixed's heap 52 -> 115 MB, kube's 124 -> 178 MB, with no collection).
// A collection is asked for when the heap has grown by half of what was live
// after the last one (and 16 MB): each costs about a millisecond per 3 MB live.
import { getHeapStatistics } from 'node:v8';
import { fullGC } from './full-gc.js';

/** Rules checked between two looks at the heap (a look costs about a microsecond). */
const LOOK_EVERY = 4000;
/** the growth (a share of the heap live after the last collection, and bytes) that asks for the next one */
const GROWTH = 1.5;
const SLACK = 16 * 1024 * 1024;

export class HeapPacer {
  private since = 0;
  private live: number;

  /** Collects at once: what made the model (the reader's tables and templates) is garbage by now. */
  constructor() {
    fullGC();
    this.live = getHeapStatistics().used_heap_size;
  }

  /** `rules` more rules were checked: collect when the heap has grown enough since the last collection. */
  step(rules: number): void {
    this.since += rules;
    if (this.since < LOOK_EVERY) return;
    this.since = 0;
    if (getHeapStatistics().used_heap_size < this.live * GROWTH + SLACK) return;
    fullGC();
    this.live = getHeapStatistics().used_heap_size;
  }
}
