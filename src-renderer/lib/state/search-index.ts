// One search over every table of a ruleset: words in the rule text and its
// comment, ports (22 finds a rule for 20:30 and one for 80,22), addresses by
// containment (10.0.0.5 finds -s 10.0.0.0/8), and facets for table, chain,
// target, findings and disabled rules. The index is built once per parse:
// plain arrays scanned in one pass, so a query over 100,000 rules is a few
// milliseconds, not a walk of the model.
import type { Rule, Severity } from '../../../src-main/core/index.js';
import type { RuleRow } from './rows.js';

export interface SearchFacets {
  table?: string;
  chain?: string;
  target?: string;
  /** rules with a finding of this severity (or worse) */
  severity?: Severity;
  /** 'only': disabled (`#-A`) rules only; 'hide': active rules only */
  disabled?: 'only' | 'hide';
}

export interface SearchQuery {
  text: string;
  facets: SearchFacets;
}

interface Net {
  addr: number;
  mask: number;
}

export interface SearchIndex {
  /** row index in the ruleset's rows for each indexed rule */
  rowOf: Int32Array;
  /** lower-cased text the words are looked up in */
  hay: string[];
  table: string[];
  chain: string[];
  target: string[];
  disabled: Uint8Array;
  line: Int32Array;
  /** non-negated -s/-d/--src-range/--dst-range of each rule */
  nets: (Net[] | null)[];
  /** port ranges [lo, hi, lo, hi …] of each rule's port options */
  ports: (number[] | null)[];
  /** how many rules (active and disabled) the ruleset has */
  size: number;
}

export interface SearchResult {
  /** indices into the ruleset's rows of the rules that match, in order */
  hits: number[];
  /** the rows to show: each hit with the table and chain headers above it */
  rows: number[];
  total: number;
  ms: number;
}

/** Builds the index from the rows the rule list shows, with each row's text as the list shows it. */
export function buildSearchIndex(rows: readonly RuleRow[], textOf: (row: RuleRow) => string): SearchIndex {
  const rowOf: number[] = [];
  const hay: string[] = [];
  const table: string[] = [];
  const chain: string[] = [];
  const target: string[] = [];
  const disabled: number[] = [];
  const line: number[] = [];
  const nets: (Net[] | null)[] = [];
  const ports: (number[] | null)[] = [];
  rows.forEach((r, i) => {
    if (r.kind !== 'rule' && r.kind !== 'disabled' && r.kind !== 'unreadable') return;
    const rule = r.kind === 'rule' ? r.rule : r.kind === 'disabled' ? r.disabled.rule : null;
    const t = rule?.target?.name ?? '';
    const comment = rule ? commentOf(rule) : '';
    rowOf.push(i);
    hay.push(`${textOf(r)} ${comment} ${t} ${r.chain.name}`.toLowerCase());
    table.push(r.table);
    chain.push(r.chain.name);
    target.push(t);
    disabled.push(r.kind === 'disabled' ? 1 : 0);
    line.push(r.line);
    nets.push(rule ? netsOf(rule) : null);
    ports.push(rule ? portsOf(rule) : null);
  });
  return {
    rowOf: Int32Array.from(rowOf),
    hay,
    table,
    chain,
    target,
    disabled: Uint8Array.from(disabled),
    line: Int32Array.from(line),
    nets,
    ports,
    size: rowOf.length,
  };
}

type Term = { kind: 'word'; word: string } | { kind: 'port'; port: number; word: string } | { kind: 'net'; net: Net; word: string };

