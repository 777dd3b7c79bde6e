// The cheapest road for the common staged edit of a large chain — add, change,
// delete, disable or enable rules of ONE chain whose entries (active and
// `#-A …` rules) each stand alone on a line, in file order: what the
// preserving writer does there is known line by line (the changed line is
// rewritten, a deleted one dropped, a new one put after the entry before it),
// so the new text is the old lines spliced, and only the lines written anew
// are parsed. No pass over the chain's 70,000 rules with a map per rule (the
// writer's placement), only array copies of pointers and, where lines moved,
// the rules below them with their line numbers moved. Anything else (a move,
// a line of several rules, an entry out of file order, a no-op) is left to
// edit-reparse's chain writer: null here. edit-reparse.property.test.ts checks
// the result against writing the file back and parsing it whole.
import type { Chain, DisabledRule, Rule, Ruleset, Table, TableName } from './model.js';
import { findChain, findTable } from './model.js';
import type { Finding } from './findings.js';
import type { ParseResult } from './parse.js';
import { canonicalRuleBody } from './canonical.js';
import { parseRuleBody, type EditOp } from './edit.js';
import { jumpPairsOf, newAppendedChecks, validateTable } from './validate.js';
import { LineShift } from './line-shift.js';
import { parseLinesAlone } from './edit-fresh.js';

interface Spliced {
  parsed: ParseResult;
  changed: { table: TableName; chain: string }[];
  /** the old file's 1-based line → the new file's (0: gone or written anew) */
  moved: Int32Array;
  /** per changed chain (`table chain`): new rule k is old rule origin[k] of the chain, or -1 (parsed anew) */
  origins: Map<string, Int32Array>;
}

/** one entry of the chain: an active rule (index in rules) or a disabled one (index in disabled) */
interface Entry {
  disabled: boolean;
  index: number;
  /** 1-based line */
  line: number;
}

/** what happens to an entry or between two: the old entry's new text (null: deleted), or a new line after (or before) it */
type LineOp = { kind: 'rewrite'; entry: Entry; text: string | null; disabled: boolean } | { kind: 'insert'; beforeLine: number; text: string };

export function spliceEdit(old: ParseResult, op: EditOp, validate: boolean): Spliced | null {
  const target = chainOf(op);
  if (!target) return null;
  const t = findTable(old.ruleset, target.table);
  const c = t && findChain(t, target.chain);
  if (!t || !c || !t.source) return null;
  const lines = old.lines;
  if (!plainSection(lines, t.source.line - 1)) return null;
  const entries = new ChainEntries(c);
  if (!entries.inFileOrder()) return null;
  const ops = lineOps(old.ruleset, t.name, c, entries, op);
  if (!ops) return null;
  return splice(old, t, c, ops, validate);
}

function chainOf(op: EditOp): { table: TableName; chain: string } | null {
  switch (op.kind) {
    case 'add':
      return { table: op.table, chain: op.chain };
    case 'replace':
      return op.ref;
    case 'delete':
    case 'set-disabled': {
      const first = op.refs[0];
      if (!first || op.refs.some((r) => r.table !== first.table || r.chain !== first.chain)) return null;
      return first;
    }
    default:
      return null;
  }
}

/** the section from its `*table` line holds only -A lines (no -I/-D/-N whose order matters), as the writer's fast road asks */
function plainSection(lines: readonly string[], start: number): boolean {
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l === 'COMMIT' || l === 'COMMIT\r') return true;
    if (l === '' || l[0] === '#' || l[0] === ':' || l.startsWith('-A ')) continue;
    if (!/^(\[\d+:\d+\]\s*)?(-A|--append)\s/.test(l)) return false;
  }
  // no COMMIT: new rules of an empty chain would have nowhere to go; the writer's own road knows
  return false;
}

