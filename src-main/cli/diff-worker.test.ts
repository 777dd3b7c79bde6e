// The built CLI reads the files of canon and diff in pieces (and diff's new
// file with the old file's lines, core/diff-reuse.ts); the result must be
// exactly what the in-process path (used by the other tests, reading each file
// whole) prints.
// And what the built bin loads to start a command (the floor every command
// pays): one bundle of its own, ASCII, without other commands' code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REALWORLD, REPO_ROOT, sharedAvailable } from '../core/testing/shared-data.js';
import { run } from './testing/capture.js';
import { COMMAND_TABLE } from './commands/table.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../build/gen-shapes.mjs';

const cli = join(REPO_ROOT, 'dist', 'cli.cjs');

describe.skipIf(!sharedAvailable())('portcullis diff, built', () => {
  beforeAll(() => {
    const b = spawnSync('node', [join(REPO_ROOT, 'build', 'build.mjs'), 'cli'], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  }, 60_000);

  it("starts the command's bundle from the code cache the build made", () => {
    const r = spawnSync('node', [cli, 'canon', join(REALWORLD, '001.rules')], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_CODE_CACHE: 'report' } });
    expect(r.stderr).toBe('code cache: used\n');
    expect(r.stdout).toMatch(/^\*filter\n/m);
    expect(r.status).toBe(0);
  });

  const cases: Array<[string, string, string[]]> = [
    ['001.rules', '002.rules', []],
    ['044.rules', '044.rules', []],
    ['010.rules', '011.rules', ['--json']],
    ['020.rules', '021.rules', ['--side-by-side']],
    ['001.rules', '123.rules', []], // the new file is invalid: its errors, exit 2
    ['001.rules', 'missing.rules', []], // cannot be read: said so, exit 2
  ];
  it('a diff that reads no file or one from standard input (--help, a usage error, -) ends as in process', async () => {
    const a = join(REALWORLD, '001.rules');
    const b = join(REALWORLD, '002.rules');
    const runs: Array<[string[], string]> = [
      [['diff', '--help'], ''],
      [['diff', a], ''],
      [['diff', '--context', 'x', a, b], ''],
      [['diff', a, '-'], readFileSync(b, 'utf8')],
      [['diff', '-', b], readFileSync(a, 'utf8')],
    ];
    for (const [args, stdin] of runs) {
      const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', input: stdin, timeout: 30_000, maxBuffer: 1 << 26 });
      const inProcess = await run(args, {}, { stdin });
      expect(built.signal, args.join(' ')).toBe(null); // not killed at the timeout
      expect(built.status).toBe(inProcess.code);
      expect(built.stdout).toBe(inProcess.out);
      expect(built.stderr).toBe(inProcess.err);
    }
  });

  for (const [a, b, opts] of cases) {
    it(`${a} vs ${b} ${opts.join(' ')}: same output and exit status as in process`, async () => {
      const args = ['diff', ...opts, join(REALWORLD, a), join(REALWORLD, b)];
      const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const inProcess = await run(args);
      expect(built.status).toBe(inProcess.code);
      expect(built.stdout).toBe(inProcess.out);
      expect(built.stderr).toBe(inProcess.err);
    });
  }
});

