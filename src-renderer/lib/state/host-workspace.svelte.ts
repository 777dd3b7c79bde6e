// One host in the UI: its connection and facts, and its two firewalls — IPv4
// (iptables) and IPv6 (ip6tables) — each with the saved and running rulesets
// from the last pull and the PROPOSED ruleset, the working copy the admin
// edits (recipes, text) and finally applies (host-family.svelte.ts). The
// screens show the family the switch picks (remembered per host); the
// findings across the pair (a port one family closes and the other leaves
// open) come from the core's lintPair over both proposals, in the worker.
import type {
  ApplyRequest,
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
import type { Family, LintOptions, PairFinding } from '../../../src-main/core/index.js';
import { analysis } from '../analysis/activity.svelte.js';
import { isCancelled, LatestJob } from '../analysis/client.js';
import { DiffSession } from './diff-session.svelte.js';
import { RulesetDoc } from './ruleset-doc.svelte.js';
import type { ProposalDrafts } from './drafts.js';
import { FamilyRules, type ComparePair } from './host-family.svelte.js';
import { FAMILY_NAME, type FamilyMemory } from './family.js';
import { lockoutLintOptions, lockoutNote } from './lockout-inputs.js';

export { PAIRS, type ComparePair } from './host-family.svelte.js';
export type HostPane = 'overview' | 'compare' | 'recipes' | 'apply' | 'history';

interface ApplyStep {
  step: string;
  message: string;
  /** the message as data (durations, instants, names as values) */
  parts: Message;
  level: 'info' | 'warn';
  at: number;
}

/** One apply, from the click to its outcome. */
class ApplyRun {
  id = $state<string | null>(null);
  steps = $state.raw<ApplyStep[]>([]);
  ask = $state.raw<{ summary: string; confirmBy: number; hostRevertAt: number } | null>(null);
  /** the admin answered; waiting for the apply to go on */
  answered = $state<'keep' | 'revert' | null>(null);
  result = $state.raw<ApplyResultDto | null>(null);
  error = $state.raw<FwError | null>(null);
  readonly startedAt = Date.now();
  /** @param proposedText the proposals this run applies, as HostWorkspace.proposalKey (a later edit makes a new one to apply) */
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

  /** the host's two firewalls */
  readonly families: Record<Family, FamilyRules>;
  /** which firewall the host's screens show */
  family = $state<Family>('ipv4');
  /** the firewall shown: its rulesets, comparisons and findings */
  get side(): FamilyRules {
    return this.families[this.family];
  }

  /** the address the server sees us at, and the port we reach its sshd on */
  client = $derived(this.info?.facts.clientAddress);
  sshPort = $derived(this.info?.hostKey.hop.port ?? 22);

  /** findings across the two proposals (lintPair): what one family closes and the other leaves open */
  pairFindings = $state.raw<PairFinding[]>([]);
  pairPending = $state(false);
  private readonly pairJob = new LatestJob<PairFinding[]>();

  /** the proposal came back from before a page reload (browser mode) */
  private restored = false;

  constructor(
    profile: HostProfile,
    private readonly fw: FwApi,
    drafts: ProposalDrafts | null = null,
    private readonly memory: FamilyMemory | null = null,
  ) {
    this.profile = profile;
    const host = { id: profile.id, name: profile.name, lintOptions: (f: Family) => this.lintOptions(f) };
    this.families = { ipv4: new FamilyRules('ipv4', host, drafts), ipv6: new FamilyRules('ipv6', host, drafts) };
    this.family = memory?.load(profile.id) ?? 'ipv4';
    const at = Math.max(this.families.ipv4.restoreDraft() ?? 0, this.families.ipv6.restoreDraft() ?? 0);
    if (at) {
      this.restored = true;
      const when = new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
      this.note = `Your edited proposal (last changed ${when}) was restored after the page reloaded. Connect to compare it with the host; Reset proposal starts again from what the host has.`;
    }
  }

  /** Shows the other firewall (the choice is kept for this host). */
  setFamily(f: Family): void {
    this.family = f;
    this.memory?.save(this.profile.id, f);
  }

  // the shown family's rulesets, comparisons and findings (the views read these)
  get saved(): RulesetDoc | null {
    return this.side.saved;
  }
  get running(): RulesetDoc | null {
    return this.side.running;
  }
  get proposed(): RulesetDoc | null {
    return this.side.proposed;
  }
  get edited(): boolean {
    return this.side.edited;
  }
  get base() {
    return this.side.base;
  }
  set base(b) {
    this.side.base = b;
  }
  get diffs() {
    return this.side.diffs;
  }
  get findings() {
    return this.side.findings;
  }
  get findingsPending(): boolean {
    return this.side.findingsPending;
  }
  get errorCount(): number {
    return this.side.errorCount;
  }
  get warningCount(): number {
    return this.side.warningCount;
  }
  get lockout() {
    return this.side.lockout;
  }
  get drift() {
    return this.side.drift;
  }
  get driftChecked(): boolean {
    return this.side.driftChecked;
  }
  get pending(): number {
    return this.side.pending;
  }
  /** changes the apply would make, both families together */
  get pendingBoth(): number {
    return this.families.ipv4.pending + this.families.ipv6.pending;
  }
  /** either family's proposal carries the admin's edits */
  get editedAny(): boolean {
    return this.families.ipv4.edited || this.families.ipv6.edited;
  }

  /**
   * The families an apply sends: each whose proposal would change its running
   * rules or its saved file (main leaves an unchanged family alone anyway).
   * IPv4 also when nothing changes at all, as before: applying an unchanged
   * proposal saves the running rules.
   */
  get applyFamilies(): Family[] {
    const changes = (f: FamilyRules) => !!f.proposed && (f.pending > 0 || f.diffs['saved-proposed'].changeCount > 0);
    const out = (['ipv4', 'ipv6'] as const).filter((f) => changes(this.families[f]));
    return out.length || !this.families.ipv4.proposed ? out : ['ipv4'];
  }

  /** both proposals' texts as one: a later edit of either makes a new proposal to apply */
  get proposalKey(): string {
    return `${this.families.ipv4.proposed?.text ?? ''}\u0000${this.families.ipv6.proposed?.text ?? ''}`;
  }

  /** The lint options of a family's proposal: the SSH lockout check with what the apply's check gets (lockout-inputs.ts). */
  lintOptions(f: Family): LintOptions {
    return this.info ? lockoutLintOptions(this.info, f, this.sshPort) : {};
  }

  /** What the lockout check of family f's proposal is about, in words (the findings panel says it). */
  lockoutNote(f: Family): string {
    return this.info ? lockoutNote(this.info, f, this.sshPort) : 'Your address is unknown: the SSH lockout check is off.';
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
    const kept = this.editedAny;
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

  /** Reads both families' saved files and running rules; each proposal starts as its saved file (else the running rules). */
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
      // an edited proposal is kept per family: the other family's starts again from the host
      this.families.ipv4.take(p.saved, p.running, !!opts.keepProposal && this.families.ipv4.edited);
      this.families.ipv6.take(p.saved6, p.running6, !!opts.keepProposal && this.families.ipv6.edited);
      this.relintPair();
      // the pull is kept as versions in main: the History pane lists it
      void this.loadHistory();
      // a large file is read in the worker: the note stays until its rules are here
      await Promise.allSettled(Object.values(this.families).flatMap((f) => [f.saved?.ready, f.running?.ready, f.proposed?.ready]));
    } finally {
      this.busy = null;
    }
  }

  /** Back to what is on the host (the shown family): the saved file, or the running rules when the admin started from them. */
  resetProposal(): void {
    this.side.resetProposal();
    this.relintPair();
  }

  /** A fresh proposal for the shown family from its saved file or running rules (the admin's edits are dropped). */
  startFrom(which: 'saved' | 'running'): void {
    this.side.startFrom(which);
    this.relintPair();
  }

  /** Puts the running rules the saved file lacks into the proposal, where they run; the admin's edits stay. */
  mergeLiveRules(): void {
    const added = this.side.mergeLiveRules();
    if (added === 0) return;
    this.note = `Merged ${added} running rule${added === 1 ? '' : 's'} the saved file lacks into the proposal; applying keeps ${added === 1 ? 'it' : 'them'}.`;
    this.relintPair();
  }

  /** A new proposal for a family (the shown one unless said). */
  setProposal(text: string, note?: string, family: Family = this.family): void {
    this.families[family].setProposal(text);
    this.note = note ?? null;
    this.relintPair();
  }

  /** Lints the proposals again (the address the server sees us at is known now, say). */
  relint(): void {
    for (const f of Object.values(this.families)) f.relint();
    this.relintPair();
  }

  /** The findings across the two proposals, in the worker; none when the host has no IPv6 firewall. */
  relintPair(): void {
    this.pairJob.drop();
    const v4 = this.families.ipv4.proposed;
    const v6 = this.families.ipv6.proposed;
    if (!v4 || !v6) {
      this.pairFindings = [];
      this.pairPending = false;
      return;
    }
    const job = analysis.run<PairFinding[]>({ kind: 'pair', v4: v4.ref(), v6: v6.ref(), sshPort: this.sshPort }, { label: `Comparing the IPv4 and IPv6 rules of ${this.profile.name}` });
    this.pairPending = true;
    void this.pairJob.start(
      job,
      (found) => {
        this.pairFindings = found;
        this.pairPending = false;
      },
      (e) => {
        this.pairPending = false;
        this.pairFindings = isCancelled(e) ? [] : [{ code: 'lint-failed', severity: 'warning', line: 0, message: `the comparison of the two families stopped: ${(e as Error).message}`, family: 'ipv4' }];
      },
    );
  }

  /** Stops the analyses running for this host (the proposals' lint, the comparisons). */
  cancelAnalysis(): void {
    this.pairJob.cancel();
    for (const f of Object.values(this.families)) f.cancel();
  }

  /** the document is one of this host's (either family) */
  holds(doc: RulesetDoc): boolean {
    return this.families.ipv4.holds(doc) || this.families.ipv6.holds(doc);
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
    return new RulesetDoc({ name: versionName(v), text: r.value.text, family: v.family ?? 'ipv4' });
  }

  /** Shows two kept versions side by side (`right` null: the version against the running rules). */
  async compareVersions(left: HostVersionDto, right: HostVersionDto | null): Promise<void> {
    // a version is compared with the running rules of its own family
    const running = this.families[left.family ?? 'ipv4'].running;
    const [a, b] = await Promise.all([this.versionDoc(left), right ? this.versionDoc(right) : Promise.resolve(running)]);
    if (!a || !b) {
      if (!right && !running) this.note = `Connect and pull to compare with the running ${FAMILY_NAME[left.family ?? 'ipv4']} rules.`;
      return;
    }
    this.versionDiff.left = a;
    this.versionDiff.right = b;
    this.versionDiff.selectedRow = -1;
    this.versionPair = { left, right, leftName: a.name, rightName: right ? b.name : `running ${FAMILY_NAME[left.family ?? 'ipv4']} rules (last pull)` };
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
    const family = v.family ?? 'ipv4';
    this.setProposal(r.value.text, `The ${family === 'ipv6' ? 'IPv6 ' : ''}proposal is now ${versionName(v)}. Review the changes to the running rules, then apply it.`, family);
    this.families[family].base = 'history';
    this.setFamily(family);
    this.closeVersionCompare();
    this.pair = 'running-proposed';
    this.pane = 'compare';
  }

  async startApply(confirmTimeoutS: number, force: boolean): Promise<void> {
    const sending = this.applyFamilies;
    if (!sending.length || this.apply?.running) return;
    const run = new ApplyRun(this.proposalKey);
    this.apply = run;
    const r = await this.fw.startApply(this.profile.id, this.applyRequest(sending, confirmTimeoutS, force));
    if (!r.ok) run.error = r.error;
    else run.id = r.value.applyId;
  }

  /**
   * One apply for what changed: the IPv4 proposal (with the IPv6 one beside it
   * when both changed — one change under one host timer), or the IPv6 proposal
   * alone. The pull's hashes of both families guard against a host that
   * changed since.
   */
  private applyRequest(sending: Family[], confirmTimeoutS: number, force: boolean): ApplyRequest {
    const p = this.pulled;
    const base = p
      ? {
          takenAt: p.takenAt,
          savedSha256: p.saved.present ? p.saved.sha256 : undefined,
          runningRulesSha256: p.running.ok ? p.running.rulesSha256 : undefined,
          saved6Sha256: p.saved6?.present ? p.saved6.sha256 : undefined,
          running6RulesSha256: p.running6?.ok ? p.running6.rulesSha256 : undefined,
        }
      : null;
    const name = (f: Family) => (f === 'ipv4' ? `proposed ruleset (${this.profile.name})` : `proposed IPv6 ruleset (${this.profile.name})`);
    const v6 = this.families.ipv6.proposed;
    if (!sending.includes('ipv4') && v6) return { text: v6.text, name: name('ipv6'), family: 6, confirmTimeoutS, force, base };
    return {
      text: this.families.ipv4.proposed!.text,
      name: name('ipv4'),
      confirmTimeoutS,
      force,
      base,
      ...(sending.includes('ipv6') && v6 ? { ipv6: { text: v6.text, name: name('ipv6') } } : {}),
    };
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
      for (const f of Object.values(this.families)) f.settled();
      this.note = null;
    }
  }
}

const KIND_WORD: Record<HostVersionDto['kind'], string> = { saved: 'saved file', running: 'running rules', applied: 'applied ruleset' };

/** "saved file of 14:02:11, 4 Dec" — what a version is called in titles and notes. */
function versionName(v: HostVersionDto): string {
  const d = new Date(v.at);
  const when = `${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })}, ${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
  return `${v.family === 'ipv6' ? 'IPv6 ' : ''}${KIND_WORD[v.kind]} of ${when}`;
}
