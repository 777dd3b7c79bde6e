// The analysis worker's work, as a plain function of messages so it can run in
// a Web Worker (analysis.worker.ts) or, in tests and where no Worker exists,
// on the caller's thread. It keeps the last few parsed documents, so the lint
// after a parse, or a diff of two open files, does not parse them again.
import {
  applyEditParsed,
  canonicalRule,
  canonicalRuleset,
  diffRulesetsDetailed,
  findRecipe,
  hasErrors,
  lintPair,
  lintIncremental,
  LintStopped,
  lintRuleset,
  parseRuleset,
  runRecipe,
  textLength,
  textSplice,
  type TextSplice,
  type Chain,
  type ChangedChain,
  type EditSince,
  type Family,
  type LintMemo,
  type ParseResult,
  type Rule,
  type Ruleset,
  type RulesetDiff,
} from '../../../src-main/core/index.js';
import { PART_SIZE, type DocRef, type EditAnswer, type FromWorker, type JobRequest, type MarksAnswer, type PartPath, type ToWorker } from './protocol.js';
import { rowsOfParse, rowText, type RuleRows } from '../state/rows.js';
import { buildSearchIndex, packHay, searchIndexBuffers } from '../state/search-index.js';
import { stagedMarksOf } from '../state/staged-marks.js';
import { mergeImported } from '../state/paste-import.js';
import type { CompactChain, CompactParse, CompactTable, ModelPatch, PatchChain, PatchColumns } from '../state/lazy-model.js';

/** parsed documents kept (a 100,000-rule model is some 100 MB) */
const KEEP = 4;

export type Post = (m: FromWorker, transfer?: Transferable[]) => void;

/** `parts` messages the page may have unanswered: more would queue up on its thread ahead of its timers and input */
const WINDOW = 2;

/**
 * Posts answers, holding back the next `parts` message while WINDOW of them
 * wait on the page (it acknowledges each one it has taken in): so the page's
 * queue never fills with a whole model's parts, and between two parts its
 * input, timers and frames get their turn.
 */
class Outbox {
  private unacked = 0;
  private job = 0;
  private wake: (() => void) | null = null;
  /** the page's cancel of the running job came as a message */
  private cancelled = false;
  /** the page's cancels as shared memory (a job's id in stop[0]): seen even while a lint runs */
  private stop: Int32Array | null = null;
  constructor(readonly post: Post) {}

  start(job: number): void {
    this.job = job;
    this.unacked = 0;
    this.cancelled = false;
  }

  share(stop: Int32Array): void {
    this.stop = stop;
  }

