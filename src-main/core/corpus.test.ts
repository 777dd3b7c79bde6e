// The real-world corpus: 140 rulesets from public repositories, each loaded
// into real iptables-legacy 1.8.9. Every `.canonical` must be reproduced byte
// for byte; every `.error` that is the file's own fault must be rejected on the
// line iptables names; the nine that fail only for lack of the host's ipsets,
// DNS or groups (ENVIRONMENT.tsv) must be accepted with a warning.
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, canonicalRuleset } from './index.js';
import { REALWORLD, corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';

const available = sharedAvailable();
const files = available ? corpusFiles() : [];
const environment = new Set(
  available
    ? readFileSync(join(REALWORLD, 'ENVIRONMENT.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t')[0]).filter(Boolean)
    : [],
);
const tally = { canonical: [0, 0], error: [0, 0], environment: [0, 0] };

function errorLine(text: string): number | null {
  const m = /Error occurred at line: (\d+)/.exec(text) ?? /line (\d+) failed/.exec(text) ?? / line (\d+): /.exec(text);
  return m ? Number(m[1]) : null;
}

describe.skipIf(!available)('real-world corpus', () => {
  for (const f of files) {
    const base = f.replace(/\.rules$/, '');
    const canonPath = join(REALWORLD, `${base}.canonical`);
    const errorPath = join(REALWORLD, `${base}.error`);
    if (existsSync(canonPath)) {
      it(`${f} is reproduced exactly as iptables-save printed it`, () => {
        tally.canonical[1]++;
        const res = parseRuleset(readCorpus(f));
        expect(res.findings.filter((x) => x.severity === 'error')).toEqual([]);
        expect(canonicalRuleset(res.ruleset)).toBe(readFileSync(canonPath, 'utf8'));
        tally.canonical[0]++;
      });
    } else if (environment.has(f)) {
      it(`${f} is accepted offline with a warning that it depends on the host`, () => {
        tally.environment[1]++;
        const res = parseRuleset(readCorpus(f));
        expect(res.findings.filter((x) => x.severity === 'error')).toEqual([]);
        expect(res.findings.some((x) => x.severity === 'warning' && x.code === 'host-dependent')).toBe(true);
        const env = join(REALWORLD, `${base}.canonical.env`);
        const text = readCorpus(f);
        if (/--match-set/.test(text) && existsSync(env)) {
          // ipset files: the sets do not change how the rules print
          expect(canonicalRuleset(res.ruleset)).toBe(readFileSync(env, 'utf8'));
        }
        tally.environment[0]++;
      });
    } else if (existsSync(errorPath)) {
      const expected = errorLine(readFileSync(errorPath, 'utf8'));
      it(`${f} is rejected on line ${expected}, as iptables-restore rejects it`, () => {
        tally.error[1]++;
        const res = parseRuleset(readCorpus(f));
        const errors = res.findings.filter((x) => x.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0].line).toBe(expected);
        expect(errors[0].message.length).toBeGreaterThan(0);
        tally.error[0]++;
      });
    }
  }
  afterAll(() => {
    const pct = ([a, b]: number[]) => `${a}/${b}`;
    console.log(`corpus: canonical reproduced ${pct(tally.canonical)}; own-fault errors on the right line ${pct(tally.error)}; host-dependent accepted ${pct(tally.environment)}`);
  });
});
