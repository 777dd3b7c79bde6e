// One host in the UI: its connection and facts, the saved and running rulesets
// from the last pull, and the PROPOSED ruleset — the working copy the admin
// edits (recipes, text) and finally applies. The three-way comparison and the
// findings of the proposal (checked for a new SSH connection from the address
// the server sees us at) come from the core's lint, run in the analysis worker
// each time the proposal or the connection changes.
import type {
  ApplyResultDto,
  AuditEntryDto,
  ConnectionState,
  FwApi,
  FwError,
  FwEvent,
  Message,
  HostConnectionInfo,
  HostProfile,
  HostVersionDto,
  PullDto,
} from '../../../src-main/contract/index.js';
import { driftFromChanges, mergeLiveOnly, writePreserving, type Drift, type Finding } from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, type Job } from '../analysis/client.js';
import { DiffSession } from './diff-session.svelte.js';
import { RulesetDoc } from './ruleset-doc.svelte.js';
import type { ProposalDrafts } from './drafts.js';

export type HostPane = 'overview' | 'compare' | 'recipes' | 'apply' | 'history';
/** what the proposal was last made from (edits on top of it set `edited`) */
export type ProposalBase = 'saved' | 'running' | 'merged' | 'history' | 'restored';
export type ComparePair = 'saved-running' | 'running-proposed' | 'saved-proposed';

export const PAIRS: { id: ComparePair; left: 'saved' | 'running'; right: 'running' | 'proposed'; label: string }[] = [
  { id: 'running-proposed', left: 'running', right: 'proposed', label: 'Running → Proposed' },
  { id: 'saved-proposed', left: 'saved', right: 'proposed', label: 'Saved → Proposed' },
  { id: 'saved-running', left: 'saved', right: 'running', label: 'Saved → Running' },
];

export interface ApplyStep {
  step: string;
  message: string;
  /** the message as data (durations, instants, names as values) */
  parts: Message;
  level: 'info' | 'warn';
  at: number;
}

/** One apply, from the click to its outcome. */
export class ApplyRun {
  id = $state<string | null>(null);
  steps = $state.raw<ApplyStep[]>([]);
  ask = $state.raw<{ summary: string; confirmBy: number; hostRevertAt: number } | null>(null);
  /** the admin answered; waiting for the apply to go on */
  answered = $state<'keep' | 'revert' | null>(null);
  result = $state.raw<ApplyResultDto | null>(null);
  error = $state.raw<FwError | null>(null);
  readonly startedAt = Date.now();
  /** @param proposedText the proposal this run applies (a later edit makes a new one to apply) */
  constructor(readonly proposedText = '') {}
  get running(): boolean {
    return !this.result && !this.error;
  }

  /**
   * Where a running apply stands once the rules are live: testing a new SSH
   * connection, asking the admin, or going back (no new connection got in).
   */
  phase = $derived.by<'probing' | 'asking' | 'failing' | null>(() => {
    if (this.result || this.error) return null;
    if (this.steps.some((s) => s.step === 'revert' || s.step === 'await-timer')) return 'failing';
    if (this.ask) return 'asking';
    return this.steps.some((s) => s.step === 'restore') ? 'probing' : null;
  });

  /** When the host puts the previous rules back by itself (epoch ms): the deadline the host owns, as main reported it. */
  hostRevertAt = $derived.by<number | null>(() => {
    if (this.ask) return this.ask.hostRevertAt;
    for (const name of ['await-timer', 'restore']) {
      const step = this.steps.findLast((s) => s.step === name);
      const at = step?.parts.find((p): p is { at: number } => 'at' in p);
      if (at) return at.at;
    }
    return null;
  });

  /** the one reason the rules are going back, as main said it */
  failure = $derived(this.steps.findLast((s) => s.step === 'revert' || s.step === 'await-timer') ?? null);
}

