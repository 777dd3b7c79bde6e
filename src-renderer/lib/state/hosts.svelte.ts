// The host list, which host is open, the prompts main is waiting on, and the
// one subscription to main's events (routed to the host they are about).
import { SvelteMap } from 'svelte/reactivity';
import type { FieldProblems, FwApi, FwEvent, HostProfile, HostProfileInput, PromptAnswer, PromptRequest } from '../../../src-main/contract/index.js';
import { HostWorkspace } from './host-workspace.svelte.js';
import type { ProposalDrafts } from './drafts.js';
import { FamilyMemory } from './family.js';

export const NEW_HOST: HostProfileInput = { name: '', target: '', jump: '', identityFile: '', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60 };

export class HostsState {
  profiles = $state.raw<HostProfile[]>([]);
  loaded = $state(false);
  selectedId = $state<string | null>(null);
  prompts = $state.raw<PromptRequest[]>([]);
  loadError = $state<string | null>(null);
  /** main has a native file dialog (the desktop app): key and known_hosts files are chosen with it */
  canPickFiles = $state(false);
  readonly workspaces = new SvelteMap<string, HostWorkspace>();

  /** which family each host was last shown with (kept across restarts) */
  private readonly familyMemory = new FamilyMemory(typeof localStorage === 'undefined' ? null : localStorage);

  selected = $derived(this.selectedId ? (this.workspaces.get(this.selectedId) ?? null) : null);

  constructor(
    private readonly fw: FwApi,
    /** where edited proposals outlive a page reload (browser mode) */
    private readonly drafts: ProposalDrafts | null = null,
  ) {}

  start(): () => void {
    void this.refresh();
    void this.fw.getAppInfo().then((r) => (this.canPickFiles = r.ok && r.value.capabilities.openDialog));
    return this.fw.onEvent((e) => this.onEvent(e));
  }

  async refresh(): Promise<void> {
    const r = await this.fw.listHosts();
    this.loaded = true;
    if (!r.ok) {
      this.loadError = r.error.message;
      return;
    }
    this.loadError = null;
    this.profiles = r.value;
    for (const p of r.value) {
      const w = this.workspaces.get(p.id);
      if (w) w.profile = p;
      else this.workspaces.set(p.id, new HostWorkspace(p, this.fw, this.drafts, this.familyMemory));
    }
    for (const [id, ws] of [...this.workspaces]) {
      if (r.value.some((p) => p.id === id)) continue;
      // a removed host: what the worker still does for it is of no use
      ws.cancelAnalysis();
      this.workspaces.delete(id);
    }
    if (this.selectedId && !this.workspaces.has(this.selectedId)) this.selectedId = null;
    if (!this.selectedId && r.value.length) this.selectedId = r.value[0].id;
  }

  select(id: string): void {
    this.selectedId = id;
  }

  /** Saves the form; null when saved, else the problems per field (or one message). */
  async save(input: HostProfileInput): Promise<{ fields: FieldProblems; message: string } | null> {
    const r = await this.fw.saveHost(input);
    if (!r.ok) return { fields: r.error.details?.kind === 'fields' ? r.error.details.fields : {}, message: r.error.message };
    await this.refresh();
    this.selectedId = r.value.id;
    return null;
  }

  /** the native dialog for a profile's key or known_hosts file: the path, null when cancelled, or why not */
  async pickFile(kind: 'identity' | 'known-hosts'): Promise<{ path: string | null } | { error: string }> {
    const r = await this.fw.pickHostFile(kind);
    return r.ok ? { path: r.value } : { error: r.error.message };
  }

  async remove(id: string): Promise<void> {
    const r = await this.fw.removeHost(id);
    if (r.ok) {
      this.drafts?.clear(id);
      await this.refresh();
    }
  }

  async answer(id: string, answer: PromptAnswer): Promise<void> {
    this.prompts = this.prompts.filter((p) => p.id !== id);
    await this.fw.answerPrompt(id, answer);
  }

  private onEvent(e: FwEvent): void {
    switch (e.kind) {
      case 'prompt':
        // the same id again is an update of an open question (the server stopped waiting)
        if (this.prompts.some((p) => p.id === e.prompt.id)) this.prompts = this.prompts.map((p) => (p.id === e.prompt.id ? e.prompt : p));
        else this.prompts = [...this.prompts, e.prompt];
        return;
      case 'prompt-closed':
        this.prompts = this.prompts.filter((p) => p.id !== e.id);
        return;
      case 'notice':
        return; // the app shows it (AppState)
      default:
        this.workspaces.get(e.hostId)?.onEvent(e);
    }
  }
}
