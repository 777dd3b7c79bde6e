// Findings: everything Portcullis has to say about a ruleset, from parse errors
// to lint warnings, in one shape the CLI, the UI and tests share.
import { clipTokens } from './clip.js';

export type Severity = 'error' | 'warning' | 'info';

/**
 * Every finding code, one word per finding, stable across releases: scripts and
 * the UI key on them. DESIGN.md lists them; findings.test.ts checks that every
 * code it lists is here and that every code here is used.
 */
export type FindingCode = (typeof FINDING_CODES)[number];

export const FINDING_CODES = [
  // reading the file: syntax and the words of a rule
  'syntax', 'crlf', 'nul-byte', 'missing-newline', 'missing-commit', 'unknown-table', 'wrong-table', 'duplicate-chain',
  'unknown-command', 'unknown-option', 'unknown-extension', 'missing-argument', 'invalid-argument', 'other-family',
  'ignored-line', 'host-dependent',
  // importing a shell script of iptables commands
  'ignored-command', 'shell-command', 'left-out', 'undefined-variable', 'expansion-too-long',
  // the ruleset as a whole
  'undefined-chain', 'unused-chain', 'jump-loop', 'obsolete-match', 'deprecated-match', 'shadowed-rule', 'redundant-rule',
  'never-matches', 'nth-balance', 'limit-without-drop', 'dnat-port-mismatch', 'ssh-lockout', 'no-established-accept',
  'source-port-trust', 'lint-failed',
  // IPv6, and an IPv4/IPv6 pair
  'icmp-in-ipv6', 'ipv6-nd-dropped', 'ipv6-ra-dropped', 'pair-policy-mismatch', 'pair-port-open', 'pair-ssh-rate-limit',
] as const;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  /** 1-based line in the source; 0 when the finding is about the file as a whole */
  line: number;
  /** 1-based column of the offending token, when known */
  col?: number;
  table?: string;
  chain?: string;
  /** 1-based rule index in the chain, as `iptables -L --line-numbers` */
  index?: number;
  /** how to fix it, in plain words or as a replacement rule */
  fix?: string;
}

export function hasErrors(fs: readonly Finding[]): boolean {
  return fs.some((f) => f.severity === 'error');
}

export function formatFinding(file: string, f: Finding): string {
  const where = f.col ? `${file}:${f.line}:${f.col}` : `${file}:${f.line}`;
  return `${where}: ${f.severity}: ${clipTokens(f.message)}${f.fix ? ` (fix: ${clipTokens(f.fix)})` : ''}`;
}
