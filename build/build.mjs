#!/usr/bin/env node
// Builds everything into dist/: the CLI and the main-process bundles with
// esbuild, the renderer with Vite. `node build/build.mjs cli` builds only the CLI.
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  // ssh2 has optional native addons; electron is provided at run time.
  external: ['electron', 'ssh2', 'cpu-features'],
};

// The CLI loads ssh2 only when a command uses it: `portcullis canon` should not
// pay for reading and compiling the SSH stack at start-up (~40 ms of a run).
// Imports of these packages resolve to a stand-in whose exports are getters
// that require the real package on first use.
const LAZY_PACKAGES = ['ssh2'];
const lazyExternals = {
  name: 'lazy-externals',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_PACKAGES.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-external' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-external' });
    b.onLoad({ filter: /.*/, namespace: 'lazy-external' }, (args) => {
      const names = Object.keys(createRequire(join(root, 'package.json'))(args.path));
      const lines = [`let real;`, `const load = () => (real ??= require(${JSON.stringify(args.path)}));`];
      for (const n of names) lines.push(`Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`);
      return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
    });
  },
};

const entries = [
  // whitespace and syntax minified (names kept, the source map says where): a
  // smaller source is parsed faster at each start and, without its comments'
  // non-ASCII characters, held as one byte per character — 2.5 MB less RSS at start
  { name: 'cli', entryPoints: ['src-main/cli/main.ts'], outfile: 'dist/cli-main.cjs', plugins: [lazyExternals], minifyWhitespace: true, minifySyntax: true, charset: 'ascii' },
  // the bin: starts dist/cli-main.cjs from its code cache (made below)
  { name: 'cli', entryPoints: ['src-main/cli/start.ts'], outfile: 'dist/cli.cjs', banner: { js: '#!/usr/bin/env node' } },
  { name: 'main', entryPoints: ['src-main/app/main.ts'], outfile: 'dist/main/main.cjs' },
  { name: 'preload', entryPoints: ['src-main/preload/preload.ts'], outfile: 'dist/main/preload.cjs', platform: 'node' },
  { name: 'browser', entryPoints: ['src-main/app/browser-server.ts'], outfile: 'dist/main/browser.cjs' },
  // the apply's state machine in a worker thread of main (both shells load it from dist/main)
  { name: 'apply-machine', entryPoints: ['src-main/apply/machine-worker-main.ts'], outfile: 'dist/main/apply-machine.cjs' },
  { name: 'config', entryPoints: ['electron.config.ts'], outfile: 'dist/electron.config.cjs' },
];

for (const e of entries) {
  if (only && only !== e.name) continue;
  if (!existsSync(join(root, e.entryPoints[0]))) continue;
  const { name, ...opts } = e;
  await build({ ...common, ...opts });
}
if (!only || only === 'cli') cliCodeCache();
if (!only || only === 'renderer') {
  if (existsSync(join(root, 'src-renderer/index.html'))) {
    // always the production build: under vitest (NODE_ENV=test, which Vite keeps) it was Svelte's dev build, slower than what ships, and the e2e specs measured that
    const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

/**
 * V8's code cache of the CLI bundle (see src-main/cli/start.ts), made by
 * running a diff of two generated rulesets: the cache then holds the functions
 * that reading, canon and diff compile, not only the bundle's top level.
 */
function cliCodeCache() {
  const cache = join(root, 'dist', 'cli-main.cjs.cache');
  rmSync(cache, { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'pcl-code-cache-'));
  try {
    const a = join(dir, 'a.rules');
    const b = join(dir, 'b.rules');
    const gen = (shape, n, seed) => spawnSync(process.execPath, [join(root, 'build', 'gen-shapes.mjs'), shape, String(n), String(seed)], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    writeFileSync(a, gen('mixed', 3000, 1));
    writeFileSync(b, gen('mixed', 3000, 2));
    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.cjs'), 'diff', a, b], { env: { ...process.env, PORTCULLIS_CODE_CACHE: 'write' }, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`making the CLI's code cache: diff exited ${r.status}: ${r.stderr}`);
    if (!existsSync(cache)) throw new Error("making the CLI's code cache: no cache was written");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
