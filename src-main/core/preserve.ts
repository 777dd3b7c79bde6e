// The preserving writer: gives an admin's file back with their comments, blank
// lines, spacing and option spelling intact, changing only what was edited.
// A rule that is still canonically the rule its source line made keeps that
// line's text; new and changed rules are written in canonical form next to
// their neighbours; deleted rules lose their line; a rule that moved between
// disabled (`#-A …`) and active keeps its text with the `#` removed or added.
import type { Chain, Rule, Ruleset, Table } from './model.js';
import { findTable } from './model.js';
import type { ParseResult } from './parse.js';
import { canonicalRuleBody, canonicalTable } from './canonical.js';

interface OrigRule {
  chain: string;
  body: string;
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
    else if (cur && l.replace(/\r$/, '') === 'COMMIT') {
      cur.end = i;
      out.push(cur);
      cur = null;
    } else if (cur && l !== '' && l[0] !== '#' && l[0] !== ':' && !/^(\[\d+:\d+\]\s*)?(-A|--append)\s/.test(l)) {
      cur.positional = true;
    }
  });
  if (cur) out.push(cur);
  return out;
}

function originalRules(t: Table): Map<string, OrigRule> {
  const m = new Map<string, OrigRule>();
  const key = (r: Rule) => `${r.source!.line}:${r.source!.part ?? 0}`;
  for (const c of t.chains) {
    for (const r of c.rules) if (r.source) m.set(key(r), { chain: c.name, body: canonicalRuleBody(r), disabled: false });
    for (const d of c.disabled) if (d.rule.source) m.set(key(d.rule), { chain: c.name, body: canonicalRuleBody(d.rule), disabled: true });
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
  private readonly origByKey: Map<string, OrigRule>;
  /** line number within the file → what to write there */
  private readonly anchors = new Map<number, Emit[]>();
  /** rules of chains with no anchor, before COMMIT */
  private readonly floating: Emit[] = [];
  private readonly declared = new Set<string>();

  constructor(
    private readonly lines: string[],
    private readonly sec: Section,
    private readonly orig: Table,
    private readonly edited: Table,
  ) {
    this.origByKey = originalRules(orig);
  }

  write(slice: string[]): string[] {
    for (const l of slice) if (l.startsWith(':')) this.declared.add(l.slice(1).split(/[ \t]/)[0]);
    for (const c of this.edited.chains) this.placeChain(c);
    const out: string[] = [];
    const lastDecl = slice.reduce((acc, l, i) => (l.startsWith(':') ? i : acc), 0);
    slice.forEach((l, i) => this.writeLine(out, l, i, i === slice.length - 1, lastDecl));
    return out;
  }

  private writeLine(out: string[], l: string, i: number, last: boolean, lastDecl: number): void {
    const lineNo = this.sec.start + i + 1;
    if (i === 0) {
      out.push(l);
      if (lastDecl === 0) out.push(...this.newDeclarations());
      return;
    }
    if (l.startsWith(':')) {
      const name = l.slice(1).split(/[ \t]/)[0];
      const ec = this.edited.chains.find((c) => c.name === name);
      if (ec) {
        const oc = this.orig.chains.find((c) => c.name === name);
        out.push(oc && ec.builtin && oc.policy !== ec.policy ? l.replace(/^(:\S+[ \t]+)\S+/, `$1${ec.policy}`) : l);
      }
      if (i === lastDecl) out.push(...this.newDeclarations());
      return;
    }
    if (last && l.replace(/\r$/, '') === 'COMMIT') {
      for (const e of this.floating) out.push(this.render(e));
      out.push(l);
      return;
    }
    const here = this.anchors.get(lineNo);
    if (here) {
      // a line that made several rules (-s a,b) is kept whole when all of them are
      const own = here.filter((e) => e.kind === 'rule' && e.rule.source?.line === lineNo && this.isUnchanged(e));
      const whole = this.hasParts(lineNo) && own.length === this.partsOf(lineNo);
      for (const e of here) {
        if (whole && own.includes(e)) {
          if (e === own[0]) out.push(this.render(e, true));
        } else out.push(this.render(e));
      }
      return;
    }
    // a line whose rules are all gone is dropped; every other line (comments,
    // blank lines, lines iptables ignores) stays as written
    if (!this.origByKey.has(`${lineNo}:0`)) out.push(l);
  }

  private newDeclarations(): string[] {
    return this.edited.chains.filter((c) => !c.builtin && !this.declared.has(c.name)).map((c) => `:${c.name} - [0:0]`);
  }

  private isUnchanged(e: Emit): boolean {
    if (e.kind !== 'rule' || !e.rule.source) return false;
    const o = this.origByKey.get(`${e.rule.source.line}:${e.rule.source.part ?? 0}`);
    return Boolean(o && o.chain === e.chain && o.body === canonicalRuleBody(e.rule));
  }

  private partsOf(line: number): number {
    let n = 0;
    while (this.origByKey.has(`${line}:${n}`)) n++;
    return n;
  }

  private hasParts(line: number): boolean {
    return this.origByKey.has(`${line}:1`);
  }

  private render(e: Emit, wholeLine = false): string {
    if (e.kind === 'line') return e.text;
    const src = e.rule.source;
    const o = src ? this.origByKey.get(`${src.line}:${src.part ?? 0}`) : undefined;
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
    const disabledAt = (k: number) => c.disabled.filter((d) => Math.min(d.before, c.rules.length) === k);
    for (let k = 0; k <= c.rules.length; k++) {
      for (const d of disabledAt(k)) seq.push({ kind: 'rule', chain: c.name, rule: d.rule, disabled: true });
      if (k < c.rules.length) seq.push({ kind: 'rule', chain: c.name, rule: c.rules[k], disabled: false });
    }
    const lineOf = (e: Emit): number => {
      if (e.kind !== 'rule' || !e.rule.source) return -1;
      const o = this.origByKey.get(`${e.rule.source.line}:${e.rule.source.part ?? 0}`);
      if (!o || o.chain !== c.name) return -1;
      const ln = e.rule.source.line;
      return ln > this.sec.start && ln <= this.sec.end + 1 ? ln : -1;
    };
    const keep = increasingAnchors(seq.map(lineOf));
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
