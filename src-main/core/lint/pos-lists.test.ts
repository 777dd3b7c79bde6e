// PosLists (the lint indexes' lists of positions by key) against a Map of
// arrays, on random keys of the kinds the indexes use: signed /32 addresses,
// blocks, ports, hashes; through growth, before and after freeze().
import { describe, expect, it } from 'vitest';
import { PosLists } from './pos-lists.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % k);
}

/** The key's list as PosLists walks it (linked, before freeze). */
function walk(m: PosLists, key: number): number[] {
  const out: number[] = [];
  for (let e = m.firstEntry(m.find(key)); e >= 0; e = m.nextEntry(e)) out.push(m.posAt(e));
  return out;
}

/** The key's list as freeze() laid it out. */
function frozen(m: PosLists, key: number): number[] {
  const s = m.find(key);
  if (s < 0) return [];
  return [...m.list().subarray(m.start(s), m.start(s) + m.count(s))];
}

describe('PosLists', () => {
  for (const [name, keyOf] of [
    ['signed addresses', (r: (k: number) => number) => (r(0x10000) * 0x10000 + r(0x10000)) | 0],
    ['few keys (long lists)', (r: (k: number) => number) => r(7) - 3],
    ['ports', (r: (k: number) => number) => r(65536)],
  ] as const) {
    it(`holds each key's positions in the order added: ${name}`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const r = rng(seed);
        const m = new PosLists();
        const ref = new Map<number, number[]>();
        const n = 1 + r(3000);
        for (let pos = 0; pos < n; pos++) {
          const keys = [keyOf(r)];
          if (r(4) === 0) keys.push(keys[0]); // the same key twice for one position: kept once
          if (r(3) === 0) keys.push(keyOf(r));
          for (const k of keys) {
            m.add(k, pos);
            const l = ref.get(k) ?? [];
            if (l[l.length - 1] !== pos) l.push(pos);
            ref.set(k, l);
          }
        }
        // compared whole (one expect per seed: thousands of them made the test slow on a loaded machine)
        const want = [...ref].map(([k, l]) => [k, l.length, l]);
        expect(m.size).toBe(ref.size);
        expect([...ref.keys()].map((k) => [k, m.count(m.find(k)), walk(m, k)])).toEqual(want);
        const absent = Array.from({ length: 50 }, () => keyOf(r) + 1_000_003).filter((k) => !ref.has(k));
        expect(absent.map((k) => m.find(k))).toEqual(absent.map(() => -1));
        m.freeze();
        expect([...ref.keys()].map((k) => [k, m.count(m.find(k)), frozen(m, k)])).toEqual(want);
        expect(m.count(-1)).toBe(0);
      }
    });
  }

  it('an empty one finds nothing, before and after freeze', () => {
    const m = new PosLists();
    expect(m.find(0)).toBe(-1);
    expect(m.firstEntry(m.find(0))).toBe(-1);
    m.freeze();
    expect(m.find(0)).toBe(-1);
    expect(m.list().length).toBe(0);
  });
});

describe('PosLists bounds', () => {
  it("keeps each key's lowest and highest number through growth, and tells an interval none of them reaches", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = rng(seed);
      const m = new PosLists(true);
      const ref = new Map<number, [number, number]>();
      for (let pos = 0; pos < 2000; pos++) {
        const key = r(300) - 150;
        const lo = r(0x100000) * 4096;
        const hi = lo + r(4096);
        m.widen(m.add(key, pos), lo, hi);
        const b = ref.get(key);
        ref.set(key, b ? [Math.min(b[0], lo), Math.max(b[1], hi)] : [lo, hi]);
      }
      for (const [key, [lo, hi]] of ref) {
        const s = m.find(key);
        expect(m.mayMeet(s, lo, lo)).toBe(true);
        expect(m.mayMeet(s, hi, hi + 5)).toBe(true);
        expect(m.mayMeet(s, 0, lo - 1)).toBe(false);
        expect(m.mayMeet(s, hi + 1, 2 ** 32)).toBe(false);
      }
    }
  });
});
