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
import { createRequire, Module } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type * as Bundle from './chunk.js';

/** what a command's bundle exports (its entry is ./chunk.ts) */
interface CommandBundle {
  main: typeof Bundle.main;
}

type Wrapped = (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;

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
  const nodeCache = (Module as { enableCompileCache?: () => unknown }).enableCompileCache;
  if (!cachedData && mode !== 'write' && nodeCache) {
    if (mode === 'report' && isMainThread) process.stderr.write('code cache: node\n');
    nodeCache();
    return createRequire(file)(file) as CommandBundle;
  }
  // the build keeps bundles ASCII: read as Latin-1, one byte a character in V8's heap (see build/build.mjs)
  const script = new Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
  if (mode === 'report' && isMainThread) process.stderr.write(`code cache: ${!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  cachedData = undefined; // V8 has what it needs of it
  const module = new Module(file, undefined);
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  (script.runInThisContext() as Wrapped).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  // after the run, so the functions it compiled are in the cache
  if (mode === 'write' && isMainThread) process.once('exit', () => writeFileSync(codeCacheFile(file), script.createCachedData()));
  return module.exports as CommandBundle;
}
