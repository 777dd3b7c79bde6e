// The semantic diff: two rulesets compared table by table and chain by chain on
// canonical rule text, so counters, `#` lines, option spelling, whitespace and
// table order never show up as differences. One module per part:
//   diff-types.ts    the change set and the rows (plain data)
//   diff-align.ts    one chain's alignment: same rules, moves, the walk of the rows
//   diff-compare.ts  rulesets compared chain by chain into changes and rows
//   diff-apply.ts    a change set applied back to a ruleset
//   diff-view.ts     unified and side-by-side text for the CLI
// ruleset-texts.ts reduces a ruleset to the canonical texts all of them compare.
export type { Change, ChangeSet, RowKind, DiffRow, ChainStatus, ChainDiff, RulesetDiff } from './diff-types.js';
export { alignSequences, diffRuleTexts } from './diff-align.js';
export { rulesetTexts, type ChainTexts, type RulesetTexts } from './ruleset-texts.js';
export { diffRulesets, diffRulesetsDetailed, diffRulesetTexts } from './diff-compare.js';
export { applyChangeSet, ChangeSetError } from './diff-apply.js';
export { formatUnified, formatSideBySide } from './diff-view.js';
