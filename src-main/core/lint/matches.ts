// deprecated-match and obsolete-match: matches that work but have a modern
// replacement, and matches that are gone from iptables.
import type { Rule, Table } from '../model.js';
import { isMatchOf, opt } from '../extensions/util.js';
import { state } from '../extensions/match-state.js';
import type { LintContext } from './context.js';

// a Map: a match named like an Object.prototype property (a "constructor" module) is no obsolete match
const OBSOLETE = new Map<string, string>([
  ['nth', 'use -m statistic --mode nth --every N --packet 0 in a cascade (--every N, then N-1, … then a rule without the match)'],
  ['unclean', 'remove it; use -m conntrack --ctstate INVALID -j DROP to drop malformed packets'],
]);

export function checkMatches(ctx: LintContext, t: Table): void {
  // index loops, no callback per rule (this runs once per lint, mostly unoptimised); rules of one
  // template share their matches array, so an array found to have nothing to report is not looked at again
  let clean: Rule['matches'] | null = null;
  const chains = t.chains;
  for (let i = 0; i < chains.length; i++) {
    const c = chains[i];
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const ms = rules[k].matches;
      if (ms.length === 0 || ms === clean) continue;
      let found = false;
      for (let j = 0; j < ms.length; j++) {
        const m = ms[j];
        const obsolete = OBSOLETE.get(m.name);
        if (obsolete !== undefined) {
          found = true;
          ctx.report('error', 'obsolete-match', t, c, k, `-m ${m.name} was removed from iptables; the rule cannot be loaded`, obsolete);
        } else if (isMatchOf(m, state)) {
          found = true;
          const st = opt(m.state, 'state');
          const states = st ? (st.value as string[]).join(',') : 'STATES';
          ctx.report('info', 'deprecated-match', t, c, k, `-m state is the old spelling of -m conntrack --ctstate (the kernel treats both the same)`,
            `write -m conntrack ${st?.invert ? '! ' : ''}--ctstate ${states}`);
        }
      }
      if (!found) clean = ms;
    }
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