/** A chain's entries in order (disabled rules where `before` puts them), without a list of 70,000 of them. */
class ChainEntries {
  /** the disabled rules' indexes, in entry order */
  private readonly off: number[];
  /** entry position of each of `off` */
  private readonly offAt: number[];
  readonly length: number;
  constructor(readonly chain: Chain) {
    const n = chain.rules.length;
    this.off = chain.disabled.map((_, i) => i).sort((a, b) => chain.disabled[a].before - chain.disabled[b].before);
    this.offAt = this.off.map((i, k) => k + Math.min(chain.disabled[i].before, n));
    this.length = n + this.off.length;
  }

  at(e: number): Entry {
    const { chain, off, offAt } = this;
    let before = 0;
    for (let k = 0; k < off.length; k++) {
      if (offAt[k] === e) return { disabled: true, index: off[k], line: chain.disabled[off[k]].rule.source?.line ?? 0 };
      if (offAt[k] < e) before++;
    }
    const index = e - before;
    return { disabled: false, index, line: chain.rules[index].source?.line ?? 0 };
  }

  /** every entry alone on its own line (no parts), the lines rising in entry order */
  inFileOrder(): boolean {
    const { chain, off, offAt } = this;
    let last = 0;
    let k = 0;
    const rules = chain.rules;
    for (let e = 0, j = 0; e < this.length; e++) {
      const r = k < off.length && offAt[k] === e ? chain.disabled[off[k++]].rule : rules[j++];
      const s = r.source;
      if (!s || s.part !== undefined || s.line <= last) return false;
      last = s.line;
    }
    return true;
  }
}

const ruleLine = (chain: string, r: Rule, disabled: boolean) => `${disabled ? '#' : ''}-A ${chain}${canonicalRuleBody(r)}`;

/** the edit as changes of lines; null where the writer's own road is needed (or gives the error) */
function lineOps(rs: Ruleset, table: TableName, c: Chain, entries: ChainEntries, op: EditOp): LineOp[] | null {
  const n = entries.length;
  const valid = (at: number) => Number.isInteger(at) && at >= 0 && at < n;
  switch (op.kind) {
    case 'add': {
      // an empty chain's rule goes before COMMIT, where the writer puts it
      if (!n) return null;
      const p = parseRuleBody(rs, table, c.name, op.body);
      if (!p.ok) return null;
      const at = Math.max(0, Math.min(op.at, n));
      const disabled = !!op.disabled;
      // after the entry before it; the first goes just before the chain's first entry
      const beforeLine = at === 0 ? entries.at(0).line : entries.at(at - 1).line + 1;
      return [{ kind: 'insert', beforeLine, text: ruleLine(c.name, p.rule, disabled) }];
    }
    case 'replace': {
      if (!valid(op.ref.at)) return null;
      const p = parseRuleBody(rs, table, c.name, op.body);
      if (!p.ok) return null;
      const e = entries.at(op.ref.at);
      const was = e.disabled ? c.disabled[e.index].rule : c.rules[e.index];
      // the same rule in other words: the writer keeps the line as it was (its own road)
      if (canonicalRuleBody(was) === canonicalRuleBody(p.rule)) return null;
      return [{ kind: 'rewrite', entry: e, text: ruleLine(c.name, p.rule, e.disabled), disabled: e.disabled }];
    }
    case 'delete':
    case 'set-disabled': {
      const ats = [...new Set(op.refs.map((r) => r.at))];
      if (!ats.length || !ats.every(valid)) return null;
      const out: LineOp[] = [];
      for (const at of ats) {
        const e = entries.at(at);
        if (op.kind === 'delete') out.push({ kind: 'rewrite', entry: e, text: null, disabled: e.disabled });
        else {
          // already so: nothing to write (the writer's road says so)
          if (e.disabled === op.disabled) return null;
          out.push({ kind: 'rewrite', entry: e, text: null, disabled: op.disabled });
        }
      }
      return out;
    }
    default:
      return null;
  }
}

