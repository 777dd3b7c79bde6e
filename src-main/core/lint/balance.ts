// nth-balance: the share of traffic each statistic rule really gets. Every rule
// has its own counter and sees only what earlier rules let through, so three
// rules with --every 3 --packet 0/1/2 get 1/3, 2/9 and 4/27, and 8/27 falls
// through (the seed's load-balancing recipe); --every 3, --every 2 and a final
// rule without the match split evenly.
import type { Chain, Table } from '../model.js';
import { canonicalRuleBody } from '../canonical.js';
import { isMatchOf } from '../extensions/util.js';
import { formatProbability, statistic } from '../extensions/match-statistic.js';
import { targetAction } from '../analysis/targets.js';
import type { LintContext } from './context.js';
import { nthCascade } from './matches.js';

interface Member {
  pos: number;
  /** the fraction of the packets reaching the rule that it takes (1 for the unconditional tail) */
  take: number | null;
}

/** The rule without its statistic match and target: rules with the same key share one stream. */
function streamKey(r: Chain['rules'][number]): string {
  let s = canonicalRuleBody({ ...r, matches: r.matches.filter((m) => m.name !== 'statistic'), target: null });
  // a match kept as written without any --option: nothing tells two of them apart
  if (r.matches.some((m) => m.name !== 'statistic' && m.unknown && !m.unknown.tokens.some((t) => t.startsWith('--') && t.length > 2))) s += ' ?';
  return s;
}

function takeOf(r: Chain['rules'][number]): number | null | undefined {
  const st = r.matches.filter((m) => m.name === 'statistic');
  if (st.length === 0) return null;
  if (st.length > 1) return undefined;
  const m = st[0];
  if (!isMatchOf(m, statistic)) return undefined;
  const s = m.state;
  if (s.mode === 'nth') {
    if (!(s.every >= 1)) return undefined;
    return s.invert ? 1 - 1 / s.every : 1 / s.every;
  }
  // the probability as iptables-save prints it (11 decimals), as the admin reads it
  const p = Number(formatProbability(s.probabilityRaw));
  if (!(p >= 0 && p <= 1)) return undefined;
  return s.invert ? 1 - p : p;
}

/** Some rule of the chain has -m statistic: index loops, each matches array once (a template's rules share one). */
function hasStatistic(c: Chain): boolean {
  const rules = c.rules;
  let last: Chain['rules'][number]['matches'] | null = null;
  for (let k = 0; k < rules.length; k++) {
    const ms = rules[k].matches;
    if (ms === last) continue;
    last = ms;
    for (let j = 0; j < ms.length; j++) if (ms[j].name === 'statistic') return true;
  }
  return false;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function checkBalance(ctx: LintContext, t: Table, c: Chain): void {
  if (!hasStatistic(c)) return;
  const groups = new Map<string, Member[]>();
  const closed = new Set<string>();
  c.rules.forEach((r, pos) => {
    const take = takeOf(r);
    const key = streamKey(r);
    if (closed.has(key)) return;
    const a = targetAction(r);
    const decides = a.kind !== 'none' && a.kind !== 'continue' && a.kind !== 'mark' && a.kind !== 'unknown' && a.kind !== 'notrack';
    if (take === undefined) return;
    if (take === null) {
      // an unconditional rule on the same stream takes the rest and ends the group
      const g = groups.get(key);
      if (g && decides) { g.push({ pos, take: null }); closed.add(key); }
      return;
    }
    if (!decides) return;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push({ pos, take });
  });
  for (const g of groups.values()) {
    const stats = g.filter((m) => m.take !== null);
    if (stats.length < 2 && !(stats.length === 1 && g.length === 2)) continue;
    let left = 1;
    const shares = g.map((m) => {
      const s = left * (m.take ?? 1);
      left -= s;
      return s;
    });
    const even = 1 / g.length;
    const uneven = left > 1e-9 || shares.some((s) => Math.abs(s - even) > 0.005);
    if (!uneven) continue;
    const first = g[0].pos;
    const list = g.map((m, k) => `#${m.pos + 1} ${pct(shares[k])}`).join(', ');
    const falls = left > 1e-9 ? `, and ${pct(left)} matches none of them and falls through` : '';
    const fix = nthCascade(g.length).map((s, k) => `#${g[k]?.pos + 1}: ${s}`).join('; ');
    ctx.report('warning', 'nth-balance', t, c, first,
      `these ${g.length} rules do not share the traffic evenly: each statistic rule has its own counter and only sees what earlier rules let through, so they get ${list}${falls}`,
      `for an even split use ${fix}`);
  }
}
