// The lint after an edit, with the chains the edit cannot have touched carried
// over (lintIncremental), must find exactly what a full lint of the new file
// finds: random rulesets of both families, random edits several in a row,
// with and without the admin's address (the SSH lockout check).
import { describe, expect, it } from 'vitest';
import { applyEditParsed, lintIncremental, lintParsed, LintStopped, parseRuleset, type LintMemo, type LintOptions } from './index.js';
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

describe('a lint stopped between chains', () => {
  it('ends with LintStopped where `stop` says so, after asking once per chain; a lint never stopped is the full one', () => {
    const text = ['*filter', ':INPUT DROP [0:0]', ':A - [0:0]', ':B - [0:0]', '-A INPUT -j A', '-A INPUT -j B', '-A A -p tcp --dport 22 -j ACCEPT', '-A A -p tcp --dport 22 -j ACCEPT', '-A B -j DROP', 'COMMIT', ''].join('\n');
    const p = parseRuleset(text);
    let asked = 0;
    // let two chains through, stop before the third
    expect(() => lintIncremental(p, {}, undefined, () => ++asked > 2)).toThrow(LintStopped);
    expect(asked).toBe(3);
    asked = 0;
    const whole = lintIncremental(p, {}, undefined, () => (asked++, false));
    expect(asked).toBe(p.ruleset.tables.reduce((n, t) => n + t.chains.length, 0));
    expect(whole.findings).toEqual(lintParsed(p, {}));
    expect(whole.findings.some((f) => f.chain === 'A')).toBe(true);
  });
});