/** the new lines, and for each old line where it went */
function spliceLines(lines: readonly string[], ops: LineOp[]): { out: string[]; moved: Int32Array; fresh: number[] } {
  const n = lines.length;
  // by old line: what replaces it, and what goes before it
  const rewrite = new Map<number, string | null>();
  const insert = new Map<number, string>();
  for (const o of ops) {
    if (o.kind === 'insert') insert.set(o.beforeLine, o.text);
    else if (o.text !== null || o.disabled === o.entry.disabled) rewrite.set(o.entry.line, o.text);
    else {
      // disabled or enabled: the line as written with its '#' added or taken off
      const text = lines[o.entry.line - 1];
      rewrite.set(o.entry.line, o.disabled ? '#' + text : text.replace(/^#[ \t]*/, ''));
    }
  }
  const marks = [...new Set([...rewrite.keys(), ...insert.keys()])].sort((a, b) => a - b);
  const moved = new Int32Array(n + 1);
  const out: string[] = [];
  const fresh: number[] = [];
  let from = 1;
  const copyTo = (line: number) => {
    // the lines from `from` up to (not including) `line`, unchanged: one copy of pointers
    for (; from < line; from++) {
      moved[from] = out.length + 1;
      out.push(lines[from - 1]);
    }
  };
  for (const line of marks) {
    copyTo(line);
    const ins = insert.get(line);
    if (ins !== undefined) {
      fresh.push(out.length);
      out.push(ins);
    }
    if (rewrite.has(line)) {
      const text = rewrite.get(line)!;
      from = line + 1;
      if (text !== null) {
        fresh.push(out.length);
        out.push(text);
      }
    }
  }
  copyTo(n + 1);
  return { out, moved, fresh };
}

function splice(old: ParseResult, t: Table, c: Chain, ops: LineOp[], validate: boolean): Spliced | null {
  const { out, moved, fresh } = spliceLines(old.lines, ops);
  const parsed = parseFresh(out, fresh, t, old.ruleset.family);
  if (!parsed) return null;
  const shift = out.length !== old.lines.length;
  const remap = shift ? new Shift(moved) : null;
  // the chain: old entries (their lines moved) with the changes, in line order; rule k is old rule from[k] (-1: new)
  const goneActive = new Set<number>();
  const goneOff = new Set<number>();
  for (const o of ops) if (o.kind === 'rewrite') (o.entry.disabled ? goneOff : goneActive).add(o.entry.index);
  const rules: Rule[] = [];
  const from: number[] = [];
  const was = c.rules;
  for (let j = 0; j < was.length; j++) {
    if (goneActive.size && goneActive.has(j)) continue;
    rules.push(remap ? remap.rule(was[j]) : was[j]);
    from.push(j);
  }
  const off: DisabledRule[] = [];
  c.disabled.forEach((d, i) => {
    if (!goneOff.has(i)) off.push(remap ? remap.disabled(d) : d);
  });
  // the few fresh entries where their lines say (no sort of 70,000)
  for (const [, r] of parsed.rules) {
    const k = activeAbove(rules, r.source!.line);
    rules.splice(k, 0, r);
    from.splice(k, 0, -1);
  }
  for (const [, d] of parsed.disabled) off.push(d);
  off.sort((a, b) => a.rule.source!.line - b.rule.source!.line);
  const disabled = off.map((d) => {
    const before = activeAbove(rules, d.rule.source!.line);
    return d.before === before ? d : { ...d, before };
  });
  const origin = Int32Array.from(from);
  const source = c.source && remap ? remap.source(c.source) : c.source;
  const chain: Chain = { ...c, rules, disabled, ...(source ? { source } : {}) };
  const tables = old.ruleset.tables.map((x) => {
    if (x !== t) return remap ? remap.table(x) : x;
    const chains = x.chains.map((y) => (y === c ? chain : remap ? remap.chain(y) : y));
    const src = x.source && remap ? remap.source(x.source) : x.source;
    return { ...x, chains, ...(src ? { source: src } : {}) };
  });
  if (remap?.lost) return null;
  const table = tables[old.ruleset.tables.indexOf(t)];
  if (validate && !validFresh(table, chain, [...parsed.rules.values()])) return null;
  const findings: Finding[] = [];
  const n = old.lines.length;
  for (const f of old.findings) {
    if (f.line < 1 || f.line > n) return null;
    if (moved[f.line]) findings.push(moved[f.line] === f.line ? f : { ...f, line: moved[f.line] });
  }
  // as the reader orders them (the old ones are, and their lines moved in order): each new one where it goes
  const order = (a: Finding, b: Finding) => a.line - b.line || (a.col ?? 0) - (b.col ?? 0);
  for (const f of parsed.findings) {
    let lo = 0;
    let hi = findings.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(findings[mid], f) <= 0) lo = mid + 1;
      else hi = mid;
    }
    findings.splice(lo, 0, f);
  }
  const finalNewline = old.finalNewline || out.length > n;
  // no text joined here: applyEditParsed's text is made of the lines when read (the app's worker sends the page a splice)
  return {
    parsed: { ruleset: { ...old.ruleset, tables }, findings, lines: out, finalNewline },
    changed: [{ table: t.name, chain: c.name }],
    moved,
    origins: new Map([[`${t.name} ${c.name}`, origin]]),
  };
}

