// The proposal a host's admin was editing, kept per host in the tab's
// sessionStorage in browser mode, so that reloading the page does not lose it.
// Only the ruleset text and when it was kept: never a password, passphrase or
// anything main holds. The Electron window does not reload, and gets no store.

interface ProposalDraft {
  text: string;
  /** ms since the epoch */
  savedAt: number;
}

const PREFIX = 'portcullis.proposal.';

export class ProposalDrafts {
  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
    private readonly now: () => number = Date.now,
  ) {}

  load(hostId: string): ProposalDraft | null {
    try {
      const raw = this.storage.getItem(PREFIX + hostId);
      if (!raw) return null;
      const d = JSON.parse(raw) as Partial<ProposalDraft>;
      return typeof d.text === 'string' && d.text && typeof d.savedAt === 'number' ? { text: d.text, savedAt: d.savedAt } : null;
    } catch {
      return null;
    }
  }

  save(hostId: string, text: string): void {
    try {
      this.storage.setItem(PREFIX + hostId, JSON.stringify({ text, savedAt: this.now() } satisfies ProposalDraft));
    } catch {
      // full or disabled storage: the draft lives as long as the page, as before
    }
  }

  clear(hostId: string): void {
    try {
      this.storage.removeItem(PREFIX + hostId);
    } catch {
      // nothing kept
    }
  }
}
