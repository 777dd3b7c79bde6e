// The analysis client against the real engine, the way the page uses it but on
// this thread (inlineWorker: every message structured-cloned, every answer
// asynchronous): answers put together from their parts equal the core's own
// results, and a cancel ends the running job, not the queue nor (when it stops
// in time) the worker and the documents it holds.
import { describe, it, expect, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdit, canonicalRuleset, diffRulesetsDetailed, lintPair, lintParsed, parseRuleset, spliceText, type EditOp, type Finding, type PairFinding, type ParseResult, type RulesetDiff } from '../../../src-main/core/index.js';
import { AnalysisClient, CANCEL_GRACE_MS, isCancelled, LatestJob, type ActiveJob, type Job, type WorkerLike } from './client.js';
import { inlineWorker } from './spawn.js';
import { createEngine } from './engine.js';
import { PART_SIZE, type EditAnswer, type MarksAnswer, type ToWorker } from './protocol.js';
import { rowsOfParse, rowText } from '../state/rows.js';
import { buildSearchIndex, searchRules, unpackHay, type SearchIndex } from '../state/search-index.js';
import { stagedMarksOf } from '../state/staged-marks.js';
import { analyzePaste, mergeImported, type MergeResult } from '../state/paste-import.js';
import { blocklistRuleset } from '../../../e2e/support/blocklist.js';
import { LazyModel, type CompactParse } from '../state/lazy-model.js';

const CORPUS = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'realworld');
const corpus = (name: string) => readFileSync(join(CORPUS, name), 'utf8');

function client(seen?: ActiveJob[][]): AnalysisClient {
  return new AnalysisClient(inlineWorker, seen ? { changed: (jobs) => seen.push([...jobs]) } : null);
}