/**
 * The table after the edit still loads (the file before it did: no error). A
 * new jump to a user chain can make a chain reachable from a hook its rules
 * may not run in, or a loop: the whole table is checked. Otherwise the jumps
 * are fewer or the same, so are the hooks that reach each chain, and only
 * the new rules are checked (validateTable's road for appended rules: the
 * jumps as a graph, the new rules against the hooks of their chain).
 */
function validFresh(table: Table, chain: Chain, fresh: Rule[]): boolean {
  if (!fresh.length) return true;
  if (fresh.some((r) => r.target?.chain)) return validateTable(table, 0).length === 0;
  const acc = newAppendedChecks();
  for (const c of table.chains) {
    const jumps = jumpPairsOf(c.rules);
    if (jumps) acc.jumps.set(c, jumps);
  }
  for (const rule of fresh) acc.deferred.push({ chain, index: chain.rules.indexOf(rule), rule });
  return validateTable(table, 0, acc).length === 0;
}

/** how many of the (line-ordered) active rules sit above `line` */
function activeAbove(rules: readonly Rule[], line: number): number {
  let lo = 0;
  let hi = rules.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rules[mid].source!.line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The lines written anew (0-based in `out`), parsed alone (parseLinesAlone), each exactly one entry; null otherwise. */
function parseFresh(out: readonly string[], at: readonly number[], t: Table, family: Ruleset['family']): { rules: Map<number, Rule>; disabled: Map<number, DisabledRule>; findings: Finding[] } | null {
  const fresh = parseLinesAlone(out, at, t, family);
  if (!fresh) return null;
  const rules = new Map<number, Rule>();
  for (const [i, list] of fresh.rules) {
    if (list.length !== 1) return null;
    rules.set(i, list[0]);
  }
  // each line written anew made exactly one entry
  if (rules.size + fresh.disabled.size !== at.length) return null;
  return { rules, disabled: fresh.disabled, findings: fresh.findings };
}

/** Old objects with their lines moved (a line added or deleted above them): the same object where nothing moved. */
class Shift extends LineShift {
  chain(c: Chain): Chain {
    // a chain wholly above the edit keeps its objects (no array made for it)
    const last = lastLine(c);
    if (last === 0 || this.moved[last] === last) {
      if (!c.source || this.moved[c.source.line] === c.source.line) return c;
    }
    const rules = c.rules.map((r) => this.rule(r));
    const disabled = c.disabled.map((d) => this.disabled(d));
    const source = c.source ? this.source(c.source) : undefined;
    return { ...c, rules, disabled, ...(source ? { source } : {}) };
  }
}

/** the last line a chain's entries are on (0: none) */
function lastLine(c: Chain): number {
  let last = 0;
  const rules = c.rules;
  for (let k = 0; k < rules.length; k++) {
    const l = rules[k].source?.line ?? 0;
    if (l > last) last = l;
  }
  for (const d of c.disabled) last = Math.max(last, d.rule.source?.line ?? 0);
  return last;
}
