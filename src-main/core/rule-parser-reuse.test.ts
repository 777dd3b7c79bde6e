// One LineParser serves line after line (parseCommandTexts begins it again):
// whatever a line leaves in it — an error thrown halfway through its options,
// notes, a pass-through extension, a skipped line — must not change how the
// next line reads. Each line of iptables' own test vectors is parsed after a
// clean line and after each of those, and must come out the same.
import { describe, expect, it } from 'vitest';
import './extensions/index.js';
import { parseCommandTexts, RuleError, type CommandEnv } from './rule-parser.js';
import { readObserved, sharedAvailable, shellWords } from './testing/shared-data.js';

const env = (table: string, family: 'ipv4' | 'ipv6' = 'ipv4'): CommandEnv => ({
  table: table as CommandEnv['table'],
  isChain: (n) => n === 'INPUT' || n === 'OUTPUT' || n === 'FORWARD' || n === 'PREROUTING' || n === 'POSTROUTING' || n === 'c1',
  family,
});

/** The outcome of one line: its command and notes, or its error. */
function outcome(words: string[], e: CommandEnv): unknown {
  try {
    const p = parseCommandTexts(words, words.length, e);
    return { command: p.command, notes: p.notes };
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    return { error: err.message, code: err.code, word: err.word, fix: err.fix };
  }
}

// lines that leave state behind: errors at different points, notes, an unmodelled match, a skipped line
const BEFORE: string[][] = [
  ['-A', 'INPUT', '-p', 'tcp', '-m', 'tcp', '--dport', '22', '-m', 'comment', '--comment', 'x', '--bogus', '1'],
  ['-A', 'INPUT', '-s', 'some.host.example', '-m', 'limit', '--limit', '3/min', '-j', 'LOG', '--log-prefix', 'p '],
  ['-A', 'INPUT', '-m', 'conntrack', '!', '-j', 'ACCEPT'],
  ['-A', 'INPUT', '-m', 'bpf', '--bytecode', '4,48 0 0 9', '-j', 'nochain'],
  ['-A', 'INPUT', '-6', '-p', 'tcp', '-m', 'tcp', '--dport', '1'],
  ['-A', 'INPUT', '-i', 'e/th0', '-m', 'multiport', '--dports', '1,2', '-p', 'udp', '-j', 'DROP'],
  ['-A', 'INPUT', '-p', 'tcp', '--dport', '80', '--syn', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
  ['-N', 'x', '-p', 'tcp'],
];

describe('the reused line parser', () => {
  it.skipIf(!sharedAvailable())('reads every test vector line the same whatever line came before it', () => {
    const rows = readObserved();
    expect(rows.length).toBeGreaterThan(1000);
    let compared = 0;
    for (const r of rows) {
      const words = ['-A', r.chain, ...shellWords(r.rule)];
      const e = env(r.table);
      outcome(['-A', 'INPUT', '-j', 'ACCEPT'], e);
      const clean = outcome(words, e);
      for (const before of BEFORE) {
        outcome(before, e);
        expect(outcome(words, e), `${r.file}: ${r.rule} after ${before.join(' ')}`).toEqual(clean);
        compared++;
      }
    }
    expect(compared).toBe(rows.length * BEFORE.length);
  });
  it('keeps nothing of a line in the next one (notes, matches, target, addresses)', () => {
    const e = env('filter');
    const first = parseCommandTexts(['-A', 'INPUT', '-s', 'some.host.example', '-p', 'tcp', '-m', 'tcp', '--dport', '22', '-j', 'ACCEPT'], 12, e);
    expect(first.notes.length).toBe(1);
    const second = parseCommandTexts(['-A', 'INPUT', '-j', 'DROP'], 4, e);
    expect(second.notes).toEqual([]);
    expect(second.command).toMatchObject({ kind: 'append', chain: 'INPUT' });
    const rule = (second.command as { rules: { matches: unknown[]; src: unknown; proto: unknown; target: { name: string } }[] }).rules[0];
    expect(rule.matches).toEqual([]);
    expect(rule.src).toBeNull();
    expect(rule.proto).toBeNull();
    expect(rule.target.name).toBe('DROP');
    // the first line loaded its protocol's match itself; the next one without -m tcp gets it loaded for --dport
    const implicit = parseCommandTexts(['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT'], 8, e);
    expect((implicit.command as { rules: { matches: { name: string; implicit?: boolean }[] }[] }).rules[0].matches).toMatchObject([{ name: 'tcp', implicit: true }]);
    // the first line's results are its own still
    expect(first.notes.length).toBe(1);
    expect((first.command as { rules: { matches: unknown[] }[] }).rules[0].matches.length).toBe(1);
  });
});
