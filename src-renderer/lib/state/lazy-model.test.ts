// The page's lazy model of a large file against the core's own parse: every
// real-world file (IPv4 and IPv6, with errors too) read through the worker's
// compact answer gives, rule by rule, the model the core parses — and the
// rows the list shows are the same rows, with no rule made until one is read.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, type Family } from '../../../src-main/core/index.js';
import { createEngine } from '../analysis/engine.js';
import type { FromWorker } from '../analysis/protocol.js';
import { LazyModel, lazyLines, lazyRules, type CompactParse } from './lazy-model.js';
import { rowsOfParse, rowText } from './rows.js';
import { blocklistRuleset } from '../../../e2e/support/blocklist.js';

const REALWORLD = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'realworld');
const CORPUS6 = join(__dirname, '..', '..', '..', 'src-main', 'core', 'testing', 'corpus6');

/** the worker's answer to a parse, put together as the client does (parts appended to the head) */
async function compactParse(text: string, family: Family): Promise<CompactParse> {
  let value: unknown;
  let done!: () => void;
  const end = new Promise<void>((r) => (done = r));
  const engine = createEngine((m: FromWorker) => {
    if (m.type === 'head') value = m.value;
    if (m.type === 'parts') {
      for (const p of m.parts) {
        let at = value as Record<string | number, unknown>;
        for (const k of p.path) at = at[k] as Record<string | number, unknown>;
        (at as unknown as unknown[]).push(...p.items);
      }
      queueMicrotask(() => engine({ type: 'ack', id: 1 }));
    }
    if (m.type === 'end' || m.type === 'error') done();
  });
  engine({ type: 'run', id: 1, job: { kind: 'parse', doc: { id: 1, text, family } } });
  await end;
  return value as CompactParse;
}

const files = [
  ...readdirSync(REALWORLD).filter((f) => f.endsWith('.rules')).map((f) => ({ path: join(REALWORLD, f), family: 'ipv4' as Family })),
  ...readdirSync(CORPUS6).filter((f) => f.endsWith('.rules')).map((f) => ({ path: join(CORPUS6, f), family: 'ipv6' as Family })),
];

describe('the lazy model of a large file', () => {
  it('reads back every corpus file (IPv4 and IPv6) as the core parses it, rule for rule', async () => {
    expect(files.length).toBeGreaterThan(150);
    for (const f of files) {
      const text = readFileSync(f.path, 'utf8');
      const want = parseRuleset(text, { family: f.family });
      const got = new LazyModel(await compactParse(text, f.family), want.lines);
      expect(got.ruleset, f.path).toEqual(want.ruleset);
      expect(got.ruleCount, f.path).toBe(want.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0));
    }
  });

  it('built a slice of chains at a time (the page giving way between slices), is the same model', async () => {
    const { generateShape } = (await import('../../../build/gen-shapes.mjs' as string)) as { generateShape: (shape: string, n: number) => string };
    const text = generateShape('kube', 3000);
    const want = parseRuleset(text);
    const c = await compactParse(text, 'ipv4');
    let gaveWay = 0;
    const timer = setInterval(() => gaveWay++, 0);
    // a 0 ms slice gives way after every few hundred chains
    const got = await LazyModel.build(c, want.lines, 0);
    clearInterval(timer);
    expect(want.ruleset.tables.reduce((n, t) => n + t.chains.length, 0)).toBeGreaterThan(1000);
    expect(gaveWay).toBeGreaterThan(2);
    expect(got.ruleset).toEqual(want.ruleset);
  });

  it('gives the same rows and row texts as the whole model, and makes no rule until one is read', async () => {
    const text = blocklistRuleset(5000);
    const want = parseRuleset(text);
    const c = await compactParse(text, 'ipv4');
    const model = new LazyModel(c, want.lines);
    const made = () => model.ruleset.tables.flatMap((t) => t.chains).reduce((n, ch) => n + (lazyRules(ch.rules) as unknown as { made: unknown[] }).made.filter(Boolean).length, 0);
    const rows = rowsOfParse({ ruleset: model.ruleset, findings: c.findings, lines: want.lines, finalNewline: c.finalNewline });
    const wantRows = rowsOfParse(want);
    expect(rows.rows.length).toBe(wantRows.rows.length);
    expect(rows.ruleCount).toBe(wantRows.ruleCount);
    // building the rows and the chains' counts made no rule
    expect(made()).toBe(0);
    expect(model.ruleset.tables[0].chains.map((ch) => ch.rules.length)).toEqual(want.ruleset.tables[0].chains.map((ch) => ch.rules.length));
    expect(made()).toBe(0);
    // a window of rows: only those rules are made
    for (let i = 100; i < 140; i++) {
      expect(rows.rows[i].kind).toBe(wantRows.rows[i].kind);
      expect(rowText(rows.rows[i], want.lines)).toBe(rowText(wantRows.rows[i], want.lines));
      const r = rows.rows[i];
      if (r.kind === 'rule') expect(r.rule).toEqual((wantRows.rows[i] as typeof r).rule);
    }
    expect(made()).toBeGreaterThan(0);
    expect(made()).toBeLessThanOrEqual(40);
    // the same Rule each time it is read (the views compare rules by identity)
    const row = rows.rows.find((r) => r.kind === 'rule')!;
    expect(row.kind === 'rule' && row.rule).toBe(row.kind === 'rule' && row.rule);
    // the rules array behaves as an array for code written for a plain model
    const rules = model.ruleset.tables[0].chains.find((ch) => ch.name === 'INPUT')!.rules;
    expect(Array.isArray(rules)).toBe(true);
    expect([...rules.slice(0, 3)]).toEqual(want.ruleset.tables[0].chains.find((ch) => ch.name === 'INPUT')!.rules.slice(0, 3));
    expect(rules.at(-1)).toEqual(want.ruleset.tables[0].chains.find((ch) => ch.name === 'INPUT')!.rules.at(-1));
  });

  it('holds a 100,000-rule file as typed arrays (the canonical lines in UTF-8, and columns)', async () => {
    const text = blocklistRuleset(100_000);
    const c = await compactParse(text, 'ipv4');
    expect(c.canon).toBeInstanceOf(Uint8Array);
    expect(c.starts.length).toBe(100_001);
    expect(c.line.length).toBe(100_000);
    // nothing in the answer is per rule but the bytes and the columns
    expect(c.tables.every((t) => t.chains.every((ch) => !('rules' in ch)))).toBe(true);
  });

  it('cuts a text\'s lines as the parser splits them, without making them all', () => {
    for (const text of ['', '\n', 'a', 'a\n', 'a\nb', 'a\nb\n', 'a\n\n', '\n\nx\n\n', '*filter\r\n-A INPUT -j ACCEPT\r\nCOMMIT']) {
      const want = parseRuleset(text).lines;
      const got = lazyLines(text);
      expect(got.length, JSON.stringify(text)).toBe(want.length);
      expect([...got], JSON.stringify(text)).toEqual(want);
      for (let k = 0; k < want.length; k++) expect(got[k]).toBe(want[k]);
      expect(got[want.length]).toBeUndefined();
    }
    const big = blocklistRuleset(20_000);
    const lines = lazyLines(big);
    expect(lines.length).toBe(parseRuleset(big).lines.length);
    expect(lines[lines.length - 1]).toBe('COMMIT');
    expect(Array.isArray(lines)).toBe(true);
  });
});
