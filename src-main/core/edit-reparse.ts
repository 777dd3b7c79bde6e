// A staged edit of a large file without reading the whole file again: the
// edit is applied to the model (edit.ts), the file is written back with only
// the changed chains' lines looked at (preserve.ts writePreservingChanged),
// and of the new text only the lines written anew are parsed — in a small
// file of their own, with the chains they name declared. Every other rule,
// chain and finding is the old one with its line moved. The result is what
// parseRuleset gives for the new text (edit-reparse.property.test.ts); where
// that cannot be promised cheaply (a file with errors, an edit that makes
// one, a policy, a section with -I/-D lines) the new text is parsed whole.
import type { Chain, DisabledRule, Rule, Ruleset, Table, TableName } from './model.js';
import { hasErrors, type Finding } from './findings.js';
import { parseRuleset, type ParseResult } from './parse.js';
import { lineKey, writePreserving, writePreservingChanged, type WrittenLines } from './preserve.js';
import { validateTable } from './validate.js';
import { editRuleset, type EditOp } from './edit.js';
import { spliceEdit } from './edit-splice.js';
import { LineShift } from './line-shift.js';
import { parseLinesAlone, type FreshLines } from './edit-fresh.js';

/** A chain whose rules an edit changed. */
export interface ChangedChain {
  table: TableName;
  chain: string;
}

type EditParsed =
  | {
      ok: true;
      text: string;
      /** what parseRuleset(text) gives */
      parsed: ParseResult;
      /** the chains the edit changed; null when the text was parsed whole (then anything may have) */
      changed: ChangedChain[] | null;
      /** with `changed`: the old file's 1-based line → the new file's (0: gone) */
      moved: Int32Array | null;
      /** per changed chain (`table chain`), where it is known: new rule k is the chain's old rule origin[k], or -1 (read anew) */
      origins?: Map<string, Int32Array>;
      /** how it was read: lines spliced (one chain, lines in order), the changed chains written, or the whole text */
      road: 'splice' | 'chains' | 'whole';
    }
  | { ok: false; message: string };

