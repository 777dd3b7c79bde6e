// A ruleset reduced to what a diff or `canon` prints: per table, each chain's
// policy and its rules as canonical `-A CHAIN …` lines.
import type { Chain, Ruleset, TableName } from './model.js';
import { canonicalRuleBody, savedOrder } from './canonical.js';
import { IntPairs } from './int-pairs.js';
import type { TakenLines } from './diff-taken.js';
import type { ChainLabels } from './diff-align.js';

/**
 * What the diff compares: per table, each chain's policy and its rules as
 * canonical `-A CHAIN …` lines. Small and plain (strings and arrays), so it can
 * be made where the file is parsed — in another thread, say — and sent over.
 */
export interface ChainTexts {
  name: string;
  builtin: boolean;
  /** builtin chains only */
  policy: string | null;
  texts: string[];
  /** read with spans (parseRulesetPieces' `spans`, for `canon`): the chain's lines instead of `texts` */
  parts?: CanonLines;
  /**
   * the diff's new file read with the old one's lines (diff-reuse.ts): the
   * lines taken from there (`texts` then holds the others only) and how many
   * lines the chain has; resolveDiffTexts makes its whole texts
   */
  taken?: { lines: TakenLines; count: number };
  /**
   * the diff's two files (resolveDiffTexts): the same object on the old and
   * the new side of a chain whose rules are labelled for the alignment
   */
  labels?: ChainLabels;
}

/**
 * A chain's canonical lines in order, each a text or a run of the file's
 * bytes that is already those lines with their line ends (lines that were
 * their own canonical text, next to each other in the file): nothing of the
 * file is kept for them, only where they are. A text of ASCII characters is
 * kept as bytes (LineBytes, shared by the reader's chains), not a string.
 */
export class CanonLines extends IntPairs {
  /** the texts (made on the first: most chains have none) */
  texts: string[] | null = null;

  constructor(readonly bytes: LineBytes | null = null) {
    super();
  }

  /**
   * per entry: start and end of the file's bytes; or -1 and the index of its
   * text; or -2 - start and end of its bytes in `bytes` (with its line end).
   * The pairs are the object itself: one object per chain, not two.
   */
  get entries(): IntPairs {
    return this;
  }

  /** the file's bytes [start, end) (at most 2^31 - 1): the last run made longer when it ends there */
  span(start: number, end: number): void {
    const n = this.length;
    if (n > 0 && this.at(n - 1) === start && this.at(n - 2) >= 0) this.setLast(end);
    else this.push(start, end);
  }

  text(s: string): void {
    const start = this.bytes !== null ? this.bytes.add(s) : -1;
    if (start < 0) this.entries.push(-1, (this.texts ??= []).push(s) - 1);
    else this.kept(start);
  }

  /** text(a + b + c), without joining them when the line is kept as bytes */
  text3(a: string, b: string, c: string): void {
    const bytes = this.bytes;
    if (bytes !== null && bytes.open(a.length + b.length + c.length)) {
      if (bytes.copy(a, 0, a.length) && bytes.copy(b, 0, b.length) && bytes.copy(c, 0, c.length)) return this.kept(bytes.close());
      bytes.cancel();
    }
    this.push(-1, (this.texts ??= []).push(flat(a + b + c)) - 1);
  }

  /** the line LineBytes.close() just kept at `start` */
  kept(start: number): void {
    const e = this.entries;
    const n = e.length;
    const end = this.bytes!.end;
    // right after the last line kept for this chain, in the same chunk: one entry
    if (n > 0 && e.at(n - 1) === start && e.at(n - 2) < -1 && start % CHUNK !== 0) e.setLast(end);
    else e.push(-2 - start, end);
  }
}

/** a chunk of LineBytes; a line is in one (a longer one stays a string) */
const CHUNK = 1 << 16;

/**
 * The canonical lines a reader made (not the file's), as ASCII bytes in
 * chunks of 64 KB outside V8's heap, each with its line end. As strings,
 * 60,000 rewritten IPv6 lines were copied by each scavenge they lived
 * through, promoted, and then cost a mark-compact of the old generation
 * (19 ms of 100k blocklist6's canon); here they are a few chunks. A position
 * is chunk × CHUNK + offset (at most 2^31 - 2, as CanonLines keeps them).
 */
export class LineBytes {
  readonly chunks: Uint8Array[] = [];
  private chunk = new Uint8Array(0);
  /** offset of the next byte in `chunk`, and of the line being written */
  private off = 0;
  private lineOff = 0;

  /** position of the next byte */
  get end(): number {
    return (this.chunks.length - 1) * CHUNK + this.off;
  }

  /** s (and a line end) kept; its start, or -1 when s is not ASCII or too long (nothing kept) */
  add(s: string): number {
    if (!this.open(s.length)) return -1;
    return this.copy(s, 0, s.length) ? this.close() : this.cancel();
  }

  /** a line of `length` characters begins (written by copy(), then close()); false when there is no room left */
  open(length: number): boolean {
    if (length + 1 > CHUNK) return false;
    if (this.off + length + 1 > this.chunk.length) {
      // positions are kept as Int32s (CanonLines): past 2 GB of lines the rest stay strings
      if ((this.chunks.length + 1) * CHUNK >= 0x7ffffffe) return false;
      this.chunk = new Uint8Array(CHUNK);
      this.chunks.push(this.chunk);
      this.off = 0;
    }
    this.lineOff = this.off;
    return true;
  }

  /** s[from, to) is written; false when it is not ASCII or the line no longer fits its chunk */
  copy(s: string, from: number, to: number): boolean {
    const c = this.chunk;
    let at = this.off;
    if (at + (to - from) + 1 > c.length) return false;
    for (let k = from; k < to; k++) {
      const code = s.charCodeAt(k);
      if (code > 127) return false;
      c[at++] = code;
    }
    this.off = at;
    return true;
  }

