// Findings: everything Portcullis has to say about a ruleset, from parse errors
// to lint warnings, in one shape the CLI, the UI and tests share.
import { clipTokens } from './clip.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
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