describe('analysis client', () => {
  it('a parse comes back compact (rules as canonical lines) and reads back as the same model as the core parses, counters (bigint) included', async () => {
    // 063 has [packets:bytes] counters; the blocklist has many more rules than one part holds
    for (const text of [corpus('063.rules'), corpus('054.rules'), blocklistRuleset(PART_SIZE * 5 + 17)]) {
      const c = client();
      const got = await c.run<CompactParse>({ kind: 'parse', doc: { id: 1, text } }, { label: 'parse' }).promise;
      const want = parseRuleset(text);
      // the page holds typed arrays, not the rules
      expect(got.line).toBeInstanceOf(Int32Array);
      expect(got.line.length).toBe(want.ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, ch) => m + ch.rules.length, 0), 0));
      expect(got.hasCounters).toBe(want.ruleset.tables.some((t) => t.chains.some((ch) => ch.rules.some((r) => r.counters))));
      expect(new LazyModel(got, want.lines).ruleset).toEqual(want.ruleset);
      expect(got.findings).toEqual(want.findings);
      expect(got.finalNewline).toBe(want.finalNewline);
    }
  });

  it('lint, diff and the canonical form equal the core\'s, and the parse is kept between jobs', async () => {
    const a = corpus('001.rules');
    const b = a.replace('--dport 22 ', '--dport 2222 ');
    const c = client();
    const lint = await c.run<Finding[]>({ kind: 'lint', doc: { id: 7, text: a }, opts: { client: '192.0.2.9', sshPort: 22 } }, { label: 'lint' }).promise;
    expect(lint).toEqual(lintParsed(parseRuleset(a), { client: '192.0.2.9', sshPort: 22 }));
    const diff = await c.run<RulesetDiff>({ kind: 'diff', left: { id: 7, text: a }, right: { id: 8, text: b } }, { label: 'diff' }).promise;
    expect(diff).toEqual(diffRulesetsDetailed(parseRuleset(a).ruleset, parseRuleset(b).ruleset));
    expect(diff.changes.length).toBeGreaterThan(0);
    const canon = await c.run<string[]>({ kind: 'canonical', doc: { id: 8, text: b } }, { label: 'canonical' }).promise;
    expect(canon.join('\n') + '\n').toBe(canonicalRuleset(parseRuleset(b).ruleset));
    expect(c.spawned).toBe(1);
  });

  it('an IPv6 document is read, checked and linted as ip6tables-restore reads it; the same id read as the other family is parsed again', async () => {
    const v6 = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 2001:db8::/32 -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';
    const c = client();
    const got = await c.run<CompactParse>({ kind: 'parse', doc: { id: 5, text: v6, family: 'ipv6' } }, { label: 'parse' }).promise;
    expect(new LazyModel(got, v6.split('\n')).ruleset).toEqual(parseRuleset(v6, { family: 'ipv6' }).ruleset);
    expect(got.family).toBe('ipv6');
    expect(got.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const lint = await c.run<Finding[]>({ kind: 'lint', doc: { id: 5, text: v6, family: 'ipv6' }, opts: {} }, { label: 'lint' }).promise;
    expect(lint).toEqual(lintParsed(parseRuleset(v6, { family: 'ipv6' })));
    // the IPv6 rules read as IPv4 are refused (an IPv6 address, icmp6): never the cached IPv6 parse
    const as4 = await c.run<CompactParse>({ kind: 'parse', doc: { id: 5, text: v6 } }, { label: 'parse as IPv4' }).promise;
    expect(as4.family).toBe('ipv4');
    expect(as4.findings.some((f) => f.severity === 'error')).toBe(true);
  });

  it('a document\'s text goes to a worker once: later jobs name it by id; a worker that let it go asks for it again', async () => {
    const text = blocklistRuleset(2000);
    const sent: (string | undefined)[] = [];
    const c = new AnalysisClient(() => {
      const w = inlineWorker();
      const post = w.postMessage.bind(w);
      w.postMessage = (m) => {
        if (m.type === 'run') sent.push('doc' in m.job ? m.job.doc.text : undefined);
        post(m);
      };
      return w;
    });
    const lint = await c.run<Finding[]>({ kind: 'lint', doc: { id: 21, text }, opts: {} }, { label: 'lint' }).promise;
    expect(lint).toEqual(lintParsed(parseRuleset(text)));
    const canon = await c.run<string[]>({ kind: 'canonical', doc: { id: 21, text } }, { label: 'canonical' }).promise;
    expect(canon.join('\n') + '\n').toBe(canonicalRuleset(parseRuleset(text).ruleset));
    expect(sent).toEqual([text, undefined]);
    // the worker forgets it (as it does past a few documents): the next job is answered all the same, its text sent again
    c.drop(21);
    await c.run<string[]>({ kind: 'canonical', doc: { id: 21, text } }, { label: 'canonical' }).promise;
    expect(sent.at(-1)).toBe(text);
    const evicted = await Promise.all([22, 23, 24, 25, 26].map((id) => c.run<string[]>({ kind: 'canonical', doc: { id, text: `${text}# ${id}\n` } }, { label: 'fill' }).promise));
    expect(evicted).toHaveLength(5);
    const again = await c.run<string[]>({ kind: 'canonical', doc: { id: 21, text } }, { label: 'canonical' }).promise;
    expect(again).toEqual(canon);
    expect(sent.slice(-2)).toEqual([undefined, text]);
    expect(c.spawned).toBe(1);
  });

  it('the pair job gives the core\'s findings across the two families, each naming its family', async () => {
    const v4 = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -s 198.18.0.0/15 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
    const v6 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
    const c = client();
    const got = await c.run<PairFinding[]>({ kind: 'pair', v4: { id: 11, text: v4 }, v6: { id: 12, text: v6, family: 'ipv6' }, sshPort: 22 }, { label: 'pair' }).promise;
    expect(got).toEqual(lintPair(parseRuleset(v4).ruleset, parseRuleset(v6, { family: 'ipv6' }).ruleset, { sshPort: 22 }));
    expect(got.find((f) => f.code === 'pair-policy-mismatch')).toMatchObject({ family: 'ipv6', chain: 'INPUT' });
    // a file that does not load says nothing about the pair
    const broken = await c.run<PairFinding[]>({ kind: 'pair', v4: { id: 13, text: v4.replace('-j ACCEPT', '-j NOPE') }, v6: { id: 12, text: v6, family: 'ipv6' }, sshPort: 22 }, { label: 'pair' }).promise;
    expect(broken).toEqual([]);
  });

  it('an error in the worker fails that job only', async () => {
    const c = client();
    const bad = c.run({ kind: 'recipe', doc: { id: 1, text: corpus('001.rules') }, recipe: 'no-such-recipe', raw: {}, sshPort: 22 }, { label: 'recipe' }).promise;
    await expect(bad).rejects.toThrow(/no recipe called no-such-recipe/);
    await expect(c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text: corpus('001.rules') }, opts: {} }, { label: 'lint' }).promise).resolves.toBeInstanceOf(Array);
  });

  it('cancel: a running job stops in its worker, a waiting one leaves the queue, the rest still run', async () => {
    const seen: ActiveJob[][] = [];
    const c = client(seen);
    const big = blocklistRuleset(20_000);
    const running = c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text: big }, opts: {} }, { label: 'lint big' });
    const waiting = c.run<Finding[]>({ kind: 'lint', doc: { id: 2, text: big }, opts: {} }, { label: 'lint big again' });
    const after = c.run<Finding[]>({ kind: 'lint', doc: { id: 3, text: corpus('001.rules') }, opts: {} }, { label: 'lint small' });
    expect(c.active.map((j) => j.label)).toEqual(['lint big', 'lint big again', 'lint small']);
    waiting.cancel();
    running.cancel();
    const outcome = async (p: Promise<unknown>) => p.then(() => 'done', (e: unknown) => (isCancelled(e) ? 'cancelled' : `failed: ${(e as Error).message}`));
    expect(await outcome(running.promise)).toBe('cancelled');
    expect(await outcome(waiting.promise)).toBe('cancelled');
    const found = await after.promise;
    expect(found).toEqual(lintParsed(parseRuleset(corpus('001.rules'))));
    // the running job stopped in the worker, which went on with what was left
    expect(c.stoppedInPlace).toBe(1);
    expect(c.spawned).toBe(1);
    expect(c.active).toEqual([]);
    // the activity indicator saw the jobs come and go
    expect(seen.some((jobs) => jobs.length === 3)).toBe(true);
    expect(seen[seen.length - 1]).toEqual([]);
  });

  it('a cancelled lint stops and its worker keeps the document: the next job on it reads nothing again', async () => {
    const c = client();
    const big = blocklistRuleset(20_000);
    await c.run({ kind: 'parse', doc: { id: 1, text: big } }, { label: 'parse' }).promise;
    // cancelled as it starts: the worker sees it before its first chain (the shared flag) and says so
    const lint = c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text: big }, opts: {} }, { label: 'lint' });
    lint.cancel();
    await expect(lint.promise).rejects.toSatisfy(isCancelled);
    const phases: string[] = [];
    const again = await c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text: big }, opts: {} }, { label: 'lint again', onProgress: (p) => phases.push(p.phase) }).promise;
    expect(again).toEqual(lintParsed(parseRuleset(big)));
    expect(phases).toEqual(['linting']);
    expect(c.stoppedInPlace).toBe(1);
    expect(c.spawned).toBe(1);
  });

  it('a cancelled parse stops inside the read of the file (not at its end): the worker is kept, the file is read again when next asked for', async () => {
    const c = client();
    const big = blocklistRuleset(40_000);
    // cancelled as it starts: the parse asks the shared flag every few thousand lines
    const parse = c.run<CompactParse>({ kind: 'parse', doc: { id: 1, text: big } }, { label: 'parse' });
    parse.cancel();
    await expect(parse.promise).rejects.toSatisfy(isCancelled);
    // the read was given up, not finished and kept: the next job reads the file (had it run to its end, it would not)
    const phases: string[] = [];
    const got = await c.run<CompactParse>({ kind: 'parse', doc: { id: 1, text: big } }, { label: 'parse again', onProgress: (p) => phases.push(p.phase) }).promise;
    expect(phases).toContain('parsing');
    expect(new LazyModel(got, big.split('\n')).ruleCount).toBe(parseRuleset(big).ruleset.tables[0].chains.reduce((n, ch) => n + ch.rules.length, 0));
    // the worker said it stopped, and was kept
    expect(c.stoppedInPlace).toBe(1);
    expect(c.spawned).toBe(1);
  });

  it('a cancelled diff of two 100,000-rule files stops inside the comparison, not at its end: the worker keeps both documents', async () => {
    const { generateShape } = (await import('../../../build/gen-shapes.mjs' as string)) as { generateShape: (s: string, n: number, seed: number) => string };
    // two different blocklists: a second or more of comparing (the 70,000-rule chains share few lines)
    const left = { id: 1, text: generateShape('blocklist', 100_000, 1) };
    const right = { id: 2, text: generateShape('blocklist', 100_000, 2) };
    const c = client();
    await c.run({ kind: 'parse', doc: left }, { label: 'parse' }).promise;
    await c.run({ kind: 'parse', doc: right }, { label: 'parse' }).promise;
    // thread time (this thread runs the worker): a loaded machine does not stretch it as it does wall time
    const cpuMs = async (work: () => Promise<unknown>) => {
      const t0 = process.cpuUsage();
      await work();
      const d = process.cpuUsage(t0);
      return (d.user + d.system) / 1000;
    };
    // cancelled as it starts: the comparison asks the shared flag between chains and every few thousand rules;
    // a small job after it waits until the worker stopped the diff
    const small = { id: 3, text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n' };
    const stopMs = await cpuMs(async () => {
      const cancelled = c.run<RulesetDiff>({ kind: 'diff', left, right }, { label: 'diff' });
      cancelled.cancel();
      await expect(cancelled.promise).rejects.toSatisfy(isCancelled);
      await c.run({ kind: 'lint', doc: small, opts: {} }, { label: 'lint' }).promise;
    });
    expect(c.stoppedInPlace).toBe(1);
    // the same worker, both documents still read: the whole diff parses nothing
    const phases: string[] = [];
    let whole: RulesetDiff | undefined;
    const wholeMs = await cpuMs(async () => {
      whole = await c.run<RulesetDiff>({ kind: 'diff', left, right }, { label: 'diff', onProgress: (p) => phases.push(p.phase) }).promise;
    });
    expect(phases).not.toContain('parsing');
    expect(phases[0]).toBe('comparing');
    expect(c.spawned).toBe(1);
    expect(whole!.changes.length).toBeGreaterThan(10_000);
    // stopped within a few ms of work (with the small job: measured 31 ms), where the diff to its end takes a second or more
    // (1,080 ms without the stop, as much as the whole diff); a quarter of the whole, and never more than 300 ms
    expect(stopMs).toBeLessThan(Math.min(wholeMs / 4, 300));
  }, 120_000);

  it('a cancel of a long answer stops it between its parts; nothing of it reaches the next job', async () => {
    const c = client();
    const big = blocklistRuleset(PART_SIZE * 40);
    // the canonical form's lines come in parts of PART_SIZE; 'sending' is said every few parts
    const canon = c.run<string[]>({ kind: 'canonical', doc: { id: 1, text: big } }, { label: 'canonical', onProgress: (p) => p.phase === 'sending' && canon.cancel() });
    const phases: string[] = [];
    const next = c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text: big }, opts: {} }, { label: 'lint', onProgress: (p) => phases.push(p.phase) });
    await expect(canon.promise).rejects.toSatisfy(isCancelled);
    expect(await next.promise).toEqual(lintParsed(parseRuleset(big)));
    // the document the cancelled job read is still there
    expect(phases).toEqual(['linting']);
    expect(c.stoppedInPlace).toBe(1);
    expect(c.spawned).toBe(1);
  });

  it('a worker that does not stop within the grace period is ended; the next job gets a new one', async () => {
    vi.useFakeTimers();
    try {
      const posted: { w: number; m: ToWorker }[] = [];
      const workers: WorkerLike[] = [];
      const spawn = (): WorkerLike => {
        const k = workers.length;
        // a worker busy past any cancel (or one without shared memory in a long lint): it never answers
        const w: WorkerLike = { onmessage: null, onerror: null, postMessage: (m) => posted.push({ w: k, m }), terminate: () => ((w as { ended?: boolean }).ended = true) };
        workers.push(w);
        return w;
      };
      const c = new AnalysisClient(spawn);
      const stuck = c.run({ kind: 'lint', doc: { id: 1, text: 'x' }, opts: {} }, { label: 'stuck' });
      const next = c.run({ kind: 'lint', doc: { id: 2, text: 'y' }, opts: {} }, { label: 'next' });
      stuck.cancel();
      await expect(stuck.promise).rejects.toSatisfy(isCancelled);
      // asked to stop (in shared memory too), and the next job waits for it
      expect(posted.filter((p) => p.w === 0).map((p) => p.m.type)).toEqual(['init', 'run', 'cancel']);
      vi.advanceTimersByTime(CANCEL_GRACE_MS - 1);
      expect(workers).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect((workers[0] as { ended?: boolean }).ended).toBe(true);
      expect(c.spawned).toBe(2);
      // the next job went to the new worker with its text
      const run = posted.find((p) => p.w === 1 && p.m.type === 'run')?.m;
      expect(run).toMatchObject({ job: { kind: 'lint', doc: { id: 2, text: 'y' } } });
      next.cancel();
      await expect(next.promise).rejects.toSatisfy(isCancelled);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an edit with `as` answers the new document\'s parse with its text; the worker holds it under that id (later jobs read nothing again)', async () => {
    const text = blocklistRuleset(PART_SIZE * 12);
    const posted: ToWorker[] = [];
    const c = new AnalysisClient(() => {
      const w = inlineWorker();
      const post = w.postMessage.bind(w);
      w.postMessage = (m) => (posted.push(m), post(m));
      return w;
    });
    await c.run({ kind: 'parse', doc: { id: 1, text } }, { label: 'parse' }).promise;
    const op: EditOp = { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 1000 }], disabled: true };
    const got = await c.run<EditAnswer>({ kind: 'edit', doc: { id: 1, text }, op, as: 2 }, { label: 'edit' }).promise;
    const want = applyEdit(parseRuleset(text), op);
    if (!got.ok || !want.ok) throw new Error('the edit failed');
    // what changed in the text (one line), not the text
    expect(got.text).toBeUndefined();
    expect(got.splice!.lines).toHaveLength(1);
    expect(spliceText(text, got.splice!)).toBe(want.text);
    const whole = parseRuleset(want.text);
    expect(new LazyModel(got.parse!, whole.lines).ruleset).toEqual(whole.ruleset);
    expect(got.parse!.findings).toEqual(whole.findings);
    // named by id alone from now on (its 5 MB text is not sent back), and not parsed again
    const phases: string[] = [];
    const lint = await c.run<Finding[]>({ kind: 'lint', doc: { id: 2, text: want.text }, opts: {} }, { label: 'lint', onProgress: (p) => phases.push(p.phase) }).promise;
    expect(lint).toEqual(lintParsed(whole));
    expect(phases).toEqual(['linting']);
    const sent = posted.filter((m) => m.type === 'run' && m.job.kind === 'lint').map((m) => (m.type === 'run' && m.job.kind === 'lint' ? m.job.doc : null));
    expect(sent).toEqual([{ id: 2 }]);
  });

  it('a staged edit is made in the worker: the text the core writes; a bad edit says why', async () => {
    const text = blocklistRuleset(3000);
    const c = client();
    const op: EditOp = { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'blocklist', at: 5 }], disabled: true };
    const got = await c.run<EditAnswer>({ kind: 'edit', doc: { id: 1, text }, op }, { label: 'edit' }).promise;
    const want = applyEdit(parseRuleset(text), op);
    expect(want.ok).toBe(true);
    expect(got).toEqual({ ok: true, text: want.ok ? want.text : '' });
    // one line changed: the rule is now `#-A …`
    const before = text.split('\n');
    const after = (got as { text: string }).text.split('\n');
    expect(after.length).toBe(before.length);
    expect(after.filter((l, k) => l !== before[k])).toHaveLength(1);
    expect(after.find((l, k) => l !== before[k])).toMatch(/^#\s*-A blocklist -s /);
    const bad = await c.run<EditAnswer>({ kind: 'edit', doc: { id: 1, text }, op: { kind: 'replace', ref: { table: 'filter', chain: 'blocklist', at: 0 }, body: '-p tcp --dport 99999 -j DROP' } }, { label: 'bad' }).promise;
    expect(bad.ok).toBe(false);
    expect((bad as { message: string }).message).toMatch(/99999/);
    // the edit parsed the document once: still one worker, and its answer is here without a parse job
    expect(c.spawned).toBe(1);
  });

  it('an edit\'s result is not parsed again: the page\'s parse of the new text and its lint equal the core\'s of the whole new text', async () => {
    // a user chain that always drops: an edit of it changes the findings of INPUT, which jumps to it
    const text = blocklistRuleset(3000).replace('COMMIT', ':GUARD - [0:0]\n-A INPUT -p tcp -j GUARD\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A GUARD -j DROP\nCOMMIT');
    const c = client();
    const opts = { client: '198.18.7.7', sshPort: 22 };
    await c.run<CompactParse>({ kind: 'parse', doc: { id: 1, text } }, { label: 'parse' }).promise;
    expect(await c.run<Finding[]>({ kind: 'lint', doc: { id: 1, text }, opts }, { label: 'lint' }).promise).toEqual(lintParsed(parseRuleset(text), opts));
    let cur = text;
    let id = 1;
    const ops: EditOp[] = [
      { kind: 'replace', ref: { table: 'filter', chain: 'GUARD', at: 0 }, body: '-s 198.18.0.0/16 -j DROP' },
      { kind: 'add', table: 'filter', chain: 'blocklist', at: 7, body: '-s 198.18.9.9 -j DROP' },
      { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: 2 }] },
      { kind: 'move', table: 'filter', chain: 'blocklist', from: [0], to: 100 },
    ];
    for (const op of ops) {
      const r = await c.run<EditAnswer>({ kind: 'edit', doc: { id, text: cur }, op }, { label: 'edit' }).promise;
      const want = applyEdit(parseRuleset(cur), op);
      expect(r).toEqual({ ok: true, text: want.ok ? want.text : '' });
      cur = (r as { text: string }).text;
      id++;
      const phases: string[] = [];
      const got = await c.run<CompactParse>({ kind: 'parse', doc: { id, text: cur } }, { label: 'parse', onProgress: (p) => phases.push(p.phase) }).promise;
      // the edit's parse was kept: no parsing phase for the new text
      expect(phases).not.toContain('parsing');
      const whole = parseRuleset(cur);
      expect(new LazyModel(got, whole.lines).ruleset).toEqual(whole.ruleset);
      expect(got.findings).toEqual(whole.findings);
      const lint = await c.run<Finding[]>({ kind: 'lint', doc: { id, text: cur }, opts }, { label: 'lint' }).promise;
      expect(lint).toEqual(lintParsed(whole, opts));
    }
    // the first edit made GUARD a chain that does not always drop: INPUT's ssh rule is no longer shadowed
    expect(lintParsed(parseRuleset(text), opts).some((f) => f.code === 'shadowed-rule' && f.chain === 'INPUT')).toBe(true);
    expect(lintParsed(parseRuleset(cur), opts).some((f) => f.code === 'shadowed-rule' && f.chain === 'INPUT')).toBe(false);
    expect(c.spawned).toBe(1);
  });

  it('the search index built in the worker answers queries as the one built here does; its arrays are transferred', async () => {
    const text = blocklistRuleset(4000) + '';
    const c = client();
    const packed = await c.run<SearchIndex>({ kind: 'search-index', doc: { id: 3, text } }, { label: 'index' }).promise;
    // the hay travels as bytes and is a string again where it is searched
    expect(packed.hay).toBe('');
    expect(packed.hayBytes).toBeInstanceOf(Uint8Array);
    const got = unpackHay(packed);
    const p = parseRuleset(text);
    const { rows } = rowsOfParse(p);
    const here = buildSearchIndex(rows, (r) => rowText(r, p.lines));
    expect(got).toEqual(here);
    for (const q of ['1030', 'drop', '10.0.0.0/8', 'ratelimit tcp 1500']) {
      expect(searchRules(got, { text: q, facets: {} }).hits).toEqual(searchRules(here, { text: q, facets: {} }).hits);
    }
    expect(searchRules(got, { text: '1030', facets: {} }).hits.length).toBeGreaterThan(0);
    // the engine hands the index's arrays over as transferables (no copy of 100,000 rows' columns)
    const posted: { type: string; transfer?: Transferable[] }[] = [];
    createEngine((m, transfer) => posted.push({ type: m.type, transfer }))({ type: 'run', id: 1, job: { kind: 'search-index', doc: { id: 3, text } } });
    await new Promise((r) => setTimeout(r, 0));
    const head = posted.find((m) => m.type === 'head');
    expect(head?.transfer?.length).toBe(14);
    expect(head?.transfer?.every((b) => b instanceof ArrayBuffer)).toBe(true);
  });

  it('the staged marks computed in the worker equal those computed here', async () => {
    const base = blocklistRuleset(3000);
    const edited = applyEdit(parseRuleset(base), { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: 2 }] });
    const cur = edited.ok ? edited.text.replace('--limit-burst 10 ', '--limit-burst 11 ') : '';
    const c = client();
    const got = await c.run<MarksAnswer>({ kind: 'marks', base: { id: 1, text: base }, cur: { id: 2, text: cur } }, { label: 'marks' }).promise;
    const pb = parseRuleset(base);
    const pc = parseRuleset(cur);
    const want = stagedMarksOf({ rows: rowsOfParse(pb).rows, lines: pb.lines }, { rows: rowsOfParse(pc).rows, lines: pc.lines });
    expect([...got.changed]).toEqual([...want.changed]);
    expect(got.deleted).toEqual(want.deleted);
    expect(got.deleted).toHaveLength(1 + (cur.includes('--limit-burst 11 ') ? 1 : 0));
  });

  it('the staged marks of steps made by edits in the worker (only the chains they changed compared) equal those of every row', async () => {
    const base = blocklistRuleset(3000);
    const c = client();
    await c.run({ kind: 'parse', doc: { id: 1, text: base } }, { label: 'parse' }).promise;
    const ops: EditOp[] = [
      { kind: 'delete', refs: [{ table: 'filter', chain: 'blocklist', at: 2 }] },
      { kind: 'set-disabled', refs: [{ table: 'filter', chain: 'ratelimit', at: 4 }], disabled: true },
      // the same line as one still there: found in the base once, marked the second time
      { kind: 'add', table: 'filter', chain: 'blocklist', at: 10, body: base.split('\n').find((l) => l.startsWith('-A blocklist'))!.replace('-A blocklist ', '') },
      { kind: 'replace', ref: { table: 'filter', chain: 'INPUT', at: 0 }, body: '-m conntrack --ctstate ESTABLISHED -j ACCEPT' },
    ];
    let text = base;
    const pb = parseRuleset(base);
    const rb = rowsOfParse(pb);
    for (const [k, op] of ops.entries()) {
      const r = await c.run<EditAnswer>({ kind: 'edit', doc: { id: k + 1, text }, op, as: k + 2 }, { label: 'edit' }).promise;
      if (!r.ok) throw new Error(r.message);
      text = r.text ?? spliceText(text, r.splice);
      const got = await c.run<MarksAnswer>({ kind: 'marks', base: { id: 1, text: base }, cur: { id: k + 2, text } }, { label: 'marks' }).promise;
      const pc = parseRuleset(text);
      const rc = rowsOfParse(pc);
      const want = stagedMarksOf({ rows: rb.rows, lines: pb.lines }, { rows: rc.rows, lines: pc.lines });
      expect([...got.changed], `step ${k}`).toEqual([...want.changed]);
      expect(got.deleted, `step ${k}`).toEqual(want.deleted);
      // and the chains alone, here: the same
      const chains = new Set(ops.slice(0, k + 1).map((o) => `filter ${'chain' in o ? o.chain : 'refs' in o ? o.refs[0].chain : o.ref.chain}`));
      const only = stagedMarksOf({ rows: rb.rows, lines: pb.lines, heads: rb.heads }, { rows: rc.rows, lines: pc.lines, heads: rc.heads }, chains);
      expect([...only.changed]).toEqual([...want.changed]);
      expect(only.deleted).toEqual(want.deleted);
    }
    expect(c.spawned).toBe(1);
  });

  it('the worker sends a model\'s parts a couple at a time: the next only once the page took one in', async () => {
    const posted: string[] = [];
    const engine = createEngine((m) => posted.push(m.type));
    // a lint with a finding per rule: many items to send (a parse sends its rules as one buffer)
    const dup = '-A INPUT -p tcp --dport 22 -j ACCEPT\n'.repeat(PART_SIZE * 6);
    engine({ type: 'run', id: 5, job: { kind: 'lint', doc: { id: 1, text: `*filter\n:INPUT DROP [0:0]\n${dup}COMMIT\n` }, opts: {} } });
    const settle = () => new Promise((r) => setTimeout(r, 0));
    await settle();
    const parts = () => posted.filter((t) => t === 'parts').length;
    // two in flight, then it waits
    expect(parts()).toBe(2);
    expect(posted).not.toContain('end');
    engine({ type: 'ack', id: 4 }); // another job's acknowledgement frees nothing
    await settle();
    expect(parts()).toBe(2);
    engine({ type: 'ack', id: 5 });
    await settle();
    expect(parts()).toBe(3);
    for (let k = 0; k < 20 && !posted.includes('end'); k++) {
      engine({ type: 'ack', id: 5 });
      await settle();
    }
    expect(posted[posted.length - 1]).toBe('end');
    expect(parts()).toBeGreaterThanOrEqual(6);
  });

  it('pasted commands are added to a large file in the worker: the same text as on the page', async () => {
    const seed = readFileSync(join(__dirname, '..', '..', '..', '..', 'shared', 'seed', 'iptables-recipes.txt'), 'utf8');
    const text = blocklistRuleset(3000);
    const paste = analyzePaste(seed);
    const c = client();
    const got = await c.run<MergeResult>({ kind: 'paste', doc: { id: 1, text }, paste, client: '192.0.2.9', sshPort: 22 }, { label: 'paste' }).promise;
    const want = mergeImported(parseRuleset(text), paste, { client: '192.0.2.9', sshPort: 22 });
    expect(want.ok).toBe(true);
    expect(got).toEqual(want);
  });
});

