// One firewall of a host — IPv4 (iptables) or IPv6 (ip6tables): the saved
// file and the running rules from the last pull, the proposal the admin edits
// for it, the three comparisons between them and the proposal's findings. A
// host holds two of these; its screens show the one the family switch picks.
import type { PulledFileDto } from '../../../src-main/contract/index.js';
import { driftFromChanges, mergeLiveOnly, writePreserving, type Drift, type Family, type Finding, type LintOptions } from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, LatestJob } from '../analysis/client.js';
import { DiffSession } from './diff-session.svelte.js';
import { RulesetDoc } from './ruleset-doc.svelte.js';
import type { ProposalDrafts } from './drafts.js';
import { FAMILY_NAME } from './family.js';

/** what the proposal was last made from (edits on top of it set `edited`) */
type ProposalBase = 'saved' | 'running' | 'merged' | 'history' | 'restored';
export type ComparePair = 'saved-running' | 'running-proposed' | 'saved-proposed';

export const PAIRS: { id: ComparePair; left: 'saved' | 'running'; right: 'running' | 'proposed'; label: string }[] = [
  { id: 'running-proposed', left: 'running', right: 'proposed', label: 'Running → Proposed' },
  { id: 'saved-proposed', left: 'saved', right: 'proposed', label: 'Saved → Proposed' },
  { id: 'saved-running', left: 'saved', right: 'running', label: 'Saved → Running' },
];

/** What a family's rulesets need from their host. */
interface FamilyHost {
  readonly id: string;
  readonly name: string;
  /** lint options for this family's proposal: the SSH check for the address the host sees us at */
  lintOptions(family: Family): LintOptions;
}

export class FamilyRules {
  saved = $state.raw<RulesetDoc | null>(null);
  running = $state.raw<RulesetDoc | null>(null);
  proposed = $state.raw<RulesetDoc | null>(null);
  /** the proposal differs from what it was made from by the admin's own edits */
  edited = $state(false);
  /** what the proposal started from */
  base = $state<ProposalBase>('saved');
  /** the host has this firewall: a saved file or running rules were read for it */
  present = $state(false);

  readonly diffs: Record<ComparePair, DiffSession> = {
    'saved-running': new DiffSession(),
    'running-proposed': new DiffSession(),
    'saved-proposed': new DiffSession(),
  };

  /** Lint of the proposal with --client: an ssh-lockout shows here before anything is pushed. */
  findings = $state.raw<Finding[]>([]);
  /** the lint of the current proposal is still running (findings are the previous ones, or none) */
  findingsPending = $state(false);
  private readonly lintJob = new LatestJob<Finding[]>();
  errorCount = $derived(this.findings.filter((f) => f.severity === 'error').length);
  warningCount = $derived(this.findings.filter((f) => f.severity === 'warning').length);
  lockout = $derived(this.findings.find((f) => f.code === 'ssh-lockout') ?? null);
  /**
   * Saved file ≠ running rules: which rules run that the saved file lacks, and
   * which of those the proposal would remove when applied. Null without both.
   */
  drift = $derived.by<Drift | null>(() => {
    // from the comparisons the worker made: nothing is canonicalized again on this thread
    const sr = this.saved && this.running ? this.diffs['saved-running'].diff : null;
    if (!sr) return null;
    return driftFromChanges(sr.changes, this.proposed ? (this.diffs['running-proposed'].diff?.changes ?? null) : null);
  });
  /** the drift's "applying removes them" is known (the running → proposed comparison is done) */
  driftChecked = $derived(!!this.proposed && !!this.diffs['running-proposed'].diff);
  /** changes the apply would make to the running rules */
  pending = $derived(this.diffs['running-proposed'].changeCount);

  constructor(
    readonly family: Family,
    private readonly host: FamilyHost,
    private readonly drafts: ProposalDrafts | null,
  ) {}

  /** where this family's draft is kept: IPv4 under the host's id, as before IPv6 existed */
  private get draftKey(): string {
    return this.family === 'ipv4' ? this.host.id : `${this.host.id}.ipv6`;
  }
  private get label(): string {
    return this.family === 'ipv4' ? this.host.name : `${this.host.name} (${FAMILY_NAME[this.family]})`;
  }

