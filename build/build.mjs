#!/usr/bin/env node
// Builds everything into dist/: the CLI and the main-process bundles with
// esbuild, the renderer with Vite. `node build/build.mjs cli` builds only the CLI.
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
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

// The command line: the bin (dist/cli.cjs, src-main/cli/start.ts) holds the
// command table and answers --help and --version itself; each command file of
// src-main/cli/commands is its own bundle (dist/cli/FILE.cjs, cliBundles below)
// that the bin loads for that command alone, from its V8 code cache.
const entries = [
  { name: 'cli', entryPoints: ['src-main/cli/start.ts'], outfile: 'dist/cli.cjs', banner: { js: '#!/usr/bin/env node' }, minifyWhitespace: true, minifySyntax: true, charset: 'ascii' },
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
if (!only || only === 'cli') await cliBundles();
if (!only || only === 'renderer') {
  if (existsSync(join(root, 'src-renderer/index.html'))) {
    // always the production build: under vitest (NODE_ENV=test, which Vite keeps) it was Svelte's dev build, slower than what ships, and the e2e specs measured that
    const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

/** The command files the bin loads (src-main/cli/commands/table.ts), read with esbuild: this script is JavaScript. */
async function commandFiles() {
  const r = await build({ entryPoints: ['src-main/cli/commands/table.ts'], absWorkingDir: root, bundle: true, format: 'esm', write: false, logLevel: 'warning' });
  const { COMMAND_TABLE } = await import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`);
  return [...new Set(COMMAND_TABLE.map((c) => c.file))];
}

/**
 * One bundle per command file: dist/cli/FILE.cjs holds the command and what it
 * imports, nothing of the others (canon does not read lint, SSH or apply
 * code). Whitespace and syntax minified (names kept, the source map says
 * where), all ASCII: V8 holds a source with any other character at two bytes
 * a character. Then each bundle's code cache (cliCodeCaches).
 */
async function cliBundles() {
  const files = await commandFiles();
  rmSync(join(root, 'dist', 'cli'), { recursive: true, force: true });
  await Promise.all(files.map((file) => build({
    ...common,
    stdin: {
      contents: `import './commands/${file}.js';\nexport { main } from './chunk.js';\n`,
      resolveDir: join(root, 'src-main', 'cli'),
      sourcefile: `src-main/cli/bundle-${file}.ts`,
      loader: 'ts',
    },
    outfile: `dist/cli/${file}.cjs`,
    plugins: [lazyExternals],
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
  })));
  for (const out of ['dist/cli.cjs', ...files.map((f) => `dist/cli/${f}.cjs`)]) asciiOnly(join(root, out));
  await cliCodeCaches(files);
}

/** a child's exit status and stderr; its stdout is not kept */
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (b) => (stderr += b));
    c.on('error', reject);
    c.on('close', (status) => resolve({ status, stderr }));
  });
}

/**
 * esbuild's charset 'ascii' escapes every string but a tagged template's (its
 * raw text would change): those characters are escaped here. A tag reading
 * .raw would see \uXXXX; the command line's tags (core/apply/message.ts) read
 * the cooked strings, which are the same.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line no-control-regex
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => [...c].length === 1 && c.length === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `\\u{${c.codePointAt(0).toString(16)}}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

/**
 * V8's code cache of each command's bundle (see src-main/cli/load-bundle.ts),
 * made by running the command on generated rulesets: the cache then holds the
 * functions the command compiles, not only the bundle's top level. Commands
 * that need a host are run with --help.
 */
async function cliCodeCaches(files) {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-code-cache-'));
  try {
    const a = join(dir, 'a.rules');
    const b = join(dir, 'b.rules');
    const script = join(dir, 'script.sh');
    const gen = (shape, n, seed) => spawnSync(process.execPath, [join(root, 'build', 'gen-shapes.mjs'), shape, String(n), String(seed)], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    writeFileSync(a, gen('mixed', 3000, 1));
    writeFileSync(b, gen('mixed', 3000, 2));
    writeFileSync(script, 'iptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables -P INPUT DROP\n');
    const runs = {
      check: ['check', a],
      canon: ['canon', a],
      diff: ['diff', a, b],
      lint: ['lint', a],
      trace: ['trace', a, '--src', '192.0.2.1', '--dst', '198.51.100.1', '--proto', 'tcp', '--dport', '443'],
      import: ['import', script],
      recipes: ['recipe', 'loopback', '--into', a],
    };
    // all at once: most of each run is waiting for the machine
    await Promise.all(files.map(async (file) => {
      const argv = runs[file] ?? [file, '--help'];
      const r = await run(process.execPath, [join(root, 'dist', 'cli.cjs'), ...argv], { ...process.env, PORTCULLIS_CODE_CACHE: 'write' });
      if (r.status !== 0 && r.status !== 1) throw new Error(`making the code cache of dist/cli/${file}.cjs: ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
      if (!readdirSync(join(root, 'dist', 'cli')).some((f) => f.startsWith(`${file}.cjs.`) && f.endsWith('.cache'))) throw new Error(`making the code cache of dist/cli/${file}.cjs: none was written`);
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
