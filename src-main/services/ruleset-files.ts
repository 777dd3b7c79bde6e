// Reading a ruleset file from disk for the UI: the size is bounded and the
// content must be text, so a wrong pick (an ISO image, a core dump) gives a
// clear message instead of freezing the window.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { FwFailure, type OpenedFile } from '../contract/index.js';
import { decodeRulesetBytes } from '../core/index.js';

/** 100,000-rule files are ~7 MB; 64 MB leaves room without inviting a hang. */
const MAX_RULESET_BYTES = 64 * 1024 * 1024;

export async function readRulesetFile(path: string, id: string, maxBytes = MAX_RULESET_BYTES): Promise<OpenedFile> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fileError(e, path);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new FwFailure('io', `${path} is a directory`);
    if (st.size > maxBytes) throw new FwFailure('too-large', `${path} is ${formatBytes(st.size)}; the limit is ${formatBytes(maxBytes)}`);
    const buf = await fh.readFile();
    if (buf.length > maxBytes) throw new FwFailure('too-large', `${path} is over ${formatBytes(maxBytes)}`);
    const nul = buf.indexOf(0);
    if (nul >= 0) {
      const line = buf.subarray(0, nul).reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
      throw new FwFailure('not-text', `${path} is not a text file: it has a NUL byte on line ${line} (iptables-restore would stop reading that line there)`);
    }
    const d = decodeRulesetBytes(buf);
    if (!d.ok) throw new FwFailure('not-text', `${path} is ${d.problem.message}`);
    const text = d.text;
    return { id, name: basename(path), path, size: buf.length, text };
  } catch (e) {
    throw e instanceof FwFailure ? e : fileError(e, path);
  } finally {
    await fh.close();
  }
}

function fileError(e: unknown, path: string): FwFailure {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FwFailure('not-found', `${path}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return new FwFailure('io', `${path}: permission denied`);
  if (code === 'EISDIR') return new FwFailure('io', `${path} is a directory`);
  return new FwFailure('io', `${path}: ${(e as Error).message}`);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}