  /** a proposal kept from before a page reload; returns when it was last changed */
  restoreDraft(): number | null {
    const draft = this.drafts?.load(this.draftKey);
    if (!draft) return null;
    this.proposed = this.doc(`proposed for ${this.label}`, draft.text);
    this.edited = true;
    this.base = 'restored';
    this.present = true;
    this.relint();
    return draft.savedAt;
  }

  /** Takes what a pull read for this family; the proposal starts again from it unless `keepProposal`. */
  take(saved: PulledFileDto | undefined, running: PulledFileDto | undefined, keepProposal: boolean): void {
    this.saved = saved?.present && saved.ok ? this.doc(`saved on ${this.label}`, saved.text, saved.source) : null;
    // no ip6tables-save on the host, or no IPv6 table loaded: there are no running IPv6 rules to show
    const hasRunning = !!running?.ok && (this.family === 'ipv4' || running.text.trim() !== '');
    this.running = hasRunning ? this.doc(`running on ${this.label}`, running!.text, running!.source) : null;
    this.present = !!this.saved || !!this.running;
    if (!keepProposal || !this.proposed) this.resetProposal();
    else this.rewire();
  }

  /** Back to what is on the host: the saved file (or the running rules when the admin started from them, or there is no file). */
  resetProposal(): void {
    this.startFrom((this.base === 'running' && this.running) || !this.saved ? 'running' : 'saved');
  }

  /** A fresh proposal from the saved file or from the running rules (the admin's edits are dropped). */
  startFrom(which: 'saved' | 'running'): void {
    const base = which === 'saved' ? this.saved : this.running;
    this.proposed = base ? this.doc(`proposed for ${this.label}`, base.text) : null;
    this.base = which;
    this.edited = false;
    this.drafts?.clear(this.draftKey);
    this.rewire();
  }

  /** Puts the running rules the saved file lacks into the proposal, where they run; returns how many. */
  mergeLiveRules(): number {
    if (!this.proposed || !this.saved || !this.running) return 0;
    const { ruleset, added } = mergeLiveOnly(this.proposed.ruleset, this.saved.ruleset, this.running.ruleset);
    if (added === 0) return 0;
    this.setProposal(writePreserving(this.proposed.asParseResult(), ruleset));
    this.base = 'merged';
    return added;
  }

  setProposal(text: string): void {
    this.proposed = this.doc(`proposed for ${this.label}`, text);
    this.edited = true;
    this.present = true;
    this.drafts?.save(this.draftKey, text);
    this.rewire();
  }

  /** the admin's edits went to the host (kept there): nothing to restore after a reload */
  settled(): void {
    this.edited = false;
    this.drafts?.clear(this.draftKey);
  }

  rewire(): void {
    this.relint();
    const doc = (w: 'saved' | 'running' | 'proposed') => (w === 'saved' ? this.saved : w === 'running' ? this.running : this.proposed);
    for (const p of PAIRS) {
      this.diffs[p.id].left = doc(p.left);
      this.diffs[p.id].right = doc(p.right);
      this.diffs[p.id].selectedRow = -1;
    }
  }

  /** Lints the proposal in the worker (with the address the server sees us at, once connected). */
  relint(): void {
    this.lintJob.drop();
    const doc = this.proposed;
    if (!doc) {
      this.findings = [];
      this.findingsPending = false;
      return;
    }
    const job = analysis.run<Finding[]>({ kind: 'lint', doc: doc.ref(), opts: this.host.lintOptions(this.family) }, { label: `Checking the proposal for ${this.label}` });
    this.findingsPending = true;
    void this.lintJob.start(
      job,
      (found) => {
        this.findings = found;
        this.findingsPending = false;
      },
      (e) => {
        this.findingsPending = false;
        this.findings = isCancelled(e) ? [] : [{ code: 'lint-failed', severity: 'warning', line: 0, message: `the lint stopped: ${(e as Error).message}` }];
      },
    );
  }

  /** Stops the analyses running for this family (the proposal's lint, the comparisons, the parses). */
  cancel(): void {
    this.lintJob.cancel();
    for (const d of Object.values(this.diffs)) d.cancel();
    for (const doc of [this.saved, this.running, this.proposed]) doc?.cancel();
  }

  holds(doc: RulesetDoc): boolean {
    return this.saved === doc || this.running === doc || this.proposed === doc;
  }

  private doc(name: string, text: string, path?: string): RulesetDoc {
    return new RulesetDoc({ name, text, path, family: this.family });
  }
}
