// The diff's new file read with the old file's lines (diff-reuse.ts) reads
// exactly as it does alone: the same canonical texts and the same errors, on
// the bench's shapes and wherever an equal line means something else — another
// table, a chain the new file lacks or adds, a commit check the new file
// breaks, -I/-D, a changed policy, an old file with errors.
import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { parseRulesetTexts, type TextsResult } from './parse.js';
import { findTarget, knownTargets } from './extensions/registry.js';
import type { Family } from './model.js';
// @ts-expect-error plain JavaScript, no declarations
import { generateShape, SHAPES, shapeFamily } from '../../build/gen-shapes.mjs';
import { mutateShape as mutate } from './testing/shape-mutate.js';
import { OldChain, resolveDiffTexts } from './diff-reuse.js';
import { diffRulesetTexts, formatUnified } from './diff.js';

const errorsOf = (r: TextsResult) => r.findings.filter((f) => f.severity === 'error');

/** B read alone and B read with A's lines: the same texts and errors; how many lines were taken. */
function sameAsAlone(a: string, b: string, family: Family = 'ipv4'): { reused: number; alone: TextsResult } {
  const old = parseRulesetTexts(a, { family, reuse: { record: true } });
  const alone = parseRulesetTexts(b, { family });
  const withOld = parseRulesetTexts(b, { family, reuse: { from: old.old } });
  // every chain's texts, as a comparison would see them (resolveDiffTexts with `all`)
  const [oldTexts, newTexts] = resolveDiffTexts(old.texts, old.old ?? null, withOld.texts, true);
  expect(newTexts).toEqual(alone.texts);
  expect(errorsOf(withOld)).toEqual(errorsOf(alone));
  // A's reading does not change by being recorded
  expect(oldTexts).toEqual(parseRulesetTexts(a, { family }).texts);
  return { reused: withOld.reused ?? 0, alone };
}

