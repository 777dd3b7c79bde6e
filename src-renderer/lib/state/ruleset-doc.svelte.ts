// One open ruleset: its text, the parsed model and everything derived from it.
// Big immutable data sits in $state.raw (never proxied: 100,000 rules stay plain
// objects); what follows from it is $derived, so it is computed when a view
// first reads it and never twice.
//
// The parse of a large file and every lint run in the analysis worker
// (lib/analysis): the page keeps answering while they work, and either can be
// cancelled. Small files (a few hundred rules) are parsed here, at once, so
// they show without a flicker; their lint still goes to the worker, because a
// small file can be costly to lint.
import {
  canonicalRule,
  canonicalRuleset,
  hasErrors,
  parseRuleset,
  type Family,
  type Finding,
  type LintOptions,
  type ParseResult,
  type Ruleset,
  type Severity,
} from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { AnalysisCancelled, isCancelled, LatestJob, type Job } from '../analysis/client.js';
import type { DocRef, MarksAnswer, Progress } from '../analysis/protocol.js';
import { buildRuleRows, findUnreadable, patchRuleRows, rowsOfParseSliced, rowText, severityByLine, sortFindings, type RuleRow, type RuleRows } from './rows.js';
import type { DocOwner, Staging } from './staging.svelte.js';
import { buildSearchIndex, facetValues, searchRules, type SearchFacets, type SearchIndex, type SearchQuery, type SearchResult } from './search-index.js';
import { search, type IndexInfo } from '../analysis/search-client.js';
import { LazyModel, lazyLines, type CompactParse, type ModelPatch } from './lazy-model.js';
import { stagedMarksOf, type StagedMarks } from './staged-marks.js';

export interface RulesetSource {
  name: string;
  /** where it came from, for the title; absent for pasted or dropped text */
  path?: string;
  text: string;
  /** an edit of another document: the same view, kept open across the edit */
  lineage?: number;
  /** IPv4 (iptables) or IPv6 (ip6tables); absent: IPv4 */
  family?: Family;
  /**
   * a large document the worker made (an edit) and holds under `id` (RulesetDoc.reserveId), with its parse —
   * whole, or what the edit changed in the model of `from` (the document edited)
   */
  made?: ({ id: number; parse: CompactParse } | { id: number; patch: ModelPatch; from: RulesetDoc }) & {
    /** the text's lines, made of the lines of the document edited (splicedLines); absent: cut from the text */
    lines?: readonly string[];
  };
}

export type DocView = 'rules' | 'source' | 'canonical';
type ParseState = 'parsing' | 'ready' | 'cancelled' | 'failed';
type LintState = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

/** texts up to this size (about 600 rules, a few ms) are parsed on the page's thread */
export const INLINE_PARSE_LIMIT = 48 * 1024;
/** of a larger text, this much is parsed here at once, to show its first rules while the worker reads the whole */
const PREVIEW_BYTES = 16 * 1024;

let nextDocId = 1;

// a document nobody holds any more: the worker may forget its parse
const forget =
  typeof FinalizationRegistry === 'undefined'
    ? null
    : new FinalizationRegistry<number>((id) => {
        analysis.drop(id);
        search.drop(id);
      });

export class RulesetDoc {
  readonly id: number;
  /** the same for a document and every edit of it: the view stays mounted across edits */
  readonly lineage: number;
  /** the staged edits this document is a step of (null until the first edit) */
  staging = $state.raw<Staging<RulesetDoc> | null>(null);
  /** a host's saved, running or proposed rules: edits go to that host's proposal */
  owner = $state.raw<DocOwner | null>(null);
  /** lint with the admin's address (a host's document): the lockout check runs while staging */
  lintOptions = $state.raw<LintOptions>({});
  readonly name: string;
  readonly path: string | undefined;
  readonly text: string;
  /** which firewall the text is for: it is parsed, checked and linted as that family's restore would */
  readonly family: Family;
  /** milliseconds from asking for the parse to having the model (the worker's parse and the copy) */
  parseMs = $state(0);
  finalNewline = false;