  /** the page gave up job `job`: a wait for its acknowledgements ends */
  cancel(job: number): void {
    if (job !== this.job) return;
    this.cancelled = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** the running job was cancelled (cheap: asked between chains of a lint) */
  stopped(): boolean {
    return this.cancelled || (this.stop !== null && Atomics.load(this.stop, 0) === this.job);
  }

  /** ends the job with JobCancelled if the page gave it up */
  check(): void {
    if (this.stopped()) throw new JobCancelled();
  }

  ack(job: number): void {
    if (job !== this.job) return;
    this.unacked = Math.max(0, this.unacked - 1);
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async part(m: FromWorker): Promise<void> {
    this.check();
    this.post(m);
    this.unacked++;
    while (this.unacked >= WINDOW && !this.cancelled) await new Promise<void>((r) => (this.wake = r));
    this.check();
  }
}

/** the page cancelled the running job: it ends with `cancelled`, the worker and its documents stay */
class JobCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** a request named a document this worker does not hold (restarted, or evicted it) without its text */
class NeedText extends Error {
  constructor(readonly doc: number) {
    super(`document ${doc} is not here`);
  }
}

/** A document as this worker holds it. */
interface Doc {
  /** its text; an edit's result has none until asked for (docText: its lines joined) — the page gets a splice, not the text */
  text?: string;
  /** the text's length (known without the text) */
  length: number;
  family: Family;
  parsed: ParseResult;
  /** each rule's canonical line as sent to the page (sendParse), in table and chain order: an edit's result reuses the unchanged chains' */
  canon?: string[];
  /** what its last lint leaves for the lint of an edit of it */
  lint?: LintMemo;
  /** made by an edit of a linted document: what its lint can carry over */
  since?: EditSince;
  /** this document's own number (what `touched` names documents by: no reference that would keep one alive) */
  serial: number;
  /**
   * The documents this one was made from by edits (their serials), each with
   * the chains ("table chain") whose rules the edits since it changed: the
   * staged marks against one of them compare those chains alone.
   */
  touched?: Map<number, Set<string>>;
  /** its rows, as the marks read them (built once: the base of a staging is compared with every step) */
  rows?: RuleRows;
  /** some rule has counters (known once its parse went to the page) */
  counters?: boolean;
}

let serials = 0;

/** The last KEEP parsed documents, by the page's id; the least recently used goes first. */
class Documents {
  private readonly docs = new Map<number, Doc>();
  /** `out`: a parse asks it every few thousand lines whether the page gave the job up (a 100,000-line read stops within ms) */
  constructor(
    private readonly post: Post,
    private readonly out: Outbox,
  ) {}

  drop(id: number): void {
    this.docs.delete(id);
  }

  parsed(ref: DocRef, id: number): ParseResult {
    return this.doc(ref, id).parsed;
  }

  /** an edit's result under the id the page gave it: the page holds its parse and names it by id alone */
  hold(id: number, d: Doc): void {
    this.docs.delete(id);
    this.docs.set(id, d);
    this.trim();
  }

  /** an edit's result, held until the page names it (by its text) */
  adopt(d: Doc): void {
    this.docs.set(--this.unnamed, d);
    this.trim();
  }
  private unnamed = 0;

  private trim(): void {
    while (this.docs.size > KEEP) this.docs.delete(this.docs.keys().next().value!);
  }

  doc(ref: DocRef, id: number): Doc {
    const docs = this.docs;
    const family = ref.family ?? 'ipv4';
    const known = docs.get(ref.id);
    // a document's text never changes under its id: the client sends it once per worker
    const byId = known && known.family === family && (ref.text === undefined || (known.length === ref.text.length && docText(known) === ref.text)) ? known : undefined;
    const text = ref.text;
    if (!byId && text === undefined) throw new NeedText(ref.id);
    const hit = byId ?? this.sameText(text!, family);
    if (hit) {
      // an edit's result is named now: it is held once, under the page's id
      if (!byId) for (const [k, v] of docs) if (k < 0 && v === hit) docs.delete(k);
      // most recently used goes last
      docs.delete(ref.id);
      docs.set(ref.id, hit);
      return hit;
    }
    this.post({ type: 'progress', id, progress: { phase: 'parsing' } });
    const d: Doc = { text, length: text!.length, family, parsed: parseRuleset(text!, { family, stop: () => this.out.check() }), serial: ++serials };
    docs.set(ref.id, d);
    this.trim();
    return d;
  }

  /** a document parsed under another id with the same text (an edit's result, parsed before the page named it) */
  private sameText(text: string, family: Family): Doc | undefined {
    for (const d of this.docs.values()) if (d.length === text.length && d.family === family && docText(d) === text) return d;
    return undefined;
  }
}

/** a document's text (an edit's result: its lines joined, once) */
function docText(d: Doc): string {
  return (d.text ??= d.parsed.lines.join('\n') + (d.parsed.finalNewline ? '\n' : ''));
}

/**
 * What an edit changed in the text of `from` (TextSplice), or null where the
 * lines of `from` are not its text (they always are: checked by length, O(lines)).
 */
function spliceOf(from: Doc, parsed: ParseResult): TextSplice | null {
  if (textLength(from.parsed.lines, from.parsed.finalNewline) !== from.length) return null;
  return textSplice(from.parsed.lines, from.parsed.finalNewline, parsed.lines, parsed.finalNewline);
}

export function createEngine(post: Post): (m: ToWorker) => void {
  const out = new Outbox(post);
  const docs = new Documents(post, out);
  return (m) => {
    if (m.type === 'drop') {
      docs.drop(m.doc);
      return;
    }
    if (m.type === 'ack') return out.ack(m.id);
    if (m.type === 'init') return out.share(m.stop);
    if (m.type === 'cancel') return out.cancel(m.id);
    // the page sends one job at a time (the next after this one's end or cancel), so a job's parts are never interleaved with another's
    out.start(m.id);
    runJob(out, docs, m.id, m.job).catch((e: unknown) => post(failure(m.id, e)));
  };
}

function failure(id: number, e: unknown): FromWorker {
  if (e instanceof JobCancelled || e instanceof LintStopped) return { type: 'cancelled', id };
  if (e instanceof NeedText) return { type: 'need', id, doc: e.doc };
  return { type: 'error', id, message: e instanceof Error ? e.message : String(e) };
}

/** One job: its documents from the cache, its answer through the outbox. */
async function runJob(out: Outbox, docs: Documents, id: number, job: JobRequest): Promise<void> {
  const post = out.post;
  switch (job.kind) {
    case 'parse':
      return sendParse(out, id, docs.doc(job.doc, id));
    case 'lint': {
      const d = docs.doc(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'linting' } });
      // after an edit, the chains it cannot have changed keep their findings (lintIncremental)
      out.check();
      // stopped between two chains when the page cancels it (the memo of the lint before stays for the next one)
      const r = lintIncremental(d.parsed, job.opts, d.since, () => out.stopped());
      d.lint = r.memo;
      d.since = undefined;
      return send(out, id, [], [{ path: [], items: r.findings }]);
    }
    case 'canonical': {
      const p = docs.parsed(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'writing' } });
      const lines = canonicalRuleset(p.ruleset).split('\n');
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      return send(out, id, [], [{ path: [], items: lines }]);
    }
    case 'diff': {
      const a = docs.parsed(job.left, id).ruleset;
      const b = docs.parsed(job.right, id).ruleset;
      post({ type: 'progress', id, progress: { phase: 'comparing' } });
      // a cancel stops it between chains and every few thousand rules of a long one (the worker and its documents stay)
      return sendDiff(out, id, diffRulesetsDetailed(a, b, { stop: () => out.check() }));
    }
    case 'pair': {
      const a = docs.parsed({ ...job.v4, family: 'ipv4' }, id);
      const b = docs.parsed({ ...job.v6, family: 'ipv6' }, id);
      post({ type: 'progress', id, progress: { phase: 'comparing the families' } });
      // a file that does not load says nothing about the pair (as lint --pair)
      const items = hasErrors(a.findings) || hasErrors(b.findings) ? [] : lintPair(a.ruleset, b.ruleset, { sshPort: job.sshPort });
      return send(out, id, [], [{ path: [], items }]);
    }
    case 'recipe': {
      const recipe = findRecipe(job.recipe);
      if (!recipe) throw new Error(`no recipe called ${job.recipe}`);
      const p = docs.parsed(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'placing' } });
      const { client, sshPort } = job;
      // the placement lints the file before and after: a cancel stops a lint between chains (`checked` is called after each)
      const lint = (rs: Ruleset) => lintRuleset(rs, { ...(client ? { client, sshPort } : {}), checked: () => out.check() });
      const run = runRecipe(recipe, job.raw, p, { lint, ...(client ? { client } : {}), sshPort });
      out.check();
      // the merged model is not shown, only what was added and the text: leave it here
      const value = run.ok && run.placed ? { ...run, placed: { ...run.placed, ruleset: undefined } } : run;
      return send(out, id, value, []);
    }
    case 'edit': {
      const d = docs.doc(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'editing' } });
      const r = applyEditParsed(d.parsed, job.op);
      if (!r.ok) return send(out, id, { ok: false, message: r.message } satisfies EditAnswer, []);
      // the page holds the text before the edit: it gets what changed in it, not the text (r.text is joined only when read)
      const splice = job.as === undefined || r.road === 'whole' ? null : spliceOf(d, r.parsed);
      const text = splice ? undefined : r.text;
      const length = splice ? d.length - (splice.to - splice.from) + splice.insert.length : text!.length;
      const made = editedDoc(d, text, length, r.parsed, r.changed, r.moved, r.origins);
      const changes = splice ? { splice } : { text: text! };
      if (job.as === undefined) {
        docs.adopt(made);
        return send(out, id, { ok: true, ...changes } satisfies EditAnswer, []);
      }
      // the new document's parse in the same answer: no second job, and its text is not sent back here to be found again
      docs.hold(job.as, made);
      // the page holds the model before the edit: only the chains that changed go to it
      const patch = job.patch && r.changed ? patchOf(d, made, r.changed, r.moved, r.origins) : null;
      if (patch) {
        const parts = patch.parts.map((p) => ({ ...p, path: ['patch', ...p.path] }));
        return send(out, id, { ok: true, ...changes, patch: patch.head } satisfies EditAnswer, parts, patch.transfer);
      }
      const c = compactOf(made);
      const parts = c.parts.map((p) => ({ ...p, path: ['parse', ...p.path] }));
      return send(out, id, { ok: true, ...changes, parse: c.head } satisfies EditAnswer, parts, c.transfer);
    }
    case 'paste': {
      const p = docs.parsed(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'adding' } });
      return send(out, id, mergeImported(p, job.paste, { client: job.client, sshPort: job.sshPort }), []);
    }
    case 'search-index': {
      const p = docs.parsed(job.doc, id);
      post({ type: 'progress', id, progress: { phase: 'indexing' } });
      const ix = packHay(buildSearchIndex(rowsOfParse(p).rows, (r) => rowText(r, p.lines)));
      out.check();
      post({ type: 'head', id, value: ix }, searchIndexBuffers(ix));
      return post({ type: 'end', id });
    }
    case 'marks': {
      const b = docs.doc(job.base, id);
      const c = docs.doc(job.cur, id);
      post({ type: 'progress', id, progress: { phase: 'comparing' } });
      // the chains the edits since the base changed (unknown: every row is compared)
      const only = c.touched?.get(b.serial);
      const rowsOf = (d: Doc) => (d.rows ??= rowsOfParse(d.parsed));
      const m = stagedMarksOf({ ...rowsOf(b), lines: b.parsed.lines }, { ...rowsOf(c), lines: c.parsed.lines }, only);
      const answer: MarksAnswer = { changed: Int32Array.from(m.changed), deleted: m.deleted };
      out.check();
      post({ type: 'head', id, value: answer }, [answer.changed.buffer]);
      return post({ type: 'end', id });
    }
  }
}

