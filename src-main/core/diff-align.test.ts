// alignChain's ids without an Interner (distinctLabels, when the old chain's
// rules all differ) give the very alignment the Interner's ids give: the same
// pairs and moves, on random edits of chains of different rules — rules
// dropped, added, moved, repeated, and new rules equal to ones of the old
// chain's equal prefix or suffix.
import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { alignChain, alignTuning, Interner } from './diff-align.js';

const both = (left: string[], right: string[]) => {
  alignTuning.labels = true;
  const fast = alignChain(left, right, new Interner());
  alignTuning.labels = false;
  const slow = alignChain(left, right, new Interner());
  alignTuning.labels = true;
  return { fast, slow };
};

describe('alignChain with ids from distinct old rules', () => {
  afterEach(() => {
    alignTuning.labels = true;
  });

  it('random edits: the same pairs and moves as with interned ids', () => {
    const edit = fc.record({ kind: fc.constantFrom('del', 'add', 'move', 'dup', 'old'), at: fc.nat(), to: fc.nat(), word: fc.nat(40) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.array(edit, { maxLength: 20 }), (n, edits) => {
        const left = Array.from({ length: n }, (_, k) => `-A c -s 10.0.0.${k} -j DROP`);
        // new rules from a small vocabulary (they repeat), old rules by their index
        const right = left.slice();
        for (const e of edits) {
          const k = right.length ? e.at % right.length : 0;
          if (e.kind === 'del') right.splice(k, 1);
          else if (e.kind === 'add') right.splice(k, 0, `-A c -p tcp --dport ${e.word} -j ACCEPT`);
          else if (e.kind === 'move' && right.length) right.splice(e.to % right.length, 0, ...right.splice(k, 1));
          else if (e.kind === 'dup' && right.length) right.splice(e.to % right.length, 0, right[k]);
          else if (e.kind === 'old' && n) right.splice(k, 0, left[e.word % n]); // a copy of an old rule, prefix and suffix included
        }
        const { fast, slow } = both(left, right.map((x) => (x.length > 0 ? ` ${x}`.slice(1) : x))); // other string objects, same text
        expect(fast.pairs).toEqual(slow.pairs);
        expect(fast.moveTo).toEqual(slow.moveTo);
        expect(fast.moveFrom).toEqual(slow.moveFrom);
      }),
      { numRuns: 1500 },
    );
  });

  it('an old chain with a repeated rule goes the Interner way, with the same result', () => {
    const left = ['-A c -j A', '-A c -j B', '-A c -j A', '-A c -j C'];
    const right = ['-A c -j B', '-A c -j A', '-A c -j D', '-A c -j A'];
    const { fast, slow } = both(left, right);
    expect(fast).toEqual(slow);
  });
});