  parseState = $state<ParseState>('ready');
  /** what the worker is doing with the parse, for the busy note */
  parseProgress = $state.raw<Progress | null>(null);
  parseError = $state<string | null>(null);
  /** while parsing: the model shown is that of the file's first lines only (no findings yet) */
  preview = $state(false);
  /** resolves when the model is here; rejects when the parse was cancelled or failed */
  readonly ready: Promise<void>;

  ruleset = $state.raw<Ruleset>({ family: 'ipv4', tables: [] });
  /** the file's lines, for the source view and the text of each rule */
  lines = $state.raw<string[]>([]);
  parseFindings = $state.raw<Finding[]>([]);

  /**
   * The lint starts by itself when something first reads the findings (a view
   * showing them) and runs in the worker; until it is done the findings are
   * the parser's.
   */
  lintState = $state<LintState>('idle');
  lintError = $state<string | null>(null);
  private lintFindings = $state.raw<Finding[] | null>(null);
  private readonly lintJob = new LatestJob<Finding[]>();
  private parseJob: Job<CompactParse> | null = null;
  private lintQueued = false;
  /** the options of the last lint started (a change of lintOptions lints again) */
  private lintFor: LintOptions | null = null;
  /** cancelled after the worker's answer came, before it was taken */
  private parseStopped = false;

