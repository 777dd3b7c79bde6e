// The diff's new file read with what the old file's reader learnt: most lines of
// two versions of a ruleset are byte for byte the same, and a line the same as
// one of the old file, in a table of the same name whose chains answer the
// line's questions the same way, reads the same — the same canonical text, the
// same commit checks, no error. Such a line of the new file costs a look-up
// instead of a parse (100,000 rules of which a few hundred changed: the new file
// costs a tenth of the old), and its text is the old one's string, so the new
// file's texts take no memory of their own and compare equal at once.
//
// What a line's reading depends on besides its characters, and how that is kept
// the same:
// - the table (its name) and the family: lines are found per table name, and
//   only when both files are read as the same family;
// - the chains the table has: the line's own chain must be there (else it goes
//   the long way, which says why); a line that jumps or goes to a user chain
//   is taken only when the new table has that chain too; a line whose reading
//   asked for a chain that was not there (a target kept as written, say) is
//   never taken;
// - the commit checks: what checkAppended kept of the old line (nothing, the
//   jump, or the key and rule of a run alike) is done again for the new one;
//   a line of any other kind goes the long way.
// A line's notes (warnings) are not repeated: the diff prints a file's findings
// only when it has errors, and then reads it again without this (see diff.ts).
// A file with errors teaches nothing: its reader's lines are not offered.
//
// What is kept of the old file is small: its text (the parts its reader was
// given, about the file's size) and per line where it is in that text, its
// canonical text only when it is not the line itself (most lines of a saved
// ruleset are), and its check. The new file's lines taken from the old are
// kept as runs of the old lines' indexes. resolveDiffTexts makes the texts a
// comparison reads only for the chains that differ: a chain the same in both
// files (most of 37,000 kube-proxy chains) never has a string per line.
import type { Family, Rule, TableName, Target } from './model.js';
import { flat, ownCopy, type ChainTexts, type RulesetTexts } from './ruleset-texts.js';
import { IntPairs } from './int-pairs.js';
import type { ChainLabels } from './diff-align.js';
import type { TakenLines } from './diff-taken.js';

/** A run of rules alike for the commit checks: its key and the rule kept for them (see AppendedChecks.alike). */
interface AlikeCheck {
  readonly key: string;
  readonly rule: Rule;
}

/**
 * What the new file's reader does again for a line: nothing (null), a jump or
 * goto to a chain (the old line's target: nothing changes it, and the new
 * file's line needs no object of its own), or a run alike.
 */
export type LineCheck = Target | AlikeCheck | null;

/** Lines next to the last one found looked at before the map (a few deleted rules). */
const WINDOW = 8;
/** Misses in a row before a chain's lines are put in a map (a block of rules deleted or new). */
const MISSES = 4;

/**
 * The old file's text as its reader was given it: parts of whole lines, each
 * kept with where it starts (characters from the file's start). A line is
 * found in the part it starts in (the last one asked first: lines are read
 * mostly in order).
 */
export class OldSource {
  private readonly parts: string[] = [];
  private readonly starts: number[] = [];
  private end = 0;
  private last = 0;

  /** The next part of the file; returns the offset it starts at. */
  add(part: string): number {
    const at = this.end;
    if (part.length > 0) {
      this.parts.push(part);
      this.starts.push(at);
      this.end += part.length;
    }
    return at;
  }

  /** the part that holds offset `at`, as its index */
  private partOf(at: number): number {
    const starts = this.starts;
    let p = this.last;
    if (p < starts.length && starts[p] <= at && (p + 1 === starts.length || starts[p + 1] > at)) return p;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    this.last = p = lo;
    return p;
  }

  /** The text [start, end) (within one line). */
  slice(start: number, end: number): string {
    const p = this.partOf(start);
    const base = this.starts[p];
    return this.parts[p].slice(start - base, end - base);
  }

  /** Is [start, end) within one part (equals and slice read one part)? */
  onePart(start: number, end: number): boolean {
    const p = this.partOf(start);
    return end <= this.starts[p] + this.parts[p].length;
  }

  /** Is text[from, from + (end - start)) the file's text [start, end)? */
  equals(text: string, from: number, start: number, end: number): boolean {
    const p = this.partOf(start);
    const part = this.parts[p];
    const i = start - this.starts[p];
    // from the last character back (lines of a chain often differ there, and start alike), one
    // by one: startsWith of a slice was a third of the new file's read (a runtime call per line)
    for (let k = end - start - 1; k >= 0; k--) if (part.charCodeAt(i + k) !== text.charCodeAt(from + k)) return false;
    return true;
  }
}

