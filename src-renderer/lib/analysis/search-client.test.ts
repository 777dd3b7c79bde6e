// The search worker (its engine on this thread, every message structured-cloned
// and transferred as a Worker's would be): a large file's index handed over
// answers queries as the page's own search does — headers above the hits,
// facets, the findings facet — the page keeps none of the index, and a query
// overtaken by a newer one of the same file is answered "none".
import { describe, it, expect } from 'vitest';
import { parseRuleset } from '../../../src-main/core/index.js';
import { rowsOfParse, rowText } from '../state/rows.js';
import { buildSearchIndex, packHay, searchRules } from '../state/search-index.js';
import { inlineSearchWorker, SearchClient } from './search-client.js';
import { blocklistRuleset } from '../../../e2e/support/blocklist.js';

function index(text: string) {
  const p = parseRuleset(text);
  const { rows } = rowsOfParse(p);
  return { rows, p, make: () => buildSearchIndex(rows, (r) => rowText(r, p.lines)) };
}

describe('search worker', () => {
  it('answers queries on an index handed over as the page would; the handed index is no longer the page\'s', async () => {
    const { make, rows } = index(blocklistRuleset(3000));
    const here = make();
    const sent = make();
    const c = new SearchClient(inlineSearchWorker);
    // as the analysis worker hands it over: the hay as bytes
    const info = await c.install(7, packHay(sent));
    expect(info.size).toBe(here.size);
    expect(info.targets).toContain('DROP');
    // transferred: the page's arrays are detached
    expect(sent.rowOf.length).toBe(0);
    for (const [text, facets] of [['1030', {}], ['drop', {}], ['10.0.0.0/8', {}], ['ratelimit tcp 1500', {}], ['', { target: 'DROP' }], ['', { chain: 'NOPE' }]] as const) {
      const a = await c.query(7, { text, facets });
      const want = searchRules(here, { text, facets });
      expect(a.result?.hits).toEqual(want.hits);
      expect(a.result?.rows).toEqual(want.rows);
      expect(a.result?.total).toBe(3000 + here.size - 3000);
    }
    // each hit is shown under its table's and chain's header rows
    const a = await c.query(7, { text: '1030', facets: {} });
    const shown = a.result!.rows.map((r) => rows[r].kind);
    expect(shown.slice(0, 2)).toEqual(['table', 'chain']);
    expect(a.result!.hits.length).toBeGreaterThan(0);
  });

  it('the findings facet uses the lines the page gives with their severities', async () => {
    const { make, p } = index(blocklistRuleset(500));
    const c = new SearchClient(inlineSearchWorker);
    await c.install(1, make());
    const line = p.ruleset.tables[0].chains[0].rules[0].source!.line;
    const a = await c.query(1, { text: '', facets: { severity: 'warning' } }, new Map([[line, 'error' as const]]));
    expect(a.result!.hits.length).toBe(1);
    const none = await c.query(1, { text: '', facets: { severity: 'error' } }, new Map([[line, 'info' as const]]));
    expect(none.result!.hits).toEqual([]);
  });

  it('runs only the newest query of a file; an unknown file is "missing"', async () => {
    const { make } = index(blocklistRuleset(500));
    const c = new SearchClient(inlineSearchWorker);
    await c.install(2, make());
    const [first, second] = await Promise.all([c.query(2, { text: 'drop', facets: {} }), c.query(2, { text: 'accept', facets: {} })]);
    expect(first).toEqual({ result: null, missing: false });
    expect(second.result).not.toBeNull();
    await expect(c.query(99, { text: 'drop', facets: {} })).resolves.toEqual({ result: null, missing: true });
    c.drop(2);
    await expect(c.query(2, { text: 'drop', facets: {} })).resolves.toEqual({ result: null, missing: true });
  });
});
