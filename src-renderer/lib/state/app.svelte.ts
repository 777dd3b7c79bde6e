// The application: which view is showing, the open ruleset, the diff, recent
// files, and the one place that turns "open a file" into a RulesetDoc.
import type { AppInfo, FwApi, RecentFile, Result } from '../../../src-main/contract/index.js';
import { pickLocalFile, readLocalFile } from '../bridge/local-file.js';
import { isCancelled } from '../analysis/client.js';
import { analysis } from '../analysis/activity.svelte.js';
import type { EditAnswer, JobRequest } from '../analysis/protocol.js';
import { DiffSession } from './diff-session.svelte.js';
import { INLINE_PARSE_LIMIT, RulesetDoc, type RulesetSource } from './ruleset-doc.svelte.js';
import { HostsState } from './hosts.svelte.js';
import { applyEdit, spliceText, type EditOp, type Family, type RuleRef } from '../../../src-main/core/index.js';
import { rowOfRef, Staging, type DocOwner } from './staging.svelte.js';
import { mergeImported, type MergeResult, type PasteAnalysis } from './paste-import.js';
import { withFamily, withFamilySliced } from './family.js';
import type { ProposalDrafts } from './drafts.js';
import { splicedLines } from './lazy-model.js';

export type AppView = 'ruleset' | 'diff' | 'hosts';
/** where an opened file goes: the ruleset view, or one side of the diff */
export type Slot = 'doc' | 'left' | 'right';

/** what a change made in the worker gives: the new text and its label, and with an edit the new document's parse (held there under `made.id`) */
interface Change {
  text: string;
  label: string;
  made?: RulesetSource['made'];
}

interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export class AppState {
  info = $state.raw<AppInfo | null>(null);
  view = $state<AppView>('ruleset');
  doc = $state.raw<RulesetDoc | null>(null);
  readonly diff = new DiffSession();
  recent = $state.raw<RecentFile[]>([]);
  /** what we are doing right now, shown over the view */
  busy = $state<string | null>(null);
  /** files being read, by the slot they go to, with the document they replace */
  private readonly opening = new Map<Slot, { doc: RulesetDoc; before: RulesetDoc | null }>();
  notice = $state<Notice | null>(null);

  readonly hosts: HostsState;

  constructor(
    readonly fw: FwApi,
    drafts: ProposalDrafts | null = null,
  ) {
    this.hosts = new HostsState(fw, drafts);
  }

  async start(): Promise<void> {
    this.hosts.start();
    // main survived an error nobody was waiting on: say so rather than let something silently not happen
    this.fw.onEvent((e) => {
      if (e.kind === 'notice') this.notice = { kind: 'error', text: e.message };
    });
    const info = await this.fw.getAppInfo();
    if (info.ok) this.info = info.value;
    else this.fail(info);
    await this.refreshRecent();
  }

  async refreshRecent(): Promise<void> {
    const r = await this.fw.listRecentFiles();
    if (r.ok) this.recent = r.value;
  }

  /** Ctrl+O: the open ruleset in the ruleset view; in the diff view the side that is still empty, else "new". */
  defaultSlot(): Slot {
    if (this.view === 'ruleset') return 'doc';
    return this.diff.left ? 'right' : 'left';
  }

  async open(slot: Slot = this.defaultSlot()): Promise<void> {
    this.notice = null;
    if (this.info?.capabilities.openDialog) {
      const r = await this.fw.openRulesetDialog();
      if (!r.ok) return this.fail(r);
      if (r.value) await this.place(slot, { name: r.value.name, path: r.value.path, text: r.value.text });
      await this.refreshRecent();
      return;
    }
    const file = await pickLocalFile();
    if (file) await this.openLocalFile(file, slot);
  }

  async openLocalFile(file: File, slot: Slot = this.defaultSlot()): Promise<void> {
    try {
      await this.place(slot, { name: file.name, text: await readLocalFile(file) });
    } catch (e) {
      this.notice = { kind: 'error', text: (e as Error).message };
    }
  }

  async openRecent(id: string, slot: Slot = this.defaultSlot()): Promise<void> {
    this.notice = null;
    const r = await this.fw.openRecentFile(id);
    if (!r.ok) {
      this.fail(r);
      await this.refreshRecent();
      return;
    }
    await this.place(slot, { name: r.value.name, path: r.value.path, text: r.value.text });
    await this.refreshRecent();
  }

  async removeRecent(id: string): Promise<void> {
    const r = await this.fw.removeRecentFile(id);
    if (r.ok) this.recent = r.value;
  }

  async openText(name: string, text: string, slot: Slot = this.defaultSlot(), family?: Family): Promise<void> {
    await this.place(slot, { name, text, family });
  }

  /**
   * Opens a ruleset into a slot. A large file shows its first rules at once
   * while the analysis worker reads the whole (with progress and a Cancel);
   * cancelled, or failing, it gives the slot back to what was there before.
   * Opening a file cancels the analysis of the one it replaces, unless that
   * one is still shown elsewhere, and of a file still being read into the slot.
   */
  async place(slot: Slot, src: RulesetSource): Promise<void> {
    let doc: RulesetDoc;
    try {
      // a large file: reading it, telling its family and showing its first rules are each a task of their own (input is answered between)
      const large = src.text.length > INLINE_PARSE_LIMIT;
      if (large) await nextTask();
      const known = large ? await withFamilySliced(src) : withFamily(src);
      if (large) await nextTask();
      doc = new RulesetDoc(known);
    } catch (e) {
      // the parser reports problems as findings; reaching here is a bug, but the app stays up
      this.notice = { kind: 'error', text: `Could not read ${src.name}: ${(e as Error).message}` };
      return;
    }
    const reading = this.opening.get(slot);
    // the slot's last finished document: the one a cancel gives back
    const old = reading ? reading.before : this.slotDoc(slot);
    reading?.doc.cancel();
    this.setSlot(slot, doc);
    if (old && !this.shows(old)) old.cancel();
    if (doc.parseState !== 'parsing') return;
    const entry = { doc, before: old };
    this.opening.set(slot, entry);
    try {
      await doc.ready;
    } catch (e) {
      if (this.slotDoc(slot) === doc) {
        this.setSlot(slot, old);
        // its lint was stopped to make room: run it again
        if (old?.lintState === 'cancelled') void old.lint();
      }
      if (!isCancelled(e)) this.notice = { kind: 'error', text: `Could not read ${src.name}: ${(e as Error).message}` };
    } finally {
      if (this.opening.get(slot) === entry) this.opening.delete(slot);
    }
  }

  private slotDoc(slot: Slot): RulesetDoc | null {
    return slot === 'doc' ? this.doc : slot === 'left' ? this.diff.left : this.diff.right;
  }

  private setSlot(slot: Slot, doc: RulesetDoc | null): void {
    if (slot === 'doc') this.doc = doc;
    else if (slot === 'left') this.diff.left = doc;
    else this.diff.right = doc;
    this.diff.selectedRow = -1;
  }

  /** The open file read again as the other family (its name and content left a doubt, or misled). */
  async readAs(family: Family): Promise<void> {
    const doc = this.doc;
    if (!doc || doc.owner || doc.staging?.count || doc.family === family) return;
    await this.place('doc', { name: doc.name, path: doc.path, text: doc.text, family });
  }

  /** Closes the open ruleset (its analysis stops). */
  closeDoc(): void {
    const doc = this.doc;
    this.doc = null;
    if (doc && !this.shows(doc)) doc.cancel();
  }

  /** the document is still on screen somewhere: the ruleset view, the diff or a host */
  private shows(doc: RulesetDoc): boolean {
    if (this.doc === doc || this.diff.left === doc || this.diff.right === doc) return true;
    for (const ws of this.hosts.workspaces.values()) if (ws.holds(doc)) return true;
    return false;
  }

  /** One of a host's rulesets (saved, running, proposed) in the Ruleset view; edits to it go to the host's proposal. */
  showHostRuleset(doc: RulesetDoc, owner?: DocOwner): void {
    if (owner) {
      doc.owner = owner;
      const ws = this.hosts.workspaces.get(owner.hostId);
      // the lockout check runs while staging, for the address the host sees us at
      if (ws?.client) doc.lintOptions = ws.lintOptions(doc.family);
    }
    this.doc = doc;
    this.view = 'ruleset';
  }

  /**
   * One staged edit of the open ruleset: the core applies it and writes the
   * file back with its comments and layout; the result is the next step on
   * the undo stack. Returns the problem when the edit cannot be made. A large
   * file's edit is made and parsed in the analysis worker (the page keeps
   * answering; the view shows the edit when it is ready): it returns null at
   * once and a failure shows as a notice.
   */
  edit(op: EditOp, label: string, select?: RuleRef): string | null {
    const doc = this.doc;
    if (!doc) return 'nothing is open';
    if (this.pendingEdit) return 'the last change is still being made: try again in a moment';
    if (doc.large) {
      void this.editInWorker(doc, op, label, select);
      return null;
    }
    const r = applyEdit(doc.asParseResult(), op);
    if (!r.ok) return r.message;
    void this.stage(doc, r.text, label, select);
    return null;
  }

  private editInWorker(doc: RulesetDoc, op: EditOp, label: string, select?: RuleRef): Promise<void> {
    // the worker holds the new document under this id and answers its parse with the text: no parse job follows
    const as = RulesetDoc.reserveId();
    // the page's model of `doc` is patched with what the edit changed, where it can be (not made again from the whole parse)
    const request: JobRequest = { kind: 'edit', doc: doc.ref(), op: $state.snapshot(op) as EditOp, as, patch: doc.patchable };
    const change = (r: EditAnswer & { ok: true }): Change => {
      // what changed in the text: the new text is a rope of the old one's pieces, its lines read through the old ones (nothing scanned or copied)
      const text = r.splice ? spliceText(doc.text, r.splice) : r.text;
      const lines = r.splice && doc.parseState === 'ready' && !doc.preview ? splicedLines(doc.lines, text, r.splice) : undefined;
      if (r.patch) return { text, label, made: { id: as, patch: r.patch, from: doc, lines } };
      return r.parse ? { text, label, made: { id: as, parse: r.parse, lines } } : { text, label };
    };
    return this.changeInWorker<EditAnswer>(doc, request, label, (r) => (r.ok ? change(r) : { problem: r.message }), select);
  }

  /**
   * A change of a large document made by the worker (an edit, pasted
   * commands): the text it answers becomes the next step; a problem shows as
   * a notice and the document stays, with its lint.
   */
  private async changeInWorker<T>(doc: RulesetDoc, request: JobRequest, label: string, outcome: (answer: T) => Change | { problem: string }, select?: RuleRef): Promise<void> {
    // the lint of the step before is no longer wanted: it would only hold up this change
    doc.cancel();
    const job = analysis.run<T>(request, { label: `${label} in ${doc.name}`, first: true });
    const pending = { from: doc, cancel: () => job.cancel() };
    this.pendingEdit = pending;
    try {
      const r = outcome(await job.promise);
      if (this.pendingEdit !== pending) return;
      this.pendingEdit = null;
      if ('text' in r) return await this.stage(doc, r.text, r.label, select, false, r.made);
      this.notice = { kind: 'error', text: `${label}: ${r.problem}` };
    } catch (e) {
      if (!isCancelled(e)) this.notice = { kind: 'error', text: `${label}: ${(e as Error).message}` };
    } finally {
      if (this.pendingEdit === pending) this.pendingEdit = null;
    }
    // no new step: the document stays, with its lint
    if (this.doc === doc && doc.lintState === 'cancelled') void doc.lint();
  }

  /**
   * A staged edit as text (the raw editor): the whole text is the next step.
   * With `merge`, typing that follows typing replaces its step (the editor has
   * its own fine-grained undo), so one pause in typing is not one change each.
   */
  editText(text: string, label: string, merge = false): void {
    const doc = this.doc;
    if (!doc || text === doc.text) return;
    // newer text replaces a step still being read: it holds all the typing so far
    this.pendingEdit?.cancel();
    this.pendingEdit = null;
    void this.stage(doc, text, label, undefined, merge);
  }

  /** a large file's edit on its way through the worker (made, then its text parsed) */
  private pendingEdit: { from: RulesetDoc; cancel(): void } | null = null;

  private async stage(doc: RulesetDoc, text: string, label: string, select?: RuleRef, merge = false, made?: Change['made']): Promise<void> {
    // a small file is parsed here at once; a large one in the worker (or its parse came with the edit), and the view stays on the step before until it is read
    const next = new RulesetDoc({ name: doc.name, path: doc.path, text, lineage: doc.lineage, family: doc.family, ...(made ? { made } : {}) });
    if (next.parseState === 'parsing') {
      const pending = { from: doc, cancel: () => next.cancel() };
      this.pendingEdit = pending;
      doc.cancel();
      try {
        await next.ready;
      } catch (e) {
        if (!isCancelled(e)) this.notice = { kind: 'error', text: `${label}: ${(e as Error).message}` };
        if (this.doc === doc && doc.lintState === 'cancelled') void doc.lint();
        return;
      } finally {
        if (this.pendingEdit === pending) this.pendingEdit = null;
      }
      // the admin went elsewhere meanwhile (undo, another file): this step is not theirs any more
      if (this.doc !== doc) return;
    }
    const staging = doc.staging ?? new Staging(doc);
    doc.staging = staging;
    carryViewState(doc, next);
    next.staging = staging;
    const last = staging.steps[staging.count - 1];
    if (merge && last && last.label === label && last.doc === doc) staging.steps = [...staging.steps.slice(0, -1), { label, doc: next }];
    else staging.push(label, next);
    next.selectedRow = select ? rowOfRef(next.rows, select) : Math.min(doc.selectedRow, next.rows.length - 1);
    this.doc = next;
    // the lint of the step before is no longer shown: it would only hold up this one's
    doc.cancel();
  }

  /**
   * Pasted `iptables …` commands added to the open ruleset as one staged
   * change; the problem when they cannot be. A large file's are added in the
   * worker (a failure then shows as a notice).
   */
  addPasted(a: PasteAnalysis): string | null {
    const doc = this.doc;
    if (!doc) return 'Open a ruleset first: the commands are added to it.';
    if (a.result.ruleset.family !== doc.family) return `These commands build ${a.result.ruleset.family === 'ipv6' ? 'IPv6' : 'IPv4'} rules; ${doc.name} is ${doc.family === 'ipv6' ? 'IPv6' : 'IPv4'}.`;
    if (this.pendingEdit) return 'the last change is still being made: try again in a moment';
    const opts = { client: doc.lintOptions.client, sshPort: doc.lintOptions.sshPort };
    if (doc.large) {
      this.view = 'ruleset';
      const request: JobRequest = { kind: 'paste', doc: doc.ref(), paste: $state.snapshot(a) as PasteAnalysis, ...opts };
      void this.changeInWorker<MergeResult>(doc, request, 'Adding the pasted commands', (r) => (r.ok ? { text: r.text, label: pastedLabel(r) } : { problem: r.reason }));
      return null;
    }
    const r = mergeImported(doc.asParseResult(), a, opts);
    if (!r.ok) return r.reason;
    this.editText(r.text, pastedLabel(r));
    this.view = 'ruleset';
    return null;
  }

  /** Ctrl+Z: the step before the last edit (k: back to before step k) */
  undo(k?: number): void {
    const doc = this.doc;
    const staging = doc?.staging;
    // an edit still on its way is dropped first: undo takes back what is shown
    if (this.pendingEdit) {
      this.pendingEdit.cancel();
      this.pendingEdit = null;
      return;
    }
    if (!doc || !staging || !staging.count) return;
    const prev = k === undefined ? staging.undo() : staging.undoTo(k);
    carryViewState(doc, prev);
    prev.selectedRow = Math.min(doc.selectedRow, prev.rows.length - 1);
    this.doc = prev;
    doc.cancel();
    // a step whose lint was stopped by a later edit lints again when it is back
    if (prev.lintState === 'cancelled') void prev.lint();
  }

  /**
   * "Review & apply": a host's document becomes that host's proposal and the
   * host's Apply pane opens (safe apply reviews it there); a file's edits open
   * in the Diff view, the file as opened on the left.
   */
  reviewStaged(): void {
    const doc = this.doc;
    const staging = doc?.staging;
    if (!doc || !staging?.count) return;
    const owner = doc.owner;
    const ws = owner ? this.hosts.workspaces.get(owner.hostId) : undefined;
    if (owner && ws) {
      const n = staging.count;
      ws.setProposal(doc.text, `${n} ${n === 1 ? 'change' : 'changes'} made in the rule table: review and apply them here.`, owner.family);
      ws.setFamily(owner.family);
      const proposed = ws.families[owner.family].proposed;
      if (proposed) {
        carryViewState(doc, proposed);
        proposed.owner = { ...owner, which: 'proposed' };
        proposed.lintOptions = doc.lintOptions;
        this.doc = proposed;
      }
      this.hosts.select(owner.hostId);
      ws.pane = 'apply';
      this.view = 'hosts';
      return;
    }
    this.diff.left = staging.base;
    this.diff.right = doc;
    this.diff.selectedRow = -1;
    this.view = 'diff';
  }


  /** "Compare with…": the open ruleset becomes the old side of the diff. */
  compareCurrent(): void {
    if (this.doc) this.diff.left = this.doc;
    this.view = 'diff';
  }

  swapDiff(): void {
    const { left, right } = this.diff;
    this.diff.left = right;
    this.diff.right = left;
  }

  private fail(r: Result<unknown> & { ok: false }): void {
    this.notice = { kind: 'error', text: r.error.message };
  }
}

function pastedLabel(r: { added: number; skipped: string[] }): string {
  return `Added ${r.added} pasted ${r.added === 1 ? 'rule' : 'rules'}${r.skipped.length ? ` (${r.skipped.length} already there)` : ''}`;
}

/** what the admin was looking at stays as it was across an edit */
function carryViewState(from: RulesetDoc, to: RulesetDoc): void {
  to.view = from.view;
  to.searchText = from.searchText;
  to.searchFacets = from.searchFacets;
  to.owner = from.owner;
  to.lintOptions = from.lintOptions;
}

/** the next task on the page's thread (input and frames waiting since are handled first) */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
