// The preserving writer: gives an admin's file back with their comments, blank
// lines, spacing and option spelling intact, changing only what was edited.
// A rule that is still canonically the rule its source line made keeps that
// line's text; new and changed rules are written in canonical form next to
// their neighbours; deleted rules lose their line; a rule that moved between
// disabled (`#-A …`) and active keeps its text with the `#` removed or added.
import type { Chain, DisabledRule, Rule, Ruleset, Table } from './model.js';

const NONE: readonly DisabledRule[] = [];
import { findChain, findTable } from './model.js';
import type { ParseResult } from './parse.js';
import { canonicalRuleBody, canonicalTable } from './canonical.js';

interface OrigRule {
  chain: string;
  rule: Rule;
  /** its canonical body, worked out when first asked (a rule an edit did not touch is the same object: no need) */
  body?: string;
  /** the rule was commented out in the original */
  disabled: boolean;
}

type Emit = { kind: 'rule'; chain: string; rule: Rule; disabled: boolean } | { kind: 'line'; text: string };

/**
 * Write `edited` over the file that `original` was parsed from. With no edits
 * the result is the original text byte for byte.
 */
export function writePreserving(original: ParseResult, edited: Ruleset): string {
  const lines = original.lines;
  const out: string[] = [];
  const sections = tableSections(original);
  let pos = 0;
  for (const sec of sections) {
    for (; pos < sec.start; pos++) out.push(lines[pos]);
    const origTable = original.ruleset.tables.find((t) => t.source?.line === sec.start + 1);
    const editedTable = origTable ? findTable(edited, origTable.name) : undefined;
    if (!origTable) {
      for (; pos <= sec.end; pos++) out.push(lines[pos]);
      continue;
    }
    if (!editedTable) {
      pos = sec.end + 1; // the table was removed
      continue;
    }
    // one push per line: spreading a 100,000-line table overflows a worker's stack
    for (const l of writeTable(lines, sec, origTable, editedTable)) out.push(l);
    pos = sec.end + 1;
  }
  for (; pos < lines.length; pos++) out.push(lines[pos]);
  // tables that were added go at the end
  for (const t of edited.tables) {
    if (!original.ruleset.tables.some((o) => o.name === t.name)) for (const l of canonicalTable(t).trimEnd().split('\n')) out.push(l);
  }
  return out.join('\n') + (original.finalNewline || out.length > lines.length ? '\n' : '');
}

/**
 * writePreserving's lines for an edit that changed only the rules (and their
 * order) of some chains: the other chains' lines are not looked at, only
 * copied (a 100,000-rule file with one rule changed). For each line, where it
 * came from (`from`: the original's 0-based line, or -1 for a line written
 * anew), and for each rule of a changed chain the output line it is on.
 * The same text as writePreserving (edit.reparse.property.test.ts); null where
 * that cannot be promised cheaply: a table changed in more than its rules, a
 * section with -I/-D/-N lines, tables added or removed.
 */
export function writePreservingChanged(original: ParseResult, edited: Ruleset): WrittenLines | null {
  const lines = original.lines;
  const origTables = original.ruleset.tables;
  if (edited.tables.length !== origTables.length) return null;
  const res: WrittenLines = { lines: [], from: [], ruleAt: new Map() };
  const put = (text: string, from: number) => {
    res.lines.push(text);
    res.from.push(from);
  };
  let pos = 0;
  for (const sec of tableSections(original)) {
    for (; pos < sec.start; pos++) put(lines[pos], pos);
    const k = origTables.findIndex((t) => t.source?.line === sec.start + 1);
    const orig = origTables[k];
    const ed = edited.tables[k];
    if (orig && ed !== orig) {
      const only = changedChains(orig, ed);
      if (!only || sec.positional) return null;
      // what writeTable's sameTable says: written the same (identical rules swapped), the section stays as it is
      if ([...only].every((name) => sameChain(findChain(orig, name)!, findChain(ed, name)!))) continue;
      const base = res.lines.length;
      const w = new TableWriter(lines, sec, orig, ed, only);
      const out = w.write(lines.slice(sec.start, sec.end + 1));
      out.forEach((l, i) => put(l, w.origins[i]));
      for (const [r, i] of w.ruleAt) res.ruleAt.set(r, base + i);
      pos = sec.end + 1;
    }
  }
  for (; pos < lines.length; pos++) put(lines[pos], pos);
  return res;
}

export interface WrittenLines {
  lines: string[];
  /** per line: the original's 0-based line it is a copy of, or -1 */
  from: number[];
  /** each rule of a changed chain (active and disabled): the 0-based line it was written on */
  ruleAt: Map<Rule, number>;
}

