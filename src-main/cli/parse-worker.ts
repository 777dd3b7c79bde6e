// Parsing a second ruleset file on the other core. `portcullis diff` reads two
// files; the bundled CLI parses the new one in a worker thread while the main
// thread parses the old one. The worker sends back only what the diff needs —
// the canonical texts of each chain and the parser's findings — because copying
// a whole model between threads would cost more than parsing it.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { decodeRulesetBytes, inferFamily, parseRulesetTexts, type Family, type Finding, type RulesetTexts } from '../core/index.js';

type WorkerParse =
  /** `inferred`: why the family was taken as IPv6 when none was given */
  | { kind: 'parsed'; findings: Finding[]; texts: RulesetTexts | null; family: Family; inferred?: string }
  | { kind: 'io-error' };

const JOB = 'portcullis-parse-texts';

/** The bundle's own file when running as the built CLI (dist/cli.cjs); null under tsx or tests. */
function bundleFile(): string | null {
  return typeof __filename === 'string' && __filename.endsWith('.cjs') ? __filename : null;
}

export function canParseInWorker(file: string): boolean {
  return file !== '-' && bundleFile() !== null;
}

export function parseTextsInWorker(file: string, family?: Family): Promise<WorkerParse> {
  return new Promise((resolve, reject) => {
    // the young generation as small as the main thread's (see v8-tuning.ts)
    const w = new Worker(bundleFile()!, { workerData: { job: JOB, file, family }, argv: [], resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    w.once('message', (m: WorkerParse) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the parse worker stopped with code ${code}`));
    });
  });
}

/** In a worker started by parseTextsInWorker: do the job and report. Returns true when this thread is such a worker. */
export function runParseWorkerJob(): boolean {
  if (isMainThread || (workerData as { job?: string } | null)?.job !== JOB) return false;
  const { file, family: given } = workerData as { file: string; family?: Family };
  let text: string;
  try {
    const d = decodeRulesetBytes(readFileSync(file));
    if (!d.ok) throw new Error(d.problem.message);
    text = d.text;
  } catch {
    parentPort!.postMessage({ kind: 'io-error' } satisfies WorkerParse);
    return true;
  }
  const guess = given ? null : inferFamily(text, file);
  const family = given ?? guess?.family ?? 'ipv4';
  const r = parseRulesetTexts(text, { family });
  const failed = r.findings.some((f) => f.severity === 'error');
  const inferred = guess?.family === 'ipv6' ? guess.reason : undefined;
  parentPort!.postMessage({ kind: 'parsed', findings: r.findings, texts: failed ? null : r.texts, family, inferred } satisfies WorkerParse);
  return true;
}
