// The backup a revert restores, and rule comparisons that ignore what
// iptables-save stamps into its output (comments, counters, table order).
//
// iptables-save prints only the tables whose modules are loaded, and
// iptables-restore leaves alone every table its input does not name. So a
// backup made of plain iptables-save output cannot undo a proposal that
// brings in a new table (nat on a host that never used it): the revert would
// leave the new nat rules running. The backup therefore carries, for every
// table the proposal touches, either the live section or an empty one.
import { BUILTIN_CHAINS, isTableName, type TableName } from '../model.js';

/** `*table` … `COMMIT` sections of an iptables-save style text, `#` lines dropped, in order. */
export function saveSections(text: string): { table: string; lines: string[] }[] {
  const out: { table: string; lines: string[] }[] = [];
  let cur: { table: string; lines: string[] } | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      cur = { table: line.slice(1).trim(), lines: [line] };
      continue;
    }
    if (!cur) continue;
    cur.lines.push(line);
    if (line === 'COMMIT') {
      out.push(cur);
      cur = null;
    }
  }
  return out;
}

/** The section iptables-restore needs to flush a table back to "loaded, empty, ACCEPT". */
export function emptyTableSection(t: TableName): string {
  return [`*${t}`, ...BUILTIN_CHAINS[t].map((c) => `:${c} ACCEPT [0:0]`), 'COMMIT'].join('\n') + '\n';
}

export interface Backup {
  /** what the revert restores: the live sections of the touched tables, and empty ones for tables not loaded */
  text: string;
  /** tables the proposal touches */
  tables: TableName[];
  /** tables that were not loaded and get an empty section */
  emptyAdded: TableName[];
}

/**
 * The backup for a proposal touching `tables`, made from the live
 * iptables-save text. Tables the proposal leaves alone are not in it: a
 * revert must not reset them (and the bans fail2ban added there meanwhile).
 */
export function buildBackup(liveText: string, tables: readonly TableName[]): Backup {
  const live = new Map(saveSections(liveText).map((s) => [s.table, s.lines]));
  const parts: string[] = [];
  const emptyAdded: TableName[] = [];
  for (const t of tables) {
    const sec = live.get(t);
    if (sec) parts.push(sec.join('\n') + '\n');
    else {
      parts.push(emptyTableSection(t));
      emptyAdded.push(t);
    }
  }
  return { text: parts.join(''), tables: [...tables], emptyAdded };
}

/**
 * One table's rules without comments and counters; an empty default table
 * (builtin chains ACCEPT, no rules, no user chains) is the same as an absent one.
 */
function normalizedTables(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of saveSections(text)) {
    const body = s.lines.slice(1).map((l) => (l.startsWith(':') ? l.replace(/\s*\[\d+:\d+\]\s*$/, '') : l.replace(/^\[\d+:\d+\]\s+/, '')));
    const builtins: readonly string[] = isTableName(s.table) ? BUILTIN_CHAINS[s.table] : [];
    const isEmptyDefault =
      builtins.length > 0 && body.every((l) => l === 'COMMIT' || (l.startsWith(':') && / ACCEPT$/.test(l) && builtins.includes(l.slice(1).split(' ')[0])));
    if (!isEmptyDefault) out.set(s.table, body.join('\n'));
  }
  return out;
}

/**
 * Whether two iptables-save texts hold the same rules in the given tables (all
 * tables when omitted), ignoring comments, counters, table order, and the
 * difference between an absent table and an empty one.
 */
export function sameRules(a: string, b: string, tables?: readonly string[]): boolean {
  return differingTables(a, b, tables).length === 0;
}

export function differingTables(a: string, b: string, tables?: readonly string[]): string[] {
  const na = normalizedTables(a);
  const nb = normalizedTables(b);
  const names = tables ?? [...new Set([...na.keys(), ...nb.keys()])];
  return names.filter((t) => (na.get(t) ?? '') !== (nb.get(t) ?? ''));
}

/** The tables named in a ruleset text (`*nat` …), in order, known names only. */
export function tablesIn(text: string): TableName[] {
  const out: TableName[] = [];
  for (const s of saveSections(text)) if (isTableName(s.table) && !out.includes(s.table)) out.push(s.table);
  return out;
}
