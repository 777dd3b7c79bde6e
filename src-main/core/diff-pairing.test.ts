import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { changedWords, optionGroups, pairBySimilarity, ruleSimilarity, ruleWords } from './diff-pairing.js';
import { diffRuleTexts } from './diff.js';

const sim = (a: string, b: string) => ruleSimilarity(optionGroups(a), optionGroups(b));

describe('ruleWords and optionGroups', () => {
  it('keeps a quoted comment as one word and groups options with their values and negation', () => {
    expect(ruleWords('-A INPUT -m comment --comment "a \\"b\\" c" -j ACCEPT')).toEqual(['-A', 'INPUT', '-m', 'comment', '--comment', '"a \\"b\\" c"', '-j', 'ACCEPT']);
    expect(optionGroups('-A INPUT ! -s 10.0.0.0/8 -p tcp -m multiport --dports 22,80 -j ACCEPT')).toEqual([
      { key: '! -s', value: '10.0.0.0/8' },
      { key: '-p', value: 'tcp' },
      { key: '-m', value: 'multiport' },
      { key: '--dports', value: '22,80' },
      { key: '-j', value: 'ACCEPT' },
    ]);
  });
});

describe('ruleSimilarity', () => {
  it('is 1 for equal rules, high for a changed value, low for unrelated rules', () => {
    const r = '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT';
    expect(sim(r, r)).toBe(1);
    expect(sim(r, r.replace('80', '8080'))).toBeGreaterThan(sim(r, r.replace('80', '443')));
    expect(sim(r, r.replace('80', '443'))).toBeGreaterThan(0.8);
    expect(sim(r, '-A INPUT -s 10.0.0.0/8 -j DROP')).toBeLessThan(0.5);
  });

  it('is symmetric and between 0 and 1', () => {
    const word = fc.constantFrom('-p tcp', '-p udp', '--dport 22', '--dport 2222', '-s 10.0.0.1/32', '! -s 10.0.0.1/32', '-j ACCEPT', '-j DROP', '-m comment --comment "x y"', '-i lo');
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), fc.array(word, { maxLength: 6 }), (a, b) => {
        const x = sim(a.join(' '), b.join(' '));
        const y = sim(b.join(' '), a.join(' '));
        expect(x).toBeCloseTo(y, 9);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('pairBySimilarity', () => {
  it('pairs the most similar rules, never crossing, and leaves the rest unpaired', () => {
    const dels = ['-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "web" -j ACCEPT'];
    const adds = ['-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment "web" -j ACCEPT', '-A INPUT -p udp -m udp --dport 5433 -j ACCEPT'];
    expect([...pairBySimilarity(dels, adds)]).toEqual([-1, 0]);
  });

  it('pairs within the blocks of a huge gap (the search is bounded; timed in npm run bench)', () => {
    const dels = Array.from({ length: 20_000 }, (_, k) => `-A INPUT -s 10.${k >> 8 & 255}.${k & 255}.1/32 -j DROP`);
    const adds = Array.from({ length: 20_000 }, (_, k) => `-A INPUT -s 10.${k >> 8 & 255}.${k & 255}.2/32 -j DROP`);
    const p = pairBySimilarity(dels, adds);
    expect(p.filter((x) => x >= 0).length).toBeGreaterThan(19_000);
    for (let k = 1; k < p.length; k++) if (p[k] >= 0 && p[k - 1] >= 0) expect(p[k]).toBeGreaterThan(p[k - 1]);
  });
});

describe('diff rows paired by similarity', () => {
  it('a deleted, a modified and an added rule come out as delete, replace and add — not three replaces', () => {
    const left = ['-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "web" -j ACCEPT', '-A INPUT -j DROP'];
    const right = [
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment "web" -j ACCEPT',
      '-A INPUT -s 198.18.0.0/15 -p udp -m udp --dport 5433 -j ACCEPT',
      '-A INPUT -j DROP',
    ];
    const rows = diffRuleTexts(left, right);
    expect(rows.map((r) => r.kind)).toEqual(['same', 'delete', 'replace', 'add', 'same']);
    expect(rows[2].left?.text).toContain('--dport 80 ');
    expect(rows[2].right?.text).toContain('--dport 8080');
  });

  it('a move, a change and an add', () => {
    const left = ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -s 198.18.5.0/24 -j DROP', '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT', '-A INPUT -j REJECT'];
    const right = ['-A INPUT -s 198.18.5.0/24 -j DROP', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT', '-A INPUT -p udp -m udp --dport 53 -j ACCEPT', '-A INPUT -j REJECT'];
    const kinds = diffRuleTexts(left, right).map((r) => r.kind);
    expect(kinds.filter((k) => k === 'move-to')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'replace')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'add')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'delete')).toHaveLength(0);
  });
});

describe('changedWords', () => {
  it('marks only the words that differ and gives the texts back', () => {
    const a = '-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "ssh in" -j ACCEPT';
    const b = '-A INPUT -p tcp -m tcp --dport 2222 -m comment --comment "ssh in" -j ACCEPT';
    const d = changedWords(a, b);
    expect(d.left.map((p) => p.text).join('')).toBe(a);
    expect(d.right.map((p) => p.text).join('')).toBe(b);
    expect(d.left.filter((p) => p.changed).map((p) => p.text)).toEqual(['22']);
    expect(d.right.filter((p) => p.changed).map((p) => p.text)).toEqual(['2222']);
  });

  it('joins back to both texts for any words', () => {
    const w = fc.constantFrom('-p', 'tcp', '--dport', '22', '"a b"', '-j', 'ACCEPT', 'DROP');
    fc.assert(
      fc.property(fc.array(w, { minLength: 1, maxLength: 10 }), fc.array(w, { minLength: 1, maxLength: 10 }), (x, y) => {
        const d = changedWords(x.join(' '), y.join(' '));
        expect(d.left.map((p) => p.text).join('')).toBe(x.join(' '));
        expect(d.right.map((p) => p.text).join('')).toBe(y.join(' '));
      }),
    );
  });
});
