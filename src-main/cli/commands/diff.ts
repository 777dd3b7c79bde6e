// portcullis diff OLD NEW — the semantic diff of two ruleset files.
import { diffRulesetTexts, formatSideBySide, formatUnified, hasErrors, type Family, type ReuseOptions, type RulesetTexts } from '../../core/index.js';
import { resolveDiffTexts, type OldLines } from '../../core/diff-reuse.js';
import { flag, int, parseArgs, UsageError } from '../args.js';
import { escapeControls, jsonText } from '../io.js';
import { registerCommand } from './index.js';
import { fullGC } from '../full-gc.js';
import { FAMILY_OPTION, familyArg, loadRulesetTexts, printFindings } from './read-ruleset.js';
import type { Finding } from '../../core/index.js';

interface Loaded {
  findings: Finding[];
  texts: RulesetTexts | null;
  family: Family;
  old: OldLines | null;
  reused: number;
}

const usage = `usage: portcullis diff OLD NEW [--unified | --side-by-side] [--context N] [--width N] [--family 4|6] [--json]

Compares two ruleset files (iptables-save format) rule by rule on their
canonical form: counters, # lines, option spelling, whitespace and table order
are never differences. Changes are shown per chain: added (+), deleted (-),
replaced (same place, changed rule), moved, policy changed, chain added or
deleted. Use - for standard input.

  --unified        one column, - old and + new (the default)
  --side-by-side   old on the left, new on the right (< deleted, > added, | replaced)
  --context N      unchanged rules shown around each change (default 3)
  --width N        total width of the side-by-side view (default 160)
  --family F       4 (iptables) or 6 (ip6tables) for both files; without it each
                   is inferred from its name (rules.v6, ip6tables) or content
  --json           {"changes":[{"op","table","chain","index","fromIndex","rule","from","to"}]}

Exit status: 0 the rulesets are the same, 1 they differ, 2 a file could not be
read or is not a valid ruleset (its errors are printed as \`portcullis check\` does).`;

/** rule lines of the old file from which a full collection after each file's reader pays (~10 ms on 20,000 rules) */
const BIG = 20_000;

registerCommand({
  name: 'diff',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, {
      json: { type: 'boolean' },
      unified: { type: 'boolean', short: 'u' },
      'side-by-side': { type: 'boolean', short: 'y' },
      context: { type: 'string', short: 'U' },
      width: { type: 'string', short: 'W' },
      ...FAMILY_OPTION,
    });
    const family = familyArg(args);
    if (args.positionals.length !== 2) throw new UsageError('give exactly two files, OLD and NEW');
    if (flag(args, 'unified') && flag(args, 'side-by-side')) throw new UsageError('choose one of --unified and --side-by-side');
    const context = int(args, 'context', 0, 1_000_000) ?? 3;
    const width = int(args, 'width', 40, 10_000) ?? 160;
    const [oldFile, newFile] = args.positionals;
    if (oldFile === '-' && newFile === '-') throw new UsageError('only one of the files can be standard input');

    const texts: (RulesetTexts | null)[] = [];
    let failed = false;
    const families: Family[] = [];
    const take = (file: string, parsed: Loaded | null) => {
      if (!parsed) {
        failed = true;
        return;
      }
      families.push(parsed.family);
      if (hasErrors(parsed.findings)) {
        printFindings(io, file, parsed.findings);
        failed = true;
      }
      texts.push(parsed.texts);
    };
    const load = (file: string, reuse?: ReuseOptions, again = false): Loaded | null => {
      const s = loadRulesetTexts(io, file, family, undefined, { reuse, again });
      if (!s.ok) return null;
      const r = s.result;
      return { findings: r.findings, texts: hasErrors(r.findings) ? null : r.texts, family: r.family, old: r.old ?? null, reused: r.reused ?? 0 };
    };
    // The new file takes the lines it has of the old one from there (diff-reuse.ts).
    // Standard input cannot be read twice, as a new file with errors is: read without.
    const before = load(oldFile, { record: newFile !== '-' });
    take(oldFile, before);
    // a big file's reader leaves as much garbage as the next one makes (full-gc.ts)
    const big = (before?.old?.lines ?? 0) >= BIG;
    if (big) fullGC();
    let after = load(newFile, { from: before?.old });
    // lines taken from the old file say none of their warnings: read again for every finding
    if (after && after.reused > 0 && hasErrors(after.findings)) after = load(newFile, undefined, true);
    take(newFile, after);
    if (big) fullGC();
    if (failed) return 2;
    if (families[0] !== families[1]) {
      const fam = (f: Family) => (f === 'ipv6' ? 'IPv6 (ip6tables)' : 'IPv4 (iptables)');
      io.err(`error: ${escapeControls(oldFile)} reads as ${fam(families[0])} and ${escapeControls(newFile)} as ${fam(families[1])}: a diff compares two rulesets of one family (give --family 4 or --family 6)\n`);
      return 2;
    }
    // the chains the new file took whole from the old are left out; the others' texts made (diff-reuse.ts)
    const [a, b] = resolveDiffTexts(texts[0]!, before?.old ?? null, texts[1]!);
    if (before) before.old = null;

    // one comparison (canonical texts and alignment once): the change set alone
    // for --json, else with the rows of the changed chains for the view
    if (flag(args, 'json')) {
      const { changes } = diffRulesetTexts(a, b, { rows: false });
      io.out(jsonText({ changes }) + '\n');
      return changes.length > 0 ? 1 : 0;
    }
    // only the rows the view shows: long runs of unchanged rules come as one row each
    const d = diffRulesetTexts(a, b, { unchangedRows: false, context });
    const { changes } = d;
    if (changes.length > 0) {
      const name = (f: string) => (f === '-' ? '<stdin>' : f);
      const text = flag(args, 'side-by-side')
        ? formatSideBySide(d, name(oldFile), name(newFile), { context, width })
        : formatUnified(d, name(oldFile), name(newFile), { context });
      io.out(escapeControls(text));
    }
    return changes.length > 0 ? 1 : 0;
  },
});
