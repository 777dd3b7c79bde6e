// A large file's model as the page holds it: the worker owns the parsed
// rules; the page gets each rule as one canonical line in a single UTF-8
// buffer (transferred; with the rule's source line and part in typed arrays) and makes a Rule
// object of a line only when something reads it — the rows on screen, the
// selected rule's details, an edit dialog. 100,000 rules on the page are then
// four typed arrays, not 100,000 object graphs for the page's
// structured clone to build and its garbage collector to walk.
//
// A chain's `rules` is an array-like over those lines (a Proxy over a plain
// array that fills in as it is read), so code written for a plain model (a
// host's merge, the recipe preview) still works on a large file; it only pays
// for what it reads.
import { canonicalRule, parseRuleset, type Chain, type Counters, type DisabledRule, type Family, type Finding, type Rule, type Ruleset, type Table, type TableName } from '../../../src-main/core/index.js';

/** what the worker sends for a large file's parse (the `parse` job's answer) */
export interface CompactParse {
  family: Family;
  finalNewline: boolean;
  findings: Finding[];
  tables: CompactTable[];
  /** every active rule's canonical line with its counters (`[p:b] -A CHAIN …`), in table and chain order, each ended by \n: UTF-8 */
  canon: Uint8Array;
  /** where rule k's line starts in `canon` (starts[n]: the end) */
  starts: Int32Array;
  /** per rule (same order): its source line (0: none) and its part (-1: none) */
  line: Int32Array;
  part: Int32Array;
  /** some rule or disabled rule has counters (the list shows their column) */
  hasCounters: boolean;
}

export interface CompactTable {
  name: TableName;
  source?: Table['source'];
  chains: CompactChain[];
}

export interface CompactChain {
  name: string;
  builtin: boolean;
  policy: Chain['policy'];
  counters: Counters | null;
  source?: Chain['source'];
  disabled: DisabledRule[];
  /** how many active rules; they are the next ones in `canon` */
  ruleCount: number;
}

/**
 * The lazy rules of one chain: each Rule made when first read. Where they come
 * from is the subclass's: a run of a RuleColumns (ColumnRules), the rules
 * before an edit with its splice (SplicedRules), the same rules with their
 * lines moved (MovedRules).
 */
export abstract class LazyRules {
  private readonly made: (Rule | undefined)[];
  constructor(
    readonly table: TableName,
    readonly chain: string,
    readonly length: number,
  ) {
    this.made = new Array(length);
  }

  /** the source line of rule k without making the rule */
  abstract lineOf(k: number): number;

  /** rule k made anew, its source line `line` */
  abstract ruleAt(k: number, line: number): Rule;

  at(k: number): Rule | undefined {
    if (k < 0 || k >= this.length) return undefined;
    return (this.made[k] ??= this.ruleAt(k, this.lineOf(k)));
  }

  /** the same rules with their lines moved (old line → new, `moved`) */
  movedBy(moved: Int32Array): LazyRules {
    const lines = new Int32Array(this.length);
    for (let k = 0; k < this.length; k++) {
      const l = this.lineOf(k);
      lines[k] = l > 0 ? moved[l] : 0;
    }
    return new MovedRules(this, lines);
  }
}

/** a chain's rules read from a run of columns (a model's, or a changed chain's own) */
class ColumnRules extends LazyRules {
  constructor(
    private readonly cols: RuleColumns,
    table: TableName,
    chain: string,
    /** index of this chain's first rule in the columns */
    private readonly first: number,
    length: number,
  ) {
    super(table, chain, length);
  }
  lineOf(k: number): number {
    return this.cols.line[this.first + k];
  }
  ruleAt(k: number, line: number): Rule {
    return this.cols.decode(this.table, this.first + k, line);
  }
}

/** rules whose lines moved since they were read (an edit above them): their lines listed */
class MovedRules extends LazyRules {
  constructor(
    private readonly base: LazyRules,
    private readonly lines: Int32Array,
  ) {
    super(base.table, base.chain, base.length);
  }
  lineOf(k: number): number {
    return this.lines[k];
  }
  ruleAt(k: number, line: number): Rule {
    return this.base.ruleAt(k, line);
  }
  /** moved again: still one step from the rules it reads through */
  override movedBy(moved: Int32Array): LazyRules {
    const lines = this.lines.map((l) => (l > 0 ? moved[l] : 0));
    return new MovedRules(this.base, lines);
  }
}