/** sameTable for one chain: the same rules and disabled rules, canonically (the same objects need no writing out) */
function sameChain(a: Chain, b: Chain): boolean {
  if (a.rules.length !== b.rules.length || a.disabled.length !== b.disabled.length) return false;
  for (let k = 0; k < a.rules.length; k++) if (a.rules[k] !== b.rules[k] && canonicalRuleBody(a.rules[k]) !== canonicalRuleBody(b.rules[k])) return false;
  return a.disabled.every((d, k) => {
    const e = b.disabled[k];
    return d.before === e.before && (d.rule === e.rule || canonicalRuleBody(d.rule) === canonicalRuleBody(e.rule));
  });
}

/** The names of the chains whose rules differ (null when the table differs in more: chains added, removed, renamed, a policy). */
function changedChains(orig: Table, ed: Table): Set<string> | null {
  if (orig.name !== ed.name || orig.chains.length !== ed.chains.length) return null;
  const out = new Set<string>();
  for (let k = 0; k < orig.chains.length; k++) {
    const a = orig.chains[k];
    const b = ed.chains[k];
    if (a === b) continue;
    if (a.name !== b.name || a.policy !== b.policy || a.builtin !== b.builtin || a.counters !== b.counters) return null;
    out.add(a.name);
  }
  return out;
}

interface Section {
  /** 0-based index of the `*table` line */
  start: number;
  /** 0-based index of its COMMIT line (or the last line) */
  end: number;
  /** the section contains commands other than -A (-I, -D, -N …) whose order matters */
  positional: boolean;
}

function tableSections(p: ParseResult): Section[] {
  const out: Section[] = [];
  let cur: Section | null = null;
  p.lines.forEach((l, i) => {
    if (!cur && l.startsWith('*')) cur = { start: i, end: p.lines.length - 1, positional: false };
    else if (cur && (l === 'COMMIT' || l === 'COMMIT\r')) {
      cur.end = i;
      out.push(cur);
      cur = null;
    } else if (cur && l !== '' && l[0] !== '#' && l[0] !== ':' && !(l.startsWith('-A ') || /^(\[\d+:\d+\]\s*)?(-A|--append)\s/.test(l))) {
      cur.positional = true;
    }
  });
  if (cur) out.push(cur);
  return out;
}

/** a rule's place in the original: its line and part as one number (a Map of numbers, not of 100,000 made-up strings) */
export function lineKey(line: number, part = 0): number {
  return line * 0x100000 + part;
}

function originalRules(t: Table, only?: ReadonlySet<string>): Map<number, OrigRule> {
  const m = new Map<number, OrigRule>();
  const key = (r: Rule) => lineKey(r.source!.line, r.source!.part);
  for (const c of t.chains) {
    if (only && !only.has(c.name)) continue;
    for (const r of c.rules) if (r.source) m.set(key(r), { chain: c.name, rule: r, disabled: false });
    for (const d of c.disabled) if (d.rule.source) m.set(key(d.rule), { chain: c.name, rule: d.rule, disabled: true });
  }
  return m;
}

function sameTable(a: Table, b: Table): boolean {
  return canonicalTable(a) === canonicalTable(b) && disabledKey(a) === disabledKey(b);
}
function disabledKey(t: Table): string {
  return t.chains.map((c) => c.name + ':' + c.disabled.map((d) => `${d.before}:${canonicalRuleBody(d.rule)}`).join('|')).join('\n');
}

function writeTable(lines: string[], sec: Section, orig: Table, edited: Table): string[] {
  const slice = lines.slice(sec.start, sec.end + 1);
  if (sameTable(orig, edited)) return slice;
  if (sec.positional) {
    // -I/-D/-R/-N lines depend on what came before them: keep the comments
    // above the table, write the table itself canonically.
    const head = [];
    for (const l of slice.slice(1)) if (l.startsWith('#') || l === '') head.push(l); else break;
    return [slice[0], ...head, ...canonicalTable(edited).trimEnd().split('\n').slice(1)];
  }
  return new TableWriter(lines, sec, orig, edited).write(slice);
}

/**
 * Writes one edited table over its section of the original file: first every
 * rule is placed at a source line (placeChain), then the section's lines are
 * walked and each one is kept, changed, replaced by the rules placed there or
 * dropped (writeLine).
 */
class TableWriter {
  private readonly origByKey: Map<number, OrigRule>;
  /** line number within the file → what to write there */
  private readonly anchors = new Map<number, Emit[]>();
  /** rules of chains with no anchor, before COMMIT */
  private readonly floating: Emit[] = [];
  private readonly declared = new Set<string>();
  private readonly editedByName = new Map<string, Chain>();
  private readonly origByName = new Map<string, Chain>();
  /** per line written: the original's 0-based line it copies, or -1 */
  readonly origins: number[] = [];
  /** each rule written: its line in the output */
  readonly ruleAt = new Map<Rule, number>();

