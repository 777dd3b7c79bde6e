#!/usr/bin/env node
// npm run bench: Portcullis against iptables' own tools, same files, same run.
// Whole processes are timed (node start-up included), median of several runs,
// on every shape of build/gen-shapes.mjs at several sizes:
//   canon  vs  iptables-legacy-restore --test                     target ratio <= 1.0
//   diff   vs  restore --test of both files + diff -u              target <= 1.0
//   lint   vs  one restore --test                                  target <= 4.0
//   peak RSS of canon / diff / lint vs that of restore --test      target <= 2.5
// The iptables side runs in a scratch network namespace and needs root; without
// it only Portcullis' own times are printed. Peak RSS needs GNU time (/usr/bin/time).
// IPv6 shapes (blocklist6, mixed6) are read with --family 6 and compared against
// ip6tables-legacy-restore --test; the sets a shape's -m set rules name are
// created (ipset) in the scratch namespace first.
//   BENCH_QUICK=1 (or --quick)  sizes 10k and 50k, one run each
//   BENCH_SIZES=10000,50000     BENCH_SHAPES=blocklist,kube     BENCH_RUNS=3
// Without BENCH_SIZES the first seven shapes run at 10k, 50k, 100k and 200k,
// the others (other tools' shapes, IPv6) at 10k and 100k only, to keep the
// whole bench near 15 minutes on a quiet two-core machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHAPES, FIRST_SHAPES, generateShape, setNames, shapeFamily } from './gen-shapes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.cjs');
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SIZES = (process.env.BENCH_SIZES ?? (quick ? '10000,50000' : '10000,50000,100000,200000')).split(',').map(Number);
/** the sizes a shape runs at: all of SIZES, but only 10k and 100k for the newer shapes unless sizes were asked for */
const sizesOf = (shape) => (process.env.BENCH_SIZES || quick || FIRST_SHAPES.includes(shape) ? SIZES : SIZES.filter((n) => n === 10000 || n === 100000));
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3));
const SHAPE_LIST = (process.env.BENCH_SHAPES ?? Object.keys(SHAPES).join(',')).split(',');
const dir = mkdtempSync(join(tmpdir(), 'pcl-bench-'));
const ns = `pcl-bench-${process.pid}`;
const canRoot = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v iptables-legacy-restore && command -v ip6tables-legacy-restore && command -v ip']).status === 0;
const hasIpset = canRoot && spawnSync('sh', ['-c', 'command -v ipset']).status === 0;
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median wall time (ms), CPU time (user + system, ms) and peak RSS (KB) of a
 * whole process; CPU and RSS need GNU time (null without). On a shared machine
 * CPU time is the steadier of the two: wall time includes waiting for a core.
 */
