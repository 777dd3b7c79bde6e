#!/usr/bin/env node
// `npm test`: the whole suite through Vitest, then one closing line
// `N passed, N failed[, N skipped]` computed from Vitest's JSON report.
//
// Lab tests (*.lab.test.ts) need root, OpenSSH's sshd and iptables-legacy.
// Without them they skip with a message; under CI=true a skipped lab test is
// counted as a failure, because CI must prove the real thing.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.vitest-results.json');
rmSync(out, { force: true });

const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: process.env });

if (!existsSync(out)) {
  console.error('vitest wrote no JSON report; counting the run as failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(out, 'utf8'));
let passed = 0, failed = 0, skipped = 0;
const skippedNames = [];
for (const file of report.testResults ?? []) {
  if ((file.assertionResults ?? []).length === 0 && file.status === 'failed') failed++; // a file that failed to load
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
    else { skipped++; skippedNames.push(t.fullName); }
  }
}
const ci = process.env.CI === 'true';
const labSkips = skippedNames.filter((n) => /\blab\b/i.test(n));
if (ci && skipped > 0) {
  console.error(`CI=true: ${skipped} skipped test(s) count as failures:\n  ${skippedNames.join('\n  ')}`);
  failed += skipped;
  skipped = 0;
} else {
  if (labSkips.length > 0) console.error(`${labSkips.length} lab test(s) skipped: they need root, openssh-server and iptables (see README).`);
  const e2eSkips = skippedNames.filter((n) => /\be2e\b/i.test(n) && !/\blab\b/i.test(n));
  if (e2eSkips.length > 0) console.error(`${e2eSkips.length} e2e test(s) skipped: they need Chromium (apt-get install chromium, or set CHROMIUM_PATH; see README).`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