/**
 * One chain's lines as the old file's reader appended them: at each index
 * where the line is in the file (OldSource), its canonical text when not the
 * line itself, and its check.
 */
export class OldChain {
  /** per line: start and end of the line as read (OldSource offsets) */
  private readonly spans = new IntPairs();
  /** per index the canonical text when it is not the line; null until a line has one */
  private canon: (string | null)[] | null = null;
  /** per index, the line cannot be taken (null until one cannot) */
  private never: Uint8Array | null = null;
  /** per index; null until a line has one */
  private checks: LineCheck[] | null = null;
  /** the run alike the chain's last ALIKE line was in, and the check made of it (until seal) */
  private lastRun: AlikeCheck | null = null;
  private lastCheck: AlikeCheck | null = null;
  // the new file's reader: where the last line was found, misses since, and (after many) every line's index
  private at = 0;
  private misses = 0;
  private byRaw: Map<string, number> | null = null;

  constructor(
    readonly name: string,
    private readonly src: OldSource,
  ) {}

  /** lines recorded */
  get length(): number {
    return this.spans.length >> 1;
  }

  /**
   * The old reader appended the line at [start, end) of the source, whose
   * canonical text is `text` (null: the line itself); `check` undefined: the
   * line cannot be taken.
   */
  record(start: number, end: number, text: string | null, check: LineCheck | undefined): void {
    const k = this.length;
    this.spans.push(start, end);
    if (text !== null) (this.canon ??= new Array<string | null>(k).fill(null)).push(ownCopy(text));
    else if (this.canon) this.canon.push(null);
    if (check === undefined) {
      if (!this.never) this.never = new Uint8Array(Math.max(16, 2 * k + 2));
      else if (this.never.length <= k) {
        const more = new Uint8Array(2 * k + 2);
        more.set(this.never);
        this.never = more;
      }
      this.never[k] = 1;
    }
    if (check !== null && check !== undefined) {
      if (!this.checks) this.checks = new Array<LineCheck>(k).fill(null);
      this.checks.push(check);
    } else if (this.checks) this.checks.push(null);
  }

  /** The check of a line of the run alike `run` (what lastAlikeOf gives): one object per run, not per line. */
  alike(run: AlikeCheck): AlikeCheck {
    if (run !== this.lastRun) {
      this.lastRun = run;
      // the key is built of many small strings (and words of the file): one string of its own
      this.lastCheck = { key: ownCopy(flat(run.key)), rule: run.rule };
    }
    return this.lastCheck!;
  }

  /** After the old file's last line: arrays of their length (a push leaves room), nothing of the reader's runs. */
  seal(): void {
    this.lastRun = this.lastCheck = null;
    if (this.canon) this.canon = this.canon.slice();
    if (this.checks) this.checks = this.checks.slice();
  }

  checkOf(k: number): LineCheck {
    return this.checks ? this.checks[k] : null;
  }

  /** Line k's canonical text. */
  text(k: number): string {
    const c = this.canon ? this.canon[k] : null;
    return c ?? this.src.slice(this.spans.at(2 * k), this.spans.at(2 * k + 1));
  }

  /** Every line's canonical text. */
  texts(): string[] {
    const n = this.length;
    const out = new Array<string>(n);
    for (let k = 0; k < n; k++) out[k] = this.text(k);
    return out;
  }

  private takes(k: number): boolean {
    return this.never === null || k >= this.never.length || this.never[k] === 0;
  }

  /**
   * The old chain's lines from `at` (where find looks first) to its last, as
   * one run of the old file's text: their start, and their end (the last
   * line's, without its line end); null when they are not next to each other
   * in one part of the text, or one of them cannot be taken.
   */
  private restRun(): { start: number; end: number } | null {
    const n = this.length;
    const k0 = this.at;
    // (never has a 1 only at a line's index)
    if (k0 >= n || (this.never !== null && this.never.indexOf(1, k0) >= 0)) return null;
    const spans = this.spans;
    for (let k = k0 + 1; k < n; k++) if (spans.at(2 * k) !== spans.at(2 * k - 1) + 1) return null;
    const start = spans.at(2 * k0);
    const end = spans.at(2 * n - 1);
    return this.src.onePart(start, end) ? { start, end } : null;
  }

