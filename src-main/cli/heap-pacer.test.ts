// HeapPacer: a full collection once the heap has grown by half of what was
// live after the last one (and 16 MB), looked at every few thousand rules.
import { describe, expect, it } from 'vitest';
import { getHeapStatistics } from 'node:v8';
import { HeapPacer } from './heap-pacer.js';

const used = () => getHeapStatistics().used_heap_size;

/** About `mb` megabytes of objects that outlive the young generation, then dropped. */
function garbage(mb: number): number {
  let keep: number[][] | null = [];
  for (let i = 0; i < mb * 1024; i++) keep.push(Array.from({ length: 120 }, (_, k) => k + i * 0.5));
  const n = keep.length;
  keep = null;
  return n;
}

describe('HeapPacer', () => {
  it('collects the garbage of the rules checked once the heap has grown enough', () => {
    const pacer = new HeapPacer();
    const start = used();
    expect(garbage(Math.ceil(start / 2 ** 20) + 48)).toBeGreaterThan(0);
    const grown = used();
    expect(grown - start).toBeGreaterThan(40 * 2 ** 20);
    pacer.step(100); // fewer rules than it waits for: no look at the heap
    expect(used()).toBeGreaterThanOrEqual(grown);
    pacer.step(10_000);
    expect(used()).toBeLessThan(start + 16 * 2 ** 20);
  });

  it('leaves a heap that grew little alone', () => {
    const pacer = new HeapPacer();
    const start = used();
    const keep = Array.from({ length: 1000 }, (_, i) => [i, i * 0.5]);
    const grown = used();
    pacer.step(10_000);
    expect(used()).toBeGreaterThanOrEqual(grown);
    expect(keep).toHaveLength(1000);
    expect(used()).toBeLessThan(start + 16 * 2 ** 20);
  });
});
