// One runner for iptables' own extension test vectors (lib*_*.t) as the real
// tool treated them (an observed .tsv), parametrized by address family: the
// IPv4 and IPv6 conformance suites differ only in which vectors they read,
// which extensions count as modelled, and how the canonical output is listed.
import { describe, it, expect, afterAll } from 'vitest';
import { parseRuleset, canonicalRuleset } from '../index.js';
import { restoreQuote, shellWords, type ObservedRow } from './shared-data.js';
import { findMatch, findTarget } from '../extensions/registry.js';

export interface VectorFamily {
  family: 'ipv4' | 'ipv6';
  /** the tool's name in messages: iptables or ip6tables */
  tool: string;
  /** describe() title */
  title: string;
  /** prefix of the summary line printed after the run */
  label: string;
  available: boolean;
  rows: () => ObservedRow[];
  /** file-name prefixes of this family's own vectors besides libxt_ (ipt, ip6t) */
  prefix: string;
  /** vector files that exercise only generic options */
  genericFile: string;
  /** how an accepted vector's expected canonical lines are stored in the row */
  expected: (canonical: string) => string[];
  /** whether the summary lists each excluded vector or only counts them */
  listExcluded: boolean;
}

function extensionOf(f: VectorFamily, file: string): { kind: 'match' | 'target' | 'generic'; name: string } {
  const m = new RegExp(`^lib(?:xt|${f.prefix})_(.+)\\.t$`).exec(file);
  const name = m ? m[1] : file;
  if (name === 'standard' || file === f.genericFile) return { kind: 'generic', name };
  return /^[A-Z]/.test(name) ? { kind: 'target', name } : { kind: 'match', name };
}

function implemented(f: VectorFamily, file: string): boolean {
  const e = extensionOf(f, file);
  if (e.kind === 'generic') return true;
  const opt = f.family === 'ipv6' ? 'ipv6' : undefined;
  return e.kind === 'match' ? Boolean(findMatch(e.name, opt)) : Boolean(findTarget(e.name, opt));
}

function environmentOnly(r: ObservedRow): string | null {
  if (r.exit === 1 && /missing kernel module|No chain\/target\/match by that name|Numerical result out of range/.test(r.error))
    return `the reference kernel lacked a module: ${r.error}`;
  // ipsets live on the host; an offline check accepts any set name (the reference host had none)
  if (r.exit === 2 && /Set \S+ doesn't exist/.test(r.error)) return `the reference host had no such ipset: ${r.error}`;
  return null;
}

function check(f: VectorFamily, r: ObservedRow): void {
  const text = `*${r.table}\n-A ${r.chain} ${restoreQuote(shellWords(r.rule))}\nCOMMIT\n`;
  const res = f.family === 'ipv6' ? parseRuleset(text, { family: 'ipv6' }) : parseRuleset(text);
  const errors = res.findings.filter((x) => x.severity === 'error');
  if (r.exit === 0) {
    expect(errors.map((e) => e.message)).toEqual([]);
    const out = canonicalRuleset(res.ruleset).split('\n').filter((l) => l.startsWith('-A '));
    expect(out).toEqual(f.expected(r.canonical));
  } else {
    expect(errors.length, `${f.tool} rejected it: ${r.error}`).toBeGreaterThan(0);
  }
}

/** One it() per observed vector of an extension we model, grouped by .t file. */
export function describeVectors(f: VectorFamily): void {
  const rows = f.available ? f.rows() : [];
  const inScope = rows.filter((r) => implemented(f, r.file));
  const excluded = new Map<string, number>();
  for (const r of rows) if (!implemented(f, r.file)) excluded.set(r.file, (excluded.get(r.file) ?? 0) + 1);
  let passed = 0;
  let failed = 0;
  const skippedEnv: string[] = [];

  describe.skipIf(!f.available)(f.title, () => {
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
              check(f, r);
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
      const list = f.listExcluded && skippedEnv.length ? ': ' + skippedEnv.join('; ') : '';
      const notModelled = f.family === 'ipv6' ? 'extensions not modelled for IPv6' : 'extensions not modelled';
      console.log(
        `${f.label}: ${passed}/${total} vectors pass (${total ? ((100 * passed) / total).toFixed(1) : 0}%) across ${byFile.size} files; ` +
          `${skippedEnv.length} excluded (properties of the reference host, not of the rule${list}); ` +
          `${[...excluded.values()].reduce((a, b) => a + b, 0)} vectors in ${excluded.size} files of ${notModelled}: ${[...excluded.keys()].join(' ')}`,
      );
    });
  });
}
