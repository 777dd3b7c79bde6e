// Every version of a host's rules the app has seen, kept on the laptop: the
// saved file and the running rules of each pull, and each ruleset an apply
// put live (with its outcome). Any two can be compared and any one can become
// the proposal again, so an older state can be restored through safe apply.
//
// Layout under the state directory (0700; files 0600 — rules name addresses):
//   versions/<hostId>/index.jsonl    one line per version, oldest first
//   versions/<hostId>/<sha256>.rules the text, stored once however often seen
// A pull that finds what the last pull found adds nothing. Limits: the newest
// MAX_ENTRIES versions and at most MAX_BYTES of text per host are kept; older
// versions and texts nothing refers to any more are removed.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyOutcome, HostVersionDto, VersionKind } from '../contract/index.js';
import { stateDir } from './history.js';
import type { Family } from '../core/index.js';

export const MAX_ENTRIES = 300;
export const MAX_BYTES = 64 * 1024 * 1024;

const HEX16 = /^[0-9a-f]{16}$/;
const SHA = /^[0-9a-f]{64}$/;
const KINDS: readonly VersionKind[] = ['saved', 'running', 'applied'];

interface RecordExtra {
  outcome?: ApplyOutcome;
  auditId?: string;
  /** what it was called (the proposal's name, the file path) */
  source?: string;
  /** IPv6 (ip6tables) rules; absent: IPv4 */
  family?: Family;
}

/** Counts `-A` lines (active rules) of an iptables-save text, for the list; the text itself is parsed by the renderer. */
function countRules(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('-A ')) n++;
  return n;
}

function isEntry(x: unknown): x is HostVersionDto {
  const e = x as HostVersionDto;
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.id === 'string' &&
    HEX16.test(e.id) &&
    typeof e.at === 'string' &&
    KINDS.includes(e.kind) &&
    typeof e.sha256 === 'string' &&
    SHA.test(e.sha256) &&
    typeof e.size === 'number' &&
    typeof e.rules === 'number' &&
    (e.family === undefined || e.family === 'ipv4' || e.family === 'ipv6')
  );
}

export class HostVersions {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private dir(hostId: string): string {
    if (!HEX16.test(hostId)) throw new Error(`bad host id ${hostId}`);
    return join(stateDir(this.env), 'versions', hostId);
  }

  /** Versions of the host, newest first; a damaged index line is skipped, never fatal. */
  list(hostId: string): HostVersionDto[] {
    return this.entries(hostId).reverse();
  }

  private entries(hostId: string): HostVersionDto[] {
    const file = join(this.dir(hostId), 'index.jsonl');
    if (!existsSync(file)) return [];
    const out: HostVersionDto[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as unknown;
        if (isEntry(e)) out.push(e);
      } catch {
        /* a line cut by a crash */
      }
    }
    return out;
  }

  /** The version and its text; null when it is gone (pruned, or its text lost). */
  read(hostId: string, id: string): { version: HostVersionDto; text: string } | null {
    const version = this.entries(hostId).find((e) => e.id === id);
    if (!version) return null;
    const file = join(this.dir(hostId), `${version.sha256}.rules`);
    if (!existsSync(file)) return null;
    return { version, text: readFileSync(file, 'utf8') };
  }

  /**
   * Keeps one version. A pull's saved file or running rules equal to the
   * newest version of the same kind add nothing (the same state seen again);
   * that version is returned instead.
   */
  record(hostId: string, kind: VersionKind, text: string, extra: RecordExtra = {}): HostVersionDto {
    const dir = this.dir(hostId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sha256 = createHash('sha256').update(text).digest('hex');
    const all = this.entries(hostId);
    const family = extra.family ?? 'ipv4';
    if (kind !== 'applied') {
      const last = [...all].reverse().find((e) => e.kind === kind && (e.family ?? 'ipv4') === family);
      if (last && last.sha256 === sha256) return last;
    }
    const blob = join(dir, `${sha256}.rules`);
    if (!existsSync(blob)) {
      writeFileSync(blob, text, { mode: 0o600 });
      chmodSync(blob, 0o600);
    }
    const entry: HostVersionDto = {
      id: randomBytes(8).toString('hex'),
      at: new Date().toISOString(),
      kind,
      sha256,
      size: Buffer.byteLength(text),
      rules: countRules(text),
      ...(extra.outcome ? { outcome: extra.outcome } : {}),
      ...(extra.auditId ? { auditId: extra.auditId } : {}),
      ...(extra.source ? { source: extra.source.slice(0, 300) } : {}),
      ...(family === 'ipv6' ? { family } : {}),
    };
    const index = join(dir, 'index.jsonl');
    appendFileSync(index, JSON.stringify(entry) + '\n', { mode: 0o600 });
    this.prune(hostId, [...all, entry]);
    return entry;
  }

  /** Keeps the newest MAX_ENTRIES versions within MAX_BYTES of distinct texts; removes what nothing refers to. */
  private prune(hostId: string, all: HostVersionDto[]): void {
    let keep = all.slice(-MAX_ENTRIES);
    const bytes = (list: HostVersionDto[]) => {
      const seen = new Map<string, number>();
      for (const e of list) seen.set(e.sha256, e.size);
      let n = 0;
      for (const s of seen.values()) n += s;
      return n;
    };
    while (keep.length > 1 && bytes(keep) > MAX_BYTES) keep = keep.slice(1);
    const dir = this.dir(hostId);
    if (keep.length !== all.length) {
      const tmp = join(dir, `index.jsonl.${process.pid}.tmp`);
      writeFileSync(tmp, keep.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
      renameSync(tmp, join(dir, 'index.jsonl'));
    }
    const used = new Set(keep.map((e) => e.sha256));
    for (const f of readdirSync(dir)) {
      const m = /^([0-9a-f]{64})\.rules$/.exec(f);
      if (m && !used.has(m[1])) rmSync(join(dir, f), { force: true });
    }
  }

  /** Forgets every version of the host (the host was removed from the list). */
  forget(hostId: string): void {
    rmSync(this.dir(hostId), { recursive: true, force: true });
  }

  /** Bytes kept for the host (for tests and the limits). */
  sizeOf(hostId: string): number {
    const dir = this.dir(hostId);
    if (!existsSync(dir)) return 0;
    let n = 0;
    for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
    return n;
  }
}