/**
 * The document an edit made, parsed (only what changed was read again): its
 * canonical lines those of the unchanged chains before it, and what its lint
 * can carry over from the lint before the edit.
 */
function editedDoc(from: Doc, text: string | undefined, length: number, parsed: ParseResult, changed: ChangedChain[] | null, moved: Int32Array | null, origins?: Map<string, Int32Array>): Doc {
  const d: Doc = { ...(text !== undefined ? { text } : {}), length, family: from.family, parsed, serial: ++serials };
  if (!changed || !moved) return d;
  // what changed since each document this one comes from (a chain of staged steps: a few, each a few chains)
  const keys = changed.map((c) => `${c.table} ${c.chain}`);
  d.touched = new Map([[from.serial, new Set(keys)]]);
  for (const [serial, set] of from.touched ?? []) d.touched.set(serial, new Set([...set, ...keys]));
  if (from.lint) d.since = { memo: from.lint, changed, moved };
  if (from.canon) d.canon = canonAfterEdit(from, parsed, changed, origins);
  return d;
}

/**
 * The canonical lines after an edit: an unchanged chain's are the old ones; of
 * a changed chain, those of its rules the edit kept (`origins`) too. The edit
 * changed rules only (the chains are those of the document before, in the
 * same places), so the runs between changed chains are copied as slices of
 * the old lines, not looked up chain by chain (20,000 kube-proxy chains).
 */