  /** a large file's model: the worker's, each rule made here when read */
  private lazy: LazyModel | null = null;
  ruleCount = $derived(
    this.ruleset === this.lazy?.ruleset ? this.lazy.ruleCount : this.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0),
  );
  linted = $derived(this.lintState === 'done');
  #findings = $derived(
    sortFindings(this.lintFindings ?? (this.lintError ? [...this.parseFindings, { code: 'lint-failed', severity: 'warning', line: 0, message: this.lintError }] : this.parseFindings)),
  );
  severities = $derived(severityByLine(this.findings));
  errorCount = $derived(this.findings.filter((f) => f.severity === 'error').length);
  warningCount = $derived(this.findings.filter((f) => f.severity === 'warning').length);
  valid = $derived(!hasErrors(this.findings));
  // rows come from the parse alone: the lint arriving later does not rebuild them (nor the search index)
  /** a large file's rows, built in their own task before the model is shown (so that task is not also the one that renders it) */
  private prebuilt: { ruleset: Ruleset; rows: RuleRows } | null = null;
  table = $derived(
    this.prebuilt?.ruleset === this.ruleset ? this.prebuilt.rows : buildRuleRows(this.ruleset, findUnreadable(this.ruleset, this.parseFindings, this.lines)),
  );
  /** the canonical form, written when the canonical view first asks (in the worker for a large file) */
  private canonical = $state.raw<string[] | null>(null);
  /** the worker is writing the canonical form */
  canonicalPending = $state(false);
  private canonicalJob: Job<string[]> | null = null;

  /**
   * The search over the rules: text and facets. The index is built on the
   * first search: here for a small file (queries run here, in microseconds);
   * in the analysis worker for a large one, handed to the search worker, which
   * answers its queries (the page holds neither the index nor the scan).
   */
  searchText = $state('');
  searchFacets = $state<SearchFacets>({});
  #indexHere = $derived(this.large ? null : buildSearchIndex(this.table.rows, (r) => this.rowText(r)));
  /** a large file's index is in the search worker (what it said of it), or on its way there */
  private indexed = $state.raw<IndexInfo | null>(null);
  private indexJob: Job<SearchIndex> | null = null;
  searching = $derived(this.searchText.trim() !== '' || Object.values(this.searchFacets).some(Boolean));
  #resultHere = $derived.by<SearchResult | null>(() => {
    const ix = this.searching && !this.large ? this.#indexHere : null;
    return ix ? searchRules(ix, { text: this.searchText, facets: this.searchFacets }, (l) => this.severities.get(l)) : null;
  });
  /** the search worker's answer, and the query it answers (a large file) */
  private resultFromWorker = $state.raw<{ key: string; result: SearchResult } | null>(null);
  /** the query last sent to the search worker */
  private askedKey = '';

  /** The search's answer: null when not searching, or before a large file's first answer (the last one stays while the next is on its way). */
  get searchResult(): SearchResult | null {
    if (!this.searching) return null;
    if (!this.large) return this.#resultHere;
    const { query, severities, key } = this.workerQuery();
    if (this.indexed && key !== this.askedKey) {
      this.askedKey = key;
      queueMicrotask(() => void this.ask(key, query, severities));
    }
    return this.resultFromWorker?.result ?? null;
  }

  /** A large file's answer on screen is for an earlier query while the newest is on its way (the summary says it is busy). */
  get searchPending(): boolean {
    if (!this.searching || !this.large) return false;
    return this.resultFromWorker?.key !== this.workerQuery().key;
  }

  /** the query the search worker is asked, and its key (the severities count only when a findings facet is set) */
  private workerQuery(): { query: SearchQuery; severities?: ReadonlyMap<number, Severity>; key: string } {
    const query = { text: this.searchText, facets: $state.snapshot(this.searchFacets) as SearchFacets };
    const severities = query.facets.severity ? this.severities : undefined;
    return { query, severities, key: JSON.stringify(query) + (severities ? `/${this.findings.length}/${this.lintState}` : '') };
  }

  private async ask(key: string, query: SearchQuery, severities?: ReadonlyMap<number, Severity>): Promise<void> {
    const a = await search.query(this.id, query, severities);
    if (a.result) {
      if (this.askedKey === key) this.resultFromWorker = { key, result: a.result };
    } else if (a.missing && this.askedKey === key) {
      // the search worker let the index go (other files came since): build it again
      this.indexed = null;
      this.askedKey = '';
    }
  }

  /** staged rows' marks computed by the worker (a large file) */
  private marksFromWorker = $state.raw<{ base: RulesetDoc; marks: StagedMarks } | null>(null);
  private marksJob: Job<MarksAnswer> | null = null;
  #marksHere = $derived(!this.large && this.staging && this.staging.base !== this ? stagedMarksOf(this.staging.base, this) : null);

  private countersFromWorker = false;

  /** some rule carries counters (the list gives them a column); a large file's answer comes from the worker */
  get hasCounters(): boolean {
    if (this.lazy) return this.countersFromWorker;
    return this.rows.some((r) => (r.kind === 'rule' && r.rule.counters) || (r.kind === 'disabled' && r.disabled.rule.counters));
  }

  /** the targets the rules jump to, for the search's facet (from the search index: no walk over the rules) */
  get targetNames(): string[] {
    if (this.large) {
      this.requestIndex();
      return this.indexed?.targets ?? [];
    }
    const ix = this.#indexHere;
    return ix ? facetValues(ix, 'target') : [];
  }

  /** UI state that belongs to the document: which view, which row is selected */
  view = $state<DocView>('rules');
  selectedRow = $state(-1);

  /** an id for a document the worker is about to make (RulesetSource.made) */
  static reserveId(): number {
    return nextDocId++;
  }

  constructor(src: RulesetSource) {
    this.id = src.made?.id ?? nextDocId++;
    this.name = src.name;
    this.path = src.path;
    this.text = src.text;
    this.family = src.family ?? 'ipv4';
    this.ruleset = { family: this.family, tables: [] };
    this.lineage = src.lineage ?? this.id;
    forget?.register(this, this.id);
    if (src.text.length <= INLINE_PARSE_LIMIT) {
      const t0 = performance.now();
      this.take(parseRuleset(src.text, { family: this.family }));
      this.parseMs = performance.now() - t0;
      this.ready = Promise.resolve();
    } else {
      this.parseState = 'parsing';
      // an edit's result comes with its parse (and is not shown before it is here: no preview)
      if (!src.made) this.showPreview();
      const made = src.made;
      const lines = made?.lines as string[] | undefined;
      this.ready = !made ? this.parseInWorker() : 'patch' in made ? this.takePatch(made.from, made.patch, performance.now(), lines) : this.takeCompact(made.parse, performance.now(), lines);
      // whoever awaits `ready` sees the failure; nobody else has to
      this.ready.catch(() => {});
    }
  }

  /** parsed, indexed and compared in the worker: a file too large for the page's thread */
  get large(): boolean {
    return this.text.length > INLINE_PARSE_LIMIT;
  }

  /** A large file's index is built (in the analysis worker) and handed to the search worker on the first search. */
  private requestIndex(): void {
    if (!this.indexed && !this.indexJob && this.parseState === 'ready') queueMicrotask(() => this.buildIndex());
  }

  /** the search waits for the index */
  get indexing(): boolean {
    if (!this.searching || !this.large) return false;
    this.requestIndex();
    return !this.indexed;
  }

  private buildIndex(): void {
    if (this.indexJob || this.indexed) return;
    const job = analysis.run<SearchIndex>({ kind: 'search-index', doc: this.ref() }, { label: `Indexing ${this.name} for the search`, first: true });
    this.indexJob = job;
    job.promise.then(
      async (ix) => {
        // its arrays go on to the search worker: the page keeps none of it
        const info = await search.install(this.id, ix);
        this.indexJob = null;
        this.indexed = info;
      },
      () => {
        // cancelled (the document went) or failed: asked again on the next search
        this.indexJob = null;
      },
    );
  }

  /**
   * A staged step's rows that are new or changed since the file as opened,
   * and the rules that are gone; null when this is no step, or while the
   * worker compares a large file's.
   */
  get stagedMarks(): StagedMarks | null {
    const base = this.staging?.base;
    if (!base || base === this) return null;
    if (!this.large) return this.#marksHere;
    if (this.marksFromWorker?.base === base) return this.marksFromWorker.marks;
    if (!this.marksJob && this.parseState === 'ready') queueMicrotask(() => this.compareWithBase(base));
    return null;
  }

  private compareWithBase(base: RulesetDoc): void {
    if (this.marksJob || this.marksFromWorker?.base === base) return;
    const job = analysis.run<MarksAnswer>(
      { kind: 'marks', base: base.ref(), cur: this.ref() },
      { label: `Marking the staged changes of ${this.name}` },
    );
    this.marksJob = job;
    job.promise.then(
      (m) => {
        this.marksJob = null;
        this.marksFromWorker = { base, marks: { changed: new Set(m.changed), deleted: m.deleted } };
      },
      () => (this.marksJob = null),
    );
  }

  /** Findings shown for the file: the lint's once it is done, the parser's until then. */
  get findings(): Finding[] {
    if (this.parseState === 'ready' && (this.lintState === 'idle' || (this.lintFor !== this.lintOptions && this.lintState !== 'cancelled'))) this.lintSoon();
    return this.#findings;
  }

  /** The canonical form's lines; empty while the worker writes them (canonicalPending). */
  get canonicalLines(): string[] {
    if (this.canonical) return this.canonical;
    if (this.parseState !== 'ready') return [];
    if (this.text.length <= INLINE_PARSE_LIMIT) return trimLast(canonicalRuleset(this.ruleset).split('\n'));
    if (!this.canonicalJob) queueMicrotask(() => this.writeCanonical());
    return [];
  }

  private writeCanonical(): void {
    if (this.canonicalJob || this.canonical) return;
    const job = analysis.run<string[]>({ kind: 'canonical', doc: this.ref() }, { label: `Writing the canonical form of ${this.name}` });
    this.canonicalJob = job;
    this.canonicalPending = true;
    job.promise.then(
      (lines) => {
        this.canonical = lines;
        this.canonicalPending = false;
      },
      () => {
        // cancelled (or failed): asked again the next time the view opens
        this.canonicalJob = null;
        this.canonicalPending = false;
      },
    );
  }

  /** true while the parse or the lint of this document is running or waiting in the worker */
  get analysing(): boolean {
    return this.parseState === 'parsing' || this.lintState === 'running';
  }

  /** (Re)runs the lint in the worker. */
  lint(): Promise<void> {
    this.lintJob.drop();
    this.lintFor = this.lintOptions;
    const opts = $state.snapshot(this.lintOptions) as LintOptions;
    // a staged step's lint (after an edit: only the chains it can have changed) goes before its marks and index: the findings are what the admin waits for
    const job = analysis.run<Finding[]>({ kind: 'lint', doc: this.ref(), opts }, { label: `Linting ${this.name}`, first: this.staging !== null && this.staging.base !== this });
    this.lintState = 'running';
    this.lintError = null;
    return this.lintJob.start(
      job,
      (found) => {
        this.lintFindings = found;
        this.lintState = 'done';
      },
      (e) => {
        this.lintState = isCancelled(e) ? 'cancelled' : 'failed';
        this.lintError = isCancelled(e) ? null : `the lint stopped: ${(e as Error).message}`;
      },
    );
  }

  /** Stops what the worker is doing for this document (the parse, the lint). */
  cancel(): void {
    if (this.parseState === 'parsing') this.parseStopped = true;
    this.parseJob?.cancel();
    this.lintJob.cancel();
    this.canonicalJob?.cancel();
    this.indexJob?.cancel();
    this.marksJob?.cancel();
  }

  private lintSoon(): void {
    if (this.lintQueued) return;
    this.lintQueued = true;
    // not from inside a $derived or a template: state changes wait for a microtask
    queueMicrotask(() => {
      this.lintQueued = false;
      // a cancelled lint waits for "Lint now"; new options (the host's address) start a new one
      if (this.lintState === 'idle' || (this.lintFor !== this.lintOptions && this.lintState !== 'cancelled')) void this.lint();
    });
  }

  /**
   * The first rules at once: the file's first lines, cut at a line end and
   * closed with a COMMIT, parsed on this thread. Line numbers are the file's,
   * so rows and their text are the ones the whole parse gives; the findings of
   * this cut (a COMMIT too many, say) are not the file's and are not shown.
   */
  private showPreview(): void {
    const cut = this.text.lastIndexOf('\n', PREVIEW_BYTES);
    if (cut <= 0) return;
    const head = this.text.slice(0, cut + 1);
    const p = parseRuleset(`${head}COMMIT\n`, { family: this.family });
    this.ruleset = p.ruleset;
    this.lines = splitLines(head);
    this.preview = true;
  }

  private async parseInWorker(): Promise<void> {
    const t0 = performance.now();
    const job = analysis.run<CompactParse>(
      { kind: 'parse', doc: this.ref() },
      { label: `Reading ${this.name}`, onProgress: (p) => (this.parseProgress = p) },
    );
    this.parseJob = job;
    let compact: CompactParse;
    try {
      compact = await job.promise;
    } catch (e) {
      this.parseState = isCancelled(e) ? 'cancelled' : 'failed';
      this.parseError = isCancelled(e) ? null : (e as Error).message;
      throw e;
    } finally {
      this.parseJob = null;
      this.parseProgress = null;
    }
    await this.takeCompact(compact, t0);
  }

  /** the worker's parse made into the page's model and rows, a task at a time */
  private async takeCompact(compact: CompactParse, t0: number, known?: string[]): Promise<void> {
    try {
      // each step its own task, so input waiting since the last part is answered in between
      await nextTask();
      // the worker keeps the rules; the page makes each one when it is shown
      // the lines are cut from the text when read (100,000 strings are not made here)
      const lines = known ?? lazyLines(this.text);
      await nextTask();
      this.lazy = await LazyModel.build(compact, lines);
      const parsed: ParseResult = { ruleset: this.lazy.ruleset, findings: compact.findings, lines, finalNewline: compact.finalNewline };
      this.countersFromWorker = compact.hasCounters;
      await nextTask();
      this.prebuilt = { ruleset: parsed.ruleset, rows: await rowsOfParseSliced(parsed) };
      await nextTask();
      if (this.parseStopped) throw new AnalysisCancelled(`Reading ${this.name}`);
      this.take(parsed);
      this.parseMs = performance.now() - t0;
    } catch (e) {
      this.parseState = isCancelled(e) ? 'cancelled' : 'failed';
      this.parseError = isCancelled(e) ? null : (e as Error).message;
      throw e;
    }
  }

  /** the model before an edit can be patched with what the worker says the edit changed (ModelPatch) */
  get patchable(): boolean {
    return this.lazy !== null && this.ruleset === this.lazy.ruleset && this.parseState === 'ready';
  }

  /**
   * An edit's model from the model it was made of: the chains it did not
   * touch and their rows are the same objects, only the changed chains'
   * rules and rows are made (the rows of a 100,000-rule file are not built
   * again for one rule).
   */
  private async takePatch(from: RulesetDoc, patch: ModelPatch, t0: number, known?: string[]): Promise<void> {
    try {
      await nextTask();
      const lines = known ?? lazyLines(this.text);
      if (!from.lazy || !from.patchable) throw new Error('the model before the edit is gone');
      this.lazy = LazyModel.patched(from.lazy, patch, lines);
      const parsed: ParseResult = { ruleset: this.lazy.ruleset, findings: patch.findings, lines, finalNewline: patch.finalNewline };
      this.countersFromWorker = patch.hasCounters;
      // no line moved (a rule disabled, enabled or changed in place): the rows' line index is taken over too
      const sameLines = patch.moved === null && lines.length === from.lines.length;
      // …and then only the changed chains' rows are made, in place (a copy of the rest): no walk over every chain
      const inPlace = sameLines && !findUnreadable(parsed.ruleset, parsed.findings, lines).length ? await patchRuleRows(from.table, from.ruleset, parsed.ruleset, patch.chains) : null;
      this.prebuilt = { ruleset: parsed.ruleset, rows: inPlace ?? (await rowsOfParseSliced(parsed, from.table, sameLines)) };
      await nextTask();
      if (this.parseStopped) throw new AnalysisCancelled(`Reading ${this.name}`);
      this.take(parsed);
      this.parseMs = performance.now() - t0;
    } catch (e) {
      this.parseState = isCancelled(e) ? 'cancelled' : 'failed';
      this.parseError = isCancelled(e) ? null : (e as Error).message;
      throw e;
    }
  }

  private take(parsed: ParseResult): void {
    this.lines = parsed.lines;
    this.ruleset = parsed.ruleset;
    this.parseFindings = parsed.findings;
    this.finalNewline = parsed.finalNewline;
    this.parseState = 'ready';
    this.preview = false;
  }

  /** the document as the analysis worker reads it */
  ref(): DocRef {
    return { id: this.id, text: this.text, family: this.family };
  }

  /** the parse as the core's writers and recipes take it (the same objects, nothing copied) */
  asParseResult(): ParseResult {
    return { ruleset: this.ruleset, findings: this.parseFindings, lines: this.lines, finalNewline: this.finalNewline };
  }

  get rows(): RuleRow[] {
    return this.table.rows;
  }

  /** Text for a rule row: what the admin wrote, or the canonical body when one line made several rules. */
  rowText(row: RuleRow): string {
    return rowText(row, this.lines);
  }

  canonicalOf(row: RuleRow): string {
    if (row.kind === 'rule') return canonicalRule(row.chain.name, row.rule);
    if (row.kind === 'disabled') return canonicalRule(row.chain.name, row.disabled.rule);
    return '';
  }

  findingsOnLine(line: number): Finding[] {
    return line ? this.findings.filter((f) => f.line === line) : [];
  }

  /** Where a finding's line is shown: its rule (or chain/table header) if it has one, else the source line. */
  locate(line: number): { view: DocView; index: number } | null {
    if (line <= 0) return null;
    const row = this.table.rowOfLine.get(line);
    if (row !== undefined) return { view: 'rules', index: row };
    if (line <= this.lines.length) return { view: 'source', index: line - 1 };
    return null;
  }
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** the lines as the parser makes them: split at \n, without the empty one after a final newline */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function trimLast(lines: string[]): string[] {
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
