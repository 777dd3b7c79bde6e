// deprecated-match and obsolete-match: matches that work but have a modern
// replacement, and matches that are gone from iptables.
import type { Table } from '../model.js';
import { isMatchOf, opt } from '../extensions/util.js';
import { state } from '../extensions/match-state.js';
import type { LintContext } from './context.js';

const OBSOLETE: Record<string, string> = {
  nth: 'use -m statistic --mode nth --every N --packet 0 in a cascade (--every N, then N-1, … then a rule without the match)',
  unclean: 'remove it; use -m conntrack --ctstate INVALID -j DROP to drop malformed packets',
};

export function checkMatches(ctx: LintContext, t: Table): void {
  for (const c of t.chains) {
    c.rules.forEach((r, k) => {
      for (const m of r.matches) {
        if (OBSOLETE[m.name]) {
          ctx.report('error', 'obsolete-match', t, c, k, `-m ${m.name} was removed from iptables; the rule cannot be loaded`, OBSOLETE[m.name]);
        } else if (isMatchOf(m, state)) {
          const st = opt(m.state, 'state');
          const states = st ? (st.value as string[]).join(',') : 'STATES';
          ctx.report('info', 'deprecated-match', t, c, k, `-m state is the old spelling of -m conntrack --ctstate (the kernel treats both the same)`,
            `write -m conntrack ${st?.invert ? '! ' : ''}--ctstate ${states}`);
        }
      }
    });
  }
}

/**
 * The fix for a group of `-m nth --every N --packet P` lines: the statistic
 * cascade that really splits evenly. `count` is how many rules share the work.
 */
export function nthCascade(count: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < count - 1; k++) out.push(`-m statistic --mode nth --every ${count - k} --packet 0`);
  out.push('(no statistic match: the last rule takes what is left)');
  return out;
}
