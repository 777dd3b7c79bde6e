// The application: which view is showing, the open ruleset, the diff, recent
// files, and the one place that turns "open a file" into a RulesetDoc.
import type { AppInfo, FwApi, RecentFile, Result } from '../../../src-main/contract/index.js';
import { pickLocalFile, readLocalFile } from '../bridge/local-file.js';
import { DiffSession } from './diff-session.svelte.js';
import { RulesetDoc, type RulesetSource } from './ruleset-doc.svelte.js';
import { HostsState } from './hosts.svelte.js';
import { applyEdit, type EditOp, type RuleRef } from '../../../src-main/core/index.js';
import { rowOfRef, Staging, type DocOwner } from './staging.svelte.js';
import type { ProposalDrafts } from './drafts.js';

export type AppView = 'ruleset' | 'diff' | 'hosts';
/** where an opened file goes: the ruleset view, or one side of the diff */
export type Slot = 'doc' | 'left' | 'right';

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export class AppState {
  info = $state.raw<AppInfo | null>(null);
  view = $state<AppView>('ruleset');
  doc = $state.raw<RulesetDoc | null>(null);
  readonly diff = new DiffSession();
  recent = $state.raw<RecentFile[]>([]);
  /** what we are doing right now ("Parsing 100,000 rules…"), shown instead of the view */
  busy = $state<string | null>(null);
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

  async openText(name: string, text: string, slot: Slot = this.defaultSlot()): Promise<void> {
    await this.place(slot, { name, text });
  }

  /** Parses (on this thread: ~1 s for 100,000 rules) after letting the "busy" note paint. */
  async place(slot: Slot, src: RulesetSource): Promise<void> {
    const lines = countLines(src.text);
    this.busy = `Reading ${src.name} (${lines.toLocaleString('en-US')} lines)…`;
    await nextPaint();
    try {
      const doc = new RulesetDoc(src);
      if (slot === 'doc') this.doc = doc;
      else if (slot === 'left') this.diff.left = doc;
      else this.diff.right = doc;
      this.diff.selectedRow = -1;
    } catch (e) {
      // the parser reports problems as findings; reaching here is a bug, but the app stays up
      this.notice = { kind: 'error', text: `Could not read ${src.name}: ${(e as Error).message}` };
    } finally {
      this.busy = null;
    }
  }

  /** One of a host's rulesets (saved, running, proposed) in the Ruleset view; edits to it go to the host's proposal. */
  showHostRuleset(doc: RulesetDoc, owner?: DocOwner): void {
    if (owner) {
      doc.owner = owner;
      const ws = this.hosts.workspaces.get(owner.hostId);
      // the lockout check runs while staging, for the address the host sees us at
      if (ws?.client) doc.lintOptions = { client: ws.client, sshPort: ws.sshPort, local: ws.info?.facts.serverAddress ? [ws.info.facts.serverAddress] : undefined };
    }
    this.doc = doc;
    this.view = 'ruleset';
  }

  /**
   * One staged edit of the open ruleset: the core applies it and writes the
   * file back with its comments and layout; the result is the next step on
   * the undo stack. Returns the problem when the edit cannot be made.
   */
  edit(op: EditOp, label: string, select?: RuleRef): string | null {
    const doc = this.doc;
    if (!doc) return 'nothing is open';
    const r = applyEdit(doc.asParseResult(), op);
    if (!r.ok) return r.message;
    this.stage(doc, r.text, label, select);
    return null;
  }

  /** A staged edit as text (the raw editor): the whole text is the next step. */
  editText(text: string, label: string): void {
    const doc = this.doc;
    if (!doc || text === doc.text) return;
    this.stage(doc, text, label);
  }

  private stage(doc: RulesetDoc, text: string, label: string, select?: RuleRef): void {
    const staging = doc.staging ?? new Staging(doc);
    doc.staging = staging;
    const next = new RulesetDoc({ name: doc.name, path: doc.path, text, lineage: doc.lineage });
    carryViewState(doc, next);
    next.staging = staging;
    staging.push(label, next);
    next.selectedRow = select ? rowOfRef(next.rows, select) : Math.min(doc.selectedRow, next.rows.length - 1);
    this.doc = next;
  }

  /** Ctrl+Z: the step before the last edit (k: back to before step k) */
  undo(k?: number): void {
    const doc = this.doc;
    const staging = doc?.staging;
    if (!doc || !staging || !staging.count) return;
    const prev = k === undefined ? staging.undo() : staging.undoTo(k);
    carryViewState(doc, prev);
    prev.selectedRow = Math.min(doc.selectedRow, prev.rows.length - 1);
    this.doc = prev;
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
      ws.setProposal(doc.text, `${n} ${n === 1 ? 'change' : 'changes'} made in the rule table: review and apply them here.`);
      const proposed = ws.proposed;
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

/** what the admin was looking at stays as it was across an edit */
function carryViewState(from: RulesetDoc, to: RulesetDoc): void {
  to.view = from.view;
  to.searchText = from.searchText;
  to.searchFacets = from.searchFacets;
  to.lintRequested = from.lintRequested;
  to.owner = from.owner;
  to.lintOptions = from.lintOptions;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