function measure(cmd, args, { stdin, okCodes = [0] } = {}) {
  const ms = [];
  const rss = [];
  const cpu = [];
  const tf = join(dir, 'time.out');
  for (let i = 0; i < RUNS; i++) {
    const fd = stdin ? openSync(stdin, 'r') : 'ignore';
    const argv = gnuTime ? ['-o', tf, '-f', '%M %U %S', cmd, ...args] : args;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(gnuTime ? '/usr/bin/time' : cmd, argv, { stdio: [fd, 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (stdin) closeSync(fd);
    if (!okCodes.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
    if (gnuTime) {
      const [m, u, sy] = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      rss.push(m);
      cpu.push((u + sy) * 1000);
    }
  }
  return { ms: median(ms), rss: gnuTime ? median(rss) : null, cpu: gnuTime ? median(cpu) : null };
}

function mutate(text, seed) {
  // change about 1% of the rules: drop some, edit some ports and addresses
  let s = seed;
  const rnd = (k) => ((s = (s * 1103515245 + 12345) >>> 0) % k);
  const out = [];
  for (const l of text.split('\n')) {
    if (l.startsWith('-A ') && rnd(300) === 0) continue;
    if (l.startsWith('-A ') && rnd(300) === 0) out.push(l.replace(/--dport \d+/, `--dport ${1 + rnd(65535)}`).replace(/-s (\d+)\.(\d+)\./, `-s $1.${rnd(256)}.`));
    else out.push(l);
  }
  return out.join('\n');
}

const fmtRatio = (x, target) => (x === null ? '   -  ' : `${x.toFixed(2)}${x > target ? '!' : ' '}`.padStart(6));
const k = (n) => `${n / 1000}k`;
const results = [];

function benchOne(shape, n) {
  const a = join(dir, `${shape}-${n}-a.rules`);
  const b = join(dir, `${shape}-${n}-b.rules`);
  const text = generateShape(shape, n, 1);
  writeFileSync(a, text);
  writeFileSync(b, mutate(text, 7));
  const v6 = shapeFamily(shape) === 'ipv6';
  const family = v6 ? ['--family', '6'] : [];
  const sets = setNames(text);
  const withSets = canRoot && (sets.length === 0 || hasIpset);
  if (canRoot && !withSets) console.log(`${shape}: no ipset command, so no restore --test to compare with (its -m set rules need the sets)`);
  for (const set of withSets ? sets : []) spawnSync('ip', ['netns', 'exec', ns, 'ipset', '-exist', 'create', set, 'hash:net', 'family', v6 ? 'inet6' : 'inet'], { stdio: 'inherit' });
  const tool = v6 ? 'ip6tables-legacy-restore' : 'iptables-legacy-restore';
  const restore = (f) => (withSets ? measure('ip', ['netns', 'exec', ns, tool, '--test'], { stdin: f }) : null);
  const rA = restore(a);
  const rB = restore(b);
  const du = withSets ? measure('diff', ['-u', a, b], { okCodes: [0, 1] }) : null;
  const canon = measure('node', [cli, 'canon', a, ...family]);
  const diff = measure('node', [cli, 'diff', a, b, ...family], { okCodes: [0, 1] });
  const lint = measure('node', [cli, 'lint', a, ...family], { okCodes: [0, 1] });
  const ratio = (x, y) => (y ? x / y : null);
  const row = {
    shape, n, restoreMs: rA?.ms ?? null, restoreRss: rA?.rss ?? null,
    canonMs: canon.ms, diffMs: diff.ms, lintMs: lint.ms, canonRss: canon.rss, diffRss: diff.rss, lintRss: lint.rss,
    canon: ratio(canon.ms, rA?.ms), diff: rA ? ratio(diff.ms, rA.ms + rB.ms + du.ms) : null, lint: ratio(lint.ms, rA?.ms),
    rssCanon: rA?.rss && canon.rss ? canon.rss / rA.rss : null,
    rssDiff: rA?.rss && diff.rss && rB?.rss ? diff.rss / Math.max(rA.rss, rB.rss) : null,
    rssLint: rA?.rss && lint.rss ? lint.rss / rA.rss : null,
    cpuCanon: rA?.cpu ? canon.cpu / rA.cpu : null,
    cpuDiff: rA?.cpu ? diff.cpu / (rA.cpu + rB.cpu + du.cpu) : null,
    cpuLint: rA?.cpu ? lint.cpu / rA.cpu : null,
  };
  results.push(row);
  const ms = (x) => (x === null ? '    -' : x.toFixed(0).padStart(6));
  const mb = (x) => (x === null ? '   -' : (x / 1024).toFixed(0).padStart(4));
  console.log(`${shape.padEnd(10)} ${k(n).padStart(5)} | restore ${ms(row.restoreMs)} ms ${mb(row.restoreRss)} MB | canon ${ms(canon.ms)} ${fmtRatio(row.canon, 1)} | diff ${ms(diff.ms)} ${fmtRatio(row.diff, 1)} | lint ${ms(lint.ms)} ${fmtRatio(row.lint, 4)} | RSS MB canon ${mb(canon.rss)} ${fmtRatio(row.rssCanon, 2.5)} diff ${mb(diff.rss)} ${fmtRatio(row.rssDiff, 2.5)} lint ${mb(lint.rss)} ${fmtRatio(row.rssLint, 2.5)} | CPU canon ${fmtRatio(row.cpuCanon, 1)} diff ${fmtRatio(row.cpuDiff, 1)} lint ${fmtRatio(row.cpuLint, 4)}`);
  rmSync(a);
  rmSync(b);
}

/**
 * The scaling table: per shape, one row per command, one column per size, each
 * cell the median time (ms) and its ratio to restore --test ('!' over target);
 * then peak RSS (MB) the same way. Near-linear shows as ms growing with n and
 * ratios that stay flat across a row.
 */
function printScaling(rows) {
  const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const shapes = [...new Set(rows.map((r) => r.shape))];
  const cell = (v, ratio, target) => `${v === null ? '-' : v.toFixed(0)}${ratio === null ? '' : ` ${ratio.toFixed(2)}${ratio > target ? '!' : ''}`}`.padStart(16);
  const line = (shape, what, f) => `${(what === 'restore' ? shape : '').padEnd(10)} ${what.padEnd(11)}` + sizes.map((n) => { const r = rows.find((x) => x.shape === shape && x.n === n); return r ? f(r) : ''.padStart(16); }).join('');
  console.log(`\nscaling: time in ms (ratio to restore --test), peak RSS in MB (ratio); targets canon/diff <= 1, lint <= 4, RSS <= 2.5`);
  console.log(`${'shape'.padEnd(10)} ${'command'.padEnd(11)}${sizes.map((n) => k(n).padStart(16)).join('')}`);
  const mb = (x) => (x === null ? null : x / 1024);
  for (const shape of shapes) {
    console.log(line(shape, 'restore', (r) => cell(r.restoreMs, null, 0)));
    console.log(line(shape, 'canon', (r) => cell(r.canonMs, r.canon, 1)));
    console.log(line(shape, 'diff', (r) => cell(r.diffMs, r.diff, 1)));
    console.log(line(shape, 'lint', (r) => cell(r.lintMs, r.lint, 4)));
    console.log(line(shape, 'RSS restore', (r) => cell(mb(r.restoreRss), null, 0)));
    console.log(line(shape, 'RSS canon', (r) => cell(mb(r.canonRss), r.rssCanon, 2.5)));
    console.log(line(shape, 'RSS diff', (r) => cell(mb(r.diffRss), r.rssDiff, 2.5)));
    console.log(line(shape, 'RSS lint', (r) => cell(mb(r.lintRss), r.rssLint, 2.5)));
  }
}

try {
  if (!existsSync(cli)) throw new Error('dist/cli.cjs is missing: run `npm run build` first (npm run bench does)');
  console.log(`benchmark: shapes ${SHAPE_LIST.join(', ')} at ${SIZES.map(k).join(', ')} rules (newer shapes at 10k and 100k unless BENCH_SIZES); median of ${RUNS} run(s), whole processes`);
  console.log(`ratios against iptables-legacy-restore --test of the same file (diff: restore --test of both + diff -u); targets canon <= 1, diff <= 1, lint <= 4, RSS <= 2.5 ('!' = over)\n`);
  if (canRoot) spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  for (const shape of SHAPE_LIST) for (const n of sizesOf(shape)) benchOne(shape, n);
  printScaling(results);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
  const pull = join(root, 'build', 'bench-pull.mjs');
  if (existsSync(pull) && canRoot && !quick && process.env.BENCH_PULL !== '0') {
    console.log('');
    spawnSync('node', [pull], { stdio: 'inherit', cwd: root });
  }
} finally {
  if (canRoot) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