describe('LatestJob: only the newest job of a kind counts', () => {
  /** a job whose end the test decides */
  function manual<T>(): { job: Job<T>; resolve(v: T): void; cancelled: () => boolean } {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    let cancelled = false;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { job: { promise, label: 't', cancel: () => ((cancelled = true), reject(new Error('cancelled'))) }, resolve, cancelled: () => cancelled };
  }

  it("starting a newer job cancels the older, whose late answer is dropped; the newer's answer counts", async () => {
    const latest = new LatestJob<number>();
    const seen: string[] = [];
    const a = manual<number>();
    const b = manual<number>();
    const pa = latest.start(a.job, (v) => seen.push(`a done ${v}`), () => seen.push('a failed'));
    const pb = latest.start(b.job, (v) => seen.push(`b done ${v}`), () => seen.push('b failed'));
    expect(a.cancelled()).toBe(true);
    a.resolve(1);
    b.resolve(2);
    await Promise.all([pa, pb]);
    expect(seen).toEqual(['b done 2']);
  });

  it('cancel() lets the newest report its cancellation; drop() silences it', async () => {
    const latest = new LatestJob<number>();
    const seen: string[] = [];
    const a = manual<number>();
    const pa = latest.start(a.job, () => seen.push('a done'), (e) => seen.push(`a failed: ${(e as Error).message}`));
    latest.cancel();
    await pa;
    expect(seen).toEqual(['a failed: cancelled']);
    const b = manual<number>();
    const pb = latest.start(b.job, () => seen.push('b done'), () => seen.push('b failed'));
    latest.drop();
    await pb;
    expect(b.cancelled()).toBe(true);
    expect(seen).toEqual(['a failed: cancelled']);
  });
});
