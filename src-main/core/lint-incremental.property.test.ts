// The lint after an edit, with the chains the edit cannot have touched carried
// over (lintIncremental), must find exactly what a full lint of the new file
// finds: random rulesets of both families, random edits several in a row,
// with and without the admin's address (the SSH lockout check).
import { describe, expect, it } from 'vitest';
import { applyEditParsed, lintIncremental, lintParsed, parseRuleset, type LintMemo, type LintOptions } from './index.js';
import { makeRandom } from './testing/random-ruleset.js';
import { randomFile, randomOp } from './testing/random-edits.js';

describe('the lint after an edit equals a full lint of the new file', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`random ${family} files, random edits`, () => {
      let lints = 0;
      let withReuse = 0;
      let findings = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const rnd = makeRandom(seed * 104729 + (family === 'ipv6' ? 3 : 0));
        const opts: LintOptions = rnd() < 0.3 ? { client: family === 'ipv4' ? '198.18.1.2' : '2001:db8::2', sshPort: 22 } : {};
        let p = parseRuleset(randomFile(rnd, family), { family });
        let lint = lintIncremental(p, opts);
        expect(lint.findings).toEqual(lintParsed(p, opts));
        let memo: LintMemo = lint.memo;
        for (let step = 0; step < 4; step++) {
          const op = randomOp(rnd, p);
          if (!op) break;
          const e = applyEditParsed(p, op);
          if (!e.ok) continue;
          lint = lintIncremental(e.parsed, opts, e.changed && e.moved ? { memo, changed: e.changed, moved: e.moved } : undefined);
          const full = lintParsed(parseRuleset(e.text, { family }), opts);
          expect(lint.findings, `seed ${seed} step ${step} ${JSON.stringify(op)}\n${e.text}`).toEqual(full);
          lints++;
          findings += full.length;
          if (lint.reused) withReuse++;
          memo = lint.memo;
          p = e.parsed;
        }
      }
      // the comparison means something: many findings, and most lints carried chains over
      expect(findings).toBeGreaterThan(lints);
      expect(withReuse / lints).toBeGreaterThan(0.5);
    });
  }
});