describe('the new file read with the old one\'s lines', () => {
  for (const shape of Object.keys(SHAPES)) {
    it(`${shape}: the same texts and errors as read alone, most lines taken`, () => {
      const family = shapeFamily(shape) as Family;
      const a = generateShape(shape, 3000, 5) as string;
      const b = mutate(a, 17);
      const { reused, alone } = sameAsAlone(a, b, family);
      const rules = alone.texts.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.texts.length, 0), 0);
      expect(errorsOf(alone)).toEqual([]);
      // neutron's jumps under -m physdev (a jump with a check of the hooks) are read again: a fifth of its rules
      expect(reused).toBeGreaterThan(rules * (shape === 'neutron' ? 0.75 : 0.9));
    });
  }

  const head = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';

  it('a line equal to one of another table is read in its own table (DNAT is an error in filter)', () => {
    const nat = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUTPUT -p tcp -j DNAT --to-destination 198.18.0.1\nCOMMIT\n';
    const a = `${head}-A INPUT -j ACCEPT\nCOMMIT\n${nat}`;
    const b = `${head}-A OUTPUT -p tcp -j DNAT --to-destination 198.18.0.1\nCOMMIT\n${nat}`;
    const { reused, alone } = sameAsAlone(a, b);
    expect(errorsOf(alone).map((f) => [f.code, f.line])).toEqual([['wrong-table', 5]]);
    expect(reused).toBe(1); // the nat table's line only
  });

  it('a jump to a chain the new file does not declare is its error; one the new file declares more is read as a jump', () => {
    const a = `${head}:web - [0:0]\n-A INPUT -j web\n-A web -p tcp --dport 80 -j ACCEPT\nCOMMIT\n`;
    const gone = `${head}-A INPUT -j web\nCOMMIT\n`;
    expect(errorsOf(sameAsAlone(a, gone).alone).map((f) => [f.code, f.line])).toEqual([['undefined-chain', 5]]);
    // a target kept as written in the old file (no chain of that name) is a chain in the new one
    const kept = [...knownTargets('ipv4')].find((n) => !findTarget(n) && /^[A-Z]+$/.test(n))!;
    const a2 = `${head}-A INPUT -j ${kept}\nCOMMIT\n`;
    const b2 = `${head}:${kept} - [0:0]\n-A INPUT -j ${kept}\nCOMMIT\n`;
    const { reused, alone } = sameAsAlone(a2, b2);
    expect(alone.texts.tables[0].chains.find((c) => c.name === 'INPUT')!.texts).toEqual([`-A INPUT -j ${kept}`]);
    expect(reused).toBe(0);
  });

  it('commit checks the new file breaks with lines of the old: a loop, a target in a hook it is not for', () => {
    const loopA = `${head}:x - [0:0]\n:y - [0:0]\n-A INPUT -j x\n-A x -j y\n-A y -j RETURN\nCOMMIT\n`;
    const loopB = `${head}:x - [0:0]\n:y - [0:0]\n-A INPUT -j x\n-A x -j y\n-A y -j x\nCOMMIT\n`;
    const loop = sameAsAlone(loopA, loopB);
    expect(errorsOf(loop.alone).map((f) => f.code)).toEqual(['jump-loop']);
    expect(loop.reused).toBe(2);
    // MASQUERADE in a chain POSTROUTING jumps to, then PREROUTING too; each with its own line in a run alike
    const nat = (pre: string) =>
      `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:masq - [0:0]\n${pre}-A POSTROUTING -j masq\n` +
      '-A masq -s 198.18.0.0/24 -j MASQUERADE\n-A masq -s 198.18.1.0/24 -j MASQUERADE\n-A masq -o eth1 -j MASQUERADE\nCOMMIT\n';
    const hooks = sameAsAlone(nat(''), nat('-A PREROUTING -j masq\n'));
    expect(errorsOf(hooks.alone).map((f) => [f.code, f.line])).toEqual([['wrong-table', 9], ['wrong-table', 10], ['wrong-table', 11]]);
    expect(hooks.reused).toBe(4);
    // -m owner reads the hooks too, and its rule is kept whole
    const own = (pre: string) => `${head}:mine - [0:0]\n${pre}-A OUTPUT -j mine\n-A mine -m owner --uid-owner 0 -j ACCEPT\n-A mine -p tcp -m owner --uid-owner 1 -j ACCEPT\nCOMMIT\n`;
    expect(errorsOf(sameAsAlone(own(''), own('-A INPUT -j mine\n')).alone).map((f) => f.line)).toEqual([8, 9]);
  });

  it('-I and -D in either file, a changed policy, an old file with errors', () => {
    const a = `${head}-A INPUT -s 198.18.0.1/32 -j DROP\n-A INPUT -s 198.18.0.2/32 -j DROP\nCOMMIT\n`;
    const withInsert = `${head}-A INPUT -s 198.18.0.1/32 -j DROP\n-I INPUT 1 -s 198.18.0.3/32 -j DROP\n-D INPUT 2\nCOMMIT\n`;
    sameAsAlone(a, withInsert);
    const fromInsert = parseRulesetTexts(withInsert, { reuse: { record: true } });
    expect(fromInsert.old ?? null).toBe(null); // read as a model: nothing to offer
    expect(sameAsAlone(withInsert, a).reused).toBe(0);
    expect(sameAsAlone(a, a.replace(':INPUT ACCEPT', ':INPUT DROP')).reused).toBe(2);
    const broken = `${head}-A INPUT -s 198.18.0.1/32 -j DROP\n-A INPUT -j nowhere\nCOMMIT\n`;
    expect(parseRulesetTexts(broken, { reuse: { record: true } }).old).toBe(null);
    expect(sameAsAlone(broken, a).reused).toBe(0);
  });

  it('an old file read as the other family offers nothing', () => {
    const a = `${head}-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n`;
    const old = parseRulesetTexts(a, { family: 'ipv4', reuse: { record: true } });
    expect(parseRulesetTexts(a, { family: 'ipv6', reuse: { from: old.old } }).reused).toBe(0);
  });

  // random tables of lines that jump, go to, are hook-checked and kept as written; chains declared or not in each file
  const LINES = ['-j ACCEPT', '-s 198.18.0.1/32 -j DROP', '-s 198.18.0.2/32 -j DROP', '-j c0', '-j c1', '-g c2', '-p tcp --dport 22 -j ACCEPT', '-m owner --uid-owner 0 -j ACCEPT', '-j RETURN', '-m comment --comment "a b" -j c1', '-j LOG --log-prefix "x "'];
  const CHAINS = ['INPUT', 'OUTPUT', 'FORWARD', 'c0', 'c1', 'c2'];
  const genFile = fc.record({
    declared: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    rules: fc.array(fc.record({ chain: fc.nat(CHAINS.length - 1), line: fc.nat(LINES.length - 1) }), { maxLength: 30 }),
  });
  const render = (f: { declared: boolean[]; rules: { chain: number; line: number }[] }) =>
    head + f.declared.map((d, k) => (d ? `:c${k} - [0:0]\n` : '')).join('') + f.rules.map((r) => `-A ${CHAINS[r.chain]} ${LINES[r.line]}\n`).join('') + 'COMMIT\n';
  it('random pairs of files: the new one reads the same with the old one\'s lines as alone', () => {
    fc.assert(
      fc.property(genFile, genFile, fc.array(fc.nat(), { maxLength: 8 }), (fa, fb, keep) => {
        // the new file shares some of the old one's lines
        const b = { declared: fb.declared, rules: [...fb.rules, ...keep.filter(() => fa.rules.length > 0).map((k) => fa.rules[k % fa.rules.length])] };
        sameAsAlone(render(fa), render(b));
      }),
      { numRuns: 400 },
    );
  });
});

