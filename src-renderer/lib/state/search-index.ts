// One search over every table of a ruleset: words in the rule text and its
// comment, ports (22 finds a rule for 20:30 and one for 80,22), addresses by
// containment (10.0.0.5 finds -s 10.0.0.0/8), and facets for table, chain,
// target, findings and disabled rules.
//
// The index is columns of typed arrays and one string: for a large file the
// analysis worker builds it and hands it over (the arrays transferred, the
// string copied at memcpy speed — no 100,000 objects to structured-clone on
// the page's thread); a query is a few scans of it on the page, so a search
// answers at once even while the worker is busy with a lint.
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
  /** every rule's lower-cased text, each followed by a newline; rule k is hay[hayAt[k], hayAt[k + 1] - 1) */
  hay: string;
  /**
   * The hay as UTF-8 while the index travels (analysis worker → page → search
   * worker), `hay` empty meanwhile: bytes are transferred, a string of
   * megabytes would be copied on the page's thread twice (packHay, unpackHay).
   */
  hayBytes?: Uint8Array;
  hayAt: Int32Array;
  /** table, chain and target of each rule, as indexes into `names` */
  table: Uint32Array;
  chain: Uint32Array;
  target: Uint32Array;
  names: string[];
  disabled: Uint8Array;
  line: Int32Array;
  /** non-negated -s/-d/--src-range/--dst-range of rule k: addr, mask pairs in nets[netAt[k], netAt[k + 1]) */
  nets: Uint32Array;
  netAt: Int32Array;
  /** port ranges of rule k's port options: lo, hi pairs in ports[portAt[k], portAt[k + 1]) */
  ports: Int32Array;
  portAt: Int32Array;
  /** the rows of rule k's table and chain headers (shown above the hits) */
  tableRow: Int32Array;
  chainRow: Int32Array;
  /** how many rules (active and disabled) the ruleset has */
  size: number;
}

