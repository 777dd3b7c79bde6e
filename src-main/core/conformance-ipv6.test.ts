// Conformance with ip6tables itself: every line of ip6tables' extension test
// vectors (libip6t_*.t) and of the family-independent ones (libxt_*.t), as real
// ip6tables-legacy 1.8.9 treated it (testing/ip6tables-observed.tsv, made by
// build/observe-ip6tables.mjs in a scratch namespace), for every extension
// Portcullis models in IPv6; plus the two ip6tables-save dumps of iptables'
// own test suite, reproduced byte for byte.
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, canonicalRuleset } from './index.js';
import { CONFORMANCE6, readObserved6, restoreQuote, shellWords, type ObservedRow } from './testing/shared-data.js';
import { findMatch, findTarget } from './extensions/registry.js';

const available = existsSync(CONFORMANCE6);
const rows = available ? readObserved6() : [];

function extensionOf(file: string): { kind: 'match' | 'target' | 'generic'; name: string } {
  const m = /^lib(?:xt|ip6t)_(.+)\.t$/.exec(file);
  const name = m ? m[1] : file;
  // the generic options, and our own probes (ip6tables-probes.t) of everything modelled
  if (name === 'standard' || file === 'ip6tables-probes.t') return { kind: 'generic', name };
  return /^[A-Z]/.test(name) ? { kind: 'target', name } : { kind: 'match', name };
}

function implemented(file: string): boolean {
  const e = extensionOf(file);
  if (e.kind === 'generic') return true;
  return e.kind === 'match' ? Boolean(findMatch(e.name, 'ipv6')) : Boolean(findTarget(e.name, 'ipv6'));
}

function environmentOnly(r: ObservedRow): string | null {
  if (r.exit === 1 && /missing kernel module|No chain\/target\/match by that name|Numerical result out of range/.test(r.error))
    return `the reference kernel lacked a module: ${r.error}`;
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
  const res = parseRuleset(text, { family: 'ipv6' });
  const errors = res.findings.filter((f) => f.severity === 'error');
  if (r.exit === 0) {
    expect(errors.map((e) => e.message)).toEqual([]);
    const out = canonicalRuleset(res.ruleset).split('\n').filter((l) => l.startsWith('-A '));
    expect(out).toEqual(r.canonical.split(' || '));
  } else {
    expect(errors.length, `ip6tables rejected it: ${r.error}`).toBeGreaterThan(0);
  }
}

describe.skipIf(!available)('ip6tables extension test vectors (ip6tables-observed.tsv)', () => {
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
      `conformance (IPv6): ${passed}/${total} vectors pass (${total ? ((100 * passed) / total).toFixed(1) : 0}%) across ${byFile.size} files; ` +
        `${skippedEnv.length} excluded (properties of the reference host, not of the rule); ` +
        `${[...excluded.values()].reduce((a, b) => a + b, 0)} vectors in ${excluded.size} files of extensions not modelled for IPv6: ${[...excluded.keys()].join(' ')}`,
    );
  });
});

describe.skipIf(!available)('ip6tables-save dumps of the iptables test suite', () => {
  for (const name of ['ip6tables.dump', 'fedora27-ip6tables']) {
    it(`${name} is reproduced exactly as ip6tables-legacy-save printed it`, () => {
      const res = parseRuleset(readFileSync(join(CONFORMANCE6, 'dumps', name), 'utf8'), { family: 'ipv6' });
      expect(res.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(canonicalRuleset(res.ruleset)).toBe(readFileSync(join(CONFORMANCE6, 'dumps', `${name}.canonical`), 'utf8'));
    });
  }
});
