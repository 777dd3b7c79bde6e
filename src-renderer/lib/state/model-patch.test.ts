// A staged edit of a large file patches the page's model and rows instead of
// making them again: the worker answers the chains the edit changed (and the
// chains whose lines moved), the page keeps every other chain object and its
// rows. Checked against the whole new text read here: the same model, the
// same rows (kind, chain, position, line, text), and the untouched chains'
// rows the very objects they were.
import { describe, it, expect } from 'vitest';
import { applyEdit, parseRuleset, spliceText, type EditOp } from '../../../src-main/core/index.js';
import { AnalysisClient } from '../analysis/client.js';
import { inlineWorker } from '../analysis/spawn.js';
import type { EditAnswer } from '../analysis/protocol.js';
import { blocklistRuleset } from '../../../e2e/support/blocklist.js';
import { LazyModel, lazyLines, splicedLines, type CompactParse } from './lazy-model.js';
import { patchRuleRows, rowsOfParse, rowsOfParseSliced, rowText, type RuleRows } from './rows.js';

/** what a row shows, in words a test compares */
function shown(rows: RuleRows, lines: readonly string[]): string[] {
  return rows.rows.map((r) => {
    if (r.kind === 'table') return `table ${r.table.name} ${r.ruleCount}`;
    if (r.kind === 'rule') return `rule ${r.chain.name}#${r.index}@${r.line} ${rowText(r, lines)}`;
    if (r.kind === 'disabled') return `off ${r.chain.name}@${r.line} ${rowText(r, lines)} before ${r.disabled.before}`;
    return `${r.kind} ${r.chain.name}`;
  });
}

