#!/usr/bin/env node
// Builds everything into dist/: the CLI and the main-process bundles with
// esbuild, the renderer with Vite. `node build/build.mjs cli` builds only the CLI.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
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
  { name: 'cli', entryPoints: ['src-main/cli/main.ts'], outfile: 'dist/cli.cjs', plugins: [lazyExternals] },
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
if (!only || only === 'renderer') {
  if (existsSync(join(root, 'src-renderer/index.html'))) {
    const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
