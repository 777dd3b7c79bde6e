import type { Chain, DisabledRule, Rule, Table } from './model.js';

/**
 * Old model objects with their lines moved (lines added or deleted above
 * them, `moved[old line]` = new line, 0 = gone): the same object where
 * nothing moved, so an edit keeps the objects of what it did not touch. The
 * two edit roads (edit-reparse.ts, edit-splice.ts) differ only in how a
 * chain decides it is untouched.
 */
export abstract class LineShift {
  /** a line that should still be there is gone: the result would be wrong */
  lost = false;
  constructor(protected readonly moved: Int32Array) {}

  source<S extends { line: number }>(s: S): S {
    const to = this.moved[s.line] ?? 0;
    if (!to) this.lost = true;
    return to === s.line ? s : { ...s, line: to };
  }

  rule(r: Rule): Rule {
    if (!r.source) return r;
    const s = this.source(r.source);
    return s === r.source ? r : { ...r, source: s };
  }

  disabled(d: DisabledRule): DisabledRule {
    const rule = this.rule(d.rule);
    return rule === d.rule ? d : { ...d, rule };
  }

  abstract chain(c: Chain): Chain;

  table(t: Table): Table {
    const chains = t.chains.map((c) => this.chain(c));
    const source = t.source ? this.source(t.source) : undefined;
    if (source === t.source && chains.every((c, k) => c === t.chains[k])) return t;
    return { ...t, chains, ...(source ? { source } : {}) };
  }
}
