// The admin's host list: one JSON file in the app's data directory (mode 0600,
// written through a temp file and a rename), or memory only when the path is
// null (tests, PORTCULLIS_NO_STORE). Profiles hold how to reach a host, never a
// secret: passwords and passphrases go to the keychain (secrets.ts) or nowhere.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from './private-dir.js';
import { dirname, isAbsolute } from 'node:path';
import { FwFailure, type FieldProblems, type HostProfile, type HostProfileInput, type SudoMode } from '../contract/index.js';
import { parseTarget } from '../host/index.js';

export const HOSTS_FILE_NAME = 'hosts.json';
const MAX_PROFILES = 500;
const SUDO_MODES: readonly SudoMode[] = ['auto', 'always', 'never'];

/** An alias, or what parseTarget accepts: no spaces, no shell or path characters. */
function targetProblem(s: string, what: string): string | undefined {
  if (!s.trim()) return `give the ${what} as [user@]host[:port] or an ~/.ssh/config alias`;
  try {
    parseTarget(s);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function pathProblem(s: string): string | undefined {
  if (!s) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f]/.test(s)) return 'contains control characters';
  if (!isAbsolute(s) && !s.startsWith('~/')) return 'give a full path (/home/me/.ssh/id_ed25519) or one starting with ~/';
  return undefined;
}

/** Checks a profile from the form; every problem is named by its field. */
export function checkHostProfile(input: HostProfileInput, others: readonly HostProfile[]): FieldProblems {
  const p: FieldProblems = {};
  const name = input.name.trim();
  if (!name) p.name = 'give the host a name';
  else if (name.length > 80) p.name = 'at most 80 characters';
  // eslint-disable-next-line no-control-regex
  else if (/[\x00-\x1f\x7f]/.test(name)) p.name = 'contains control characters';
  else if (others.some((o) => o.id !== input.id && o.name.toLowerCase() === name.toLowerCase())) p.name = 'another host has this name';
  const t = targetProblem(input.target, 'host');
  if (t) p.target = t;
  if (input.jump.trim()) {
    for (const j of input.jump.split(',')) {
      const jp = targetProblem(j.trim(), 'jump host');
      if (jp) {
        p.jump = jp;
        break;
      }
    }
  }
  const id = pathProblem(input.identityFile.trim());
  if (id) p.identityFile = id;
  const kh = pathProblem(input.knownHostsFile.trim());
  if (kh) p.knownHostsFile = kh;
  if (!SUDO_MODES.includes(input.sudo)) p.sudo = `one of ${SUDO_MODES.join(', ')}`;
  if (!Number.isInteger(input.confirmTimeoutS) || input.confirmTimeoutS < 10 || input.confirmTimeoutS > 3600)
    p.confirmTimeoutS = 'a whole number of seconds from 10 to 3600';
  return p;
}

export function isHostProfileInput(x: unknown): x is HostProfileInput {
  const o = x as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return false;
  const str = (k: string, max = 4096) => typeof o[k] === 'string' && (o[k] as string).length <= max;
  return (
    (o.id === undefined || (typeof o.id === 'string' && /^[0-9a-f]{16}$/.test(o.id))) &&
    str('name', 1000) &&
    str('target', 1000) &&
    str('jump', 4000) &&
    str('identityFile') &&
    str('knownHostsFile') &&
    typeof o.sudo === 'string' &&
    typeof o.confirmTimeoutS === 'number'
  );
}

export class HostProfiles {
  private entries: HostProfile[] | null = null;

  constructor(
    /** null: memory only */
    private readonly storePath: string | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<HostProfile[]> {
    return [...(await this.load())].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(id: string): Promise<HostProfile> {
    const p = (await this.load()).find((e) => e.id === id);
    if (!p) throw new FwFailure('not-found', 'that host is no longer in the list');
    return p;
  }

  async save(input: HostProfileInput): Promise<HostProfile> {
    const all = await this.load();
    const problems = checkHostProfile(input, all);
    const fields = Object.keys(problems);
    if (fields.length) throw new FwFailure('invalid-argument', `check ${fields.join(', ')}`, { kind: 'fields', fields: problems });
    const at = this.now().toISOString();
    const clean = {
      name: input.name.trim(),
      target: input.target.trim(),
      jump: input.jump
        .split(',')
        .map((j) => j.trim())
        .filter(Boolean)
        .join(','),
      identityFile: input.identityFile.trim(),
      knownHostsFile: input.knownHostsFile.trim(),
      sudo: input.sudo,
      confirmTimeoutS: input.confirmTimeoutS,
    };
    let profile: HostProfile;
    if (input.id) {
      const old = all.find((e) => e.id === input.id);
      if (!old) throw new FwFailure('not-found', 'that host is no longer in the list');
      profile = { ...old, ...clean, updatedAt: at };
      this.entries = all.map((e) => (e.id === old.id ? profile : e));
    } else {
      if (all.length >= MAX_PROFILES) throw new FwFailure('invalid-argument', `at most ${MAX_PROFILES} hosts`);
      profile = { id: randomBytes(8).toString('hex'), ...clean, createdAt: at, updatedAt: at };
      this.entries = [...all, profile];
    }
    await this.store();
    return profile;
  }

  async remove(id: string): Promise<HostProfile[]> {
    this.entries = (await this.load()).filter((e) => e.id !== id);
    await this.store();
    return this.list();
  }

  private async load(): Promise<HostProfile[]> {
    if (this.entries) return this.entries;
    this.entries = [];
    if (!this.storePath) return this.entries;
    let text: string;
    try {
      text = await readFile(this.storePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.entries;
      throw new FwFailure('io', `cannot read the host list ${this.storePath}: ${(e as Error).message}`);
    }
    try {
      const data: unknown = JSON.parse(text);
      const list = Array.isArray(data) ? data : [];
      this.entries = list.filter(isStoredProfile).slice(0, MAX_PROFILES);
    } catch {
      // a damaged file is kept aside rather than silently overwritten with an empty list
      await rename(this.storePath, `${this.storePath}.damaged-${Date.now()}`).catch(() => {});
    }
    return this.entries;
  }

  private async store(): Promise<void> {
    if (!this.storePath) return;
    await ensurePrivateDir(dirname(this.storePath));
    const tmp = `${this.storePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.entries, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.storePath);
  }
}

function isStoredProfile(x: unknown): x is HostProfile {
  const o = x as Record<string, unknown>;
  return isHostProfileInput(x) && typeof o.id === 'string' && typeof o.createdAt === 'string' && typeof o.updatedAt === 'string' && SUDO_MODES.includes(o.sudo as SudoMode);
}
