// Pasting a how-to's `iptables …` commands: the CLI's importer (core
// importScript) reads them as sh would; each command line gets a mark —
// ✓ imported, ⚠ imported with a warning, ✗ left out — with the rule it became
// and the findings on its line. The imported rules can then be added to the
// open ruleset, placed as the recipes place theirs (after what is there,
// before a chain's catch-all verdict), and written back with the file's layout.
import {
  canonicalRule,
  importScript,
  mergeRecipe,
  parseRuleBody,
  writePreserving,
  type Family,
  type Finding,
  type ImportResult,
  type ParseResult,
  type RecipeOutput,
  type RecipeRule,
  type TableName,
} from '../../../src-main/core/index.js';
import { quoteWord } from './rule-form.js';

type PasteMark = 'ok' | 'warn' | 'error';

interface PastedCommand {
  line: number;
  /** the command as pasted (its words joined) */
  text: string;
  mark: PasteMark;
  /** what it became: `-A INPUT … ` as iptables-save prints it, or what it did (`new chain LOGGING`) */
  converted: string | null;
  findings: Finding[];
}

export interface PasteAnalysis {
  result: ImportResult;
  commands: PastedCommand[];
  /** lines that were prose or other commands, skipped */
  skipped: number;
  imported: number;
}

const COMMAND_RE = /^\s*(?:sudo\s+)?(?:\/s?bin\/|\/usr\/s?bin\/)?ip6?tables(?:-legacy|-nft)?\s/m;

/** Text that holds `iptables …` command lines (and is not an iptables-save file). */
export function looksLikeCommands(text: string): boolean {
  return COMMAND_RE.test(text) && !/^\*(filter|nat|mangle|raw|security)\s*$/m.test(text);
}

export function analyzePaste(text: string, family: Family = 'ipv4'): PasteAnalysis {
  const result = importScript(text, { family });
  const byLine = new Map<number, Finding[]>();
  for (const f of result.findings) {
    if (f.code === 'left-out' || f.code === 'shell-command') continue;
    const list = byLine.get(f.line) ?? [];
    list.push(f);
    byLine.set(f.line, list);
  }
  const commands: PastedCommand[] = [];
  let skipped = 0;
  for (const c of result.commands) {
    if (c.status === 'skipped') {
      skipped++;
      continue;
    }
    const findings = byLine.get(c.line) ?? [];
    const mark: PasteMark = c.status !== 'imported' || findings.some((f) => f.severity === 'error') ? 'error' : findings.some((f) => f.severity === 'warning') ? 'warn' : 'ok';
    commands.push({ line: c.line, text: c.words.map(quoteWord).join(' '), mark, converted: c.status === 'imported' ? converted(result, c.words, c.table ?? 'filter') : null, findings });
  }
  return { result, commands, skipped, imported: commands.filter((c) => c.mark !== 'error').length };
}

/** What an imported command became, in iptables-save's words. */
function converted(result: ImportResult, words: readonly string[], table: TableName): string | null {
  const w = words.slice(1);
  for (let k = 0; k < w.length - 1; k++) {
    if (w[k] === '-t' || w[k] === '--table') {
      w.splice(k, 2);
      break;
    }
  }
  const [cmd, chain, ...rest] = w;
  if (cmd === '-N' || cmd === '--new-chain') return `new chain ${chain}`;
  if (cmd === '-P' || cmd === '--policy') return `policy of ${chain}: ${rest[0] ?? ''}`;
  if (cmd !== '-A' && cmd !== '--append' && cmd !== '-I' && cmd !== '--insert') return null;
  // -I CHAIN N: the position is not part of the rule
  const body = (cmd === '-I' || cmd === '--insert') && /^\d+$/.test(rest[0] ?? '') ? rest.slice(1) : rest;
  const p = parseRuleBody(result.ruleset, table, chain, body.map(quoteWord).join(' '));
  return p.ok ? canonicalRule(chain, p.rule) : null;
}

export type MergeResult = { ok: true; text: string; added: number; skipped: string[] } | { ok: false; reason: string };

/**
 * Adds the imported rules to a parsed ruleset: user chains created, each rule
 * placed after the chain's rules but before its catch-all verdict (as the
 * recipes do), then written back with the file's comments and layout.
 */
export function mergeImported(into: ParseResult, a: PasteAnalysis, opts: { client?: string; sshPort?: number } = {}): MergeResult {
  const rules: RecipeRule[] = [];
  const chains: RecipeOutput['chains'] = [];
  for (const t of a.result.ruleset.tables) {
    for (const c of t.chains) {
      if (!c.builtin) chains.push({ table: t.name, name: c.name, why: 'created by the pasted commands' });
      for (const r of c.rules) rules.push({ table: t.name, chain: c.name, rule: r, text: canonicalRule(c.name, r), why: 'pasted', position: 'bottom' });
    }
  }
  if (!rules.length && !chains.length) return { ok: false, reason: 'none of the pasted commands made a rule' };
  const output: RecipeOutput = { recipe: 'pasted commands', values: {}, family: a.result.ruleset.family, chains, rules, preconditions: [], notes: [] };
  let placed: ReturnType<typeof mergeRecipe>;
  try {
    placed = mergeRecipe(into.ruleset, output, { client: opts.client, sshPort: opts.sshPort });
  } catch (e) {
    // the placement's checks could not run on these rules: say so, the ruleset stays as it was
    return { ok: false, reason: `the pasted rules could not be placed: ${(e as Error).message}` };
  }
  if (!placed.ok) return { ok: false, reason: placed.reason };
  return { ok: true, text: writePreserving(into, placed.ruleset), added: placed.added.length, skipped: placed.skipped.map((s) => `${s.text}: ${s.reason}`) };
}
