// Two rulesets compared table by table and chain by chain on canonical rule
// text: the change set, and the rows of the views.
import type { Ruleset, TableName } from './model.js';
import { BUILTIN_CHAINS, TABLE_NAMES } from './model.js';
import type { Change, ChangeSet, ChainDiff, ChainStatus, DiffRow, RulesetDiff } from './diff-types.js';
import { alignChain, Interner, RowRecorder, walkAlignment } from './diff-align.js';
import { rulesetTexts, type ChainTexts, type RulesetTexts } from './ruleset-texts.js';

const NO_TEXTS: string[] = [];

type ChainPair = { name: string; builtin: boolean; left?: ChainTexts; right?: ChainTexts };

/**
 * Builtin chains in hook order, then the user chains of either side sorted by
 * name, as iptables-save lists them. With `skipEqual`, user chains with the same
 * rules on both sides are left out before the sort: 37,000 kube-proxy chain
 * names take 60 ms to sort, the few hundred that changed nothing. User chains
 * at the same place of both sides under the same name (most of two versions of
 * a ruleset) are paired as they are; only the others are looked up by name
 * (two maps of 37,000 kube-proxy chains were a third of the comparison).
 */
function sortedChains(name: TableName, a: ChainTexts[], b: ChainTexts[], skipEqual: boolean): ChainPair[] {
  const users: ChainPair[] = [];
  const restA: ChainTexts[] = [];
  const restB: ChainTexts[] = [];
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const ca = a[k];
    const cb = b[k];
    if (ca.builtin || cb.builtin || ca.name !== cb.name) {
      restA.push(ca);
      restB.push(cb);
    } else if (!skipEqual || !sameTexts(ca.texts, cb.texts)) users.push({ name: ca.name, builtin: false, left: ca, right: cb });
  }
  for (let k = n; k < a.length; k++) restA.push(a[k]);
  for (let k = n; k < b.length; k++) restB.push(b[k]);
  const la = new Map(restA.map((c) => [c.name, c]));
  const lb = new Map(restB.map((c) => [c.name, c]));
  const out: ChainPair[] = [];
  // A table missing from a ruleset is the same as one with nothing in it: builtin chains, ACCEPT, no rules.
  const empty = (h: string): ChainTexts => ({ name: h, builtin: true, policy: 'ACCEPT', texts: NO_TEXTS });
  for (const h of BUILTIN_CHAINS[name]) {
    out.push({ name: h, builtin: true, left: la.get(h) ?? (a.length ? undefined : empty(h)), right: lb.get(h) ?? (b.length ? undefined : empty(h)) });
  }
  const rest = new Set<string>();
  for (const c of restA) {
    if (c.builtin) continue;
    const other = skipEqual ? lb.get(c.name) : undefined;
    if (!other || other.builtin || !sameTexts(c.texts, other.texts)) rest.add(c.name);
  }
  for (const c of restB) if (!c.builtin && (!skipEqual || !la.has(c.name) || rest.has(c.name) || la.get(c.name)!.builtin)) rest.add(c.name);
  for (const r of rest) users.push({ name: r, builtin: false, left: la.get(r), right: lb.get(r) });
  users.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const u of users) out.push(u);
  return out;
}

interface DetailOptions {
  /**
   * Rows for chains without changes too (default true). The views print
   * changed chains only; without these rows a diff of two big, mostly equal
   * rulesets allocates a row per changed chain's rule only. Unchanged chains
   * are then left out of `chains` (and, equal on both sides, never aligned).
   */
  unchangedRows?: boolean;
  /**
   * Called between chains and every few thousand rules or rows of a long one;
   * throw from it to give the diff up (the app's cancel: a worker thread no
   * message reaches while it works).
   */
  stop?: () => void;
}

/** Everything the UI needs for a side-by-side view, plus the change set. */
export function diffRulesetsDetailed(a: Ruleset, b: Ruleset, opts: DetailOptions = {}): RulesetDiff {
  return diffRulesetTexts(rulesetTexts(a, opts.stop), rulesetTexts(b, opts.stop), opts);
}

export function diffRulesets(a: Ruleset, b: Ruleset): ChangeSet {
  return { changes: compare(rulesetTexts(a), rulesetTexts(b), 'none').changes };
}