describe.skipIf(!sharedAvailable())('portcullis canon and diff, built, reading files in pieces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-pieces-'));
  const file = (name: string, text: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  // pieces are 16 KB of bytes: a multi-byte character across the end of one, a file of many
  const pad = '# ' + 'x'.repeat(16_384 - 2 - 18) + '\n';
  const cafe = file('cafe.rules', `*filter\n:INPUT ACCEPT [0:0]\n${pad}-A INPUT -m comment --comment "café über" -j ACCEPT\nCOMMIT\n`);
  const kube = file('kube.rules', generateShape('kube', 3000, 5) as string);
  const kube2 = file('kube2.rules', (generateShape('kube', 3000, 5) as string).replace(/--dport 53\b/g, '--dport 54'));
  const v6 = file('v6-content.rules', '*filter\n:INPUT ACCEPT [0:0]\n' + pad.repeat(3) + '-A INPUT -s 2001:db8::1/128 -j DROP\nCOMMIT\n');
  const needsModel = file('needs-model.rules', `*filter\n:INPUT ACCEPT [0:0]\n${pad.repeat(2)}-N x\n-A INPUT -j x\n-A x -s 10.0.0.1 -j DROP\n-E x y\nCOMMIT\n`);
  const noNewline = file('no-newline.rules', `*filter\n:INPUT ACCEPT [0:0]\n${pad}-A INPUT -j ACCEPT\nCOMMIT`);
  const directory = join(dir, 'a-directory');
  mkdirSync(directory);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: string[][] = [
    ['canon', cafe], ['canon', kube], ['canon', v6], ['canon', needsModel], ['canon', noNewline], ['canon', directory],
    ['canon', join(dir, 'missing.rules')], ['canon', join(REALWORLD, '123.rules')], ['canon', '--family', '6', v6],
    ['diff', kube, kube2], ['diff', '--json', cafe, needsModel], ['diff', v6, kube],
  ];
  for (const args of cases) {
    it(`${args.map((a) => a.replace(dir, '…')).join(' ')}: same output and exit status as in process`, async () => {
      const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const inProcess = await run(args);
      expect(built.stderr).toBe(inProcess.err);
      expect(built.stdout).toBe(inProcess.out);
      expect(built.status).toBe(inProcess.code);
    });
  }

  it('a byte that is not UTF-8, deep in the file: the message check gives, exit 2, nothing printed', () => {
    const bad = file('latin1.rules', Buffer.concat([Buffer.from(`*filter\n:INPUT ACCEPT [0:0]\n${pad.repeat(70)}-A INPUT -m comment --comment "caf`), Buffer.from([0xe9]), Buffer.from('" -j ACCEPT\nCOMMIT\n')]));
    const check = spawnSync('node', [cli, 'check', bad], { encoding: 'utf8' });
    expect(check.stderr).toMatch(/cannot read the file: not UTF-8 text: line 73, byte 35 of the line is 0xE9/);
    for (const args of [['canon', bad], ['diff', bad, cafe], ['diff', cafe, bad]]) {
      const r = spawnSync('node', [cli, ...args], { encoding: 'utf8' });
      expect(r.stderr).toBe(check.stderr);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
    }
  });
});

