// The `portcullis` bin (dist/cli.cjs): starts the command line's bundle
// (dist/cli-main.cjs) from V8's code cache of it, made by the build
// (dist/cli-main.cjs.cache). Compiling the 600 KB bundle and the functions a
// command runs is most of the command line's own start-up (about 15 ms of
// ~95 ms of CPU before any work); with the cache they are read, not compiled.
// A cache V8 does not accept (another Node, another bundle) is ignored and the
// bundle compiled as usual.
import './v8-tuning.js'; // first: the cache is valid only for the flags it was made with
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { createRequire, Module } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { startEarlyParseWorker } from './early-worker.js';

// diff's parse worker starts now, with the process, not when the command is reached
if (isMainThread && process.argv[2] === 'diff') startEarlyParseWorker(__filename);

const file = join(__dirname, 'cli-main.cjs');
const cacheFile = `${file}.cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined; // not built with one: compile
}
const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
const script = new Script(Module.wrap(source), { filename: file, cachedData });
if (process.env.PORTCULLIS_CODE_CACHE === 'report' && isMainThread) process.stderr.write(`code cache: ${!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
// the bundle runs as the main module, as if node had been given its file
const main = new Module(file, undefined);
main.filename = file;
main.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
process.mainModule = main;
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
run.call(main.exports, main.exports, createRequire(file), main, file, __dirname);
// the build runs a command with this set to make the cache: after the run, so the functions it compiled are in it
if (process.env.PORTCULLIS_CODE_CACHE === 'write' && isMainThread) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