/**
 * The diff of two rulesets already reduced to their canonical texts (see
 * rulesetTexts). `context` (with unchangedRows false): the rows of a view with
 * that context only, each run of unchanged rules further from a change as one
 * row with `skipped` (formatUnified and formatSideBySide with the same context
 * print the same as from every row).
 */
export function diffRulesetTexts(a: RulesetTexts, b: RulesetTexts, opts: DetailOptions & { rows?: boolean; context?: number } = {}): RulesetDiff {
  const mode = opts.rows === false ? 'none' : opts.unchangedRows === false ? 'changed' : 'all';
  return compare(a, b, mode, mode === 'changed' ? opts.context : undefined, opts.stop);
}

function compare(a: RulesetTexts, b: RulesetTexts, rowMode: 'all' | 'changed' | 'none', context?: number, stop?: () => void): RulesetDiff {
  // unless every chain's rows are wanted, chains equal on both sides are skipped:
  // the chains left all have changes, so their rows are made in the one walk
  const skipEqual = rowMode !== 'all';
  const withRows = rowMode !== 'none';
  const chains: ChainDiff[] = [];
  const changes: Change[] = [];
  for (const tname of TABLE_NAMES) {
    const ta = a.tables.find((t) => t.name === tname);
    const tb = b.tables.find((t) => t.name === tname);
    if (!ta && !tb) continue;
    for (const { name, builtin, left, right } of sortedChains(tname, ta?.chains ?? [], tb?.chains ?? [], skipEqual)) {
      const lt = left ? left.texts : NO_TEXTS;
      const rt = right ? right.texts : NO_TEXTS;
      const status: ChainStatus = !left ? 'added' : !right ? 'deleted' : 'same';
      const polFrom = builtin ? (left?.policy ?? 'ACCEPT') : null;
      const polTo = builtin ? (right?.policy ?? 'ACCEPT') : null;
      const policy = polFrom !== null && polTo !== null ? { from: polFrom, to: polTo } : null;
      // a chain the same on both sides has no changes and, without rows for it, nothing to align
      if (skipEqual && status === 'same' && polFrom === polTo && sameTexts(lt, rt)) continue;
      stop?.();
      // ids per chain: the alignment's counters are one per distinct line of the chain
      const al = alignChain(lt, rt, new Interner(), left?.labels && right?.labels && left.labels === right.labels ? right.labels : undefined);
      const before = changes.length;
      if (status === 'added') changes.push({ op: 'chain-add', table: tname, chain: name });
      if (policy && policy.from !== policy.to) changes.push({ op: 'policy', table: tname, chain: name, from: policy.from, to: policy.to });
      const rec = withRows ? new RowRecorder(lt.length + rt.length) : null;
      let visited = 0;
      walkAlignment(lt, rt, al, (kind, i, j) => {
        if (stop && (++visited & 4095) === 0) stop();
        rec?.add(kind, i, j);
        switch (kind) {
          case 'add':
            changes.push({ op: 'add', table: tname, chain: name, index: j + 1, rule: rt[j] });
            break;
          case 'delete':
            changes.push({ op: 'delete', table: tname, chain: name, index: i + 1, rule: lt[i] });
            break;
          case 'replace':
            changes.push({ op: 'replace', table: tname, chain: name, index: j + 1, fromIndex: i + 1, from: lt[i], to: rt[j] });
            break;
          case 'move-to':
            changes.push({ op: 'move', table: tname, chain: name, index: j + 1, fromIndex: al.moveFrom[j] + 1, rule: rt[j] });
            break;
          default:
            break;
        }
      }, !withRows, stop);
      if (status === 'deleted') changes.push({ op: 'chain-delete', table: tname, chain: name });
      const cd: ChainDiff = { table: tname, chain: name, builtin, status, policy, rows: rec ? rec.rows(lt, rt, al, context) : [] };
      if (status === 'same' && changes.length > before) cd.status = 'changed';
      if (rowMode === 'all' || (rowMode === 'changed' && cd.status !== 'same')) chains.push(cd);
    }
  }
  return { chains, changes };
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