describe.skipIf(!sharedAvailable())("the built bin's start-up: what a command loads", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-startup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bundles = () => readdirSync(join(REPO_ROOT, 'dist', 'cli')).filter((f) => f.endsWith('.cjs'));
  const stock = join(REALWORLD, '001.rules');

  /** runs the bin with a preload that records the Node modules the process loaded (process.moduleLoadList) */
  const loaded = (args: string[]) => {
    const list = join(dir, `loaded-${args[0]}.txt`);
    const preload = join(dir, 'record.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
    const r = spawnSync('node', ['-r', preload, cli, ...args], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_CODE_CACHE: 'report' } });
    return { ...r, modules: readFileSync(list, 'utf8').split('\n') };
  };

  it('every bundle is ASCII (V8 keeps a source with any other character at two bytes a character)', () => {
    const files = [join(REPO_ROOT, 'dist', 'cli.cjs'), ...bundles().map((f) => join(REPO_ROOT, 'dist', 'cli', f))];
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const bytes = readFileSync(f);
      const at = bytes.findIndex((b) => b > 0x7f);
      expect(at, `${f}: byte ${at} is not ASCII: …${bytes.subarray(Math.max(0, at - 40), at + 10).toString('utf8')}…`).toBe(-1);
    }
  });

  it('each command of the table has its bundle, which registers it, with a code cache', () => {
    for (const c of COMMAND_TABLE) {
      const r = spawnSync('node', [cli, c.name, '--help'], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_CODE_CACHE: 'report' } });
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: portcullis ${c.name}[ \\n]`));
      expect(r.stderr).toBe('code cache: used\n');
    }
    expect(bundles().sort()).toEqual([...new Set(COMMAND_TABLE.map((c) => `${c.file}.cjs`))].sort());
  });

  it("without a code cache for this Node's V8, or with one V8 rejects, the bundle is compiled and the command prints the same", () => {
    const copy = join(dir, 'dist');
    mkdirSync(join(copy, 'cli'), { recursive: true });
    copyFileSync(cli, join(copy, 'cli.cjs'));
    for (const f of bundles()) copyFileSync(join(REPO_ROOT, 'dist', 'cli', f), join(copy, 'cli', f));
    const args = ['canon', stock];
    const env = { ...process.env, PORTCULLIS_CODE_CACHE: 'report' };
    const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', env });
    const none = spawnSync('node', [join(copy, 'cli.cjs'), ...args], { encoding: 'utf8', env });
    // (on Node 22.1 and later: Node's own compile cache instead)
    expect(none.stderr).toMatch(/^code cache: (none|node)\n$/);
    expect(none.stdout).toBe(built.stdout);
    // a cache under this V8's name that is not one (a partial copy, another build)
    const cacheName = readdirSync(join(REPO_ROOT, 'dist', 'cli')).find((f) => f.startsWith('canon.cjs.') && f.endsWith('.cache'))!;
    writeFileSync(join(copy, 'cli', cacheName), Buffer.alloc(4096, 7));
    const rejected = spawnSync('node', [join(copy, 'cli.cjs'), ...args], { encoding: 'utf8', env });
    expect(rejected.stderr).toBe('code cache: rejected\n');
    expect(rejected.stdout).toBe(built.stdout);
    expect([none.status, rejected.status]).toEqual([0, 0]);
  });

  it('--help, --version and an unknown command load no command bundle', () => {
    for (const args of [['--help'], ['--version'], ['no-such-command'], []]) {
      const r = loaded(args);
      expect(r.stderr, args.join(' ')).not.toMatch(/code cache/);
      expect(r.status).toBe(args[0] === '--help' || args[0] === '--version' ? 0 : 2);
      expect(r.modules.filter((m) => /^NativeModule (crypto|readline|dns|dns\/promises|tls|os|tty|http|zlib)$/.test(m))).toEqual([]);
    }
  });

  it('canon, check, diff and lint load neither the SSH stack nor a terminal prompt (Node modules loaded)', () => {
    for (const args of [['canon', stock], ['check', stock], ['diff', stock, join(REALWORLD, '002.rules')], ['lint', stock]]) {
      const r = loaded(args);
      expect(r.stderr, args[0]).toMatch(/^code cache: used\n/);
      expect(r.modules.filter((m) => /^NativeModule (crypto|readline|dns|dns\/promises|tls|http|zlib)$/.test(m)), args[0]).toEqual([]);
    }
  });

  it("starting a command loads neither Node's public module API (its ES module loader, source maps) nor worker_threads", () => {
    for (const args of [['--help'], ['canon', stock], ['diff', stock, join(REALWORLD, '002.rules')], ['lint', stock]]) {
      const r = loaded(args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBeLessThan(2);
      expect(r.modules.filter((m) => /^NativeModule (module|worker_threads|internal\/worker|internal\/modules\/esm\/loader)$/.test(m)), args[0]).toEqual([]);
    }
  });

  it('TurboFan inlines nothing for a local command on files of 1 MB or less each, nor on a larger one (up to 16 MB), and inlines on standard input (v8-tuning.ts)', () => {
    const under = join(dir, 'under.rules');
    const under2 = join(dir, 'under2.rules');
    const over = join(dir, 'over.rules');
    writeFileSync(under, generateShape('blocklist', 20_000, 3) as string);
    writeFileSync(under2, generateShape('blocklist', 20_000, 4) as string);
    writeFileSync(over, generateShape('blocklist', 24_000, 3) as string);
    expect(Math.max(statSync(under).size, statSync(under2).size)).toBeLessThanOrEqual(1 << 20);
    expect(statSync(under).size + statSync(under2).size).toBeGreaterThan(1 << 20);
    expect(statSync(over).size).toBeGreaterThan(1 << 20);
    /** V8's own account of the run (flags given to node; the code cache is then not used): functions optimized, inlinings made */
    const traced = (args: string[], input?: string) => {
      const r = spawnSync('node', ['--trace-opt', '--trace-turbo-inlining', cli, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBeLessThan(2); // diff: 1 when the files differ
      const lines = r.stdout.split('\n');
      return { optimized: lines.filter((l) => /^\[completed (optimizing|compiling)/.test(l)).length, inlined: lines.filter((l) => l.startsWith('Inlining ')).length };
    };
    const small = traced(['canon', under]);
    expect(small.optimized).toBeGreaterThan(0);
    expect(small.inlined).toBe(0);
    expect(traced(['diff', under, under2]).inlined).toBe(0);
    const large = traced(['canon', over]);
    expect(large.optimized).toBeGreaterThan(0);
    expect(large.inlined).toBe(0);
    expect(traced(['diff', under, over]).inlined).toBe(0);
    expect(traced(['canon', '-'], readFileSync(under, 'utf8')).inlined).toBeGreaterThan(0);
  }, 120_000);

  it('TurboFan does not run for a local command on files of 128 KB or less each, and runs without inlining above that or whole on standard input; the output is the same (v8-tuning.ts)', async () => {
    const tiny = join(dir, 'tiny.rules');
    const tiny2 = join(dir, 'tiny2.rules');
    const small = join(dir, 'small.rules');
    writeFileSync(tiny, generateShape('blocklist', 2_000, 3) as string);
    writeFileSync(tiny2, generateShape('blocklist', 2_000, 4) as string);
    writeFileSync(small, generateShape('blocklist', 4_000, 3) as string);
    expect(Math.max(statSync(tiny).size, statSync(tiny2).size)).toBeLessThanOrEqual(128 << 10);
    expect(statSync(small).size).toBeGreaterThan(128 << 10);
    const traced = (args: string[], input?: string) => {
      const r = spawnSync('node', ['--trace-opt', '--trace-turbo-inlining', cli, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBeLessThan(2);
      const lines = r.stdout.split('\n');
      return { optimized: lines.filter((l) => /^\[completed (optimizing|compiling)/.test(l)).length, inlined: lines.filter((l) => l.startsWith('Inlining ')).length };
    };
    for (const args of [['canon', tiny], ['lint', tiny], ['diff', tiny, tiny2], ['check', tiny]]) expect(traced(args).optimized, args[0]).toBe(0);
    const above = traced(['lint', small]);
    expect(above.optimized).toBeGreaterThan(0);
    expect(above.inlined).toBe(0);
    const piped = traced(['lint', '-'], readFileSync(tiny, 'utf8'));
    expect(piped.optimized).toBeGreaterThan(0);
    expect(piped.inlined).toBeGreaterThan(0);
    for (const args of [['canon', tiny], ['lint', tiny], ['diff', tiny, tiny2]]) {
      const built = spawnSync('node', [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const inProcess = await run(args);
      expect(built.stdout, args[0]).toBe(inProcess.out);
      expect(built.stderr).toBe(inProcess.err);
      expect(built.status).toBe(inProcess.code);
    }
  }, 120_000);

  it("canon collects the reader's garbage in one full collection before its output when the read leaves 32 MB or more in the heap, and not otherwise (canon.ts)", async () => {
    const big = join(dir, 'neutron.rules');
    const small = join(dir, 'docker.rules');
    writeFileSync(big, generateShape('neutron', 60_000, 3) as string);
    writeFileSync(small, generateShape('docker', 20_000, 3) as string);
    /** the full collections a run asked for (V8's trace calls them "testing") as [MB before, MB after] */
    const asked = (file: string) => {
      const r = spawnSync('node', ['--trace-gc', cli, 'canon', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      return [...r.stdout.matchAll(/Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB[^\n]*\btesting\b/g)].map((m) => [Number(m[1]), Number(m[2])]);
    };
    const collected = asked(big);
    expect(collected).toHaveLength(1);
    const [before, after] = collected[0];
    expect(before).toBeGreaterThanOrEqual(32);
    expect(after).toBeLessThan(before * 0.75); // the reader's garbage was there to collect
    expect(asked(small)).toEqual([]);
    expect(asked(join(REALWORLD, '001.rules'))).toEqual([]);
    const built = spawnSync('node', [cli, 'canon', big], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const inProcess = await run(['canon', big]);
    expect(built.stdout === inProcess.out).toBe(true);
    expect(built.stderr).toBe(inProcess.err);
  }, 120_000);

  it('canon into a pipe its reader empties slowly prints the same bytes as into a file (an output buffer is filled again only once written out)', () => {
    const f = join(dir, 'slow-pipe.rules');
    writeFileSync(f, generateShape('docker', 20_000, 5) as string);
    const toFile = join(dir, 'to-file.out');
    const toPipe = join(dir, 'to-pipe.out');
    const q = (p: string) => `'${p}'`;
    const a = spawnSync('sh', ['-c', `node ${q(cli)} canon ${q(f)} > ${q(toFile)}`]);
    const b = spawnSync('sh', ['-c', `node ${q(cli)} canon ${q(f)} | (sleep 1; cat > ${q(toPipe)})`]);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(statSync(toFile).size).toBeGreaterThan(1 << 20);
    expect(readFileSync(toPipe).equals(readFileSync(toFile))).toBe(true);
  }, 60_000);

  // A bundle may hold a module's top-level constants that esbuild cannot prove
  // free of side effects (a few mapped places); a module whose functions are in
  // it has hundreds to thousands (lint's own flow.ts: ~1,500).
  it("canon, check and diff bundles hold no lint, recipe, apply or SSH code; lint's no SSH or host code (lint's lockout check is core/apply's)", () => {
    const forbidden = (file: string, what: RegExp) => {
      const places = mappedPlaces(readFileSync(join(REPO_ROOT, 'dist', 'cli', `${file}.cjs.map`), 'utf8'));
      expect([...places.keys()], file).toContain('src-main/core/parse.ts');
      return [...places].filter(([f, n]) => what.test(f) && n >= 100);
    };
    const host = /^src-main\/(apply|host|services)\/|ssh2/;
    const hostOrApply = new RegExp(`${host.source}|^src-main\\/core\\/apply\\/`);
    const notReading = /^src-main\/core\/(lint|recipes)[/.]|^src-main\/cli\/commands\/(lint|recipes|apply|facts|pull|trace|import)\.ts$/;
    for (const file of ['canon', 'check', 'diff']) expect(forbidden(file, new RegExp(`${hostOrApply.source}|${notReading.source}`)), file).toEqual([]);
    expect(forbidden('lint', host)).toEqual([]);
  });
});

/** How many places of the bundle each source file maps to (source map v3: base64 VLQ segments whose second field is the source). */
function mappedPlaces(mapText: string): Map<string, number> {
  const map = JSON.parse(mapText) as { sources: string[]; mappings: string };
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const counts = new Map<string, number>();
  let source = 0;
  for (const line of map.mappings.split(';')) {
    for (const seg of line.split(',')) {
      const fields: number[] = [];
      let v = 0;
      let shift = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        v += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          fields.push(v & 1 ? -(v >> 1) : v >> 1);
          v = 0;
          shift = 0;
        }
      }
      if (fields.length < 4) continue;
      source += fields[1];
      const name = map.sources[source].replace(/^(\.\.\/)+/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}