/** Words of the query: an address or network, a port number, or text. */
export function parseQuery(text: string): Term[] {
  const out: Term[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    if (!raw) continue;
    const word = raw.toLowerCase();
    const net = parseNet(raw);
    if (net) out.push({ kind: 'net', net, word });
    else if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) out.push({ kind: 'port', port: Number(raw), word });
    else out.push({ kind: 'word', word });
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** Every term must match (AND); facets narrow further. */
export function searchRules(ix: SearchIndex, rows: readonly RuleRow[], q: SearchQuery, severityOfLine?: (line: number) => Severity | undefined): SearchResult {
  const t0 = performance.now();
  const terms = parseQuery(q.text);
  const f = q.facets;
  const hits: number[] = [];
  const minRank = f.severity ? RANK[f.severity] : 0;
  for (let k = 0; k < ix.size; k++) {
    if (f.table && ix.table[k] !== f.table) continue;
    if (f.chain && ix.chain[k] !== f.chain) continue;
    if (f.target && ix.target[k] !== f.target) continue;
    if (f.disabled === 'only' && !ix.disabled[k]) continue;
    if (f.disabled === 'hide' && ix.disabled[k]) continue;
    if (minRank) {
      const sev = severityOfLine?.(ix.line[k]);
      if (!sev || RANK[sev] < minRank) continue;
    }
    let ok = true;
    for (const t of terms) {
      if (!termMatches(ix, k, t)) {
        ok = false;
        break;
      }
    }
    if (ok) hits.push(ix.rowOf[k]);
  }
  return { hits, rows: withHeaders(rows, hits), total: ix.size, ms: performance.now() - t0 };
}

function termMatches(ix: SearchIndex, k: number, t: Term): boolean {
  switch (t.kind) {
    case 'word':
      return ix.hay[k].includes(t.word);
    case 'port': {
      const p = ix.ports[k];
      if (p) for (let j = 0; j < p.length; j += 2) if (p[j] <= t.port && t.port <= p[j + 1]) return true;
      // a number that is no port of the rule may still be in its text as a word (a mark, a comment)
      return wordIn(ix.hay[k], t.word);
    }
    case 'net': {
      const ns = ix.nets[k];
      if (ns) for (const n of ns) if (overlaps(n, t.net)) return true;
      return ix.hay[k].includes(t.word);
    }
  }
}

/** `word` in `hay` with no digit, dot or colon right beside it: 22 is not in 10.0.0.22 nor 2222 nor 22:30 */
function wordIn(hay: string, word: string): boolean {
  for (let at = hay.indexOf(word); at >= 0; at = hay.indexOf(word, at + 1)) {
    const before = at > 0 ? hay[at - 1] : ' ';
    const after = at + word.length < hay.length ? hay[at + word.length] : ' ';
    if (!/[\d.:]/.test(before) && !/[\d.:]/.test(after)) return true;
  }
  return false;
}

/** The rule's network contains the query (10.0.0.5 in 10.0.0.0/8), or the query network contains the rule's. */
function overlaps(rule: Net, q: Net): boolean {
  const m = (rule.mask & q.mask) >>> 0;
  return ((rule.addr & m) >>> 0) === ((q.addr & m) >>> 0);
}

/** Table and chain header rows above the hits, so each hit is seen where it lives. */
function withHeaders(rows: readonly RuleRow[], hits: readonly number[]): number[] {
  const out: number[] = [];
  let lastChain: unknown = null;
  let lastTable: string | null = null;
  const headerOf = (from: number, kind: 'table' | 'chain'): number => {
    for (let i = from; i >= 0; i--) if (rows[i].kind === kind) return i;
    return -1;
  };
  for (const h of hits) {
    const r = rows[h];
    if (r.kind === 'table') continue;
    if (r.table !== lastTable) {
      const t = headerOf(h, 'table');
      if (t >= 0) out.push(t);
      lastTable = r.table;
      lastChain = null;
    }
    if (r.chain !== lastChain) {
      const c = headerOf(h, 'chain');
      if (c >= 0) out.push(c);
      lastChain = r.chain;
    }
    out.push(h);
  }
  return out;
}

export function parseNet(s: string): Net | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return null;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) return null;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const addr = (((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0) & mask;
  return { addr: addr >>> 0, mask };
}

function netsOf(rule: Rule): Net[] | null {
  const out: Net[] = [];
  for (const a of [rule.src, rule.dst]) if (a && a.kind === 'net' && !a.invert) out.push({ addr: a.addr >>> 0, mask: a.mask >>> 0 });
  for (const m of rule.matches) {
    if (m.name !== 'iprange') continue;
    for (const o of m.options) {
      const v = o.value as { from?: unknown; to?: unknown } | null;
      if (o.invert || !v || typeof v !== 'object') continue;
      // a range is searched as the networks it spans; a range's ends are enough for "contains"
      const from = typeof v.from === 'number' ? v.from : null;
      const to = typeof v.to === 'number' ? v.to : null;
      if (from !== null && to !== null) for (const n of rangeNets(from >>> 0, to >>> 0)) out.push(n);
    }
  }
  for (const o of rule.target?.options ?? []) {
    // DNAT/SNAT --to 192.168.1.5: where a NAT rule sends the packet is an address it concerns
    const v = o.value as { addr?: { lo?: unknown; hi?: unknown } | null } | null;
    const a = v && typeof v === 'object' ? v.addr : null;
    if (a && typeof a.lo === 'number' && typeof a.hi === 'number' && a.lo >>> 0 <= a.hi >>> 0) out.push(...rangeNets(a.lo >>> 0, a.hi >>> 0));
  }
  return out.length ? out : null;
}

/** The CIDR blocks covering [from, to] (at most 64 of them). */
function rangeNets(from: number, to: number): Net[] {
  const out: Net[] = [];
  let a = from;
  while (a <= to && out.length < 64) {
    let bits = 32;
    while (bits > 0) {
      const size = 2 ** (32 - bits + 1);
      if (a % size !== 0 || a + size - 1 > to) break;
      bits--;
    }
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    out.push({ addr: a, mask });
    const next = a + 2 ** (32 - bits);
    if (next > 0xffffffff) break;
    a = next;
  }
  return out;
}

function portsOf(rule: Rule): number[] | null {
  const out: number[] = [];
  const push = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const r = v as { lo?: unknown; hi?: unknown; ports?: unknown };
    if (typeof r.lo === 'number' && typeof r.hi === 'number') {
      // "any port" says nothing about a port
      if (!(r.lo === 0 && r.hi === 0xffff)) out.push(r.lo, r.hi);
    } else if (Array.isArray(r.ports)) r.ports.forEach(push);
    else if (Array.isArray(v)) (v as unknown[]).forEach(push);
  };
  for (const m of rule.matches) {
    for (const o of m.options) if (!o.invert && /port/.test(o.name)) push(o.value);
  }
  for (const o of rule.target?.options ?? []) {
    // --to-destination 10.0.0.5:8080, --to-ports 3128: the ports a NAT rule sends to
    const v = o.value as { ports?: { lo?: unknown; hi?: unknown } | null } | null;
    if (v && typeof v === 'object' && v.ports && typeof v.ports.lo === 'number' && typeof v.ports.hi === 'number') out.push(v.ports.lo, v.ports.hi);
  }
  return out.length ? out : null;
}

function commentOf(rule: Rule): string {
  let out = '';
  for (const m of rule.matches) {
    if (m.name !== 'comment') continue;
    for (const o of m.options) if (typeof o.value === 'string') out += ' ' + o.value;
  }
  return out;
}

/** Distinct values of a facet among the indexed rules, for the facet menus. */
export function facetValues(ix: SearchIndex, key: 'table' | 'chain' | 'target'): string[] {
  return [...new Set(ix[key])].filter(Boolean).sort();
}
