// `--option=value` as real iptables-legacy-restore 1.8.9 reads it: for most
// options getopt's value after `=` is used, but -s -d -i -o -p -j read the
// whole word (`--in-interface=lo` is an interface named `--in-interface=lo`,
// `--jump=ACCEPT` a target of that name), so those lines fail there. Every row
// of long-equals-observed.tsv (build/observe-long-equals.mjs: each option of
// iptables' test vectors written with `=`, plus probes of the generic options)
// is held to what iptables did: accepted with the same iptables-save line, or
// refused.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseRuleset, canonicalRuleset } from './index.js';
import { REPO_ROOT } from './testing/shared-data.js';
import { findMatch, findTarget } from './extensions/registry.js';

/** Rows of extensions Portcullis does not model (osf, realm, TPROXY …) are out of scope, as in conformance.test.ts. */
function modelled(file: string): boolean {
  const m = /^lib(?:xt|ipt)_(.+)\.t$/.exec(file);
  if (!m || m[1] === 'standard') return true;
  return /^[A-Z]/.test(m[1]) ? Boolean(findTarget(m[1])) : Boolean(findMatch(m[1]));
}

const rows = readFileSync(join(REPO_ROOT, 'src-main', 'core', 'testing', 'long-equals-observed.tsv'), 'utf8')
  .split('\n').slice(1).filter(Boolean).filter((l) => modelled(l.split('\t')[0])).map((l) => {
    const f = l.split('\t');
    return { file: f[0], table: f[1], chain: f[2], rule: f[3], exit: Number(f[5]), canonical: f[6], error: f[9] };
  });

describe('--option=value as iptables 1.8.9 reads it', () => {
  it('the observation covers the generic options and many extension options', () => {
    expect(rows.length).toBeGreaterThan(400);
    expect(rows.filter((r) => r.exit === 0).length).toBeGreaterThan(300);
    expect(rows.filter((r) => r.exit !== 0).length).toBeGreaterThan(30);
  });
  for (const r of rows) {
    const line = r.file === 'command' ? r.rule : `-A ${r.chain} ${r.rule}`;
    it(`${r.file}: ${line} → ${r.exit === 0 ? 'accepted' : `refused (${r.error})`}`, () => {
      const res = parseRuleset(`*${r.table}\n:X - [0:0]\n${line}\nCOMMIT\n`);
      const errors = res.findings.filter((f) => f.severity === 'error').map((f) => f.message);
      if (r.exit !== 0) {
        expect(errors.length, 'iptables refused it').toBeGreaterThan(0);
        return;
      }
      expect(errors).toEqual([]);
      if (r.canonical) expect(canonicalRuleset(res.ruleset).split('\n').filter((l) => l.startsWith(`-A ${r.chain} `))).toEqual([r.canonical]);
    });
  }
});
