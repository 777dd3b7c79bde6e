// Conformance with iptables itself: every line of iptables' own extension test
// vectors (libxt_*.t) as real iptables-legacy 1.8.9 treated it (observed.tsv),
// for every extension Portcullis models. Rules for extensions we do not model
// are listed as excluded with that reason; so are rules the reference kernel
// could not load for lack of a module.
import { describe, it, expect, afterAll } from 'vitest';
import { parseRuleset, canonicalRuleset } from './index.js';
import { readObserved, restoreQuote, sharedAvailable, shellWords, type ObservedRow } from './testing/shared-data.js';
import { findMatch, findTarget } from './extensions/registry.js';

const available = sharedAvailable();
const rows = available ? readObserved() : [];

function extensionOf(file: string): { kind: 'match' | 'target' | 'generic'; name: string } {
  const m = /^lib(?:xt|ipt)_(.+)\.t$/.exec(file);
  const name = m ? m[1] : file;
  if (name === 'standard' || file === 'iptables.t') return { kind: 'generic', name };
  return /^[A-Z]/.test(name) ? { kind: 'target', name } : { kind: 'match', name };
}

function implemented(file: string): boolean {
  const e = extensionOf(file);
  if (e.kind === 'generic') return true;
  return e.kind === 'match' ? Boolean(findMatch(e.name)) : Boolean(findTarget(e.name));
}

function environmentOnly(r: ObservedRow): string | null {
  if (r.exit === 1 && /missing kernel module|No chain\/target\/match by that name|Numerical result out of range/.test(r.error))
    return `the reference kernel lacked a module: ${r.error}`;
  // ipsets live on the host; an offline check accepts any set name (the reference host had none)
  if (r.exit === 2 && /Set \S+ doesn't exist/.test(r.error)) return `the reference host had no such ipset: ${r.error}`;
  return null;
}

const inScope = rows.filter((r) => implemented(r.file));
const excluded = new Map<string, number>();
for (const r of rows) if (!implemented(r.file)) excluded.set(r.file, (excluded.get(r.file) ?? 0) + 1);

let passed = 0;
let failed = 0;
const skippedEnv: string[] = [];

function check(r: ObservedRow): void {
  const text = `*${r.table}\n-A ${r.chain} ${restoreQuote(shellWords(r.rule))}\nCOMMIT\n`;
  const res = parseRuleset(text);
  const errors = res.findings.filter((f) => f.severity === 'error');
  if (r.exit === 0) {
    expect(errors.map((e) => e.message)).toEqual([]);
    const out = canonicalRuleset(res.ruleset).split('\n').filter((l) => l.startsWith('-A '));
    expect(out).toEqual([r.canonical]);
  } else {
    expect(errors.length, `iptables rejected it: ${r.error}`).toBeGreaterThan(0);
  }
}

describe.skipIf(!available)('iptables extension test vectors (observed.tsv)', () => {
  const byFile = new Map<string, ObservedRow[]>();
  for (const r of inScope) (byFile.get(r.file) ?? byFile.set(r.file, []).get(r.file)!).push(r);
  for (const [file, list] of byFile) {
    describe(file, () => {
      for (const r of list) {
        const env = environmentOnly(r);
        if (env) {
          skippedEnv.push(`${file}:${r.line} ${r.rule} — ${env}`);
          continue;
        }
        it(`${r.table}/${r.chain}: ${r.rule} → ${r.exit === 0 ? r.canonical : 'rejected'}`, () => {
          try {
            check(r);
            passed++;
          } catch (e) {
            failed++;
            throw e;
          }
        });
      }
    });
  }
  afterAll(() => {
    const total = passed + failed;
    console.log(
      `conformance: ${passed}/${total} vectors pass (${total ? ((100 * passed) / total).toFixed(1) : 0}%) across ${byFile.size} files; ` +
        `${skippedEnv.length} excluded (properties of the reference host, not of the rule${skippedEnv.length ? ': ' + skippedEnv.join('; ') : ''}); ` +
        `${[...excluded.values()].reduce((a, b) => a + b, 0)} vectors in ${excluded.size} files of extensions not modelled: ${[...excluded.keys()].join(' ')}`,
    );
  });
});