/**
 * The diff the CLI makes through the reuse (resolveDiffTexts leaving out the
 * chains the new file took whole) against the plain diff of the two files
 * read alone: the same change set and the same view.
 */
function sameDiff(a: string, b: string, family: Family = 'ipv4'): void {
  const old = parseRulesetTexts(a, { family, reuse: { record: true } });
  const withOld = parseRulesetTexts(b, { family, reuse: { from: old.old } });
  const [l, r] = resolveDiffTexts(old.texts, old.old ?? null, withOld.texts);
  const pa = parseRulesetTexts(a, { family }).texts;
  const pb = parseRulesetTexts(b, { family }).texts;
  expect(diffRulesetTexts(l, r, { rows: false }).changes).toEqual(diffRulesetTexts(pa, pb, { rows: false }).changes);
  for (const context of [0, 3]) {
    const view = (x: typeof l, y: typeof r) => formatUnified(diffRulesetTexts(x, y, { unchangedRows: false, context }), 'a', 'b', { context });
    expect(view(l, r)).toBe(view(pa, pb));
  }
}

describe('the diff through the old file\'s lines', () => {
  for (const shape of Object.keys(SHAPES)) {
    it(`${shape}: the same changes and view as the plain diff`, () => {
      const family = shapeFamily(shape) as Family;
      const a = generateShape(shape, 2000, 3) as string;
      for (const seed of [5, 23]) sameDiff(a, mutate(a, seed), family);
      // the same file, and one chain's lines in another order
      sameDiff(a, a, family);
      const lines = a.split('\n');
      const at = lines.findIndex((l) => l.startsWith('-A '));
      [lines[at], lines[at + 1]] = [lines[at + 1], lines[at]];
      sameDiff(a, lines.join('\n'), family);
    });
  }

  const head = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  it('chains emptied, added, deleted; lines with counters; a policy changed', () => {
    const a = `${head}:x - [0:0]\n:y - [0:0]\n-A INPUT -j x\n-A x -s 198.18.0.1/32 -j DROP\n-A x -s 198.18.0.2/32 -j DROP\n[3:4] -A y -j ACCEPT\nCOMMIT\n`;
    sameDiff(a, `${head}:x - [0:0]\n:z - [0:0]\n-A INPUT -j x\n-A z -s 198.18.0.1/32 -j DROP\nCOMMIT\n`);
    sameDiff(a, a.replace('[3:4]', '[5:6]').replace(':INPUT ACCEPT', ':INPUT DROP'));
    sameDiff(a, a.replace('-A x -s 198.18.0.2/32 -j DROP\n', ''));
    sameDiff(a, a.replace('-A x -s 198.18.0.2/32 -j DROP\n', '-A x -s 198.18.0.2/32 -j DROP\n-A x -s 198.18.0.1/32 -j DROP\n'));
  });

  // rules repeated, spelt two ways (taken or read anew, the same canonical text), moved, dropped, added
  const RULES = ['-s 198.18.0.1/32 -j DROP', '-s 198.18.0.1 -j DROP', '-s 198.18.0.2/32 -j DROP', '-p tcp -m tcp --dport 22 -j ACCEPT', '-p tcp --dport 22 -j ACCEPT', '-j x', '-j RETURN', '-m comment --comment "a b" -j ACCEPT'];
  const chainOf = fc.array(fc.nat(RULES.length - 1), { maxLength: 40 });
  const file = (input: number[], x: number[]) =>
    `${head}:x - [0:0]\n` + input.map((r) => `-A INPUT ${RULES[r]}\n`).join('') + x.map((r) => `-A x ${RULES[r === 5 ? 6 : r]}\n`).join('') + 'COMMIT\n';
  it('random chains with repeated and respelt rules: the same changes and view as the plain diff', () => {
    fc.assert(
      fc.property(chainOf, chainOf, fc.array(fc.tuple(fc.nat(2), fc.nat(), fc.nat(RULES.length - 1)), { maxLength: 12 }), (input, x, edits) => {
        const after = [...input];
        for (const [op, at, r] of edits) {
          const k = after.length ? at % after.length : 0;
          if (op === 0) after.splice(k, 0, r);
          else if (op === 1 && after.length) after.splice(k, 1);
          else if (after.length) after.splice((at >> 3) % after.length, 0, ...after.splice(k, 1));
        }
        sameDiff(file(input, x), file(after, x));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The new file's reader takes a chain's lines in one go when they are the old
 * chain's lines byte for byte (OldChain.restAt): compared with the file read
 * alone and with the plain diff, on every shape with several mutations and on
 * files made to sit at each edge of that path.
 */
describe('old chains taken whole by the new file', () => {
  /** sameAsAlone and sameDiff, and how many chains were taken in one go */
  const both = (a: string, b: string, family: Family = 'ipv4'): number => {
    const spy = vi.spyOn(OldChain.prototype, 'tookRest');
    try {
      sameAsAlone(a, b, family);
      const whole = spy.mock.calls.length;
      sameDiff(a, b, family);
      return whole;
    } finally {
      spy.mockRestore();
    }
  };

  for (const shape of Object.keys(SHAPES)) {
    it(`${shape}: seeds 1, 2, 3 read and diff as alone`, () => {
      const family = shapeFamily(shape) as Family;
      const a = generateShape(shape, 1500, 11) as string;
      for (const seed of [1, 2, 3]) both(a, mutate(a, seed), family);
    });
  }

  it('kube-proxy and a deep tree: most chains are taken whole', () => {
    for (const shape of ['kube', 'tree']) {
      const a = generateShape(shape, 3000, 2) as string;
      const chains = (a.match(/^:/gm) ?? []).length;
      expect(both(a, mutate(a, 9))).toBeGreaterThan(chains / 8);
    }
  });

  const head = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  const x = ['-A x -s 198.18.0.1/32 -j DROP', '-A x -s 198.18.0.2/32 -j DROP', '-A x -p tcp --dport 22 -j y', '-A x -j RETURN'];
  const y = ['-A y -j ACCEPT', '-A y -m comment --comment "a b" -j LOG'];
  const file = (xs: string[], ys: string[], decl = ':x - [0:0]\n:y - [0:0]\n', mid = '') =>
    `${head}${decl}-A INPUT -j x\n${xs.join('\n')}${xs.length ? '\n' : ''}${mid}${ys.join('\n')}${ys.length ? '\n' : ''}COMMIT\n`;
  const a = file(x, y);

  it('the same file: every chain of two lines or more taken whole', () => {
    expect(both(a, a)).toBe(2);
  });

  it('one byte changed in the first, a middle or the last line of a chain', () => {
    for (let k = 0; k < x.length; k++) {
      const xs = [...x];
      xs[k] = xs[k].replace(/.$/, (c) => (c === 'P' ? 'Q' : c === 'N' ? 'M' : 'Z'));
      both(a, file(xs, y));
    }
    // a space more at a line's end, a line end fewer between two lines
    both(a, file([x[0] + ' ', ...x.slice(1)], y));
    both(a, a.replace('DROP\n-A x -s 198.18.0.2', 'DROP -A x -s 198.18.0.2'));
  });

  it('a chain with a line more after its old lines, one fewer, lines in another order, its lines split by another chain', () => {
    expect(both(a, file([...x, '-A x -j ACCEPT'], y))).toBeGreaterThan(0);
    both(a, file(x.slice(0, 3), y));
    both(a, file([x[1], x[0], x[2], x[3]], y));
    both(a, file(x.slice(0, 2), [...y, ...x.slice(2)]));
    // in the old file the chain's lines are apart: never one run of text
    const apart = file(x.slice(0, 2), [...y, ...x.slice(2)]);
    both(apart, apart);
    both(apart, a);
  });

  it('chains emptied, added, deleted, renamed; a policy and counters changed', () => {
    both(a, file([], y));
    both(a, file(x, []).replace('-j y', '-j ACCEPT').replace(':y - [0:0]\n', ''));
    both(a, file(x, y, ':x - [0:0]\n:y - [0:0]\n:z - [0:0]\n', '-A z -j ACCEPT\n-A z -j DROP\n'));
    both(a, file(x.map((l) => l.replace('-A x', '-A w')), y, ':w - [0:0]\n:y - [0:0]\n').replace('-A INPUT -j x', '-A INPUT -j w'));
    both(a, a.replace(':INPUT ACCEPT', ':INPUT DROP').replace(':y - [0:0]', ':y - [7:8]'));
    both(a, a.replace('-A y -j ACCEPT', '[1:2] -A y -j ACCEPT'));
  });

  it('a chain taken whole that jumps to a chain the new file lacks: read the long way, the same error', () => {
    const b = a.replace(':y - [0:0]\n', '').replace(/-A y [^\n]*\n/g, '');
    const alone = parseRulesetTexts(b, {}).findings.filter((f) => f.severity === 'error');
    expect(alone.map((f) => f.code)).toEqual(['undefined-chain']);
    both(a, b);
  });

  it('the last chain at the end of the file without a line end, CRLF lines, lines in another table', () => {
    const tail = (t: string) => t.replace(/COMMIT\n$/, '');
    both(tail(a) + 'COMMIT', a);
    both(a, tail(a) + 'COMMIT');
    both(a, a.replace(/\n/g, '\r\n'));
    both(a.replace(/\n/g, '\r\n'), a.replace(/\n/g, '\r\n'));
    const nat = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:x - [0:0]\n' + x.slice(0, 2).join('\n') + '\nCOMMIT\n';
    both(a + nat, nat + a);
  });
});