/** Applies one operation and gives the new text with its parse, reading again only what changed where it can. */
export function applyEditParsed(parsed: ParseResult, op: EditOp): EditParsed {
  // the common edit of a long chain: its lines spliced, no pass of the writer over the chain
  const spliced = op.kind === 'policy' || hasErrors(parsed.findings) ? null : spliceEdit(parsed, op, addsActive(op));
  if (spliced) return withLazyText({ ok: true, ...spliced, road: 'splice' });
  let edited: ReturnType<typeof editRuleset>;
  try {
    edited = editRuleset(parsed, op);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  if (!edited.ok) return { ok: false, message: edited.message };
  const fast = op.kind === 'policy' || hasErrors(parsed.findings) ? null : reparseChanged(parsed, edited.ruleset, addsActive(op));
  if (fast) return withLazyText({ ok: true, ...fast, road: 'chains' });
  const text = writePreserving(parsed, edited.ruleset);
  return { ok: true, text, parsed: parseRuleset(text, { family: parsed.ruleset.family }), changed: null, moved: null, road: 'whole' };
}

type Parsed = Extract<EditParsed, { ok: true }>;

/**
 * The result with its `text` joined from its lines when first read: the app's
 * worker never reads it (it sends the page the lines that changed), and a
 * 136,000-line file joined is ~15 MB and 30-130 ms.
 */
function withLazyText(r: Omit<Parsed, 'text'>): Parsed {
  let text: string | undefined;
  return Object.defineProperty(r, 'text', {
    get: () => (text ??= r.parsed.lines.join('\n') + (r.parsed.finalNewline ? '\n' : '')),
    enumerable: true,
    configurable: true,
  }) as Parsed;
}

/** the edit makes a rule active (new, changed or enabled): a jump it adds can change what the kernel's commit checks find */
function addsActive(op: EditOp): boolean {
  return (op.kind === 'add' && !op.disabled) || op.kind === 'replace' || (op.kind === 'set-disabled' && !op.disabled);
}

function reparseChanged(old: ParseResult, edited: Ruleset, validate: boolean): { parsed: ParseResult; changed: ChangedChain[]; moved: Int32Array } | null {
  const w = writePreservingChanged(old, edited);
  if (!w) return null;
  const n = old.lines.length;
  // old 1-based line → new 1-based line (0: the line is gone)
  const moved = new Int32Array(n + 1);
  for (let i = 0; i < w.from.length; i++) if (w.from[i] >= 0) moved[w.from[i] + 1] = i + 1;
  const remap = new Remap(moved);
  const changed: ChangedChain[] = [];
  const newFindings: Finding[] = [];
  const tables: Table[] = [];
  for (let k = 0; k < edited.tables.length; k++) {
    const ed = edited.tables[k];
    const orig = old.ruleset.tables[k];
    if (ed === orig) {
      tables.push(remap.table(orig));
      continue;
    }
    const fresh = parseWritten(w, ed, edited.family);
    if (!fresh) return null;
    for (const f of fresh.findings) newFindings.push(f);
    const chains: Chain[] = [];
    for (let c = 0; c < ed.chains.length; c++) {
      if (ed.chains[c] === orig.chains[c]) {
        chains.push(remap.chain(orig.chains[c]));
        continue;
      }
      const rebuilt = rebuildChain(ed.chains[c], orig.chains[c], w, remap, fresh);
      if (!rebuilt) return null;
      chains.push(rebuilt);
      changed.push({ table: ed.name, chain: ed.chains[c].name });
    }
    const table: Table = { ...ed, chains, ...(orig.source ? { source: remap.source(orig.source) } : {}) };
    // a new jump can make a chain reachable from a hook its rules may not run in, or a loop
    if (validate && validateTable(table, 0).length) return null;
    tables.push(table);
  }
  if (remap.lost) return null;
  const findings: Finding[] = [];
  for (const f of old.findings) {
    if (f.line < 1 || f.line > n) return null;
    if (moved[f.line]) findings.push(moved[f.line] === f.line ? f : { ...f, line: moved[f.line] });
  }
  for (const f of newFindings) findings.push(f);
  // as the reader orders them (a stable sort: one line's findings keep their order)
  findings.sort((a, b) => a.line - b.line || (a.col ?? 0) - (b.col ?? 0));
  const finalNewline = old.finalNewline || w.lines.length > n;
  return { parsed: { ruleset: { ...edited, tables }, findings, lines: w.lines, finalNewline }, changed, moved };
}

/** Old objects with their lines moved: the same object where its line did not move. */
class Remap extends LineShift {
  chain(c: Chain): Chain {
    let same = true;
    const rules = c.rules.map((r) => {
      const m = this.rule(r);
      if (m !== r) same = false;
      return m;
    });
    const disabled = c.disabled.map((d) => {
      const m = this.disabled(d);
      if (m !== d) same = false;
      return m;
    });
    const source = c.source ? this.source(c.source) : undefined;
    if (same && source === c.source) return c;
    return { ...c, rules: same ? c.rules : rules, disabled: same ? c.disabled : disabled, ...(source ? { source } : {}) };
  }
}

/** The lines of table `t` that the writer wrote anew (not copied from the old text), parsed alone. */
function parseWritten(w: WrittenLines, t: Table, family: Ruleset['family']): FreshLines | null {
  const at: number[] = [];
  for (const i of w.ruleAt.values()) if (w.from[i] < 0 && at[at.length - 1] !== i) at.push(i);
  at.sort((a, b) => a - b);
  return parseLinesAlone(w.lines, at, t, family);
}

/**
 * A changed chain as the reader would make it of the new text: its entries in
 * the order of their lines (a line of several rules stays whole, so that is
 * not always the edited order), each the old rule of a line copied as it was
 * (its line moved) or the fresh parse of a line written anew. Null when a rule
 * cannot be found where the writer put it.
 */
function rebuildChain(ed: Chain, orig: Chain, w: WrittenLines, remap: Remap, fresh: FreshLines): Chain | null {
  const oldActive = new Map<number, Rule>();
  for (const r of orig.rules) if (r.source) oldActive.set(lineKey(r.source.line, r.source.part), r);
  const oldDisabled = new Map<number, DisabledRule>();
  for (const d of orig.disabled) if (d.rule.source) oldDisabled.set(d.rule.source.line, d);
  const active: { i: number; part: number; rule: Rule }[] = [];
  for (const r of ed.rules) {
    const i = w.ruleAt.get(r);
    if (i === undefined) return null;
    if (w.from[i] >= 0) {
      // the rule itself, copied with its line (the common case), else the old rule of that line
      const o = r.source?.line === w.from[i] + 1 && oldActive.get(lineKey(r.source.line, r.source.part)) === r ? r : oldActive.get(lineKey(w.from[i] + 1, r.source?.part));
      if (!o) return null;
      active.push({ i, part: o.source?.part ?? 0, rule: remap.rule(o) });
    } else {
      const list = fresh.rules.get(i);
      if (!list || list.length !== 1) return null;
      active.push({ i, part: 0, rule: list[0] });
    }
  }
  // in line order already unless a line of several rules stayed whole around a moved part
  if (!active.every((a, k) => k === 0 || active[k - 1].i < a.i || (active[k - 1].i === a.i && active[k - 1].part <= a.part))) active.sort((a, b) => a.i - b.i || a.part - b.part);
  const off: { i: number; d: DisabledRule }[] = [];
  for (const d of ed.disabled) {
    const i = w.ruleAt.get(d.rule);
    if (i === undefined) return null;
    const o = w.from[i] >= 0 ? oldDisabled.get(w.from[i] + 1) : fresh.disabled.get(i);
    if (!o) return null;
    off.push({ i, d: w.from[i] >= 0 ? remap.disabled(o) : o });
  }
  off.sort((a, b) => a.i - b.i);
  // before: the active rules on lines above it, as the reader counts them
  const disabled: DisabledRule[] = [];
  let k = 0;
  for (const { i, d } of off) {
    while (k < active.length && active[k].i < i) k++;
    disabled.push(d.before === k ? d : { ...d, before: k });
  }
  const source = orig.source ? remap.source(orig.source) : undefined;
  return { ...ed, rules: active.map((a) => a.rule), disabled, ...(source ? { source } : {}) };
}
