// The canonical writer: exactly what iptables-legacy-save prints after loading
// the ruleset (without its `#` lines). Diffs, checks and `portcullis canon`
// compare rulesets in this form.
import type { AddressSpec, Chain, Counters, InterfaceSpec, Match, Rule, Ruleset, Table, Target } from './model.js';
import { findMatch, findTarget } from './extensions/registry.js';
import { formatIPv4, formatNet, formatNet6, protocolName, saveString } from './values.js';

interface CanonicalOptions {
  /** print packet and byte counters (iptables-save -c) instead of [0:0] */
  counters?: boolean;
}

function addr(flag: string, a: AddressSpec | null): string {
  if (!a) return '';
  const inv = a.invert ? ' !' : '';
  if (a.kind === 'host-name') {
    if (a.mask6 !== undefined) return `${inv} ${flag} ${a.name}${a.mask6 === null ? '' : '/' + formatNetMask6(a.mask6)}`;
    return `${inv} ${flag} ${a.name}${a.mask === null ? '' : '/' + formatNetMask(a.mask)}`;
  }
  if (a.kind === 'net6') {
    if (a.mask === 0n && a.addr === 0n && !a.invert) return '';
    return `${inv} ${flag} ${formatNet6(a.addr, a.mask)}`;
  }
  if (a.mask === 0 && a.addr === 0 && !a.invert) return '';
  return `${inv} ${flag} ${formatNet(a.addr, a.mask)}`;
}

function formatNetMask(mask: number): string {
  const s = formatNet(0, mask);
  return s.slice(s.indexOf('/') + 1);
}

function formatNetMask6(mask: bigint): string {
  const s = formatNet6(0n, mask);
  return s.slice(s.indexOf('/') + 1);
}

function iface(flag: string, i: InterfaceSpec | null): string {
  if (!i || i.name === '' || i.name === '+') return '';
  return `${i.invert ? ' !' : ''} ${flag} ${i.name}`;
}

function quoteToken(t: string): string {
  return /^[^\s"'\\]+$/.test(t) ? ' ' + t : saveString(t);
}

export function saveMatch(m: Match): string {
  if (m.unknown) return ` -m ${m.name}` + m.unknown.tokens.map(quoteToken).join('');
  const ext = findMatch(m.name);
  return ` -m ${ext?.saveName ?? m.name}` + (ext ? ext.save(m) : '');
}

export function saveTarget(t: Target): string {
  if (t.kind === 'goto') return ` -g ${t.name}`;
  if (t.chain) return ` -j ${t.name}`;
  if (t.unknown) return ` -j ${t.name}` + t.unknown.tokens.map(quoteToken).join('');
  const ext = findTarget(t.name);
  return ` -j ${ext?.saveName ?? t.name}` + (ext ? ext.save(t) : '');
}

/** Everything after `-A CHAIN`, with a leading space (empty for a rule that matches all and has no target). */
export function canonicalRuleBody(r: Rule): string {
  return canonicalRuleAddresses(r) + canonicalRuleRest(r);
}

/** The first part of canonicalRuleBody: -s -d -i -o. */
export function canonicalRuleAddresses(r: Rule): string {
  return addr('-s', r.src) + addr('-d', r.dst) + iface('-i', r.inIface) + iface('-o', r.outIface);
}

/** The -i -o part of canonicalRuleAddresses. */
export function canonicalRuleInterfaces(r: Rule): string {
  return iface('-i', r.inIface) + iface('-o', r.outIface);
}

/** The rest of canonicalRuleBody: -p, -f, the matches and the target. */
export function canonicalRuleRest(r: Rule): string {
  let s = '';
  if (r.proto && r.proto.num !== 0) s += `${r.proto.invert ? ' !' : ''} -p ${protocolName(r.proto.num)}`;
  if (r.fragment) s += r.fragment.invert ? ' ! -f' : ' -f';
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) s += saveMatch(matches[k]);
  if (r.target) s += saveTarget(r.target);
  return s;
}

function counters(c: Counters | null): string {
  return c ? `[${c.packets}:${c.bytes}]` : '[0:0]';
}

export function canonicalRule(chain: string, r: Rule, opts: CanonicalOptions = {}): string {
  return (opts.counters ? counters(r.counters) + ' ' : '') + `-A ${chain}` + canonicalRuleBody(r);
}

/** Builtin chains in hook order, then user chains sorted by name (as libiptc keeps them). */
export function savedChainOrder(t: Table): Chain[] {
  return savedOrder(t.chains);
}

/**
 * savedChainOrder of any table's chains (a model's, or texts'): builtin ones
 * as they are, then user chains by name in code-unit order (strcmp's for
 * ASCII). The names are sorted by the engine's own compare, without a
 * comparator: 37,000 kube-proxy chains sorted by a JavaScript comparator took
 * ~130 ms, their names ~15 ms.
 */
export function savedOrder<C extends { name: string; builtin: boolean }>(chains: readonly C[]): C[] {
  const out: C[] = [];
  const user = new Map<string, C>();
  for (const c of chains) if (c.builtin) out.push(c);
  for (const c of chains) if (!c.builtin) user.set(c.name, c);
  // names are unique within a table; were they not, the comparator keeps every chain
  if (user.size !== chains.length - out.length) return [...out, ...chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
  const names = [...user.keys()].sort();
  for (const n of names) out.push(user.get(n)!);
  return out;
}

export function canonicalTable(t: Table, opts: CanonicalOptions = {}): string {
  const chains = savedChainOrder(t);
  const parts: string[] = [`*${t.name}`];
  for (const c of chains) {
    parts.push(`:${c.name} ${c.builtin ? (c.policy ?? 'ACCEPT') : '-'} ${opts.counters ? counters(c.counters) : '[0:0]'}`);
  }
  // Each line is a tree of small strings until it is joined; joining every few
  // hundred lines lets those trees die young instead of being copied by every
  // scavenge until the whole table is done (most of the time on 100k rules).
  let lines: string[] = [];
  for (const c of chains) {
    const head = `-A ${c.name}`;
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k];
      lines.push((opts.counters ? counters(r.counters) + ' ' : '') + head + canonicalRuleBody(r));
      if (lines.length === LINES_PER_CHUNK) {
        parts.push(lines.join('\n'));
        lines = [];
      }
    }
  }
  if (lines.length) parts.push(lines.join('\n'));
  parts.push('COMMIT');
  return parts.join('\n') + '\n';
}

const LINES_PER_CHUNK = 256;

/** Tables come out newest-loaded first, as the kernel lists them after a restore into a fresh namespace. */
export function canonicalRuleset(rs: Ruleset, opts: CanonicalOptions = {}): string {
  let out = '';
  for (let k = rs.tables.length - 1; k >= 0; k--) out += canonicalTable(rs.tables[k], opts);
  return out;
}

export { formatIPv4 };