  /** where find looks first: the line after the last one found */
  get next(): number {
    return this.at;
  }

  /**
   * Are the old chain's lines from `next` to its last (two or more) the
   * text from text[from], byte for byte, the last of them ended by a line end
   * in `text`? Their length (line ends between them included), else -1. The
   * new file's reader then takes them in one go, as find would one by one
   * (each is the first line find looks at): compared as one run of text,
   * without a look at each line.
   */
  restAt(text: string, from: number): number {
    if (this.length - this.at < 2) return -1;
    const run = this.restRun();
    if (run === null) return -1;
    const len = run.end - run.start;
    if (from + len >= text.length || text.charCodeAt(from + len) !== 10) return -1;
    return this.src.equals(text, from, run.start, run.end) ? len : -1;
  }

  /** After restAt: the new file took the rest of the lines (find's state as after as many finds). */
  tookRest(): void {
    this.at = this.length;
    this.misses = 0;
  }

  /** The index of a line equal to text[from, to), or -1: the lines after the last found first, then (after misses) all. */
  find(text: string, from: number, to: number): number {
    const n = this.length;
    const end = Math.min(n, this.at + WINDOW);
    const len = to - from;
    const spans = this.spans;
    for (let k = this.at; k < end; k++) {
      const s = spans.at(2 * k);
      const e = spans.at(2 * k + 1);
      if (e - s === len && this.src.equals(text, from, s, e) && this.takes(k)) {
        this.at = k + 1;
        this.misses = 0;
        return k;
      }
    }
    if (this.byRaw === null && ++this.misses < MISSES) return -1;
    const k = this.map().get(text.slice(from, to));
    if (k === undefined) return -1;
    this.at = k + 1;
    return k;
  }

  private map(): Map<string, number> {
    if (this.byRaw) return this.byRaw;
    const m = new Map<string, number>();
    const n = this.length;
    for (let k = 0; k < n; k++) {
      if (!this.takes(k)) continue;
      const r = this.src.slice(this.spans.at(2 * k), this.spans.at(2 * k + 1));
      if (!m.has(r)) m.set(r, k);
    }
    return (this.byRaw = m);
  }
}

/** Everything the old file's reader offers the new one's: per table name, its chains' lines. */
export class OldLines {
  // the chain of the last line looked up, and its table's chains
  private lastTable: TableName | null = null;
  private lastChains: Map<string, OldChain> | undefined;
  private last: OldChain | null = null;

  /** rule lines recorded */
  readonly lines: number;

  constructor(
    readonly family: Family,
    private readonly tables: ReadonlyMap<TableName, Map<string, OldChain>>,
  ) {
    let n = 0;
    for (const t of tables.values()) for (const c of t.values()) n += c.length;
    this.lines = n;
  }

  /** The old chain of the line text[from, to)'s `-A NAME ` in the table, if it had lines; null for a line written otherwise. */
  chainOf(table: TableName, text: string, from: number, to: number): OldChain | null {
    if (table !== this.lastTable) {
      this.lastTable = table;
      this.lastChains = this.tables.get(table);
      this.last = null;
    }
    const chains = this.lastChains;
    if (!chains || to - from < 4 || text.charCodeAt(from) !== 45 || text.charCodeAt(from + 1) !== 65 || text.charCodeAt(from + 2) !== 32) return null;
    // the same chain as the line before: no slice of its name
    const last = this.last;
    const at = from + 3;
    if (last !== null && at + last.name.length < to && text.startsWith(last.name, at) && text.charCodeAt(at + last.name.length) === 32) return last;
    const sp = text.indexOf(' ', at);
    if (sp <= at || sp >= to) return null;
    const c = chains.get(text.slice(at, sp)) ?? null;
    if (c) this.last = c;
    return c;
  }

  /** The chain `name` of table `table` (recorded with lines), if any. */
  chain(table: TableName, name: string): OldChain | undefined {
    return this.tables.get(table)?.get(name);
  }
}


/** FNV-1a of a text's characters (a label's first guess; texts with equal hashes are compared). */
function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619);
  return h;
}

/**
 * Labels for the alignment (ChainLabels) of an old chain's texts and the new
 * chain's, which took lines of it: old rule i is the first old rule equal to
 * it, found by a table of hashes (typed arrays: no Map or Set of 70,000
 * strings, which hashed each text again and grew as they went); a taken line
 * is its old line's label without a look at its text; a line of the new
 * chain's own is looked up, and is `n` when no old rule equals it.
 */
