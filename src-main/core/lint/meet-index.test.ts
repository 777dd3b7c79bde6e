// MeetIndex (the limit check's index of a chain's deciding rules) against a
// walk of every later rule: its candidates hold every later rule whose boxes
// meet the query's, ascending and each once — whether the address lists
// answer a query alone or the value dimensions are filed for it.
import { describe, expect, it } from 'vitest';
import { Box, boxesMeet, DIM, type IntervalSet } from '../analysis/space.js';
import { MeetIndex } from './meet-index.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % k);
}

/** A random rule's boxes: some of an address block (few or many rules share one), protocol, ports, state. */
function randomBoxes(r: (k: number) => number, blocks: number): Box[] {
  const one = () => {
    const entries: Array<[number, IntervalSet]> = [];
    if (r(4) !== 0) {
      const net = (10 << 24) + r(blocks) * 256;
      const len = [24, 28, 32, 16][r(4)];
      const lo = (net + (len > 24 ? r(256) & ~((1 << (32 - len)) - 1) : 0)) >>> 0;
      entries.push([DIM.src, [lo, lo + 2 ** (32 - len) - 1]]);
    }
    if (r(2) === 0) entries.push([DIM.proto, [6, 6]]);
    if (r(2) === 0) {
      const p = 1 + r(40);
      entries.push([DIM.dport, r(3) === 0 ? [p, p + r(100)] : [p, p]]);
    }
    if (r(3) === 0) entries.push([DIM.state, [r(3), r(3) + 1]]);
    return Box.of(entries);
  };
  return r(5) === 0 ? [one(), one()] : [one()];
}

describe('MeetIndex', () => {
  for (const [name, blocks] of [['many blocks (address lists suffice)', 400], ['few blocks (value dimensions filed)', 2]] as const) {
    it(`candidates hold every later rule that meets the query: ${name}`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const r = rng(seed);
        const n = 300 + r(500);
        const rules = Array.from({ length: n }, () => randomBoxes(r, blocks));
        const index = new MeetIndex((k) => rules[k]);
        for (let k = 0; k < n; k++) index.add(k, rules[k]);
        for (let q = 0; q < 60; q++) {
          const pos = r(n);
          const query = r(3) === 0 ? randomBoxes(r, blocks) : rules[pos];
          const got: number[] = [];
          const cur = index.candidates(query, pos);
          for (let k = cur.next(); k >= 0; k = cur.next()) got.push(k);
          for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]);
          expect(got.every((k) => k > pos)).toBe(true);
          const meeting = [];
          for (let k = pos + 1; k < n; k++) if (query.some((b) => rules[k].some((e) => boxesMeet(b, e)))) meeting.push(k);
          const have = new Set(got);
          expect(meeting.filter((k) => !have.has(k))).toEqual([]);
        }
      }
    });
  }
});
