#!/usr/bin/env node
// npm run bench: Portcullis against iptables' own tools, same files, same run.
// Whole processes are timed (node start-up included), median of several runs.
//   canon  100k rules  vs  iptables-legacy-restore --test           target ratio <= 1.0
//   diff   2 × 100k    vs  restore --test of both + diff -u          target <= 1.0
//   lint   100k rules  vs  one restore --test                        target <= 4.0
// The iptables side runs in a scratch network namespace and needs root; without
// it only Portcullis' own times are printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRuleset } from './gen-ruleset.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.cjs');
const N = Number(process.env.BENCH_RULES ?? 100000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'pcl-bench-'));
const ns = `pcl-bench-${process.pid}`;
const canRoot = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v iptables-legacy-restore && command -v ip']).status === 0;

function time(cmd, args, { stdin, okCodes = [0] } = {}) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const fd = stdin ? openSync(stdin, 'r') : 'ignore';
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: [fd, 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (stdin) closeSync(fd);
    if (!okCodes.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function mutate(text, seed) {
  // change about 1% of the rules: drop some, add some, edit some ports
  let s = seed;
  const rnd = (k) => ((s = (s * 1103515245 + 12345) >>> 0) % k);
  const lines = text.split('\n');
  const out = [];
  for (const l of lines) {
    if (l.startsWith('-A ') && rnd(300) === 0) continue;
    if (l.startsWith('-A ') && rnd(300) === 0) out.push(l.replace(/--dport \d+/, `--dport ${1 + rnd(65535)}`));
    else out.push(l);
    if (l.startsWith('-A INPUT') && rnd(300) === 0) out.push(`-A INPUT -s 172.16.${rnd(256)}.${rnd(256)}/32 -j DROP`);
  }
  return out.join('\n');
}

const results = [];
function row(name, ours, theirs, target) {
  const ratio = theirs ? ours / theirs : null;
  results.push({ name, ours, theirs, ratio, target });
  const r = ratio === null ? 'n/a (needs root and iptables-legacy)' : `${ratio.toFixed(2)} (target <= ${target})`;
  console.log(`${name.padEnd(34)} portcullis ${ours.toFixed(0).padStart(6)} ms   iptables ${theirs ? theirs.toFixed(0).padStart(6) + ' ms' : '     -   '}   ratio ${r}`);
}

try {
  if (!existsSync(cli)) throw new Error('dist/cli.cjs is missing: run `npm run build` first (npm run bench does)');
  const a = join(dir, 'a.rules');
  const b = join(dir, 'b.rules');
  const textA = generateRuleset(N, 1);
  writeFileSync(a, textA);
  writeFileSync(b, mutate(textA, 7));
  console.log(`benchmark: ${N} rules, median of ${RUNS} runs, whole processes\n`);
  if (canRoot) spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  const restore = (file) => time('ip', ['netns', 'exec', ns, 'iptables-legacy-restore', '--test'], { stdin: file });

  const canon = time('node', [cli, 'canon', a]);
  const restoreA = canRoot ? restore(a) : null;
  row('canon (100k rules)', canon, restoreA, 1.0);

  if (spawnSync('node', [cli, 'diff', '--help']).status === 0) {
    const ours = time('node', [cli, 'diff', a, b], { okCodes: [0, 1] });
    let theirs = null;
    if (canRoot) {
      const restoreB = restore(b);
      const du = time('diff', ['-u', a, b], { okCodes: [0, 1] });
      theirs = restoreA + restoreB + du;
    }
    row('diff (2 x 100k rules)', ours, theirs, 1.0);
  } else console.log('diff: command not built yet');

  if (spawnSync('node', [cli, 'lint', '--help']).status === 0) {
    const ours = time('node', [cli, 'lint', a], { okCodes: [0, 1] });
    row('lint (100k rules)', ours, restoreA, 4.0);
  } else console.log('lint: command not built yet');

  const pull = join(root, 'build', 'bench-pull.mjs');
  if (existsSync(pull) && canRoot) {
    console.log('');
    spawnSync('node', [pull], { stdio: 'inherit', cwd: root });
  }
} finally {
  if (canRoot) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