  /** the line is done (its line end added): its start */
  close(): number {
    this.chunk[this.off++] = 10;
    return (this.chunks.length - 1) * CHUNK + this.lineOff;
  }

  /** the line written since open() is dropped: -1 */
  cancel(): number {
    this.off = this.lineOff;
    return -1;
  }
}
export interface RulesetTexts {
  tables: { name: TableName; chains: ChainTexts[] }[];
}

/** `stop`: called every 2,048 rules (and per chain); throw from it to give the work up (the app's cancel) */
export function rulesetTexts(rs: Ruleset, stop?: () => void): RulesetTexts {
  return {
    tables: rs.tables.map((t) => ({
      name: t.name,
      chains: t.chains.map((c) => ({ name: c.name, builtin: c.builtin, policy: c.builtin ? (c.policy ?? 'ACCEPT') : null, texts: chainTexts(c, stop) })),
    })),
  };
}

function chainTexts(c: Chain, stop?: () => void): string[] {
  const head = `-A ${c.name}`;
  const out = new Array<string>(c.rules.length);
  stop?.();
  for (let k = 0; k < c.rules.length; k++) {
    if (stop && (k & 2047) === 2047) stop();
    out[k] = flat(head + canonicalRuleBody(c.rules[k]));
  }
  return out;
}

/**
 * The same string, stored flat. A rule's line is built from a dozen small
 * pieces, which V8 keeps as a tree (a ConsString per +) until something reads
 * its characters; reading one flattens it, and the next GC drops the tree — about
 * 100 bytes and more per kept line, 10 MB and more on 100,000 rules.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * A copy of s that does not share the characters of a longer string. V8 makes
 * a slice of 13 characters or more (a word of a line of the file) a view into
 * the string it came from: one chain name such as KUBE-SEP-… or
 * DOCKER-ISOLATION-STAGE-1 kept to the end keeps the whole file's text alive
 * with it (15 MB on 100k kube-proxy rules). Its two parts concatenated and
 * read are a string of its own characters (see flat; the GC drops the tree),
 * not a view: a view of a copy (' ' + s, sliced) compares and hashes several
 * times slower (canon sorts a kube-proxy table's 37,000 chain names).
 */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : flat(s.slice(0, 1) + s.slice(1));
}

/**
 * `canon` from texts: what canonicalRuleset prints without counters — tables
 * newest first, builtin chains in hook order then user chains by name, [0:0].
 */
export function canonicalFromTexts(rt: RulesetTexts): string {
  return [...canonicalChunks(rt)].join('');
}

/**
 * canonicalFromTexts in pieces of at most a few thousand lines, so that a
 * writer can send 100,000 rules out without a copy of all of them in one string.
 */
function* canonicalChunks(rt: RulesetTexts): Generator<string> {
  for (let k = rt.tables.length - 1; k >= 0; k--) {
    const t = rt.tables[k];
    const chains = savedOrder(t.chains);
    // lines gathered across chains: 20,000 chains of a few rules each are a few chunks, not a write each
    let lines: string[] = [`*${t.name}`];
    for (const c of chains) {
      lines.push(`:${c.name} ${c.builtin ? (c.policy ?? 'ACCEPT') : '-'} [0:0]`);
      if (lines.length >= BATCH) {
        yield lines.join('\n') + '\n';
        lines = [];
      }
    }
    for (const c of chains) {
      const texts = c.texts;
      for (let k = 0; k < texts.length; k++) {
        lines.push(texts[k]);
        if (lines.length >= BATCH) {
          yield lines.join('\n') + '\n';
          lines = [];
        }
      }
    }
    lines.push('COMMIT');
    yield lines.join('\n') + '\n';
  }
}

/** Where writeCanonical puts the canonical text: strings, and runs of the file's bytes (ChainTexts.parts). */
interface CanonicalSink {
  text(s: string): void;
  /** the file's bytes [start, end) */
  span(start: number, end: number): void;
  /** bytes[start, end): ASCII lines with their line ends (LineBytes) */
  bytes(bytes: Uint8Array, start: number, end: number): void;
}

/** canonicalChunks for texts read with spans (or without), into a sink: each chain's parts as they are. */
export function writeCanonical(rt: RulesetTexts, sink: CanonicalSink): void {
  for (let k = rt.tables.length - 1; k >= 0; k--) {
    const t = rt.tables[k];
    const chains = savedOrder(t.chains);
    sink.text(`*${t.name}\n`);
    for (const c of chains) sink.text(`:${c.name} ${c.builtin ? (c.policy ?? 'ACCEPT') : '-'} [0:0]\n`);
    for (const c of chains) {
      const parts = c.parts;
      if (!parts) {
        for (let j = 0; j < c.texts.length; j++) sink.text(c.texts[j] + '\n');
        continue;
      }
      const e = parts.entries;
      for (let j = 0; j < e.length; j += 2) {
        const start = e.at(j);
        if (start >= 0) sink.span(start, e.at(j + 1));
        else if (start === -1) sink.text(parts.texts![e.at(j + 1)] + '\n');
        else {
          const at = -2 - start;
          sink.bytes(parts.bytes!.chunks[Math.floor(at / CHUNK)], at % CHUNK, at % CHUNK + e.at(j + 1) - at);
        }
      }
    }
    sink.text('COMMIT\n');
  }
}

// a chunk stays under ~64 KB, in the young generation: 4,096 lines (600 KB) went
// to the large-object space, which only a full GC frees (100k kube-proxy rules: +18 MB)
const BATCH = 256;
