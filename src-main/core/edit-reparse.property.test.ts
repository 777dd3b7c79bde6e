// An edit read incrementally (applyEditParsed) must give exactly what writing
// the file back and parsing it whole gives: the same text, model, findings
// and lines, on random rulesets of both families with random edits.
import { describe, expect, it } from 'vitest';
import { applyEdit, applyEditParsed, parseRuleset } from './index.js';
import { makeRandom } from './testing/random-ruleset.js';
import { randomFile, randomOp } from './testing/random-edits.js';

describe('an edit read incrementally equals the new text read whole', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`random ${family} files, random edits, several in a row`, () => {
      let incremental = 0;
      let spliced = 0;
      let edits = 0;
      for (let seed = 1; seed <= 400; seed++) {
        const rnd = makeRandom(seed * 7919 + (family === 'ipv6' ? 1 : 0));
        let p = parseRuleset(randomFile(rnd, family), { family });
        for (let step = 0; step < 4; step++) {
          const op = randomOp(rnd, p);
          if (!op) break;
          const whole = applyEdit(p, op);
          const inc = applyEditParsed(p, op);
          expect(inc.ok, JSON.stringify(op)).toBe(whole.ok);
          if (!whole.ok || !inc.ok) continue;
          edits++;
          if (inc.changed) incremental++;
          if (inc.road === 'splice') spliced++;
          const full = parseRuleset(whole.text, { family });
          const where = `seed ${seed} step ${step} ${JSON.stringify(op)}\n${whole.text}`;
          expect(inc.text, where).toBe(whole.text);
          expect(inc.parsed.lines, where).toEqual(full.lines);
          expect(inc.parsed.finalNewline, where).toBe(full.finalNewline);
          expect(inc.parsed.findings, where).toEqual(full.findings);
          expect(inc.parsed.ruleset, where).toEqual(full.ruleset);
          p = inc.parsed;
        }
      }
      // most edits take the incremental road (the rest: files with errors, policies)
      expect(edits).toBeGreaterThan(800);
      expect(incremental / edits).toBeGreaterThan(0.7);
      // of which many by splicing lines (one chain's add, change, delete, disable or enable, its entries in file order)
      expect(spliced / edits, `${spliced} of ${edits} spliced`).toBeGreaterThan(0.25);
    });
  }
});
