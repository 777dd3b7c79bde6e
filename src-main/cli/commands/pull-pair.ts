// The pair findings of a pulled host: its IPv4 and IPv6 firewalls compared
// (lint --pair) — from the saved files when both are there, else from the
// running rules. A ruleset that does not parse says nothing about the pair.
import { hasErrors, lintPair, parseRuleset, type PairFinding } from '../../core/index.js';
import type { PullResult, PulledText } from '../../host/index.js';

interface PullPair {
  /** which pair was compared */
  source: 'saved' | 'live';
  findings: PairFinding[];
}

export function pairOfPull(r: PullResult): PullPair | null {
  const usable = (t: PulledText) => t.present && t.ok;
  const pick = usable(r.saved) && usable(r.saved6) ? ('saved' as const) : usable(r.live) && usable(r.live6) ? ('live' as const) : null;
  if (!pick) return null;
  const [t4, t6] = pick === 'saved' ? [r.saved, r.saved6] : [r.live, r.live6];
  const p4 = parseRuleset(t4.text, { family: 'ipv4' });
  const p6 = parseRuleset(t6.text, { family: 'ipv6' });
  if (hasErrors(p4.findings) || hasErrors(p6.findings)) return null;
  return { source: pick, findings: lintPair(p4.ruleset, p6.ruleset) };
}