export class HostWorkspace {
  profile = $state.raw<HostProfile>() as HostProfile;
  connection = $state<ConnectionState>('disconnected');
  error = $state.raw<FwError | null>(null);
  info = $state.raw<HostConnectionInfo | null>(null);
  pulled = $state.raw<PullDto | null>(null);
  saved = $state.raw<RulesetDoc | null>(null);
  running = $state.raw<RulesetDoc | null>(null);
  proposed = $state.raw<RulesetDoc | null>(null);
  /** the proposal differs from what it was made from by the admin's own edits */
  edited = $state(false);
  /** what the proposal started from */
  base = $state<ProposalBase>('saved');
  pane = $state<HostPane>('overview');
  pair = $state<ComparePair>('running-proposed');
  busy = $state<string | null>(null);
  apply = $state.raw<ApplyRun | null>(null);
  history = $state.raw<AuditEntryDto[]>([]);
  /** every version of the host's rules kept on the laptop, newest first */
  versions = $state.raw<HostVersionDto[]>([]);
  /** two kept versions (or one and the running rules) side by side in the History pane */
  versionDiff = new DiffSession();
  versionPair = $state.raw<{ left: HostVersionDto; right: HostVersionDto | null; leftName: string; rightName: string } | null>(null);
  /** one line that says what just happened ("Added 3 rules of dos-limit") */
  note = $state<string | null>(null);

  readonly diffs: Record<ComparePair, DiffSession> = {
    'saved-running': new DiffSession(),
    'running-proposed': new DiffSession(),
    'saved-proposed': new DiffSession(),
  };

  /** the address the server sees us at, and the port we reach its sshd on */
  client = $derived(this.info?.facts.clientAddress);
  sshPort = $derived(this.info?.hostKey.hop.port ?? 22);

  /** Lint of the proposal with --client: an ssh-lockout shows here before anything is pushed. */
  findings = $state.raw<Finding[]>([]);
  /** the lint of the current proposal is still running (findings are the previous ones, or none) */
  findingsPending = $state(false);
  private lintJob: Job<Finding[]> | null = null;
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

  /** the proposal came back from before a page reload (browser mode) */
  private restored = false;