function canonAfterEdit(from: Doc, parsed: ParseResult, changed: ChangedChain[], origins?: Map<string, Int32Array>): string[] {
  const old = from.canon!;
  const touched = new Set(changed.map((c) => `${c.table} ${c.chain}`));
  const a = from.parsed.ruleset.tables;
  const b = parsed.ruleset.tables;
  const sameShape = a.length === b.length && a.every((t, k) => t.name === b[k].name && t.chains.length === b[k].chains.length);
  if (!sameShape) return canonByName(from, parsed, touched);
  const out: string[][] = [];
  let copied = 0;
  let at = 0;
  for (let ti = 0; ti < b.length; ti++) {
    const tb = b[ti];
    for (let ci = 0; ci < tb.chains.length; ci++) {
      const ca = a[ti].chains[ci];
      const cb = tb.chains[ci];
      const key = touched.size && touched.has(`${tb.name} ${cb.name}`) ? `${tb.name} ${cb.name}` : null;
      if (ca.name !== cb.name) return canonByName(from, parsed, touched);
      if (key === null && ca.rules.length === cb.rules.length) {
        at += ca.rules.length;
        continue;
      }
      // the old lines up to this chain, then its own
      out.push(old.slice(copied, at));
      const origin = origins?.get(key ?? '');
      const mine: string[] = [];
      for (let i = 0; i < cb.rules.length; i++) mine.push(origin && origin[i] >= 0 ? old[at + origin[i]] : canonLine(cb.name, cb.rules[i]));
      out.push(mine);
      at += ca.rules.length;
      copied = at;
    }
  }
  out.push(old.slice(copied));
  return out.length === 1 ? out[0] : ([] as string[]).concat(...out);
}

