// The diff's data: a change set (plain data: rule text, not parsed objects, so
// it can cross IPC, be stored and be applied back) and the rows of the views.
import type { TableName } from './model.js';

/**
 * One difference. Indexes are 1-based, as `iptables -L --line-numbers`: `index`
 * is the position in the NEW chain (for `delete`, in the old one), `fromIndex`
 * the position in the old chain. Rule texts are canonical (`-A CHAIN …`).
 */
export type Change =
  | { op: 'add'; table: TableName; chain: string; index: number; rule: string }
  | { op: 'delete'; table: TableName; chain: string; index: number; rule: string }
  | { op: 'replace'; table: TableName; chain: string; index: number; fromIndex: number; from: string; to: string }
  | { op: 'move'; table: TableName; chain: string; index: number; fromIndex: number; rule: string }
  | { op: 'policy'; table: TableName; chain: string; from: string; to: string }
  | { op: 'chain-add'; table: TableName; chain: string }
  | { op: 'chain-delete'; table: TableName; chain: string };

export interface ChangeSet {
  changes: Change[];
}

export type RowKind = 'same' | 'add' | 'delete' | 'replace' | 'move-from' | 'move-to';

interface RowSide {
  /** 1-based position in its chain */
  index: number;
  text: string;
}

/** One row of the side-by-side view: old rule on the left, new on the right. */
export interface DiffRow {
  kind: RowKind;
  left: RowSide | null;
  right: RowSide | null;
  /** for move rows: where the rule went to (move-from) or came from (move-to), 1-based */
  other?: number;
  /**
   * Only in a diff asked for with `context` (diffRulesetTexts): this row, a
   * `same` row with no sides, stands for that many unchanged rows left out,
   * all further than `context` rows from any change.
   */
  skipped?: number;
}

export type ChainStatus = 'same' | 'changed' | 'added' | 'deleted';

export interface ChainDiff {
  table: TableName;
  chain: string;
  builtin: boolean;
  status: ChainStatus;
  /** builtin chains: the policies on each side (equal when unchanged) */
  policy: { from: string; to: string } | null;
  rows: DiffRow[];
}

export interface RulesetDiff {
  chains: ChainDiff[];
  changes: Change[];
}