/**
 * A changed chain's rules after an edit as the rules before it with a splice:
 * rules [first, first + remove) of `base` replaced by `mid` (the edit's own,
 * read from its columns); the kept ones read through `base`, their lines
 * moved by the edit's `moved` (null: no line moved). No 70,000 canonical lines
 * of a blocklist chain sent and read again for one disabled rule. The lines
 * are listed once (a look-up per row, however many edits deep); a rule shown
 * is read through the edits.
 */
class SplicedRules extends LazyRules {
  private readonly lines: Int32Array;
  constructor(
    private readonly base: LazyRules,
    private readonly first: number,
    private readonly remove: number,
    private readonly mid: LazyRules,
    moved: Int32Array | null,
  ) {
    super(base.table, base.chain, base.length - remove + mid.length);
    const lines = (this.lines = new Int32Array(this.length));
    for (let k = 0; k < this.length; k++) {
      const b = this.baseIndex(k);
      const l = b < 0 ? mid.lineOf(k - first) : base.lineOf(b);
      lines[k] = b >= 0 && moved && l > 0 ? moved[l] : l;
    }
  }
  /** where rule k is: in `mid` (-1: at k - first), or `base`'s rule of this index */
  private baseIndex(k: number): number {
    if (k < this.first) return k;
    return k < this.first + this.mid.length ? -1 : k - this.mid.length + this.remove;
  }
  lineOf(k: number): number {
    return this.lines[k];
  }
  ruleAt(k: number, line: number): Rule {
    const b = this.baseIndex(k);
    return b < 0 ? this.mid.ruleAt(k - this.first, line) : this.base.ruleAt(b, line);
  }
}

/** What a lazy array reads through: its length and its k-th element, made when read (a chain's rules, a text's lines). */
interface ArrayAccount<T> {
  readonly length: number;
  at(k: number): T | undefined;
}

/** where a lazy array keeps its account (on the proxy's target: one handler serves every array) */
const ACCOUNT = Symbol('lazy array account');

type LazyTarget<T> = T[] & { [ACCOUNT]: ArrayAccount<T> };

/** The lazy account of a chain's rules, or undefined for a plain array. */
export function lazyRules(rules: readonly Rule[]): LazyRules | undefined {
  const account = (rules as Partial<LazyTarget<Rule>>)[ACCOUNT];
  return account instanceof LazyRules ? account : undefined;
}

/** reads of an index, iteration and length go to the account; array methods (map, some, slice …) read those through it */
const HANDLER: ProxyHandler<LazyTarget<unknown>> = {
  get(t, key, receiver) {
    const a = t[ACCOUNT];
    if (key === 'length') return a.length;
    if (typeof key === 'string') {
      const k = indexKey(key);
      if (k >= 0) return k < a.length ? a.at(k) : undefined;
    }
    if (key === Symbol.iterator)
      return function* () {
        for (let k = 0; k < a.length; k++) yield a.at(k);
      };
    return Reflect.get(t, key, receiver);
  },
  has(t, key) {
    if (typeof key === 'string') {
      const k = indexKey(key);
      if (k >= 0) return k < t[ACCOUNT].length;
    }
    return Reflect.has(t, key);
  },
  set() {
    // the model is the worker's: a change is an edit, never a write here
    return false;
  },
  ownKeys(t) {
    const keys: (string | symbol)[] = [];
    for (let k = 0; k < t[ACCOUNT].length; k++) keys.push(String(k));
    keys.push('length', ACCOUNT);
    return keys;
  },
  getOwnPropertyDescriptor(t, key) {
    const a = t[ACCOUNT];
    if (key === 'length') return { value: a.length, writable: true, enumerable: false, configurable: false };
    if (typeof key === 'string') {
      const k = indexKey(key);
      if (k >= 0 && k < a.length) return { value: a.at(k), writable: false, enumerable: true, configurable: true };
    }
    return Reflect.getOwnPropertyDescriptor(t, key);
  },
};

/** An array (Array.isArray holds: the target is one) whose elements are read through `account`. */
function lazyArray<T>(account: ArrayAccount<T>): T[] {
  const target = [] as T[];
  Object.defineProperty(target, ACCOUNT, { value: account, enumerable: false, configurable: true });
  return new Proxy(target as LazyTarget<T>, HANDLER as ProxyHandler<LazyTarget<T>>);
}

/** The array a chain's `rules` is. */
function rulesArray(lazy: LazyRules): Rule[] {
  return lazyArray(lazy);
}

