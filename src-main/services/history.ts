// The local history of applies: one JSON line per apply (confirmed, reverted,
// refused, failed, or interrupted by Ctrl-C: outcome "interrupted" with an
// `interrupted` object saying what the host was left with), appended to history.jsonl in the user's state directory
// ($PORTCULLIS_STATE_DIR, else $XDG_STATE_HOME/portcullis, else
// ~/.local/state/portcullis). Mode 0600: it names hosts, users and addresses.
import { appendFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { ensurePrivateDirSync } from './private-dir.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_STATE_DIR) return env.PORTCULLIS_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'portcullis');
  return join(env.HOME || homedir(), '.local', 'state', 'portcullis');
}

export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'history.jsonl');
}

/** Appends one record as a line; returns the file. A line is written whole or not at all (one write). */
export function appendHistory(record: object, env: NodeJS.ProcessEnv = process.env): string {
  const dir = stateDir(env);
  ensurePrivateDirSync(dir);
  const file = historyPath(env);
  const fresh = !existsSync(file);
  appendFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
  if (fresh) chmodSync(file, 0o600);
  return file;
}

/** Every record, oldest first; a damaged line (a crash mid-write) is skipped, not fatal. */
export function readHistory<T = Record<string, unknown>>(env: NodeJS.ProcessEnv = process.env): T[] {
  const file = historyPath(env);
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      /* skip */
    }
  }
  return out;
}
