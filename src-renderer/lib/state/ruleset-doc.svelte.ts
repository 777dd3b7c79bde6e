// One open ruleset: its text, the parsed model and everything derived from it.
// Big immutable data sits in $state.raw (never proxied: 100,000 rules stay plain
// objects); what follows from it is $derived, so it is computed when a view
// first reads it and never twice.
import {
  canonicalRule,
  canonicalRuleset,
  hasErrors,
  lintParsed,
  parseRuleset,
  type Finding,
  type LintOptions,
  type ParseResult,
  type Ruleset,
} from '../../../src-main/core/index.js';
import { buildRuleRows, findUnreadable, ruleBodyText, severityByLine, sortFindings, type RuleRow } from './rows.js';
import type { DocOwner, Staging } from './staging.svelte.js';
import { buildSearchIndex, searchRules, type SearchFacets, type SearchResult } from './search-index.js';

export interface RulesetSource {
  name: string;
  /** where it came from, for the title; absent for pasted or dropped text */
  path?: string;
  text: string;
  /** an edit of another document: the same view, kept open across the edit */
  lineage?: number;
}

export type DocView = 'rules' | 'source' | 'canonical';

/** rulesets up to this size are linted as soon as they open */
export const LINT_AUTO_LIMIT = 20_000;

let nextDocId = 1;

export class RulesetDoc {
  readonly id = nextDocId++;
  /** the same for a document and every edit of it: the view stays mounted across edits */
  readonly lineage: number;
  /** the staged edits this document is a step of (null until the first edit) */
  staging = $state.raw<Staging | null>(null);
  /** a host's saved, running or proposed rules: edits go to that host's proposal */
  owner = $state.raw<DocOwner | null>(null);
  /** lint with the admin's address (a host's document): the lockout check runs while staging */
  lintOptions = $state.raw<LintOptions>({});
  readonly name: string;
  readonly path: string | undefined;
  readonly text: string;
  readonly parseMs: number;
  readonly finalNewline: boolean;

  ruleset = $state.raw<Ruleset>({ family: 'ipv4', tables: [] });
  /** the file's lines, for the source view and the text of each rule */
  lines = $state.raw<string[]>([]);
  parseFindings = $state.raw<Finding[]>([]);
  /**
   * Findings shown for the file: the parser's and the lint's. The lint runs on
   * the page's thread, so very large rulesets are linted only when asked
   * (`lintRequested`), keeping the first view of a 100,000-rule file quick.
   */
  lintRequested = $state(false);
  ruleCount = $derived(this.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0));
  linted = $derived(this.ruleCount <= LINT_AUTO_LIMIT || this.lintRequested);
  findings = $derived(sortFindings(this.linted ? lintParsed(this.asParseResult(), this.lintOptions) : this.parseFindings));
  severities = $derived(severityByLine(this.findings));
  errorCount = $derived(this.findings.filter((f) => f.severity === 'error').length);
  warningCount = $derived(this.findings.filter((f) => f.severity === 'warning').length);
  valid = $derived(!hasErrors(this.findings));
  table = $derived(buildRuleRows(this.ruleset, findUnreadable(this.ruleset, this.findings, this.lines)));
  /** only computed when the canonical view is opened */
  canonicalLines = $derived(trimLast(canonicalRuleset(this.ruleset).split('\n')));

  /** the search over the rules: text and facets; the index is built on the first search */
  searchText = $state('');
  searchFacets = $state<SearchFacets>({});
  searchIndex = $derived(buildSearchIndex(this.table.rows, (r) => this.rowText(r)));
  searching = $derived(this.searchText.trim() !== '' || Object.values(this.searchFacets).some(Boolean));
  searchResult = $derived<SearchResult | null>(
    this.searching ? searchRules(this.searchIndex, this.table.rows, { text: this.searchText, facets: this.searchFacets }, (l) => this.severities.get(l)) : null,
  );

  /** UI state that belongs to the document: which view, which row is selected */
  view = $state<DocView>('rules');
  selectedRow = $state(-1);

  constructor(src: RulesetSource) {
    this.name = src.name;
    this.path = src.path;
    this.text = src.text;
    this.lineage = src.lineage ?? this.id;
    const t0 = performance.now();
    const parsed = parseRuleset(src.text);
    this.parseMs = performance.now() - t0;
    this.lines = parsed.lines;
    this.ruleset = parsed.ruleset;
    this.parseFindings = parsed.findings;
    this.finalNewline = parsed.finalNewline;
  }

  /** the parse as the core's writers and recipes take it (the same objects, nothing copied) */
  asParseResult(): ParseResult {
    return { ruleset: this.ruleset, findings: this.parseFindings, lines: this.lines, finalNewline: this.finalNewline };
  }

  get rows(): RuleRow[] {
    return this.table.rows;
  }

  /** Text for a rule row: what the admin wrote, or the canonical body when one line made several rules. */
  rowText(row: RuleRow): string {
    switch (row.kind) {
      case 'rule':
        if (row.rule.source?.part || !row.line) return canonicalRule(row.chain.name, row.rule).replace(/^-A \S+ /, '');
        return ruleBodyText(this.lines[row.line - 1] ?? '');
      case 'disabled':
        return ruleBodyText(row.disabled.text);
      case 'unreadable':
        return ruleBodyText(row.text);
      default:
        return '';
    }
  }

  canonicalOf(row: RuleRow): string {
    if (row.kind === 'rule') return canonicalRule(row.chain.name, row.rule);
    if (row.kind === 'disabled') return canonicalRule(row.chain.name, row.disabled.rule);
    return '';
  }

  findingsOnLine(line: number): Finding[] {
    return line ? this.findings.filter((f) => f.line === line) : [];
  }

  /** Where a finding's line is shown: its rule (or chain/table header) if it has one, else the source line. */
  locate(line: number): { view: DocView; index: number } | null {
    if (line <= 0) return null;
    const row = this.table.rowOfLine.get(line);
    if (row !== undefined) return { view: 'rules', index: row };
    if (line <= this.lines.length) return { view: 'source', index: line - 1 };
    return null;
  }
}

function trimLast(lines: string[]): string[] {
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
