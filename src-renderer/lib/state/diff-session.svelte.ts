// Two rulesets side by side. The comparison is the core's semantic diff
// (canonical rule text per chain, moves and replaces recognised), computed in
// the analysis worker whenever one side changes; a new side cancels the
// comparison still running for the old pair.
import type { ChainDiff, DiffRow, RulesetDiff } from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, type Job } from '../analysis/client.js';
import type { RulesetDoc } from './ruleset-doc.svelte.js';

type DiffViewRow = { kind: 'chain'; chain: ChainDiff } | { kind: 'row'; chain: ChainDiff; row: DiffRow };
type DiffState = 'none' | 'running' | 'done' | 'cancelled' | 'failed';

export class DiffSession {
  #left = $state.raw<RulesetDoc | null>(null);
  #right = $state.raw<RulesetDoc | null>(null);
  onlyChanges = $state(true);
  selectedRow = $state(-1);

  /** THE diff call site (src-main/core/diff.ts, in the worker); null until both sides are there and compared */
  diff = $state.raw<RulesetDiff | null>(null);
  state = $state<DiffState>('none');
  error = $state<string | null>(null);
  private job: Job<RulesetDiff> | null = null;

  get left(): RulesetDoc | null {
    return this.#left;
  }
  set left(doc: RulesetDoc | null) {
    if (doc === this.#left) return;
    this.#left = doc;
    this.compare();
  }
  get right(): RulesetDoc | null {
    return this.#right;
  }
  set right(doc: RulesetDoc | null) {
    if (doc === this.#right) return;
    this.#right = doc;
    this.compare();
  }

  rows = $derived(this.diff ? flattenDiff(this.diff, this.onlyChanges) : []);

  summary = $derived.by(() => {
    const s = { add: 0, delete: 0, replace: 0, move: 0, policy: 0, chains: 0 };
    for (const c of this.diff?.changes ?? []) {
      if (c.op === 'chain-add' || c.op === 'chain-delete') s.chains++;
      else s[c.op]++;
    }
    return s;
  });

  changeCount = $derived(this.diff?.changes.length ?? 0);

  /** Compares the two sides again (after a cancel, say). */
  compare(): void {
    this.job?.cancel();
    this.job = null;
    this.diff = null;
    this.error = null;
    const a = this.#left;
    const b = this.#right;
    if (!a || !b) {
      this.state = 'none';
      return;
    }
    const job = analysis.run<RulesetDiff>(
      { kind: 'diff', left: a.ref(), right: b.ref() },
      { label: `Comparing ${a.name} with ${b.name}` },
    );
    this.job = job;
    this.state = 'running';
    job.promise.then(
      (d) => {
        if (this.job !== job) return;
        this.job = null;
        this.diff = d;
        this.state = 'done';
      },
      (e: unknown) => {
        if (this.job !== job) return;
        this.job = null;
        this.state = isCancelled(e) ? 'cancelled' : 'failed';
        this.error = isCancelled(e) ? null : (e as Error).message;
      },
    );
  }

  cancel(): void {
    this.job?.cancel();
  }
}

function flattenDiff(d: RulesetDiff, onlyChanges: boolean): DiffViewRow[] {
  const out: DiffViewRow[] = [];
  for (const chain of d.chains) {
    if (onlyChanges && chain.status === 'same') continue;
    out.push({ kind: 'chain', chain });
    for (const row of chain.rows) if (!onlyChanges || row.kind !== 'same') out.push({ kind: 'row', chain, row });
  }
  return out;
}
