// Picking a file inside the page (browser mode, or wherever main has no dialog):
// an <input type=file> read with File.text(). The content is untrusted text.
import { decodeRulesetBytes } from '../../../src-main/core/encoding.js';

const MAX_LOCAL_BYTES = 64 * 1024 * 1024;

export function pickLocalFile(accept = '.rules,.save,.v4,.txt,.conf,text/plain'): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.addEventListener('change', () => resolve(input.files?.[0] ?? null), { once: true });
    input.addEventListener('cancel', () => resolve(null), { once: true });
    input.click();
  });
}

export async function readLocalFile(file: File): Promise<string> {
  if (file.size > MAX_LOCAL_BYTES) throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the limit is 64 MB`);
  const buf = new Uint8Array(await file.arrayBuffer());
  const nul = buf.indexOf(0);
  if (nul >= 0) throw new Error(`${file.name} is not a text file: it has a NUL byte on line ${buf.subarray(0, nul).reduce((n, b) => (b === 0x0a ? n + 1 : n), 1)}`);
  // never replacement characters: name the first byte that is not UTF-8
  const d = decodeRulesetBytes(buf);
  if (!d.ok) throw new Error(`${file.name} is ${d.problem.message}`);
  return d.text;
}