function indexKey(key: string): number {
  // "0", "17" — not "01", "1.5", "-1"
  return /^(?:0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
}

/**
 * Rules as canonical lines (UTF-8, one buffer) with their source lines and
 * parts, and what reading one back needs: the file's lines as written and
 * the user chains of each table. A model's rules sit in one of these; after
 * an edit, a changed chain's rules in one of their own.
 */
class RuleColumns {
  private readonly utf8 = new TextDecoder();
  constructor(
    readonly canon: Uint8Array,
    readonly starts: Int32Array,
    readonly line: Int32Array,
    readonly part: Int32Array,
    /** the lines of the file these columns were read from */
    private readonly lines: readonly string[],
    private readonly userChains: ReadonlyMap<TableName, ReadonlySet<string>>,
    private readonly family: Family,
  ) {}

  /**
   * Rule `i`: read again from its line as written (so it is the rule the
   * file's line gives, `-p tcp --dport 22` with its implicit match) in a
   * table that declares the chains it names, when that reads back as the
   * worker's canonical line; otherwise from that canonical line (a line that
   * was changed by a later -R or -E, an -I at a position). `at`: its line now.
   */
  decode(table: TableName, i: number, at = this.line[i]): Rule {
    const canon = this.utf8.decode(this.canon.subarray(this.starts[i], this.starts[i + 1] - 1));
    const chain = /^(?:\[\d+:\d+\] )?-A (\S+)/.exec(canon)?.[1] ?? '';
    const line = this.line[i];
    const part = this.part[i];
    const written = line > 0 ? this.lines[line - 1] : undefined;
    const fromLine = written === undefined ? undefined : this.readRule(table, written, part);
    const fromCanon = fromLine && withCounters(chain, fromLine) === canon ? fromLine : this.readRule(table, canon, -1);
    const source = at ? { line: at, ...(part >= 0 ? { part } : {}) } : undefined;
    // the worker read this rule from the file: its canonical line always reads back; if not, say so where the rule is shown
    if (!fromCanon) {
      const target = { kind: 'jump' as const, name: `(not read back: ${canon})`, options: [], state: null };
      return { src: null, dst: null, inIface: null, outIface: null, proto: null, fragment: null, matches: [], target, counters: null, ...(source ? { source } : {}) };
    }
    if (source) fromCanon.source = source;
    else delete fromCanon.source;
    return fromCanon;
  }

  /** the `part`-th rule (0: the only one) one rule line makes in a table of its own */
  private readRule(table: TableName, text: string, part: number): Rule | undefined {
    const user = this.userChains.get(table);
    const names = new Set<string>();
    for (const m of text.matchAll(/(?:^|\s)(?:-A|--append|-I|--insert|-j|--jump|-g|--goto)[\s=]+([^\s"']+)/g)) if (user?.has(m[1])) names.add(m[1]);
    const doc = `*${table}\n${[...names].map((n) => `:${n} - [0:0]\n`).join('')}${text}\nCOMMIT\n`;
    const p = parseRuleset(doc, { family: this.family });
    if (p.findings.some((f) => f.severity === 'error')) return undefined;
    for (const c of p.ruleset.tables[0]?.chains ?? []) {
      const r = part >= 0 ? c.rules.find((x) => x.source?.part === part) : c.rules.length === 1 ? c.rules[0] : undefined;
      if (r) return r;
    }
    return undefined;
  }
}

/**
 * What changed in the model with a staged edit the worker made (the `edit`
 * job's answer when the page holds the model before it): the chains whose
 * rules changed, each with its rules as columns of their own; the chains whose
 * lines moved (a line added or deleted above them), read from the columns
 * they had; every other chain is the very object it was.
 */
export interface ModelPatch {
  finalNewline: boolean;
  findings: Finding[];
  hasCounters: boolean;
  /** every table's name and source, in order (the tables themselves are the same) */
  tables: { name: TableName; source?: Table['source'] }[];
  chains: PatchChain[];
  /** old 1-based line → new (0: gone); null when no line moved */
  moved: Int32Array | null;
}

export interface PatchChain {
  /** the table's and the chain's place in the model */
  t: number;
  c: number;
  /** the chain as the worker has it now (its disabled rules, source, count) */
  chain: CompactChain;
  /** its rules' columns (a changed chain), or absent: the rules are those the chain had, their lines moved */
  rules?: PatchColumns;
  /** a changed chain as its rules before with rules [at, at + remove) replaced by `rules`' (the others' lines moved by `moved`) */
  splice?: { at: number; remove: number; rules: PatchColumns };
}

/** rules as columns: canonical lines (UTF-8, each ended by \n) with where they start, their source lines and parts */
export interface PatchColumns {
  canon: Uint8Array;
  starts: Int32Array;
  line: Int32Array;
  part: Int32Array;
}

export class LazyModel {
  private readonly cols: RuleColumns;
  private readonly userChains = new Map<TableName, Set<string>>();
  readonly ruleset: Ruleset;
  /** how many rules (no walk over 20,000 chains' lazy arrays to count them) */
  readonly ruleCount: number;

  constructor(
    c: CompactParse,
    /** the file's lines (the page's own split of its text) */
    private readonly lines: readonly string[],
    /** the chains are made by build(), a slice at a time */
    later = false,
  ) {
    this.cols = new RuleColumns(c.canon, c.starts, c.line, c.part, lines, this.userChains, c.family);
    this.ruleCount = c.line.length;
    this.ruleset = { family: c.family, tables: [] };
    if (!later) for (const _ of this.chainSteps(c));
  }

  /** the source lines of every rule of a model read whole (the worker's parse) */
  get line(): Int32Array {
    return this.cols.line;
  }

  /**
   * The same model with its chains made a slice at a time, each slice at most
   * about `sliceMs` on the page's thread (a kube-proxy file's 20,000 chains
   * were one task of 25 ms on a quiet machine, several times that on a busy one).
   */
  static async build(c: CompactParse, lines: readonly string[], sliceMs = 8): Promise<LazyModel> {
    const m = new LazyModel(c, lines, true);
    const steps = m.chainSteps(c);
    for (;;) {
      const t0 = performance.now();
      let done = false;
      while (!(done = !!steps.next().done) && performance.now() - t0 < sliceMs);
      if (done) return m;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /**
   * The model after a staged edit, from the model before it and the worker's
   * patch: unchanged chains are the same objects (their rows can stay), a
   * changed chain reads its rules from the patch, a moved one from the
   * columns it had with its new lines. `lines`: the new file's.
   */
  static patched(from: LazyModel, patch: ModelPatch, lines: readonly string[]): LazyModel {
    const empty: CompactParse = { family: from.ruleset.family, finalNewline: patch.finalNewline, findings: [], tables: [], canon: new Uint8Array(0), starts: new Int32Array(1), line: new Int32Array(0), part: new Int32Array(0), hasCounters: patch.hasCounters };
    const m = new LazyModel(empty, lines, true);
    for (const [t, set] of from.userChains) m.userChains.set(t, set);
    // by table, the patched chains' places (a few): the other chains are taken as they are (20,000 kube-proxy chains)
    const byTable = new Map<number, Map<number, PatchChain>>();
    for (const p of patch.chains) {
      if (!byTable.has(p.t)) byTable.set(p.t, new Map());
      byTable.get(p.t)!.set(p.c, p);
    }
    let count = from.ruleCount;
    from.ruleset.tables.forEach((old, ti) => {
      const head = patch.tables[ti];
      const mine = byTable.get(ti);
      const chains = !mine ? old.chains : old.chains.map((ch, ci) => {
        const p = mine.get(ci);
        if (!p) return ch;
        count += p.chain.ruleCount - ch.rules.length;
        const { ruleCount, ...rest } = p.chain;
        let lazy: LazyRules;
        const columns = (c: PatchColumns) => new ColumnRules(new RuleColumns(c.canon, c.starts, c.line, c.part, lines, m.userChains, m.ruleset.family), old.name, ch.name, 0, c.line.length);
        if (p.rules) lazy = columns(p.rules);
        else if (p.splice) {
          const was = lazyRules(ch.rules);
          const mid = columns(p.splice.rules);
          if (!was || was.length - p.splice.remove + mid.length !== ruleCount) throw new Error(`the edit's patch does not fit chain ${ch.name}`);
          lazy = new SplicedRules(was, p.splice.at, p.splice.remove, mid, patch.moved);
        } else {
          const was = lazyRules(ch.rules);
          if (!was || was.length !== ruleCount || !patch.moved) throw new Error(`the edit's patch does not fit chain ${ch.name}`);
          lazy = was.movedBy(patch.moved);
        }
        return { ...rest, rules: rulesArray(lazy) } as Chain;
      });
      m.ruleset.tables.push({ name: old.name, ...(head?.source ? { source: head.source } : {}), chains });
    });
    (m as { ruleCount: number }).ruleCount = count;
    return m;
  }

  /** makes the tables and their chains (each chain's rules a lazy array), offering to pause every few hundred chains */
  private *chainSteps(c: CompactParse): Generator<void, void, void> {
    let first = 0;
    let made = 0;
    for (const t of c.tables) {
      this.userChains.set(t.name, new Set(t.chains.filter((ch) => !ch.builtin).map((ch) => ch.name)));
      const chains: Chain[] = [];
      for (const ch of t.chains) {
        const lazy = new ColumnRules(this.cols, t.name, ch.name, first, ch.ruleCount);
        first += ch.ruleCount;
        const { ruleCount: _n, ...rest } = ch;
        chains.push({ ...rest, rules: rulesArray(lazy) });
        if (++made % 256 === 0) yield;
      }
      this.ruleset.tables.push({ name: t.name, ...(t.source ? { source: t.source } : {}), chains });
    }
  }

  /** Rule `i` of the model read whole (RuleColumns.decode). */
  decode(table: TableName, i: number): Rule {
    return this.cols.decode(table, i);
  }
}

function withCounters(chain: string, r: Rule): string {
  return r.counters ? `[${r.counters.packets}:${r.counters.bytes}] ${canonicalRule(chain, r)}` : canonicalRule(chain, r);
}

/** A text's lines cut from it when read: line k is text[starts[k], starts[k + 1] - 1). */
class LineCuts implements ArrayAccount<string> {
  constructor(
    private readonly text: string,
    /** where line k starts; starts[length] is one past the last line's end (its \n) */
    private readonly starts: Int32Array,
    readonly length: number,
  ) {}
  at(k: number): string | undefined {
    return k < this.length ? this.text.slice(this.starts[k], this.starts[k + 1] - 1) : undefined;
  }
}

/** how many splices deep a text's lines may read through before they are cut from the text again */
const SPLICE_DEPTH = 24;

/**
 * A text's lines after a splice (an edit's, TextSplice): the lines before and
 * after the spliced ones read through the lines of the text before, the new
 * ones are the splice's own. No scan of the new text (a 15 MB kube-proxy file
 * for one changed rule) and no copy of its line starts.
 */
class SplicedLines implements ArrayAccount<string> {
  readonly length: number;
  readonly depth: number;
  private readonly end: number;
  constructor(
    private readonly base: ArrayAccount<string>,
    private readonly first: number,
    private readonly remove: number,
    private readonly mid: readonly string[],
  ) {
    this.length = base.length - remove + mid.length;
    this.end = first + mid.length;
    this.depth = base instanceof SplicedLines ? base.depth + 1 : 1;
  }
  at(k: number): string | undefined {
    if (k < 0 || k >= this.length) return undefined;
    if (k < this.first) return this.base.at(k);
    if (k < this.end) return this.mid[k - this.first];
    return this.base.at(k - this.end + this.first + this.remove);
  }
}

/** a lazy array's account, or one over a plain array */
function accountOf(lines: readonly string[]): ArrayAccount<string> {
  const a = (lines as Partial<LazyTarget<string>>)[ACCOUNT];
  return a ?? { length: lines.length, at: (k) => lines[k] };
}

/**
 * The lines of `text`, which is `before`'s text with `splice` made (the
 * lines [at, at + remove) of `before` replaced by `splice.lines`): read
 * through `before`, or cut from `text` again once many splices deep.
 */
export function splicedLines(before: readonly string[], text: string, splice: { at: number; remove: number; lines: readonly string[] }): string[] {
  const base = accountOf(before);
  if (base instanceof SplicedLines && base.depth >= SPLICE_DEPTH) return lazyLines(text);
  return lazyArray(new SplicedLines(base, splice.at, splice.remove, splice.lines));
}

/**
 * A large text's lines as the parser makes them (split at \n, without the
 * empty one after a final newline), each cut from the text when read: an
 * Int32Array of where they start instead of 100,000 strings on the page.
 */
export function lazyLines(text: string): string[] {
  let starts = new Int32Array(1024);
  let n = 0;
  for (let at = 0; at < text.length; ) {
    if (n + 1 >= starts.length) {
      const grown = new Int32Array(starts.length * 2);
      grown.set(starts);
      starts = grown;
    }
    starts[n++] = at;
    const nl = text.indexOf('\n', at);
    at = nl < 0 ? text.length + 1 : nl + 1;
  }
  // one past the end of the last line: its \n, or where one would be
  starts[n] = text.endsWith('\n') ? text.length : text.length + 1;
  return lazyArray(new LineCuts(text, starts, n));
}
