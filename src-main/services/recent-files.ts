// Files the admin opened (or named on the command line), newest first. The
// renderer only ever names a file by the id this service gave it, so a
// compromised page cannot read an arbitrary path through the bridge.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from './private-dir.js';
import { basename, dirname, resolve } from 'node:path';
import { FwFailure, type OpenedFile, type RecentFile } from '../contract/index.js';
import { readRulesetFile } from './ruleset-files.js';

const MAX_RECENT = 20;

export class RecentFiles {
  private entries: RecentFile[] | null = null;

  /** `storePath` null keeps the list in memory only (tests, throwaway sessions). */
  constructor(
    private readonly storePath: string | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static idOf(path: string): string {
    return createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16);
  }

  async list(): Promise<RecentFile[]> {
    return [...(await this.load())];
  }

  async add(path: string): Promise<RecentFile> {
    const abs = resolve(path);
    const entry: RecentFile = { id: RecentFiles.idOf(abs), name: basename(abs), path: abs, openedAt: this.now().toISOString() };
    const rest = (await this.load()).filter((e) => e.id !== entry.id);
    this.entries = [entry, ...rest].slice(0, MAX_RECENT);
    await this.save();
    return entry;
  }

  async remove(id: string): Promise<RecentFile[]> {
    this.entries = (await this.load()).filter((e) => e.id !== id);
    await this.save();
    return this.list();
  }

  /** Reads a path (from a dialog or the command line) and records it. */
  async openPath(path: string): Promise<OpenedFile> {
    const abs = resolve(path);
    const file = await readRulesetFile(abs, RecentFiles.idOf(abs));
    await this.add(abs);
    return file;
  }

  async open(id: string): Promise<OpenedFile> {
    const entry = (await this.load()).find((e) => e.id === id);
    if (!entry) throw new FwFailure('not-found', 'that file is no longer in the recent list');
    return this.openPath(entry.path);
  }

  private async load(): Promise<RecentFile[]> {
    if (this.entries) return this.entries;
    this.entries = [];
    if (!this.storePath) return this.entries;
    try {
      const data: unknown = JSON.parse(await readFile(this.storePath, 'utf8'));
      if (Array.isArray(data)) this.entries = data.filter(isRecentFile).slice(0, MAX_RECENT);
    } catch {
      // missing or unreadable: start empty; the next save rewrites it
    }
    return this.entries;
  }

  private async save(): Promise<void> {
    if (!this.storePath) return;
    await ensurePrivateDir(dirname(this.storePath));
    const tmp = `${this.storePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.entries, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.storePath);
  }
}

function isRecentFile(x: unknown): x is RecentFile {
  const o = x as Record<string, unknown>;
  return !!o && typeof o.id === 'string' && typeof o.name === 'string' && typeof o.path === 'string' && typeof o.openedAt === 'string';
}
