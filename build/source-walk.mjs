// The one directory walker of the repo's own checks (long-functions.mjs,
// file-local-exports.mjs, src-main/architecture.test.ts): every file below
// `dir` that `pick` takes, in directory order, skipping the folders `skipDir`
// names. A folder that cannot be read counts as empty.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} dir
 * @param {(name: string, path: string) => boolean} pick
 * @param {(name: string) => boolean} [skipDir]
 * @returns {string[]}
 */
export function walkFiles(dir, pick, skipDir = () => false) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (!skipDir(e)) for (const f of walkFiles(p, pick, skipDir)) out.push(f);
    } else if (pick(e, p)) out.push(p);
  }
  return out;
}
