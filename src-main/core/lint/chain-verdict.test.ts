// LintContext.chainVerdict passes the rules that can neither end the walk nor
// enter a chain that ends it in a loop of its own (nextToLook). Checked against
// a plain walk of every rule, as the verdict is defined, on random chain trees
// of narrowed and catch-all rules, template runs (rules sharing one target
// object), RETURNs, gotos, jumps, rules without a target and match conditions.
import { describe, expect, it } from 'vitest';
import { parseRuleset } from '../parse.js';
import { findChain, type Rule, type Table } from '../model.js';
import { targetAction } from '../analysis/targets.js';
import { matchesHaveConds } from '../analysis/packet-match.js';
import { LintContext } from './context.js';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (k: number) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % k;
  };
}

const narrowed = (r: Rule) =>
  (r.src !== null && (r.src.kind === 'host-name' || r.src.mask !== 0 || r.src.invert)) || (r.proto !== null && (r.proto.num !== 0 || r.proto.invert));

/** The verdict by its definition: every rule in turn (chains jump only to later ones here: no loops). */
function reference(t: Table, name: string): string | null {
  const c = findChain(t, name);
  if (!c || c.builtin) return null;
  for (const r of c.rules) {
    const a = targetAction(r);
    if (a.kind === 'return') return null;
    const catchAll = !narrowed(r) && !matchesHaveConds(r);
    if (a.kind === 'goto') {
      const sub = reference(t, a.chain);
      if (sub === null) return null;
      if (catchAll) return sub;
      continue;
    }
    if (a.kind === 'jump') {
      if (!catchAll) continue;
      const sub = reference(t, a.chain);
      if (sub !== null) return sub;
      continue;
    }
    if (catchAll && (a.kind === 'accept' || a.kind === 'drop' || a.kind === 'reject')) return a.kind.toUpperCase();
  }
  return null;
}

function randomTree(seed: number): string {
  const r = rng(seed);
  const chains = 6;
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < chains; i++) lines.push(`:c${i} - [0:0]`);
  for (let i = 0; i < chains; i++) {
    const n = r(40);
    for (let k = 0; k < n; k++) {
      const narrow = r(4) !== 0;
      // a run of lines alike but for -s: one template, one target object
      const run = r(3) === 0 ? 1 + r(20) : 1;
      const later = i + 1 + r(chains - i);
      const targets = ['DROP', 'ACCEPT', 'REJECT', 'RETURN', 'LOG', '', later < chains ? `c${later}` : 'DROP', later < chains ? `c${later}` : 'ACCEPT'];
      const pick = r(targets.length);
      const jump = pick === 7 && later < chains ? ` -g c${later}` : targets[pick] ? ` -j ${targets[pick]}` : '';
      const cond = !narrow && r(3) === 0 ? ' -m conntrack --ctstate NEW' : '';
      for (let j = 0; j < run; j++) {
        const where = narrow ? (r(2) ? ` -s 198.18.${r(256)}.${r(256)}/32` : ' -p tcp') : '';
        lines.push(`-A c${i}${where}${cond}${jump}`);
      }
    }
  }
  lines.push('-A INPUT -j c0', 'COMMIT', '');
  return lines.join('\n');
}

describe('chainVerdict', () => {
  it('is the verdict of a walk over every rule, on random chain trees with template runs', () => {
    let decided = 0;
    let templates = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const p = parseRuleset(randomTree(seed));
      expect(p.findings.filter((f) => f.severity === 'error'), `seed ${seed}`).toEqual([]);
      const t = p.ruleset.tables[0];
      const ctx = new LintContext(p.ruleset, {});
      for (const c of t.chains) {
        if (c.builtin) continue;
        for (let k = 1; k < c.rules.length; k++) if (c.rules[k].target !== null && c.rules[k].target === c.rules[k - 1].target) templates++;
        const want = reference(t, c.name);
        if (want !== null) decided++;
        // a label names the verdict it ends in (jump X (which always ends in DROP) → DROP)
        const got = ctx.chainVerdict(t, c.name);
        expect(got === null ? null : (/always ends in ([A-Z]+)\)+$/.exec(got)?.[1] ?? got), `seed ${seed} ${c.name}`).toBe(want);
      }
    }
    // the trees have both outcomes, and runs of rules sharing one target
    expect(decided).toBeGreaterThan(100);
    expect(templates).toBeGreaterThan(100);
  });
});