  constructor(
    profile: HostProfile,
    private readonly fw: FwApi,
    private readonly drafts: ProposalDrafts | null = null,
  ) {
    this.profile = profile;
    const draft = drafts?.load(profile.id);
    if (draft) {
      this.proposed = new RulesetDoc({ name: `proposed for ${profile.name}`, text: draft.text });
      this.edited = true;
      this.restored = true;
      const at = new Date(draft.savedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
      this.relint();
      this.note = `Your edited proposal (last changed ${at}) was restored after the page reloaded. Connect to compare it with the host; Reset proposal starts again from what the host has.`;
    }
  }

  async connect(): Promise<void> {
    this.error = null;
    this.note = null;
    this.connection = 'connecting';
    this.cancelling = false;
    const r = await this.fw.connectHost(this.profile.id);
    if (!r.ok) {
      this.connection = 'disconnected';
      // a cancel the admin asked for is not an error to show
      if (r.error.code === 'cancelled' || this.cancelling) this.note = `Connecting to ${this.profile.name} was cancelled.`;
      else this.error = r.error;
      this.cancelling = false;
      return;
    }
    this.info = r.value;
    this.connection = 'connected';
    // a proposal the admin worked on survives a dropped or closed connection
    const kept = this.edited && !!this.proposed;
    await this.pull({ keepProposal: kept });
    if (kept && this.pulled)
      this.note = this.restored
        ? 'Your edited proposal from before the page reloaded was restored; Reset proposal starts again from what the host has now.'
        : 'Your proposed ruleset was kept; Reset proposal starts again from what the host has now.';
    this.restored = false;
    void this.loadHistory();
  }

  /** Gives up on the connect in progress (main closes its prompts and the half-open session). */
  async cancelConnect(): Promise<void> {
    if (this.connection !== 'connecting') return;
    this.cancelling = true;
    await this.fw.disconnectHost(this.profile.id);
  }
  private cancelling = false;

  async disconnect(): Promise<void> {
    await this.fw.disconnectHost(this.profile.id);
    this.connection = 'disconnected';
  }

  /** Reads the saved file and the running rules; the proposal starts as the saved file (else the running rules). */
  async pull(opts: { keepProposal?: boolean } = {}): Promise<void> {
    this.busy = 'Reading the saved and running rules…';
    try {
      const r = await this.fw.pullHost(this.profile.id);
      if (!r.ok) {
        this.error = r.error;
        if (r.error.code === 'not-connected') this.connection = 'disconnected';
        return;
      }
      this.error = null;
      const p = r.value;
      this.pulled = p;
      const host = this.profile.name;
      this.saved = p.saved.present && p.saved.ok ? new RulesetDoc({ name: `saved on ${host}`, path: p.saved.source, text: p.saved.text }) : null;
      this.running = p.live.ok ? new RulesetDoc({ name: `running on ${host}`, path: p.live.source, text: p.live.text }) : null;
      if (!opts.keepProposal || !this.proposed) this.resetProposal();
      else this.rewire();
      // the pull is kept as versions in main: the History pane lists it
      void this.loadHistory();
      // a large file is read in the worker: the note stays until its rules are here
      await Promise.allSettled([this.saved?.ready, this.running?.ready, this.proposed?.ready]);
    } finally {
      this.busy = null;
    }
  }

  /** Back to what is on the host: the saved file (or the running rules when the admin started from them, or there is no file). */
  resetProposal(): void {
    this.startFrom((this.base === 'running' && this.running) || !this.saved ? 'running' : 'saved');
  }

  /** A fresh proposal from the saved file or from the running rules (the admin's edits are dropped). */
  startFrom(which: 'saved' | 'running'): void {
    const base = which === 'saved' ? this.saved : this.running;
    this.proposed = base ? new RulesetDoc({ name: `proposed for ${this.profile.name}`, text: base.text }) : null;
    this.base = which;
    this.edited = false;
    this.drafts?.clear(this.profile.id);
    this.rewire();
  }

  /** Puts the running rules the saved file lacks into the proposal, where they run; the admin's edits stay. */
  mergeLiveRules(): void {
    if (!this.proposed || !this.saved || !this.running) return;
    const { ruleset, added } = mergeLiveOnly(this.proposed.ruleset, this.saved.ruleset, this.running.ruleset);
    if (added === 0) return;
    const text = writePreserving(this.proposed.asParseResult(), ruleset);
    this.setProposal(text, `Merged ${added} running rule${added === 1 ? '' : 's'} the saved file lacks into the proposal; applying keeps ${added === 1 ? 'it' : 'them'}.`);
    this.base = 'merged';
  }

  setProposal(text: string, note?: string): void {
    this.proposed = new RulesetDoc({ name: `proposed for ${this.profile.name}`, text });
    this.edited = true;
    this.note = note ?? null;
    this.drafts?.save(this.profile.id, text);
    this.rewire();
  }

  private rewire(): void {
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
    this.lintJob?.cancel();
    this.lintJob = null;
    const doc = this.proposed;
    if (!doc) {
      this.findings = [];
      this.findingsPending = false;
      return;
    }
    const local = this.info?.facts.serverAddress ? [this.info.facts.serverAddress] : undefined;
    const opts = this.client ? { client: this.client, sshPort: this.sshPort, local } : {};
    const job = analysis.run<Finding[]>({ kind: 'lint', doc: { id: doc.id, text: doc.text }, opts }, { label: `Checking the proposal for ${this.profile.name}` });
    this.lintJob = job;
    this.findingsPending = true;
    job.promise.then(
      (found) => {
        if (this.lintJob !== job) return;
        this.lintJob = null;
        this.findings = found;
        this.findingsPending = false;
      },
      (e: unknown) => {
        if (this.lintJob !== job) return;
        this.lintJob = null;
        this.findingsPending = false;
        this.findings = isCancelled(e) ? [] : [{ code: 'lint-failed', severity: 'warning', line: 0, message: `the lint stopped: ${(e as Error).message}` }];
      },
    );
  }

  /** Stops the analyses running for this host (the proposal's lint, the comparisons). */
  cancelAnalysis(): void {
    this.lintJob?.cancel();
    for (const d of Object.values(this.diffs)) d.cancel();
    for (const doc of [this.saved, this.running, this.proposed]) doc?.cancel();
  }

  async loadHistory(): Promise<void> {
    const [r, v] = await Promise.all([this.fw.hostHistory(this.profile.id), this.fw.hostVersions(this.profile.id)]);
    if (r.ok) this.history = r.value;
    if (v.ok) this.versions = v.value;
  }

  private async versionDoc(v: HostVersionDto): Promise<RulesetDoc | null> {
    const r = await this.fw.hostVersion(this.profile.id, v.id);
    if (!r.ok) {
      this.error = r.error;
      return null;
    }
    return new RulesetDoc({ name: versionName(v), text: r.value.text });
  }

  /** Shows two kept versions side by side (`right` null: the version against the running rules). */
  async compareVersions(left: HostVersionDto, right: HostVersionDto | null): Promise<void> {
    const [a, b] = await Promise.all([this.versionDoc(left), right ? this.versionDoc(right) : Promise.resolve(this.running)]);
    if (!a || !b) {
      if (!right && !this.running) this.note = 'Connect and pull to compare with the running rules.';
      return;
    }
    this.versionDiff.left = a;
    this.versionDiff.right = b;
    this.versionDiff.selectedRow = -1;
    this.versionPair = { left, right, leftName: a.name, rightName: right ? b.name : 'running rules (last pull)' };
  }

  closeVersionCompare(): void {
    this.versionPair = null;
    this.versionDiff.left = null;
    this.versionDiff.right = null;
  }

  /** A kept version becomes the proposal; it goes to the host only through the safe apply. */
  async useVersion(v: HostVersionDto): Promise<void> {
    const r = await this.fw.hostVersion(this.profile.id, v.id);
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.setProposal(r.value.text, `The proposal is now ${versionName(v)}. Review the changes to the running rules, then apply it.`);
    this.base = 'history';
    this.closeVersionCompare();
    this.pair = 'running-proposed';
    this.pane = 'compare';
  }

  async startApply(confirmTimeoutS: number, force: boolean): Promise<void> {
    if (!this.proposed || this.apply?.running) return;
    const run = new ApplyRun(this.proposed.text);
    this.apply = run;
    const p = this.pulled;
    const r = await this.fw.startApply(this.profile.id, {
      text: this.proposed.text,
      name: `proposed ruleset (${this.profile.name})`,
      confirmTimeoutS,
      force,
      base: p ? { takenAt: p.takenAt, savedSha256: p.saved.present ? p.saved.sha256 : undefined, liveRulesSha256: p.live.ok ? p.live.rulesSha256 : undefined } : null,
    });
    if (!r.ok) run.error = r.error;
    else run.id = r.value.applyId;
  }

  async answer(keep: boolean): Promise<void> {
    const run = this.apply;
    if (!run?.id || !run.ask || run.answered) return;
    run.answered = keep ? 'keep' : 'revert';
    const r = await this.fw.answerApply(run.id, keep);
    if (!r.ok) run.error = r.error;
  }

  /** events about this host */
  onEvent(e: FwEvent): void {
    switch (e.kind) {
      case 'connection':
        if (e.state === 'disconnected' && this.connection === 'connected') {
          this.connection = 'disconnected';
          if (e.message) this.note = e.message;
        }
        return;
      case 'apply-progress':
      case 'apply-ask':
      case 'apply-done': {
        const run = this.apply;
        if (!run || (run.id && run.id !== e.applyId)) return;
        run.id ??= e.applyId;
        if (e.kind === 'apply-progress') run.steps = [...run.steps, { step: e.step, message: e.message, parts: e.parts, level: e.level, at: e.at }];
        else if (e.kind === 'apply-ask') run.ask = { summary: e.summary, confirmBy: e.confirmBy, hostRevertAt: e.hostRevertAt };
        else {
          run.result = e.result;
          run.ask = null;
          void this.afterApply(e.result);
        }
        return;
      }
      default:
        return;
    }
  }

  private async afterApply(result: ApplyResultDto): Promise<void> {
    await this.loadHistory();
    // the host changed (or was put back): show what it holds now, keep the admin's proposal
    if (result.outcome === 'confirmed' || result.outcome === 'reverted') await this.pull({ keepProposal: true });
    if (result.outcome === 'confirmed') {
      this.edited = false;
      this.drafts?.clear(this.profile.id);
      this.note = null;
    }
  }
}

const KIND_WORD: Record<HostVersionDto['kind'], string> = { saved: 'saved file', running: 'running rules', applied: 'applied ruleset' };

/** "saved file of 14:02:11, 4 Dec" — what a version is called in titles and notes. */
export function versionName(v: HostVersionDto): string {
  const d = new Date(v.at);
  const when = `${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })}, ${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
  return `${KIND_WORD[v.kind]} of ${when}`;
}