/** canonAfterEdit where the chains are not those of the document before, in their places: by name */
function canonByName(from: Doc, parsed: ParseResult, touched: Set<string>): string[] {
  const old = from.canon!;
  const oldAt = new Map<string, number>();
  let at = 0;
  for (const t of from.parsed.ruleset.tables) for (const c of t.chains) {
    oldAt.set(`${t.name} ${c.name}`, at);
    at += c.rules.length;
  }
  const out: string[] = [];
  for (const t of parsed.ruleset.tables) for (const c of t.chains) {
    const key = `${t.name} ${c.name}`;
    const k = oldAt.get(key);
    if (k !== undefined && !touched.has(key)) for (let i = 0; i < c.rules.length; i++) out.push(old[k + i]);
    else for (const r of c.rules) out.push(canonLine(c.name, r));
  }
  return out;
}

function canonLine(chain: string, r: Rule): string {
  return r.counters ? `[${r.counters.packets}:${r.counters.bytes}] ${canonicalRule(chain, r)}\n` : `${canonicalRule(chain, r)}\n`;
}

/**
 * The parse as the page holds it (CompactParse): tables and chains without
 * their rules, each rule as one canonical line in one UTF-8 buffer with its
 * source line and part in typed arrays (transferred), and the findings and
 * disabled rules in parts. The page makes a Rule of a line when it shows it;
 * the model stays here.
 */
function sendParse(out: Outbox, id: number, d: Doc): Promise<void> {
  const c = compactOf(d);
  return send(out, id, c.head, c.parts, c.transfer);
}

/**
 * A chain's entry in the parse (name, policy, counts: a few fields, no rules) takes the page a small part of a
 * rule's time to take in: 20,000 kube-proxy chains went in 80 messages, each a round trip to the page and back
 */
const CHAIN_WEIGHT = 1 / 8;

interface Compact {
  head: CompactParse;
  parts: Part[];
  transfer: Transferable[];
}

function compactOf(d: Doc): Compact {
  const p = d.parsed;
  const parts: Part[] = [];
  let n = 0;
  let hasCounters = false;
  for (const t of p.ruleset.tables) for (const c of t.chains) n += c.rules.length;
  const line = new Int32Array(n);
  const part = new Int32Array(n);
  const known = d.canon?.length === n ? d.canon : null;
  const canon: string[] = known ?? [];
  let k = 0;
  const tables: CompactTable[] = p.ruleset.tables.map((t, ti) => {
    const chains: CompactChain[] = t.chains.map((c, ci) => {
      for (const r of c.rules) {
        line[k] = r.source?.line ?? 0;
        part[k] = r.source?.part ?? -1;
        k++;
        if (r.counters) hasCounters = true;
        if (!known) canon.push(canonLine(c.name, r));
      }
      if (c.disabled.some((d) => d.rule.counters)) hasCounters = true;
      // a part only for a chain with disabled rules (20,000 kube-proxy chains without were 300 messages, each a round trip)
      if (c.disabled.length) parts.push({ path: ['tables', ti, 'chains', ci, 'disabled'], items: c.disabled });
      return { name: c.name, builtin: c.builtin, policy: c.policy, counters: c.counters, ...(c.source ? { source: c.source } : {}), disabled: [], ruleCount: c.rules.length };
    });
    parts.unshift({ path: ['tables', ti, 'chains'], items: chains, weight: CHAIN_WEIGHT });
    return { name: t.name, ...(t.source ? { source: t.source } : {}), chains: [] };
  });
  parts.push({ path: ['findings'], items: p.findings });
  d.canon = canon;
  // UTF-8 bytes, transferred: no copy of a 10 MB string for the page's thread to make
  const joined = canon.join('');
  const bytes = new TextEncoder().encode(joined);
  const starts = new Int32Array(n + 1);
  if (bytes.length === joined.length) {
    // all ASCII (a byte per character): the lines' lengths, not a walk over 10 MB of bytes
    for (let r = 0, at = 0; r < n; r++) starts[r + 1] = at += canon[r].length;
  } else for (let i = 0, r = 0; i < bytes.length && r < n; i++) if (bytes[i] === 0x0a) starts[++r] = i + 1;
  d.counters = hasCounters;
  const head: CompactParse = { family: p.ruleset.family, finalNewline: p.finalNewline, findings: [], tables, canon: bytes, starts, line, part, hasCounters };
  return { head, parts, transfer: [bytes.buffer, starts.buffer, line.buffer, part.buffer] };
}

