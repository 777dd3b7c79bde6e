// The analysis worker's work, as a plain function of messages so it can run in
// a Web Worker (analysis.worker.ts) or, in tests and where no Worker exists,
// on the caller's thread. It keeps the last few parsed documents, so the lint
// after a parse, or a diff of two open files, does not parse them again.
import {
  canonicalRuleset,
  diffRulesetsDetailed,
  findRecipe,
  lintParsed,
  lintRuleset,
  parseRuleset,
  runRecipe,
  type ParseResult,
  type RulesetDiff,
} from '../../../src-main/core/index.js';
import { PART_SIZE, type DocRef, type FromWorker, type JobRequest, type PartPath, type ToWorker } from './protocol.js';

/** parsed documents kept (a 100,000-rule model is some 100 MB) */
const KEEP = 4;

export type Post = (m: FromWorker) => void;

export function createEngine(post: Post): (m: ToWorker) => void {
  const docs = new Map<number, { text: string; parsed: ParseResult }>();

  function parsed(ref: DocRef, id: number): ParseResult {
    const hit = docs.get(ref.id);
    if (hit && hit.text === ref.text) {
      // most recently used goes last
      docs.delete(ref.id);
      docs.set(ref.id, hit);
      return hit.parsed;
    }
    post({ type: 'progress', id, progress: { phase: 'parsing' } });
    const p = parseRuleset(ref.text);
    docs.set(ref.id, { text: ref.text, parsed: p });
    while (docs.size > KEEP) docs.delete(docs.keys().next().value!);
    return p;
  }

  return (m) => {
    if (m.type === 'drop') {
      docs.delete(m.doc);
      return;
    }
    try {
      run(m.id, m.job);
    } catch (e) {
      post({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
    }
  };

  function run(id: number, job: JobRequest): void {
    switch (job.kind) {
      case 'parse':
        return sendParse(post, id, parsed(job.doc, id));
      case 'lint': {
        const p = parsed(job.doc, id);
        post({ type: 'progress', id, progress: { phase: 'linting' } });
        return send(post, id, [], [{ path: [], items: lintParsed(p, job.opts) }]);
      }
      case 'canonical': {
        const p = parsed(job.doc, id);
        post({ type: 'progress', id, progress: { phase: 'writing' } });
        const lines = canonicalRuleset(p.ruleset).split('\n');
        if (lines.length && lines[lines.length - 1] === '') lines.pop();
        return send(post, id, [], [{ path: [], items: lines }]);
      }
      case 'diff': {
        const a = parsed(job.left, id).ruleset;
        const b = parsed(job.right, id).ruleset;
        post({ type: 'progress', id, progress: { phase: 'comparing' } });
        return sendDiff(post, id, diffRulesetsDetailed(a, b));
      }
      case 'recipe': {
        const recipe = findRecipe(job.recipe);
        if (!recipe) throw new Error(`no recipe called ${job.recipe}`);
        const p = parsed(job.doc, id);
        post({ type: 'progress', id, progress: { phase: 'placing' } });
        const { client, sshPort } = job;
        const run = runRecipe(recipe, job.raw, p, { lint: (rs) => lintRuleset(rs, client ? { client, sshPort } : {}), ...(client ? { client } : {}), sshPort });
        // the merged model is not shown, only what was added and the text: leave it here
        const value = run.ok && run.placed ? { ...run, placed: { ...run.placed, ruleset: undefined } } : run;
        return send(post, id, value, []);
      }
    }
  }
}

/** The parse without its lines (the page splits its own text) and with its rules in parts. */
function sendParse(post: Post, id: number, p: ParseResult): void {
  const parts: { path: PartPath; items: unknown[] }[] = [];
  const tables = p.ruleset.tables.map((t, ti) => ({
    ...t,
    chains: t.chains.map((c, ci) => {
      parts.push({ path: ['ruleset', 'tables', ti, 'chains', ci, 'rules'], items: c.rules });
      parts.push({ path: ['ruleset', 'tables', ti, 'chains', ci, 'disabled'], items: c.disabled });
      return { ...c, rules: [], disabled: [] };
    }),
  }));
  parts.push({ path: ['findings'], items: p.findings });
  send(post, id, { ruleset: { family: p.ruleset.family, tables }, findings: [], lines: [], finalNewline: p.finalNewline }, parts);
}

function sendDiff(post: Post, id: number, d: RulesetDiff): void {
  const parts: { path: PartPath; items: unknown[] }[] = [];
  const chains = d.chains.map((c, ci) => {
    parts.push({ path: ['chains', ci, 'rows'], items: c.rows });
    return { ...c, rows: [] };
  });
  parts.push({ path: ['changes'], items: d.changes });
  send(post, id, { chains, changes: [] }, parts);
}

function send(post: Post, id: number, head: unknown, parts: { path: PartPath; items: readonly unknown[] }[]): void {
  post({ type: 'head', id, value: head });
  const total = parts.reduce((n, p) => n + p.items.length, 0);
  let done = 0;
  let sent = 0;
  for (const p of parts) {
    for (let k = 0; k < p.items.length; k += PART_SIZE) {
      const items = p.items.slice(k, k + PART_SIZE);
      post({ type: 'part', id, path: p.path, items });
      done += items.length;
      if (++sent % 8 === 0) post({ type: 'progress', id, progress: { phase: 'sending', done, total } });
    }
  }
  post({ type: 'end', id });
}
