// For lint-memory.test.ts, run as its own process (node --expose-gc --import tsx):
// reads FILE in pieces into the model as `portcullis lint` does, lints it, and
// prints as JSON what stays on the heap while the model is alive — the heap
// used before the read, after it and after the lint (each after a full GC), and
// the bytes of strings that hold lines of the file (no view into its text should
// outlive the read: see ownCopy).
import { readFileSync } from 'node:fs';
import { getHeapSnapshot } from 'node:v8';
import { lintParsed, parseRulesetModelPieces, type Family } from '../../core/index.js';
import { readFilePieces } from '../read-pieces.js';

const [file, family] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heapUsed(): number {
  gc!();
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes of the heap's strings that are a piece of the file's text (two lines of
 * it or more; a module's source that happens to hold `\n-A ` is not one).
 */
async function fileTextBytes(): Promise<number> {
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const snap = JSON.parse(json) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  json = '';
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const found: Array<[string, number]> = [];
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    if (types[snap.nodes[i + ti]] !== 'string') continue;
    const s = snap.strings[snap.nodes[i + ni]];
    if (s.length > 200 && s.includes('\n-A ')) found.push([s, snap.nodes[i + si]]);
  }
  // read after the snapshot: this copy of the text is not in it
  const text = readFileSync(file, 'latin1');
  return found.reduce((n, [s, size]) => n + (text.includes(s) ? size : 0), 0);
}

const before = heapUsed();
const { result } = parseRulesetModelPieces(() => readFilePieces(file), { family: family as Family, fileName: file });
const parsed = heapUsed();
const findings = lintParsed(result).length;
const linted = heapUsed();
const text = await fileTextBytes();
// the model is alive to here
process.stdout.write(JSON.stringify({ before, parsed, linted, fileTextBytes: text, rules: result.ruleset.tables.length, findings }) + '\n');