/**
 * What an edit changed in the model, as the page patches its own (ModelPatch):
 * the changed chains' rules as canonical lines, the chains whose lines moved
 * (rules the same), the new document's findings; null where the two models do
 * not line up chain for chain (then the page gets the whole parse).
 */
function patchOf(from: Doc, to: Doc, changed: ChangedChain[], moved: Int32Array | null, origins?: Map<string, Int32Array>): { head: ModelPatch; parts: Part[]; transfer: Transferable[] } | null {
  const a = from.parsed.ruleset.tables;
  const b = to.parsed.ruleset.tables;
  if (a.length !== b.length || !to.canon) return null;
  const touched = new Set(changed.map((c) => `${c.table} ${c.chain}`));
  const chains: PatchChain[] = [];
  const parts: Part[] = [];
  const transfer: Transferable[] = [];
  let movedAny = false;
  let first = 0;
  for (let ti = 0; ti < b.length; ti++) {
    const ta = a[ti];
    const tb = b[ti];
    if (ta.name !== tb.name || ta.chains.length !== tb.chains.length) return null;
    for (let ci = 0; ci < tb.chains.length; ci++) {
      const ca = ta.chains[ci];
      const cb = tb.chains[ci];
      const n = cb.rules.length;
      if (ca.name !== cb.name) return null;
      if (ca !== cb) {
        const { disabled, ...chain } = compactChain(cb);
        const entry: PatchChain = { t: ti, c: ci, chain: { ...chain, disabled: [] } };
        const key = `${tb.name} ${cb.name}`;
        if (touched.has(key)) {
          // the rules the edit kept are the page's already: only the run it changed goes (a splice), where that is known
          const splice = ruleSplice(origins?.get(key), ca.rules.length, n);
          if (splice) {
            entry.splice = { at: splice.at, remove: splice.remove, rules: chainColumns(cb, to.canon, first, splice.at, splice.end) };
            // its kept rules' lines move with the edit's lines (the page reads them through `moved`)
            if (moved && linesMoved(moved)) movedAny = true;
          } else entry.rules = chainColumns(cb, to.canon, first);
          const cols = entry.splice?.rules ?? entry.rules!;
          transfer.push(cols.canon.buffer, cols.starts.buffer, cols.line.buffer, cols.part.buffer);
        } else {
          // the same rules, their lines moved
          if (ca.rules.length !== n || !moved) return null;
          movedAny = true;
        }
        if (disabled.length) parts.push({ path: ['chains', chains.length, 'chain', 'disabled'], items: disabled });
        chains.push(entry);
      }
      first += n;
    }
  }
  parts.push({ path: ['findings'], items: to.parsed.findings });
  const head: ModelPatch = {
    finalNewline: to.parsed.finalNewline,
    findings: [],
    hasCounters: (to.counters = countersAfter(from, to, chains)),
    tables: b.map((t) => ({ name: t.name, ...(t.source ? { source: t.source } : {}) })),
    chains,
    moved: movedAny ? moved : null,
  };
  if (head.moved) transfer.push(head.moved.buffer);
  return { head, parts, transfer };
}

/** the edit's document has counters: only its changed chains can have brought some (none before: none of the rest has any) */
function countersAfter(from: Doc, to: Doc, patched: PatchChain[]): boolean {
  if (from.counters !== false) return anyCounters(to.parsed.ruleset);
  const tables = to.parsed.ruleset.tables;
  return patched.some((p) => anyCounters({ family: to.family, tables: [{ ...tables[p.t], chains: [tables[p.t].chains[p.c]] }] }));
}

/** some rule or disabled rule has counters (indexed loops, out at the first: 100,000 rules, 20,000 chains) */
function anyCounters(rs: Ruleset): boolean {
  for (const t of rs.tables) {
    for (const c of t.chains) {
      const rules = c.rules;
      for (let k = 0; k < rules.length; k++) if (rules[k].counters) return true;
      const off = c.disabled;
      for (let k = 0; k < off.length; k++) if (off[k].rule.counters) return true;
    }
  }
  return false;
}