  /** `only`: the chains that changed; the lines of the others are copied without a look at their rules */
  constructor(
    private readonly lines: string[],
    private readonly sec: Section,
    private readonly orig: Table,
    private readonly edited: Table,
    private readonly only?: ReadonlySet<string>,
  ) {
    this.origByKey = originalRules(orig, only);
    for (const c of edited.chains) this.editedByName.set(c.name, c);
    for (const c of orig.chains) this.origByName.set(c.name, c);
  }

  write(slice: string[]): string[] {
    for (const l of slice) if (l.startsWith(':')) this.declared.add(l.slice(1).split(/[ \t]/)[0]);
    for (const c of this.edited.chains) if (!this.only || this.only.has(c.name)) this.placeChain(c);
    const out: string[] = [];
    const lastDecl = slice.reduce((acc, l, i) => (l.startsWith(':') ? i : acc), 0);
    slice.forEach((l, i) => this.writeLine(out, l, i, i === slice.length - 1, lastDecl));
    return out;
  }

  /** a line of the output, and the original line it copies (-1: none) */
  private put(out: string[], text: string, from: number): void {
    out.push(text);
    this.origins.push(from);
  }

  private writeLine(out: string[], l: string, i: number, last: boolean, lastDecl: number): void {
    const lineNo = this.sec.start + i + 1;
    if (i === 0) {
      this.put(out, l, lineNo - 1);
      if (lastDecl === 0) for (const d of this.newDeclarations()) this.put(out, d, -1);
      return;
    }
    if (l.startsWith(':')) {
      const name = l.slice(1).split(/[ \t]/)[0];
      const ec = this.editedByName.get(name);
      if (ec) {
        const oc = this.origByName.get(name);
        if (oc && ec.builtin && oc.policy !== ec.policy) this.put(out, l.replace(/^(:\S+[ \t]+)\S+/, `$1${ec.policy}`), -1);
        else this.put(out, l, lineNo - 1);
      }
      if (i === lastDecl) for (const d of this.newDeclarations()) this.put(out, d, -1);
      return;
    }
    if (last && l.replace(/\r$/, '') === 'COMMIT') {
      for (const e of this.floating) this.emit(out, e);
      this.put(out, l, lineNo - 1);
      return;
    }
    const here = this.anchors.get(lineNo);
    if (here && here.length === 1 && this.keptAsIs(here[0], lineNo)) {
      // the rule of this line, untouched (most of a 70,000-rule chain an edit changed one rule of): the line as it was
      this.ruleAt.set((here[0] as { rule: Rule }).rule, out.length);
      this.put(out, l, lineNo - 1);
      return;
    }
    if (here) {
      // a line that made several rules (-s a,b) is kept whole when all of them are
      const own = here.filter((e) => e.kind === 'rule' && e.rule.source?.line === lineNo && this.isUnchanged(e));
      const whole = this.hasParts(lineNo) && own.length === this.partsOf(lineNo);
      let wholeAt = -1;
      for (const e of here) {
        if (whole && own.includes(e)) {
          if (e === own[0]) {
            wholeAt = out.length;
            this.emit(out, e, true);
          } else if (e.kind === 'rule') this.ruleAt.set(e.rule, wholeAt);
        } else this.emit(out, e);
      }
      return;
    }
    // a line whose rules are all gone is dropped; every other line (comments,
    // blank lines, lines iptables ignores) stays as written
    if (!this.origByKey.has(lineKey(lineNo))) this.put(out, l, lineNo - 1);
  }

  /** the entry is the very rule the line made, alone on it, in the same chain and state: writeLine's long way gives the line as it is */
  private keptAsIs(e: Emit, lineNo: number): boolean {
    if (e.kind !== 'rule' || e.rule.source?.line !== lineNo || (e.rule.source.part ?? 0) !== 0) return false;
    const o = this.origByKey.get(lineKey(lineNo));
    return o !== undefined && o.rule === e.rule && o.chain === e.chain && o.disabled === e.disabled && !this.origByKey.has(lineKey(lineNo, 1));
  }

  /** one rule (or line) written, with where it came from */
  private emit(out: string[], e: Emit, wholeLine = false): void {
    const text = this.render(e, wholeLine);
    if (e.kind === 'rule') this.ruleAt.set(e.rule, out.length);
    const src = e.kind === 'rule' ? e.rule.source : undefined;
    // the original line as written, unchanged: a copy (a rule that lost its '#' or a part is written anew)
    this.put(out, text, src && this.lines[src.line - 1] === text && this.isUnchanged(e) ? src.line - 1 : -1);
  }

