// Framing for the fixed scripts we send to `sh -s`: each step's stdout, exit
// status and stderr come back between boundary lines that carry a random nonce,
// so one round trip can return many files byte for byte, and a file that
// happens to contain something frame-like cannot be mistaken for a boundary.
import { randomBytes } from 'node:crypto';

export interface Section {
  key: string;
  /** stdout, byte for byte */
  out: Buffer;
  /** exit status; null when the step did not run (absent) */
  rc: number | null;
  stderr: string;
  absent: boolean;
}

export function newNonce(): string {
  return randomBytes(9).toString('hex');
}

/**
 * The shell prelude every script starts with. Only the nonce varies, and it is
 * hex we generated: nothing from a user or a host is ever placed in a script.
 */
export function scriptPrelude(nonce: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(nonce)) throw new Error('nonce must be hex');
  return `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
LC_ALL=C; export LC_ALL
PCL_B=--pcl-${nonce}--
exec 3>&1
# pcl_sec KEY CMD...: stdout straight through (fd 3), stderr captured and framed after it
pcl_sec() {
  pcl_k=$1; shift
  printf '%s begin %s\\n' "$PCL_B" "$pcl_k"
  pcl_e=$( { "$@" 3>&-; } 2>&1 1>&3 )
  pcl_rc=$?
  printf '\\n%s end %s %s\\n' "$PCL_B" "$pcl_k" "$pcl_rc"
  if [ -n "$pcl_e" ]; then printf '%s stderr %s\\n%s\\n%s endstderr %s\\n' "$PCL_B" "$pcl_k" "$pcl_e" "$PCL_B" "$pcl_k"; fi
}
# pcl_absent KEY: the step was skipped (file or tool missing)
pcl_absent() { printf '%s absent %s\\n' "$PCL_B" "$1"; }
`;
}

/** Splits framed output into sections (binary-safe). Unknown text between frames is ignored. */
export function parseSections(raw: Buffer | string, nonce: string): Map<string, Section> {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const B = `--pcl-${nonce}--`;
  const out = new Map<string, Section>();
  let pos = 0;
  const lineAt = (at: number) => {
    const nl = buf.indexOf(0x0a, at);
    const end = nl < 0 ? buf.length : nl;
    return { text: buf.subarray(at, end).toString('utf8'), next: nl < 0 ? buf.length : nl + 1 };
  };
  while (pos < buf.length) {
    const at = buf.indexOf(B + ' ', pos);
    if (at < 0) break;
    if (at > 0 && buf[at - 1] !== 0x0a) {
      pos = at + B.length;
      continue;
    }
    const { text, next } = lineAt(at);
    const [, verb, key] = text.split(' ');
    if (verb === 'absent' && key) {
      out.set(key, { key, out: Buffer.alloc(0), rc: null, stderr: '', absent: true });
      pos = next;
      continue;
    }
    if (verb === 'stderr' && key) {
      const endMark = Buffer.from(`\n${B} endstderr ${key}\n`);
      const e = buf.indexOf(endMark, next);
      const sec = out.get(key);
      if (e >= 0 && sec) sec.stderr = buf.subarray(next, e).toString('utf8');
      pos = e >= 0 ? e + endMark.length : next;
      continue;
    }
    if (verb !== 'begin' || !key) {
      pos = next;
      continue;
    }
    const endMark = Buffer.from(`\n${B} end ${key} `);
    const e = buf.indexOf(endMark, next);
    if (e < 0) {
      // the stream was cut off: keep what came, mark it as not finished
      out.set(key, { key, out: buf.subarray(next), rc: null, stderr: 'output ended early', absent: false });
      break;
    }
    const rcLine = lineAt(e + endMark.length);
    out.set(key, { key, out: Buffer.from(buf.subarray(next, e)), rc: Number(rcLine.text), stderr: '', absent: false });
    pos = rcLine.next;
  }
  return out;
}

/** Builds framed output the way the prelude does; for tests of the parsers. */
export function frameForTest(nonce: string, sections: { key: string; out?: string | Buffer; rc?: number; stderr?: string; absent?: boolean }[]): Buffer {
  const B = `--pcl-${nonce}--`;
  const parts: Buffer[] = [];
  for (const s of sections) {
    if (s.absent) {
      parts.push(Buffer.from(`${B} absent ${s.key}\n`));
      continue;
    }
    parts.push(Buffer.from(`${B} begin ${s.key}\n`), Buffer.from(s.out ?? ''), Buffer.from(`\n${B} end ${s.key} ${s.rc ?? 0}\n`));
    if (s.stderr) parts.push(Buffer.from(`${B} stderr ${s.key}\n${s.stderr}\n${B} endstderr ${s.key}\n`));
  }
  return Buffer.concat(parts);
}
