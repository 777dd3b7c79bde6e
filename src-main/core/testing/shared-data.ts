// Paths to the shared test material (../shared beside the repository), for tests only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHARED = process.env.PORTCULLIS_SHARED ?? join(REPO_ROOT, '..', 'shared');
export const CONFORMANCE = join(SHARED, 'conformance', 'iptables-t');
export const REALWORLD = join(SHARED, 'corpus', 'realworld');

export function sharedAvailable(): boolean {
  return existsSync(CONFORMANCE) && existsSync(REALWORLD);
}

export interface ObservedRow {
  file: string;
  table: string;
  chain: string;
  rule: string;
  expected: string;
  exit: number;
  canonical: string;
  error: string;
  line: number;
}

export function readObserved(): ObservedRow[] {
  const text = readFileSync(join(CONFORMANCE, 'observed.tsv'), 'utf8');
  const rows = text.split('\n').slice(1).filter((l) => l.length > 0);
  return rows.map((l) => {
    const f = l.split('\t');
    return { file: f[0], table: f[1], chain: f[2], rule: f[3], expected: f[4], exit: Number(f[5]), canonical: f[6], error: f[9], line: Number(f[10]) };
  });
}

export function corpusFiles(): string[] {
  return readdirSync(REALWORLD).filter((f) => /^\d+\.rules$/.test(f)).sort();
}

export function readCorpus(name: string): string {
  return readFileSync(join(REALWORLD, name), 'utf8');
}

/** Split a command line as sh does (the .t runner passes rules through a shell). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      cur += s.slice(i + 1, j < 0 ? s.length : j);
      has = true;
      i = j < 0 ? s.length : j;
    } else if (c === '"') {
      has = true;
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i];
        else cur += s[i];
      }
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** The words quoted for an iptables-restore line. */
export function restoreQuote(words: string[]): string {
  return words.map((w) => (w !== '' && /^[^\s"\\]+$/.test(w) ? w : '"' + w.replace(/[\\"]/g, (c) => '\\' + c) + '"')).join(' ');
}

/** ip6tables' test vectors (libip6t_*.t) and the observation table made by build/observe-ip6tables.mjs. */
export const CONFORMANCE6 = join(SHARED, 'conformance', 'ip6tables-t');
export const OBSERVED6 = join(REPO_ROOT, 'src-main', 'core', 'testing', 'ip6tables-observed.tsv');

export function readObserved6(): ObservedRow[] {
  return readObservedFile(OBSERVED6);
}

function readObservedFile(path: string): ObservedRow[] {
  const text = readFileSync(path, 'utf8');
  const rows = text.split('\n').slice(1).filter((l) => l.length > 0);
  return rows.map((l) => {
    const f = l.split('\t');
    return { file: f[0], table: f[1], chain: f[2], rule: f[3], expected: f[4], exit: Number(f[5]), canonical: f[6], error: f[9], line: Number(f[10]) };
  });
}