function chainLabels(old: readonly string[], taken: TakenLines, texts: readonly string[]): ChainLabels {
  const n = old.length;
  let size = 16;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  const keys = new Int32Array(size);
  const firsts = new Int32Array(size).fill(-1);
  const a = new Int32Array(n);
  const lookup = (s: string, add: number): number => {
    const h = hashText(s);
    let slot = h & mask;
    for (;;) {
      const f = firsts[slot];
      if (f < 0) break;
      if (keys[slot] === h && old[f] === s) return f;
      slot = (slot + 1) & mask;
    }
    if (add >= 0) {
      keys[slot] = h;
      firsts[slot] = add;
      return add;
    }
    return n;
  };
  for (let i = 0; i < n; i++) a[i] = lookup(old[i], i);
  const m = texts.length;
  const b = new Int32Array(m).fill(-1);
  taken.each((j, k, count) => {
    for (let x = 0; x < count; x++) b[j + x] = a[k + x];
  });
  for (let j = 0; j < m; j++) if (b[j] < 0) b[j] = lookup(texts[j], -1);
  return { a, b, count: n + 1 };
}

/** The texts of a chain with taken lines: the old chain's strings where taken, its own texts elsewhere. */
function takenTexts(taken: { lines: TakenLines; count: number }, own: readonly string[], old: readonly string[]): string[] {
  const out = new Array<string>(taken.count);
  let o = 0;
  let j = 0;
  taken.lines.each((start, from, count) => {
    while (j < start) out[j++] = own[o++];
    for (let x = 0; x < count; x++) out[j++] = old[from + x];
  });
  while (j < taken.count) out[j++] = own[o++];
  return out;
}

const SAME: string[] = [];

/**
 * The two files' texts for a comparison (diffRulesetTexts), made in place (and
 * returned), from the old
 * file read with `record` (its chains' lines in `old`) and the new file read
 * with them: a chain whose every line the new file took from the same place
 * of the old one is the same on both sides, and is given no texts on either
 * (one empty array, which a comparison sees as equal and skips); the others
 * get their texts, the new side the very strings of the old where it took
 * lines. (Only chains a comparison that skips equal chains leaves out: the
 * same policy, the same rules.) With `all`, every chain gets its texts (for tests).
 */
export function resolveDiffTexts(a: RulesetTexts, old: OldLines | null, b: RulesetTexts, all = false): [RulesetTexts, RulesetTexts] {
  // a recorded old chain's texts are empty until made here (or left out: SAME)
  const oldTexts = (t: TableName, c: ChainTexts): string[] => {
    if (c.texts.length === 0 && c.texts !== SAME) {
      const oc = old?.chain(t, c.name);
      if (oc && oc.length > 0) c.texts = oc.texts();
    }
    return c.texts;
  };
  for (const tb of b.tables) {
    const ta = a.tables.find((t) => t.name === tb.name);
    const olds = ta ? ta.chains : [];
    // the old table's chains in the same order mostly: looked at next to the last one found, else by name
    let at = 0;
    let byName: Map<string, number> | null = null;
    for (const cb of tb.chains) {
      const taken = cb.taken;
      if (!taken) continue;
      const k = olds[at]?.name === cb.name ? at : (byName ??= new Map(olds.map((c, x) => [c.name, x]))).get(cb.name);
      const ca = k === undefined ? undefined : olds[k];
      if (k !== undefined) at = k + 1;
      const oc = taken.lines.old as OldChain;
      if (!ca || !old) throw new Error(`internal: chain ${cb.name} took lines of an old chain that is not there`);
      cb.taken = undefined;
      // (a policy changed shows the chain's rules as unchanged rows: they are made then)
      if (!all && ca.policy === cb.policy && ca.builtin === cb.builtin && taken.lines.isOld(taken.count, oc.length)) {
        ca.texts = cb.texts = SAME;
        continue;
      }
      const ot = oldTexts(tb.name, ca);
      const nt = takenTexts(taken, cb.texts, ot);
      cb.texts = nt;
      if (!all) ca.labels = cb.labels = chainLabels(ot, taken.lines, nt);
    }
  }
  // the old chains no new chain took lines of: their texts
  for (const ta of a.tables) for (const c of ta.chains) oldTexts(ta.name, c);
  return [a, b];
}