/** a chain's entry in a parse: its fields without the rules, their number */
function compactChain(c: Chain): CompactChain {
  return { name: c.name, builtin: c.builtin, policy: c.policy, counters: c.counters, ...(c.source ? { source: c.source } : {}), disabled: c.disabled, ruleCount: c.rules.length };
}

/** some line kept by the edit is not where it was (`moved`: old 1-based line → new, 0: gone or written anew) */
function linesMoved(moved: Int32Array): boolean {
  for (let l = 1; l < moved.length; l++) if (moved[l] !== 0 && moved[l] !== l) return true;
  return false;
}

/**
 * Where a changed chain's rules differ from the chain's before (`origin`: new
 * rule k is old rule origin[k], -1 read anew): one run [at, end) of the new
 * rules that replaces `remove` old ones, the rules around it kept in order.
 * Null without origins.
 */
function ruleSplice(origin: Int32Array | undefined, before: number, after: number): { at: number; end: number; remove: number } | null {
  if (!origin || origin.length !== after) return null;
  let p = 0;
  while (p < after && p < before && origin[p] === p) p++;
  let s = 0;
  while (s < after - p && s < before - p && origin[after - 1 - s] === before - 1 - s) s++;
  return { at: p, end: after - s, remove: before - s - p };
}

/** one chain's rules [from, to) as columns (its canonical lines from `canon`, where its first rule is rule `first`) */
function chainColumns(c: Chain, canon: string[], first: number, from = 0, to = c.rules.length): PatchColumns {
  const n = to - from;
  const line = new Int32Array(n);
  const part = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    line[k] = c.rules[from + k].source?.line ?? 0;
    part[k] = c.rules[from + k].source?.part ?? -1;
  }
  const mine = canon.slice(first + from, first + to);
  const joined = mine.join('');
  const bytes = new TextEncoder().encode(joined);
  const starts = new Int32Array(n + 1);
  if (bytes.length === joined.length) for (let r = 0, at = 0; r < n; r++) starts[r + 1] = at += mine[r].length;
  else for (let i = 0, r = 0; i < bytes.length && r < n; i++) if (bytes[i] === 0x0a) starts[++r] = i + 1;
  return { canon: bytes, starts, line, part };
}

function sendDiff(out: Outbox, id: number, d: RulesetDiff): Promise<void> {
  const parts: { path: PartPath; items: readonly unknown[] }[] = [];
  const chains = d.chains.map((c, ci) => {
    parts.push({ path: ['chains', ci, 'rows'], items: c.rows });
    return { ...c, rows: [] };
  });
  parts.push({ path: ['changes'], items: d.changes });
  return send(out, id, { chains, changes: [] }, parts);
}

/** items for one array of an answer; `weight`: what one item costs the page to take in, in PART_SIZE's units (1: a rule, a finding) */
interface Part {
  path: PartPath;
  items: readonly unknown[];
  weight?: number;
}

/**
 * The head, then the parts' items in messages of about PART_SIZE items each
 * (small arrays share a message; light items go more to a message), then the end.
 */
async function send(out: Outbox, id: number, head: unknown, parts: Part[], transfer?: Transferable[]): Promise<void> {
  // the work before the answer (a parse: plain synchronous code) ran to its end; a cancel since then stops it here
  out.check();
  out.post({ type: 'head', id, value: head }, transfer);
  const total = parts.reduce((n, p) => n + p.items.length, 0);
  let done = 0;
  let sent = 0;
  let batch: { path: PartPath; items: unknown[] }[] = [];
  let size = 0;
  const flush = async () => {
    if (!batch.length) return;
    const m: FromWorker = { type: 'parts', id, parts: batch };
    done += size;
    batch = [];
    size = 0;
    if (++sent % 8 === 0) out.post({ type: 'progress', id, progress: { phase: 'sending', done, total } });
    await out.part(m);
  };
  for (const p of parts) {
    const w = p.weight ?? 1;
    for (let k = 0; k < p.items.length; ) {
      const items = p.items.slice(k, k + Math.max(1, Math.ceil((PART_SIZE - size) / w)));
      batch.push({ path: p.path, items });
      size += items.length * w;
      k += items.length;
      // many small arrays (a chain's few rules each) share a message, up to a count of them
      if (size >= PART_SIZE || batch.length >= PART_SIZE / 4) await flush();
    }
  }
  await flush();
  out.post({ type: 'end', id });
}
