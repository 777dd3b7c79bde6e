// `canon`'s output as bytes: the canonical text in buffers of 64 KB, and the
// lines that were their own canonical text (ChainTexts.parts' spans) copied
// from the file itself. Neither the file's text nor those lines were kept
// while it was read: 100,000 rules cost the few numbers of their spans, not
// 5–8 MB of text (peak memory within 2.5× of iptables-restore's).
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { writeCanonical, type RulesetTexts } from '../core/index.js';

/** The file is not the one that was read (replaced, written to, shorter): its spans cannot be copied. */
export class FileChanged extends Error {}

const OUT = 1 << 16;
/** the file is read again through a window of this size (a chain's spans come in file order) */
const WINDOW = 1 << 20;
/** what is read at a span that is not where the last read ended */
const JUMP = 1 << 13;

/**
 * writeCanonical of rt into `write`, in buffers it may keep (a fresh one
 * each time) unless it returns true (done with it: the buffer is filled
 * again, so 100k rules' 8 MB of output do not leave 8 MB of buffers for the
 * collector). `file` and `stat` (as readFilePieces saw it) give the spans'
 * bytes; FileChanged when the file is no longer the one that was read.
 */
export function writeCanonicalBytes(rt: RulesetTexts, file: string, stat: BigIntStats | null, write: (bytes: Uint8Array) => boolean | void): void {
  let out = Buffer.allocUnsafeSlow(OUT);
  let at = 0;
  const flush = () => {
    if (at === 0) return;
    if (write(out.subarray(0, at)) !== true) out = Buffer.allocUnsafeSlow(OUT);
    at = 0;
  };
  const source = new SpanSource(file, stat);
  try {
    writeCanonical(rt, {
      text(s) {
        // at most 3 bytes per UTF-16 unit
        if (s.length * 3 > OUT - at) {
          flush();
          if (s.length * 3 > OUT) {
            write(Buffer.from(s, 'utf8'));
            return;
          }
        }
        at += out.write(s, at, 'utf8');
      },
      bytes(b, start, end) {
        if (end - start > OUT - at) flush();
        const n = end - start;
        if (n < 64) for (let k = 0; k < n; k++) out[at + k] = b[start + k];
        else out.set(b.subarray(start, end), at);
        at += n;
      },
      span(start, end) {
        for (let pos = start; pos < end; ) {
          if (at === OUT) flush();
          const n = source.copy(pos, end, out, at);
          pos += n;
          at += n;
        }
      },
    });
    flush();
    source.close();
  } finally {
    source.dispose();
  }
}

/** The file's bytes again, through a window, checked to be the same file as read (identity, size, times). */
class SpanSource {
  private fd = -1;
  private readonly win = Buffer.allocUnsafeSlow(WINDOW);
  private winStart = 0;
  private winEnd = 0;

  constructor(
    private readonly file: string,
    private readonly stat: BigIntStats | null,
  ) {}

  /** Copies bytes from [pos, end) into out at `at` (as many as fit, at least one); returns how many. */
  copy(pos: number, end: number, out: Buffer, at: number): number {
    if (pos < this.winStart || pos >= this.winEnd) this.fill(pos, end);
    const n = Math.min(end, this.winEnd, pos + (out.length - at)) - pos;
    const from = pos - this.winStart;
    // a span ends at a line end: anything else is another file's bytes
    if (pos + n === end && this.win[from + n - 1] !== 10) throw new FileChanged('the file changed while it was read');
    if (n < 64) for (let k = 0; k < n; k++) out[at + k] = this.win[from + k];
    else this.win.copy(out, at, from, from + n);
    return n;
  }

  private fill(pos: number, end: number): void {
    if (this.fd < 0) this.open();
    // a whole window only when the copy goes on where the last one ended; a jump
    // (the next chain's spans: kube-proxy's 20,000 chains, sorted by name, lie all
    // over the file) reads what the span needs, at least a few pages: 1 MB per
    // jump was 40 GB of copies and 20 s on 100k kube-proxy rules
    const want = pos === this.winEnd ? WINDOW : Math.min(WINDOW, Math.max(end - pos, JUMP));
    const n = readSync(this.fd, this.win, 0, want, pos);
    if (n <= 0) throw new FileChanged('the file changed while it was read');
    this.winStart = pos;
    this.winEnd = pos + n;
  }

  private open(): void {
    if (!this.stat) throw new FileChanged('the file changed while it was read');
    this.fd = openSync(this.file, 'r');
    this.check();
  }

  /** After the last span: the file was not written to while it was copied. */
  close(): void {
    if (this.fd >= 0) this.check();
  }

  dispose(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private check(): void {
    const now = fstatSync(this.fd, { bigint: true });
    const was = this.stat!;
    if (now.dev !== was.dev || now.ino !== was.ino || now.size !== was.size || now.mtimeNs !== was.mtimeNs || now.ctimeNs !== was.ctimeNs) {
      throw new FileChanged('the file changed while it was read');
    }
  }
}
