// Every bench shape (build/gen-shapes*.mjs: our own, the ones other tools write,
// and the IPv6 ones) against real iptables 1.8.9 (legacy) in a scratch network
// namespace: a 300-rule sample of each loads with `iptables-legacy-restore
// --test` (ip6tables-legacy-restore for the IPv6 shapes), and after a real
// restore what `iptables-legacy-save` prints is exactly our canonical form of
// the file (the command line's way: parseRulesetTexts + canonicalFromTexts).
// So the bench's numbers are about files iptables takes, parsed as iptables
// parses them. Each shape gets a fresh namespace (nothing of another shape's
// tables or sets stays); the sets -m set rules name are created with ipset
// first. The root namespace's firewall is never touched; every namespace is
// deleted when its shape is done, and in afterAll and at exit whatever failed.
// Names: pcl-shp-<pid>-<k>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { canonicalFromTexts, inferFamily, parseRulesetTexts, type Family } from './index.js';
// @ts-expect-error plain JavaScript, no declarations
import { SHAPES, generateShape, setNames, shapeFamily } from '../../build/gen-shapes.mjs';

const why =
  process.platform !== 'linux' ? 'needs Linux'
  : process.getuid?.() !== 0 ? 'needs root'
  : !existsSync('/usr/sbin/iptables-legacy-restore') || !existsSync('/usr/sbin/ip6tables-legacy-restore') ? 'needs iptables-legacy and ip6tables-legacy'
  : spawnSync('ipset', ['--version']).status !== 0 ? 'needs ipset'
  : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2'
  : '';
const skip = !!why && process.env.CI !== 'true';
if (why) process.stderr.write(`bench shapes lab tests ${skip ? 'skipped' : 'will fail (CI=true)'}: ${why}\n`);

const PREFIX = `pcl-shp-${process.pid % 100000}`;
const RULES = 300;
const made = new Set<string>();

function inNs(ns: string, argv: string[], input = ''): { status: number | null; out: string; err: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function must(ns: string, argv: string[], input = ''): string {
  const r = inNs(ns, argv, input);
  if (r.status !== 0) throw new Error(`\`${argv.join(' ')}\` exited ${r.status}: ${r.err}`);
  return r.out;
}

function addNs(ns: string): void {
  spawnSync('ip', ['netns', 'del', ns]); // a leftover of a crashed run with the same pid
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
  made.add(ns);
}

function delNs(ns: string): void {
  spawnSync('ip', ['netns', 'del', ns]);
  made.delete(ns);
}

const teardown = (): void => { for (const ns of [...made]) delNs(ns); };

/** one shape: loads in the namespace; what -save prints is our canonical form */
function loadsAndSavesAsWePrint(ns: string, shape: string): void {
  const family = shapeFamily(shape) as Family;
  const text = generateShape(shape, RULES, 5) as string;
  const tool = family === 'ipv6' ? 'ip6tables-legacy' : 'iptables-legacy';
  for (const set of setNames(text) as string[]) must(ns, ['ipset', '-exist', 'create', set, 'hash:net', 'family', family === 'ipv6' ? 'inet6' : 'inet']);
  must(ns, [`${tool}-restore`, '--test'], text);
  must(ns, [`${tool}-restore`], text);
  const saved = must(ns, [`${tool}-save`]).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const parsed = parseRulesetTexts(text, { family });
  expect(parsed.findings.filter((f) => f.severity === 'error')).toEqual([]);
  expect(canonicalFromTexts(parsed.texts)).toBe(saved);
  // the command line reads it as the right family without being told
  expect(inferFamily(text)?.family ?? 'ipv4').toBe(family);
  // and the other family's tool refuses an IPv6 file (not IPv4 rules by accident)
  if (family === 'ipv6') expect(inNs(ns, ['iptables-legacy-restore', '--test'], text).status).not.toBe(0);
}

describe.skipIf(skip)('bench shapes against real iptables-legacy-restore and -save', () => {
  beforeAll(() => { process.once('exit', teardown); });
  afterAll(teardown);

  it('covers both families', () => {
    const families = new Set(Object.keys(SHAPES).map((s) => shapeFamily(s)));
    expect([...families].sort()).toEqual(['ipv4', 'ipv6']);
  });

  it.each(Object.keys(SHAPES) as string[])('%s: loads, and iptables-save prints our canonical form', (shape) => {
    const ns = `${PREFIX}-${Object.keys(SHAPES).indexOf(shape)}`;
    addNs(ns);
    try {
      loadsAndSavesAsWePrint(ns, shape);
    } finally {
      delNs(ns);
    }
  });
});