describe('an edit patches the page\'s model and rows', () => {
  it('add, change, disable, enable and delete in the 1,600-rule chain of a file with a second table: the same model and rows as the whole text\'s, the other chains\' rows kept', async () => {
    // a nat table after the filter table: a line added or deleted in filter moves its lines
    const text = blocklistRuleset(2_000) + ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -j DOCKER', '#-A DOCKER -p tcp --dport 81 -j DNAT --to-destination 198.18.0.9', '-A DOCKER -p tcp --dport 80 -j DNAT --to-destination 198.18.0.8', '-A POSTROUTING -o eth0 -j MASQUERADE', 'COMMIT', ''].join('\n');
    const c = new AnalysisClient(inlineWorker);
    const parse = await c.run<CompactParse>({ kind: 'parse', doc: { id: 1, text } }, { label: 'parse' }).promise;
    let lines = lazyLines(text);
    let model = new LazyModel(parse, lines);
    let rows = rowsOfParse({ ruleset: model.ruleset, findings: parse.findings, lines, finalNewline: parse.finalNewline });
    let cur = text;
    const ops: EditOp[] = [
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 100 }], disabled: true },
      { kind: 'add', table: 'filter', chain: 'blocklist', at: 7, body: '-s 198.18.9.9/32 -j DROP' },
      { kind: 'replace', ref: { table: 'filter', chain: 'blocklist', at: 3 }, body: '-s 198.18.9.10/32 -j REJECT' },
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 101 }], disabled: false },
      { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: 0 }] },
      // a move goes the writer's road (the chain written): still a patch of that chain
      { kind: 'move', table: 'filter', chain: 'blocklist', from: [0], to: 5 },
    ];
    let id = 1;
    for (const op of ops) {
      const got = await c.run<EditAnswer>({ kind: 'edit', doc: { id }, op, as: id + 1, patch: true }, { label: 'edit' }).promise;
      id++;
      const want = applyEdit(parseRuleset(cur), op);
      if (!got.ok || !want.ok) throw new Error(`the edit failed: ${JSON.stringify(op)}`);
      // the text's splice, not the text: the new text and its lines are made of the old ones
      expect(got.text).toBeUndefined();
      const spliced = spliceText(cur, got.splice!);
      expect(spliced).toBe(want.text);
      expect(got.parse).toBeUndefined();
      const patch = got.patch!;
      // only what changed: the blocklist chain's rules, and the chains whose lines moved
      expect(patch.chains.filter((p) => p.rules || p.splice).map((p) => p.chain.name)).toEqual(['blocklist']);
      // a one-rule edit of the chain (lines spliced) sends that rule alone, not the chain's 1,600
      const changedChain = patch.chains.find((p) => p.chain.name === 'blocklist')!;
      if (op.kind !== 'move') expect([changedChain.rules, changedChain.splice?.rules.line.length, changedChain.splice?.remove]).toEqual([undefined, op.kind === 'set-disabled' ? Number(!op.disabled) : op.kind === 'delete' ? 0 : 1, op.kind === 'add' || (op.kind === 'set-disabled' && !op.disabled) ? 0 : 1]);
      cur = spliced;
      const whole = parseRuleset(cur);
      const newLines = splicedLines(lines, cur, got.splice!);
      expect([...newLines]).toEqual(whole.lines);
      const next = LazyModel.patched(model, patch, newLines);
      expect(next.ruleset).toEqual(whole.ruleset);
      expect(next.ruleCount).toBe(whole.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, ch) => m + ch.rules.length, 0), 0));
      expect(patch.findings).toEqual(whole.findings);
      const sameLines = patch.moved === null && newLines.length === lines.length;
      const nextRows = await rowsOfParseSliced({ ruleset: next.ruleset, findings: patch.findings, lines: newLines, finalNewline: patch.finalNewline }, rows, sameLines);
      const fresh = rowsOfParse(whole);
      expect(shown(nextRows, newLines)).toEqual(shown(fresh, whole.lines));
      expect(nextRows.heads).toEqual(fresh.heads);
      for (let line = 1; line <= whole.lines.length; line++) expect(nextRows.rowOfLine.get(line), `line ${line}`).toBe(fresh.rowOfLine.get(line));
      // no line moved (disable, enable, change): the changed chain's rows made in place, the rest the rows before
      expect(sameLines, `${op.kind}: no line moved`).toBe(op.kind !== 'add' && op.kind !== 'delete');
      const inPlace = sameLines ? await patchRuleRows(rows, model.ruleset, next.ruleset, patch.chains) : null;
      if (sameLines) {
        expect(inPlace, `${op.kind} in place`).not.toBeNull();
        expect(shown(inPlace!, newLines)).toEqual(shown(fresh, whole.lines));
        expect(inPlace!.heads).toEqual(fresh.heads);
        expect([inPlace!.ruleCount, inPlace!.chainCount]).toEqual([fresh.ruleCount, fresh.chainCount]);
        for (let line = 1; line <= whole.lines.length; line++) expect(inPlace!.rowOfLine.get(line), `line ${line}`).toBe(fresh.rowOfLine.get(line));
        const nat = rows.rows.findIndex((r) => r.kind === 'table' && r.table.name === 'nat');
        expect(inPlace!.rows.slice(nat + 1)).toEqual(rows.rows.slice(nat + 1));
        expect(inPlace!.rows[nat + 1]).toBe(rows.rows[nat + 1]);
      }
      // the chains the edit did not touch are the same objects, their rows too
      const ratelimit = model.ruleset.tables[0].chains.find((ch) => ch.name === 'ratelimit')!;
      const kept = nextRows.rows.filter((r) => r.kind !== 'table' && r.chain === ratelimit);
      const movedLines = patch.moved !== null && patch.chains.some((p) => p.chain.name === 'ratelimit');
      if (!movedLines) expect(kept.length).toBe(ratelimit.rules.length + 1);
      const input = model.ruleset.tables[0].chains.find((ch) => ch.name === 'INPUT')!;
      expect(next.ruleset.tables[0].chains.find((ch) => ch.name === 'INPUT')).toBe(input);
      model = next;
      rows = nextRows;
      lines = newLines;
    }
  });
});
