// IfaceClasses.classesOf (found by binary search over the sorted names) against
// its definition: the classes whose name the pattern matches, by brute force,
// on random interface names and wildcards (shared prefixes, empty names, `+`).
import { describe, expect, it } from 'vitest';
import { fromValues, IfaceClasses } from './space.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return (k: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % k);
}

/** The definition: exact names first, then the prefixes (with '' for names no prefix names), both sorted. */
function classesByDefinition(patterns: string[], pattern: string): number[] {
  const exact = [...new Set(patterns.filter((p) => !p.endsWith('+')))].sort();
  const prefixes = [...new Set([...patterns.filter((p) => p.endsWith('+')).map((p) => p.slice(0, -1)), ''])].sort();
  const ids: number[] = [];
  if (pattern.endsWith('+')) {
    const q = pattern.slice(0, -1);
    exact.forEach((n, k) => { if (n.startsWith(q)) ids.push(k); });
    prefixes.forEach((r, k) => { if (r.startsWith(q)) ids.push(exact.length + k); });
  } else {
    const k = exact.indexOf(pattern);
    if (k >= 0) ids.push(k);
  }
  return fromValues(ids);
}

describe('IfaceClasses', () => {
  it('classesOf gives the classes each pattern matches, as the definition says', () => {
    const stems = ['eth', 'eth0', 'cali', 'calia', 'br-', 'docker', 'e', 'veth', 'tap', 'Eth', 'ethZ', '~x'];
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const name = () => {
        const stem = stems[r(stems.length)];
        const n = r(4);
        return n === 0 ? stem : `${stem}${r(n === 1 ? 3 : 300)}`;
      };
      const patterns: string[] = [];
      for (let i = r(200); i >= 0; i--) patterns.push(r(5) === 0 ? `${name().slice(0, r(4) + 1)}+` : name());
      if (r(3) === 0) patterns.push('+');
      const classes = new IfaceClasses(patterns);
      const asked = [...patterns, ...Array.from({ length: 30 }, () => `${name().slice(0, r(5))}+`), ...Array.from({ length: 10 }, name), '+'];
      for (const p of asked) {
        // asked twice: the cached answer too
        expect(classes.classesOf(p), `${seed}: ${p}`).toEqual(classesByDefinition(patterns, p));
        expect(classes.classesOf(p), `${seed}: ${p} again`).toEqual(classesByDefinition(patterns, p));
      }
    }
  });
});
