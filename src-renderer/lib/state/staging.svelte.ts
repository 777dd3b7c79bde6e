// Staged edits of one open ruleset: each edit (add, change, disable, move,
// delete, raw text) is a new text made by the core's preserving writer, kept
// on a stack so Ctrl+Z steps back. Nothing leaves the app until the admin
// chooses "Review & apply" (a host's proposal) or saves the file.
import type { Family, RuleRef, TableName } from '../../../src-main/core/index.js';
import { headsOf, type RuleRow } from './rows.js';

/** Where a document came from, so "Review & apply" knows where its edits go. */
export type DocOwner = { kind: 'host'; hostId: string; hostName: string; which: 'saved' | 'running' | 'proposed'; family: Family };

/** "Move to…": top, bottom, or before/after entry #n (1-based) of the chain */
export type MoveDest = { kind: 'top' } | { kind: 'bottom' } | { kind: 'before' | 'after'; n: number };

/**
 * Where a block of entries (positions `from`, sorted) lands among the chain's
 * other entries, for a destination given in the chain's current numbering.
 */
export function moveTarget(from: readonly number[], total: number, dest: MoveDest): number {
  const rest = total - from.length;
  if (dest.kind === 'top') return 0;
  if (dest.kind === 'bottom') return rest;
  const at = dest.n - 1;
  // relative to a rule of the block itself: the block stays where it is
  if (from.includes(at)) return Math.min(...from);
  const shift = from.filter((f) => f < at).length;
  return Math.max(0, Math.min(rest, at - shift + (dest.kind === 'after' ? 1 : 0)));
}

interface StagedStep<D> {
  label: string;
  doc: D;
}

/**
 * The stack of staged documents over a base one. Generic in the document (a
 * RulesetDoc in the app) so this file need not import the document's module,
 * which holds its Staging: no import cycle between the two.
 */
export class Staging<D> {
  steps = $state.raw<StagedStep<D>[]>([]);
  constructor(readonly base: D) {}

  get count(): number {
    return this.steps.length;
  }
  get current(): D {
    return this.steps.length ? this.steps[this.steps.length - 1].doc : this.base;
  }
  push(label: string, doc: D): void {
    this.steps = [...this.steps, { label, doc }];
  }
  /** drops the last step; returns the document before it */
  undo(): D {
    this.steps = this.steps.slice(0, -1);
    return this.current;
  }
  /** back to before the step at index k (it and everything after it are dropped) */
  undoTo(k: number): D {
    this.steps = this.steps.slice(0, Math.max(0, k));
    return this.current;
  }
}

/** The rule a row shows, as an edit addresses it: its table, chain and position among the chain's entries. */
export function refOfRow(rows: readonly RuleRow[], i: number): RuleRef | null {
  const r = rows[i];
  if (!r || (r.kind !== 'rule' && r.kind !== 'disabled')) return null;
  // no disabled rules in the chain: the entries before a rule are the rules before it (not a walk back through 85,000 rows)
  if (r.kind === 'rule' && r.chain.disabled.length === 0) return { table: r.table, chain: r.chain.name, at: r.index - 1 };
  let at = 0;
  for (let k = i - 1; k >= 0; k--) {
    const p = rows[k];
    if (p.kind === 'chain' || p.kind === 'table') break;
    if (p.kind === 'rule' || p.kind === 'disabled') at++;
  }
  return { table: r.table, chain: r.chain.name, at };
}

/** The row of a chain's header. */
export function chainRow(rows: readonly RuleRow[], table: TableName, chain: string): number {
  let at = chainRows.get(rows);
  const heads = headsOf(rows);
  if (!at && heads && !asked.has(rows)) {
    // the first look-up in a row list (an edit's row to select): a walk over the headers alone, no map of 20,000 chains
    asked.add(rows);
    for (const k of heads) {
      const r = rows[k];
      if (r.kind === 'chain' && r.table === table && r.chain.name === chain) return k;
    }
    return -1;
  }
  if (!at) {
    // one pass over the headers (or the rows), then each look-up is one (the findings' fixes ask for every finding shown)
    at = new Map();
    for (const k of heads ?? rows.keys()) {
      const r = rows[k];
      if (r.kind === 'chain' && !at.has(`${r.table} ${r.chain.name}`)) at.set(`${r.table} ${r.chain.name}`, k);
    }
    chainRows.set(rows, at);
  }
  return at.get(`${table} ${chain}`) ?? -1;
}

/** row lists asked for one chain's header already: the next look-up makes the map */
const asked = new WeakSet<readonly RuleRow[]>();

/** each (immutable) row list's chain headers: "table chain" → row */
const chainRows = new WeakMap<readonly RuleRow[], Map<string, number>>();

/** The row that shows entry `at` of a chain (or the chain's header when there is none). */
export function rowOfRef(rows: readonly RuleRow[], ref: RuleRef): number {
  const c = chainRow(rows, ref.table, ref.chain);
  if (c < 0) return -1;
  let at = 0;
  for (let k = c + 1; k < rows.length; k++) {
    const r = rows[k];
    if (r.kind === 'chain' || r.kind === 'table') break;
    if (r.kind === 'rule' || r.kind === 'disabled') {
      if (at === ref.at) return k;
      at++;
    }
  }
  return c;
}

/** How many entries (active and disabled rules) a chain has, from the rows. */
export function entryCount(rows: readonly RuleRow[], table: TableName, chain: string): number {
  const c = chainRow(rows, table, chain);
  let n = 0;
  for (let k = c + 1; c >= 0 && k < rows.length; k++) {
    const r = rows[k];
    if (r.kind === 'chain' || r.kind === 'table') break;
    if (r.kind === 'rule' || r.kind === 'disabled') n++;
  }
  return n;
}
