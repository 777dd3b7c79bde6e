// What the CLI's lint keeps in memory besides the model (peak RSS is most of
// its cost on a 100k-rule file): the file's text is not kept alive through views
// into it (a comment or jump target per rule kept every piece of a kube-proxy
// file), and the lint's caches do not keep something per rule for the rest of
// the run once the model is read (a jump's action, a rule's conditions, a nat
// chain's packet spaces). Measured on the heap of a process of its own.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../core/testing/shared-data.js';
import { lintParsed, parseRuleset } from '../../core/index.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../../build/gen-shapes.mjs';

interface Probe { before: number; parsed: number; linted: number; fileTextBytes: number; findings: number }

function probe(file: string, family: string): Probe {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', resolve(REPO_ROOT, 'src-main/cli/testing/lint-heap-probe.ts'), file, family],
    { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

describe('lint memory', () => {
  it('keeps no text of the file and little more than the model after the lint (kube-proxy, 20k rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-lint-mem-'));
    try {
      const file = join(dir, 'kube.rules');
      const text = generateShape('kube', 20000, 3) as string;
      writeFileSync(file, text);
      const p = probe(file, 'ipv4');
      const model = p.parsed - p.before;
      // the model of 20,000 rules is megabytes; the file itself ~3 MB
      expect(model).toBeGreaterThan(text.length);
      // no piece of the file stays: not the whole text kept by views into it (2.7 MB of this file), nor the reused
      // LineParser's last words (a 1,024-character window it held until its end() cleared them)
      expect(p.fileTextBytes).toBe(0);
      // what the lint leaves: compiled code, a few tables by chain; was 38% of the model (an action per jump, conditions per rule, nat spaces)
      expect(p.linted - p.parsed).toBeLessThan(model * 0.2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells the caller after each chain's checks and each check of the whole ruleset (where the CLI collects garbage)", () => {
    const text = generateShape('mixed', 3000, 4) as string;
    const parsed = parseRuleset(text, { keepLines: false });
    const told: number[] = [];
    const withHook = lintParsed(parsed, { checked: (n) => told.push(n) });
    expect(withHook).toEqual(lintParsed(parsed));
    const chains = parsed.ruleset.tables.flatMap((t) => t.chains);
    const total = chains.reduce((n, c) => n + c.rules.length, 0);
    expect(told).toEqual([...chains.map((c) => c.rules.length), total, total, total, total]);
  });
});