/** the index's buffers, to transfer them from the worker instead of copying */
export function searchIndexBuffers(ix: SearchIndex): ArrayBuffer[] {
  const arrays = [ix.rowOf, ix.hayAt, ix.table, ix.chain, ix.target, ix.disabled, ix.line, ix.nets, ix.netAt, ix.ports, ix.portAt, ix.tableRow, ix.chainRow];
  if (ix.hayBytes) arrays.push(ix.hayBytes);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** The index ready to travel: its hay as UTF-8 bytes. */
export function packHay(ix: SearchIndex): SearchIndex {
  return { ...ix, hay: '', hayBytes: new TextEncoder().encode(ix.hay) };
}

/** The index where it is searched: its hay a string again (the same string, so `hayAt` holds). */
export function unpackHay(ix: SearchIndex): SearchIndex {
  if (!ix.hayBytes) return ix;
  const { hayBytes, ...rest } = ix;
  return { ...rest, hay: new TextDecoder().decode(hayBytes) };
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
  const hayAt: number[] = [0];
  const names = new Map<string, number>();
  const name = (n: string) => {
    let k = names.get(n);
    if (k === undefined) names.set(n, (k = names.size));
    return k;
  };
  const table: number[] = [];
  const chain: number[] = [];
  const target: number[] = [];
  const disabled: number[] = [];
  const line: number[] = [];
  const nets: number[] = [];
  const netAt: number[] = [0];
  const ports: number[] = [];
  const portAt: number[] = [0];
  const tableRow: number[] = [];
  const chainRow: number[] = [];
  let lastTable = -1;
  let lastChain = -1;
  let at = 0;
  rows.forEach((r, i) => {
    if (r.kind === 'table') lastTable = i;
    if (r.kind === 'chain') lastChain = i;
    if (r.kind !== 'rule' && r.kind !== 'disabled' && r.kind !== 'unreadable') return;
    tableRow.push(lastTable);
    chainRow.push(lastChain);
    const rule = r.kind === 'rule' ? r.rule : r.kind === 'disabled' ? r.disabled.rule : null;
    const t = rule?.target?.name ?? '';
    const comment = rule ? commentOf(rule) : '';
    rowOf.push(i);
    // no newline inside a rule's text: the newline ends it, so no word matches across two rules
    const h = `${textOf(r)} ${comment} ${t} ${r.chain.name}`.toLowerCase().replace(/\n/g, ' ');
    hay.push(h);
    at += h.length + 1;
    hayAt.push(at);
    table.push(name(r.table));
    chain.push(name(r.chain.name));
    target.push(name(t));
    disabled.push(r.kind === 'disabled' ? 1 : 0);
    line.push(r.line);
    if (rule) for (const n of netsOf(rule)) nets.push(n.addr, n.mask);
    netAt.push(nets.length);
    if (rule) portsOf(rule, ports);
    portAt.push(ports.length);
  });
  return {
    rowOf: Int32Array.from(rowOf),
    hay: hay.length ? hay.join('\n') + '\n' : '',
    hayAt: Int32Array.from(hayAt),
    table: Uint32Array.from(table),
    chain: Uint32Array.from(chain),
    target: Uint32Array.from(target),
    names: [...names.keys()],
    disabled: Uint8Array.from(disabled),
    line: Int32Array.from(line),
    nets: Uint32Array.from(nets),
    netAt: Int32Array.from(netAt),
    ports: Int32Array.from(ports),
    portAt: Int32Array.from(portAt),
    tableRow: Int32Array.from(tableRow),
    chainRow: Int32Array.from(chainRow),
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
export function searchRules(ix: SearchIndex, q: SearchQuery, severityOfLine?: (line: number) => Severity | undefined): SearchResult {
  const t0 = performance.now();
  const f = q.facets;
  const hits: number[] = [];
  /** the hits' positions in the index */
  const ks: number[] = [];
  const minRank = f.severity ? RANK[f.severity] : 0;
  // a facet naming a value no rule has matches nothing
  const code = (v: string | undefined) => (v ? ix.names.indexOf(v) : -2);
  const table = code(f.table);
  const chain = code(f.chain);
  const target = code(f.target);
  if (table === -1 || chain === -1 || target === -1) return { hits, rows: [], total: ix.size, ms: performance.now() - t0 };
  // each term once over the whole text: which rules it matches
  const terms = parseQuery(q.text).map((t) => termHits(ix, t));
  for (let k = 0; k < ix.size; k++) {
    if (table >= 0 && ix.table[k] !== table) continue;
    if (chain >= 0 && ix.chain[k] !== chain) continue;
    if (target >= 0 && ix.target[k] !== target) continue;
    if (f.disabled === 'only' && !ix.disabled[k]) continue;
    if (f.disabled === 'hide' && ix.disabled[k]) continue;
    if (minRank) {
      const sev = severityOfLine?.(ix.line[k]);
      if (!sev || RANK[sev] < minRank) continue;
    }
    let ok = true;
    for (const t of terms) {
      if (!t[k]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      hits.push(ix.rowOf[k]);
      ks.push(k);
    }
  }
  return { hits, rows: withHeaders(ix, ks), total: ix.size, ms: performance.now() - t0 };
}

/** The rules one term matches: 1 at each rule's position. */
function termHits(ix: SearchIndex, t: Term): Uint8Array {
  const out = new Uint8Array(ix.size);
  // the text: every place the word is, mapped to its rule (for a port, only where no digit, dot or colon is beside it)
  const bounded = t.kind === 'port';
  let k = 0;
  for (let at = ix.hay.indexOf(t.word); at >= 0; at = ix.hay.indexOf(t.word, at + 1)) {
    if (bounded && !standsAlone(ix.hay, at, t.word.length)) continue;
    while (ix.hayAt[k + 1] <= at) k++;
    out[k] = 1;
  }
  if (t.kind === 'port') {
    for (let r = 0; r < ix.size; r++) {
      for (let j = ix.portAt[r]; j < ix.portAt[r + 1] && !out[r]; j += 2) if (ix.ports[j] <= t.port && t.port <= ix.ports[j + 1]) out[r] = 1;
    }
  } else if (t.kind === 'net') {
    for (let r = 0; r < ix.size; r++) {
      for (let j = ix.netAt[r]; j < ix.netAt[r + 1] && !out[r]; j += 2) if (overlaps({ addr: ix.nets[j], mask: ix.nets[j + 1] }, t.net)) out[r] = 1;
    }
  }
  return out;
}

/** no digit, dot or colon right beside it: 22 is not in 10.0.0.22 nor 2222 nor 22:30 */
function standsAlone(hay: string, at: number, len: number): boolean {
  const before = at > 0 ? hay[at - 1] : ' ';
  const after = at + len < hay.length ? hay[at + len] : ' ';
  return !/[\d.:]/.test(before) && !/[\d.:]/.test(after);
}

/** The rule's network contains the query (10.0.0.5 in 10.0.0.0/8), or the query network contains the rule's. */
function overlaps(rule: Net, q: Net): boolean {
  const m = (rule.mask & q.mask) >>> 0;
  return ((rule.addr & m) >>> 0) === ((q.addr & m) >>> 0);
}

/** Table and chain header rows above the hits (index positions `ks`), so each hit is seen where it lives. */
function withHeaders(ix: SearchIndex, ks: readonly number[]): number[] {
  const out: number[] = [];
  let lastChain = -1;
  let lastTable = -1;
  for (const k of ks) {
    if (ix.tableRow[k] !== lastTable) {
      lastTable = ix.tableRow[k];
      if (lastTable >= 0) out.push(lastTable);
      lastChain = -1;
    }
    if (ix.chainRow[k] !== lastChain) {
      lastChain = ix.chainRow[k];
      if (lastChain >= 0) out.push(lastChain);
    }
    out.push(ix.rowOf[k]);
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

function netsOf(rule: Rule): Net[] {
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
  return out;
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

/** Appends the rule's port ranges (lo, hi pairs) to `out`. */
function portsOf(rule: Rule, out: number[]): void {
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
  return [...new Set(ix[key])].map((k) => ix.names[k]).filter(Boolean).sort();
}