  private newDeclarations(): string[] {
    return this.edited.chains.filter((c) => !c.builtin && !this.declared.has(c.name)).map((c) => `:${c.name} - [0:0]`);
  }

  private isUnchanged(e: Emit): boolean {
    if (e.kind !== 'rule' || !e.rule.source) return false;
    const o = this.origByKey.get(lineKey(e.rule.source.line, e.rule.source.part));
    if (!o || o.chain !== e.chain) return false;
    if (o.rule === e.rule) return true;
    o.body ??= canonicalRuleBody(o.rule);
    return o.body === canonicalRuleBody(e.rule);
  }

  private partsOf(line: number): number {
    let n = 0;
    while (this.origByKey.has(lineKey(line, n))) n++;
    return n;
  }

  private hasParts(line: number): boolean {
    return this.origByKey.has(lineKey(line, 1));
  }

  private render(e: Emit, wholeLine = false): string {
    if (e.kind === 'line') return e.text;
    const src = e.rule.source;
    const o = src ? this.origByKey.get(lineKey(src.line, src.part)) : undefined;
    const text = this.lines[src ? src.line - 1 : -1];
    const unchanged = o && this.isUnchanged(e) && (wholeLine || !this.hasParts(src!.line));
    if (unchanged && text !== undefined) {
      if (o.disabled === e.disabled) return text;
      if (e.disabled) return '#' + text;
      return text.replace(/^#[ \t]*/, '');
    }
    const canon = `-A ${e.chain}${canonicalRuleBody(e.rule)}`;
    return e.disabled ? '#' + canon : canon;
  }

  /**
   * Put each rule of the chain (active and disabled, in order) at its own
   * source line when it still stands in file order there, else right after
   * the previous rule written.
   */
  private placeChain(c: Chain): void {
    const seq: Emit[] = [];
    // a stale position past the end still belongs at the end: never lose a rule
    const byAt = new Map<number, DisabledRule[]>();
    for (const d of c.disabled) {
      const k = Math.min(d.before, c.rules.length);
      const list = byAt.get(k);
      if (list) list.push(d);
      else byAt.set(k, [d]);
    }
    const disabledAt = (k: number) => byAt.get(k) ?? NONE;
    for (let k = 0; k <= c.rules.length; k++) {
      for (const d of disabledAt(k)) seq.push({ kind: 'rule', chain: c.name, rule: d.rule, disabled: true });
      if (k < c.rules.length) seq.push({ kind: 'rule', chain: c.name, rule: c.rules[k], disabled: false });
    }
    const lineOf = (e: Emit): number => {
      if (e.kind !== 'rule' || !e.rule.source) return -1;
      const o = this.origByKey.get(lineKey(e.rule.source.line, e.rule.source.part));
      if (!o || o.chain !== c.name) return -1;
      const ln = e.rule.source.line;
      return ln > this.sec.start && ln <= this.sec.end + 1 ? ln : -1;
    };
    const at = seq.map(lineOf);
    // the later parts of a line (-s a,b) follow its first part, not anchor by
    // themselves: else an edit elsewhere in the table could split the line
    for (let k = at.length - 1; k > 0; k--) if (at[k] >= 0 && at[k] === at[k - 1]) at[k] = -1;
    const keep = increasingAnchors(at);
    const anchors = this.anchors;
    let lastAnchor: number | null = null;
    let pending: Emit[] = [];
    const floatingBefore: Emit[] = [];
    const flushAfter = (ln: number | null) => {
      if (!pending.length) return;
      if (ln === null) floatingBefore.push(...pending);
      else anchors.get(ln)!.push(...pending);
      pending = [];
    };
    seq.forEach((e, k) => {
      if (keep[k]) {
        const ln = lineOf(e);
        const list = anchors.get(ln) ?? [];
        if (!anchors.has(ln)) anchors.set(ln, list);
        if (lastAnchor === null && pending.length) {
          // rules before the first anchored one go just before it
          list.push(...pending);
          pending = [];
        }
        list.push(e);
        lastAnchor = ln;
      } else {
        pending.push(e);
        if (lastAnchor !== null) flushAfter(lastAnchor);
      }
    });
    flushAfter(lastAnchor);
    this.floating.push(...floatingBefore);
  }
}

/** Marks a longest strictly increasing subsequence of the non-negative entries. */
function increasingAnchors(xs: number[]): boolean[] {
  const idx: number[] = [];
  const tails: number[] = [];
  const prev = new Array<number>(xs.length).fill(-1);
  xs.forEach((x, i) => {
    if (x < 0) return;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]] < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
    idx.push(i);
  });
  const keep = new Array<boolean>(xs.length).fill(false);
  let k = tails.length ? tails[tails.length - 1] : -1;
  while (k >= 0) {
    keep[k] = true;
    k = prev[k];
  }
  return keep;
}
