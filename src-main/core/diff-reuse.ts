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
import type { Family, Rule, TableName, Target } from './model.js';
import { flat, ownCopy } from './ruleset-texts.js';

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
 * One chain's lines as the old file's reader appended them: at each index its
 * canonical text (the reader's own array), the line as read (null when it
 * cannot be taken) and its check.
 */
export class OldChain {
  /**
   * the lines as read, made only once one is not its canonical text (or
   * cannot be taken): until then the texts are the lines (a saved ruleset is
   * mostly canonical)
   */
  private raws: (string | null)[] | null = null;
  private count = 0;
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
    public texts: string[],
  ) {}

  /** The old reader appended texts[k] (the next) from `raw`; `check` undefined: the line cannot be taken. */
  record(raw: string, check: LineCheck | undefined): void {
    const k = this.count++;
    const text = this.texts[k];
    // a copy of a line of its own (a slice would keep the whole piece of the file it was read in)
    const value = check === undefined ? null : raw === text ? text : ownCopy(raw);
    if (this.raws) this.raws.push(value);
    else if (value !== text) {
      const raws: (string | null)[] = this.texts.slice(0, k);
      raws.push(value);
      this.raws = raws;
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

  /**
   * After the old file's last line: arrays of their length (a push leaves
   * room for more: 36,000 kube-proxy chains of two or three rules each), and
   * nothing of the reader's runs. Returns the texts array to use from now on.
   */
  seal(): string[] {
    this.lastRun = this.lastCheck = null;
    this.texts = this.texts.slice();
    if (this.raws) this.raws = this.raws.slice();
    if (this.checks) this.checks = this.checks.slice();
    return this.texts;
  }

  checkOf(k: number): LineCheck {
    return this.checks ? this.checks[k] : null;
  }

  /** The index of a line equal to text[from, to), or -1: the lines after the last found first, then (after misses) all. */
  find(text: string, from: number, to: number): number {
    const raws = this.raws ?? this.texts;
    const end = Math.min(raws.length, this.at + WINDOW);
    const len = to - from;
    for (let k = this.at; k < end; k++) {
      const r = raws[k];
      if (r !== null && r.length === len && text.startsWith(r, from)) {
        this.at = k + 1;
        this.misses = 0;
        return k;
      }
    }
    if (this.byRaw === null && ++this.misses < MISSES) return -1;
    const k = this.map(raws).get(text.slice(from, to));
    if (k === undefined) return -1;
    this.at = k + 1;
    return k;
  }

  private map(raws: readonly (string | null)[]): Map<string, number> {
    if (this.byRaw) return this.byRaw;
    const m = new Map<string, number>();
    for (let k = 0; k < raws.length; k++) {
      const r = raws[k];
      if (r !== null && !m.has(r)) m.set(r, k);
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

  constructor(
    readonly family: Family,
    private readonly tables: ReadonlyMap<TableName, Map<string, OldChain>>,
  ) {}

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
}
