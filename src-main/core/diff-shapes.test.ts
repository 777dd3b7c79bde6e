// The diff the CLI prints, on the bench's shapes of ruleset (both families):
// pinned, so that work on its speed (which chains are aligned, how lines are
// matched) cannot change a single line of what it says; and the CLI's shortcut
// (no rows for unchanged chains, equal chains not aligned at all, only the rows
// a view shows) gives the same change set, changed chains and views as the full
// diff with every row.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { parseRulesetTexts } from './parse.js';
import { diffRulesetTexts, formatSideBySide, formatUnified, type RulesetTexts } from './diff.js';
import type { Family } from './model.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape } from '../../build/gen-shapes.mjs';
import { mutateShape as mutate } from './testing/shape-mutate.js';

/** The same ruleset for ip6tables: IPv4 addresses and ICMP spelled as IPv6 ones. */
function asIpv6(text: string): string {
  return text
    .replace(/\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?\b/g, (_m, a, b, c, d, p) => `2001:db8:${a}:${b}::${c}:${d}` + (p === undefined ? '' : `/${Number(p) + 96}`))
    .replace(/icmp-port-unreachable/g, 'icmp6-port-unreachable')
    .replace(/icmp-host-prohibited/g, 'icmp6-adm-prohibited')
    .replace(/-p icmp\b/g, '-p ipv6-icmp')
    .replace(/-m icmp\b/g, '-m icmp6')
    .replace(/--icmp-type\b/g, '--icmpv6-type')
    .replace(/-m ttl --ttl-(gt|lt|eq)\b/g, '-m hl --hl-$1');
}

function texts(text: string, family: Family): RulesetTexts {
  const r = parseRulesetTexts(text, { family });
  expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  return r.texts;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** The views and change set as the CLI prints them, and the same worked out with every row, which must agree. */
function cliOutput(a: RulesetTexts, b: RulesetTexts): string {
  const full = diffRulesetTexts(a, b);
  const changed = diffRulesetTexts(a, b, { unchangedRows: false });
  const none = diffRulesetTexts(a, b, { rows: false });
  expect(changed.changes).toEqual(full.changes);
  expect(none.changes).toEqual(full.changes);
  expect(none.chains).toEqual([]);
  expect(changed.chains).toEqual(full.chains.filter((c) => c.status !== 'same'));
  // the rows a view shows only, as the CLI asks: the same text
  for (const context of [0, 1, 3]) {
    const shown = diffRulesetTexts(a, b, { unchangedRows: false, context });
    expect(shown.changes).toEqual(full.changes);
    expect(formatUnified(shown, 'a', 'b', { context })).toBe(formatUnified(changed, 'a', 'b', { context }));
    expect(formatSideBySide(shown, 'a', 'b', { context, width: 200 })).toBe(formatSideBySide(changed, 'a', 'b', { context, width: 200 }));
  }
  return [formatUnified(changed, 'a', 'b'), formatSideBySide(changed, 'a', 'b', { context: 1, width: 200 }), JSON.stringify(changed.changes)].join('\n');
}

// sha256 (first 16 hex digits) of cliOutput for each shape of 2,000 rules, seed 3, mutated with seed 11
const PINNED: Record<string, [ipv4: string, ipv6: string]> = {
  mixed: ['b32ac44c074cbd42', '9dfea2b66bf18e88'],
  blocklist: ['4871f9dd96994060', 'a849f95f722a0f35'],
  ratelimit: ['176cdac88c8e012f', 'd1377e1ba15170c2'],
  kube: ['175b700aa9d4f4f0', '67b7d36ed6f550bb'],
  docker: ['06bd387ebfe72a7d', '2bca90cbe66f37fd'],
  tree: ['b1e1f39258ca9958', '59935dd8f308c647'],
  manymatch: ['2fe194cccce25496', '251705cc293d5972'],
};

describe('the diff of mutated bench shapes', () => {
  for (const shape of Object.keys(PINNED)) {
    it(`${shape}: the same output as pinned, IPv4 and IPv6, and the CLI's shortcut agrees with the full diff`, () => {
      const v4 = generateShape(shape, 2000, 3) as string;
      const got: string[] = [];
      for (const [family, text] of [['ipv4', v4], ['ipv6', asIpv6(v4)]] as const) {
        const out = cliOutput(texts(text, family), texts(mutate(text, 11), family));
        expect(out.split('\n').length).toBeGreaterThan(100);
        got.push(sha(out));
      }
      expect(got).toEqual(PINNED[shape]);
    });
  }
});

describe('diff of random edits (property)', () => {
  const V4 = ['-s 10.0.0.1/32 -j DROP', '-s 10.0.0.2/32 -j DROP', '-p tcp --dport 22 -j ACCEPT', '-p udp --dport 53 -j ACCEPT', '-i lo -j ACCEPT', '-j RETURN', '-d 198.18.0.0/15 -j REJECT', '-m comment --comment "x y" -j ACCEPT'];
  const genChains = fc.array(fc.array(fc.integer({ min: 0, max: V4.length - 1 }), { maxLength: 25 }), { minLength: 1, maxLength: 6 });
  const genEdits = fc.array(fc.record({ chain: fc.nat(), at: fc.nat(), kind: fc.constantFrom('del', 'ins', 'swap'), body: fc.integer({ min: 0, max: V4.length - 1 }) }), { maxLength: 6 });
  const render = (chains: number[][], family: Family) => {
    let t = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
    chains.forEach((_, c) => (t += `:c${c} - [0:0]\n`));
    chains.forEach((rules, c) => rules.forEach((b) => (t += `-A c${c} ${V4[b]}\n`)));
    t += 'COMMIT\n';
    return family === 'ipv6' ? asIpv6(t) : t;
  };
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`${family}: equal chains skipped, rows only for changed ones: the same change set and changed chains as the full diff`, () => {
      fc.assert(
        fc.property(genChains, genEdits, (chains, edits) => {
          const after = chains.map((c) => c.slice());
          for (const e of edits) {
            const c = after[e.chain % after.length];
            const k = c.length ? e.at % c.length : 0;
            if (e.kind === 'del') c.splice(k, 1);
            else if (e.kind === 'ins') c.splice(k, 0, e.body);
            else if (c.length > 1) [c[k], c[(k + 1) % c.length]] = [c[(k + 1) % c.length], c[k]];
          }
          cliOutput(texts(render(chains, family), family), texts(render(after, family), family));
        }),
        { numRuns: 300 },
      );
    });
  }
});
