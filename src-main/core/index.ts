// The pure core's public face: import from here, not from the files inside.
import './extensions/index.js';

export * from './model.js';
export * from './findings.js';
export { FamilyScan, inferFamily, parseFamily } from './family.js';
export { parseRuleset, parseRulesetTexts, parseRulesetPieces, parseRulesetModelPieces, type ParseResult, type ParseOptions, type ReuseOptions, type TextsResult } from './parse.js';
export { canonicalFromTexts, writeCanonical } from './ruleset-texts.js';
export { decodeRulesetBytes } from './encoding.js';
export { canonicalRuleset, canonicalTable, canonicalRule, canonicalRuleBody, savedChainOrder } from './canonical.js';
export { diffRulesets, diffRulesetsDetailed, diffRulesetTexts, rulesetTexts, type RulesetTexts, type ChainTexts, applyChangeSet, ChangeSetError, formatUnified, formatSideBySide, type Change, type ChangeSet, type ChainDiff, type DiffRow, type RulesetDiff } from './diff.js';
export { changedWords, ruleSimilarity, optionGroups, pairBySimilarity, type TextPiece } from './diff-pairing.js';
export { findDrift, driftFromChanges, mergeLiveOnly, type Drift } from './drift.js';
export { writePreserving } from './preserve.js';
export { tracePacket, packetFromSpec, describeTrace, describeGiveUp, TraceInputError, type TraceGiveUp, type PacketSpec, type Packet, type TraceOptions, type TraceResult, type TraceOutcome, type TraceStep, type TraceDecision, type TraceVerdict, type TraceHook, type TracePacketOut } from './trace.js';
export { lintRuleset, lintParsed, type LintOptions } from './lint.js';
export { lintIncremental, LintStopped, type LintMemo, type EditSince } from './lint-incremental.js';
export { lintPair, type PairFinding } from './lint/pair.js';
export { importScript, type ImportResult } from './import.js';
export * from './recipes/index.js';
export { applyEditParsed, type ChangedChain } from './edit-reparse.js';
export { spliceText, textLength, textSplice, type TextSplice } from './edit-text.js';
export { applyEdit, parseRuleBody, ruleFormSpec, type EditOp, type RuleRef, type OptionField, type ExtensionFields } from './edit.js';
export { matchWords, targetDetail } from './extension-words.js';
export { targetAction } from './analysis/targets.js';
export type { TargetAction } from './analysis/target-action.js';
export { formatNet, formatNet6 } from './values.js';
