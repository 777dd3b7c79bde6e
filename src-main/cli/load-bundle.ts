// Loading a command's bundle (dist/cli/FILE.cjs) from V8's code cache of it,
// made by the build. Compiling a bundle and the functions its command runs is
// most of the command line's own start-up; with the cache they are read, not
// compiled. A cache is valid only for the V8 (and the flags, v8-tuning.ts) that
// made it, so its name says which V8: on another Node the bundle is required
// with Node's own compile cache where there is one (22.1 and later), else
// compiled as usual. A cache V8 rejects all the same is ignored.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import type { Module as ModuleClass } from 'node:module';
import type * as Bundle from './chunk.js';

// Node's Module class is the bin's own module's constructor (the very object
// require('node:module') returns). Requiring 'node:module' would also load
// Node's ES module loader and source-map code, which running a bundle does not
// need: it is required only for Node's own compile cache. (Nor is
// 'node:worker_threads' loaded: only the bin's main thread loads bundles.)
// With both, --help and every command loaded 10 more Node modules, ~2 ms CPU.
const Module = module.constructor as typeof ModuleClass;

/** what a command's bundle exports (its entry is ./chunk.ts) */
interface CommandBundle {
  main: typeof Bundle.main;
}

type Wrapped = (exports: unknown, require: NodeJS.Require, module: ModuleClass, filename: string, dirname: string) => void;

/** PORTCULLIS_CODE_CACHE=report: say on stderr whether the cache was used; =write: write the cache of what this run compiled (the build does). */
const mode = process.env.PORTCULLIS_CODE_CACHE;

/** The code cache of `bundle` for this V8 on this machine's architecture. */
function codeCacheFile(bundle: string): string {
  return `${bundle}.${process.versions.v8}-${process.arch}.cache`;
}

/** Loads and runs the bundle. */
export function loadBundle(file: string): CommandBundle {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(codeCacheFile(file));
  } catch {
    cachedData = undefined; // none for this V8
  }
  const nodeCache = !cachedData && mode !== 'write' ? nodeCompileCache() : undefined;
  if (nodeCache) {
    if (mode === 'report') process.stderr.write('code cache: node\n');
    nodeCache();
    return Module.createRequire(file)(file) as CommandBundle;
  }
  // the build keeps bundles ASCII: read as Latin-1, one byte a character in V8's heap (see build/build.mjs)
  const script = new Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
  if (mode === 'report') process.stderr.write(`code cache: ${!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  cachedData = undefined; // V8 has what it needs of it
  const bundle = new Module(file, undefined);
  bundle.filename = file;
  bundle.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  (script.runInThisContext() as Wrapped).call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
  // after the run, so the functions it compiled are in the cache
  if (mode === 'write') process.once('exit', () => writeFileSync(codeCacheFile(file), script.createCachedData()));
  return bundle.exports as CommandBundle;
}

/** Node's own compile cache (22.1 and later), which only the public 'node:module' has. */
function nodeCompileCache(): (() => unknown) | undefined {
  if (Number(process.versions.node.split('.')[0]) < 22) return undefined;
  return (require('node:module') as { enableCompileCache?: () => unknown }).enableCompileCache;
}
