// Parsing a second ruleset file on the other core. `portcullis diff` reads two
// files; the bundled CLI parses the new one in a worker thread while the main
// thread parses the old one. The worker sends back only what the diff needs —
// the canonical texts of each chain and the parser's findings — because copying
// a whole model between threads would cost more than parsing it.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeRulesetBytes, inferFamily, parseRulesetPieces, parseRulesetTexts, type Family, type Finding, type RulesetTexts, type TextsResult } from '../core/index.js';
import { ReadFailure, readFilePieces } from './read-pieces.js';
import { EARLY_JOB, takeEarlyParseWorker } from './early-worker.js';

type WorkerParse =
  /** `inferred`: why the family was taken as IPv6 when none was given */
  | { kind: 'parsed'; findings: Finding[]; texts: RulesetTexts | null; family: Family; inferred?: string }
  | { kind: 'io-error' };
/** What crosses between the threads: the same, with each chain's lines packed in one string (packTexts). */
type WorkerMessage = Exclude<WorkerParse, { kind: 'parsed' }> | (Omit<Extract<WorkerParse, { kind: 'parsed' }>, 'texts'> & { texts: PackedTexts | null });

/**
 * RulesetTexts with each chain's lines joined by newlines (a canonical line
 * never holds one). Copying a message between threads costs per string: one
 * string per chain is a copy of its characters, 100,000 lines are 100,000
 * strings to serialize, allocate and hash again on the other side.
 */
interface PackedTexts {
  tables: { name: RulesetTexts['tables'][number]['name']; chains: { name: string; builtin: boolean; policy: string | null; lines: string; count: number }[] }[];
}

function packTexts(rt: RulesetTexts): PackedTexts {
  return { tables: rt.tables.map((t) => ({ name: t.name, chains: t.chains.map((c) => ({ name: c.name, builtin: c.builtin, policy: c.policy, lines: c.texts.join('\n'), count: c.texts.length })) })) };
}

function unpackTexts(p: PackedTexts): RulesetTexts {
  return { tables: p.tables.map((t) => ({ name: t.name, chains: t.chains.map((c) => ({ name: c.name, builtin: c.builtin, policy: c.policy, texts: c.count === 0 ? [] : c.lines.split('\n') })) })) };
}

const JOB = 'portcullis-parse-texts';

/** The bundle's own file when running as the built CLI (dist/cli/FILE.cjs, loaded by dist/cli.cjs); null under tsx or tests. */
function bundleFile(): string | null {
  return typeof __filename === 'string' && __filename.endsWith('.cjs') ? __filename : null;
}

export function canParseInWorker(file: string): boolean {
  return file !== '-' && bundleFile() !== null;
}

export function parseTextsInWorker(file: string, family?: Family): Promise<WorkerParse> {
  return new Promise((resolve, reject) => {
    // the one the bin started with the process (early-worker.ts), else one started now
    let w = takeEarlyParseWorker();
    if (w) {
      w.ref();
      w.postMessage({ file, family });
    } else {
      // the young generation as small as the main thread's (see v8-tuning.ts);
      // the bin (dist/cli.cjs, one folder up) loads this bundle in the worker as
      // it does on the main thread, from its code cache (start.ts)
      const bin = join(dirname(bundleFile()!), '..', 'cli.cjs');
      w = new Worker(bin, { workerData: { job: JOB, file, family, bundle: bundleFile() }, argv: [], resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    }
    w.once('message', (m: WorkerMessage) => resolve(m.kind === 'parsed' ? { ...m, texts: m.texts && unpackTexts(m.texts) } : m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the parse worker stopped with code ${code}`));
    });
  });
}

/** In a worker started by parseTextsInWorker: do the job and report. Returns true when this thread is such a worker. */
export function runParseWorkerJob(): boolean {
  const job = isMainThread ? undefined : (workerData as { job?: string } | null)?.job;
  if (job === JOB) {
    const { file, family } = workerData as { file: string; family?: Family };
    parseAndReport(file, family);
    return true;
  }
  // started with the process: the job comes once the command line is read
  if (job === EARLY_JOB) {
    parentPort!.once('message', ({ file, family }: { file: string; family?: Family }) => parseAndReport(file, family));
    return true;
  }
  return false;
}

function parseAndReport(file: string, given: Family | undefined): void {
  let r: TextsResult;
  let inferred: string | undefined;
  try {
    // in pieces, as the main thread reads its file (read-pieces.ts)
    const p = parseRulesetPieces(() => readFilePieces(file), { family: given, fileName: file });
    if (p) {
      r = p.result;
      inferred = p.guess?.family === 'ipv6' && !given ? p.guess.reason : undefined;
    } else {
      // commands that need the model: the whole text
      const d = decodeRulesetBytes(readWhole(file));
      if (!d.ok) throw new ReadFailure(d.problem.message);
      const guess = given ? null : inferFamily(d.text, file);
      r = parseRulesetTexts(d.text, { family: given ?? guess?.family ?? 'ipv4' });
      inferred = guess?.family === 'ipv6' ? guess.reason : undefined;
    }
  } catch (e) {
    if (!(e instanceof ReadFailure)) throw e;
    parentPort!.postMessage({ kind: 'io-error' } satisfies WorkerMessage);
    return;
  }
  const failed = r.findings.some((f) => f.severity === 'error');
  const family = r.family;
  parentPort!.postMessage({ kind: 'parsed', findings: r.findings, texts: failed ? null : packTexts(r.texts), family, inferred } satisfies WorkerMessage);
}

function readWhole(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ReadFailure(e);
  }
}
