// A rule in plain words for the rule table (Webmin's "protocol is TCP and
// destination port is 22"): protocol, source, destination, interfaces, then
// each match in its extension's words (core's matchWords: an extension without
// words shows as iptables-save prints it). The comment and the target have
// their own columns; the canonical text is one click away in the rule's detail.
import { formatNet, formatNet6, matchWords, targetAction, targetDetail, type AddressSpec, type Chain, type Rule, type TableName, type TargetAction } from '../../../src-main/core/index.js';

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 112: 'VRRP', 132: 'SCTP', 136: 'UDPLite' };

function addressWords(a: AddressSpec): string {
  if (a.kind === 'host-name') return a.name;
  // a single address reads as itself, a network with its prefix
  if (a.kind === 'net6') return formatNet6(a.addr, a.mask).replace(/\/128$/, '');
  return formatNet(a.addr, a.mask).replace(/\/32$/, '');
}

const not = (inv: boolean | undefined) => (inv ? 'not ' : '');

/** The rule's conditions in words ("TCP from 10.0.0.0/8 to port 22, new connections"); "every packet" when it has none. */
export function ruleWords(rule: Rule): string {
  const parts: string[] = [];
  if (rule.proto && rule.proto.num !== 0) parts.push(`${not(rule.proto.invert)}${PROTOCOLS[rule.proto.num] ?? `protocol ${rule.proto.num}`}`);
  if (rule.src) parts.push(`${rule.src.invert ? 'not from' : 'from'} ${addressWords(rule.src)}`);
  if (rule.dst) parts.push(`${rule.dst.invert ? 'not to' : 'to'} ${addressWords(rule.dst)}`);
  if (rule.inIface && rule.inIface.name !== '+') parts.push(`${rule.inIface.invert ? 'not in on' : 'in on'} ${rule.inIface.name}`);
  if (rule.outIface && rule.outIface.name !== '+') parts.push(`${rule.outIface.invert ? 'not out on' : 'out on'} ${rule.outIface.name}`);
  if (rule.fragment) parts.push(rule.fragment.invert ? 'first fragments' : 'later fragments');
  for (const m of rule.matches) {
    try {
      parts.push(...matchWords(m));
    } catch {
      parts.push(`-m ${m.name}`);
    }
  }
  return parts.length ? parts.join(' · ') : 'every packet';
}

/** The comment(s) of the rule (-m comment), for its own column. */
export function ruleComment(rule: Rule): string {
  const out: string[] = [];
  for (const m of rule.matches) if (m.name === 'comment') for (const o of m.options) if (typeof o.value === 'string') out.push(o.value);
  return out.join(' · ');
}

/** The action's glyph by what the target does (never colour alone); • for the rest. */
function glyphOf(a: TargetAction): string {
  switch (a.kind) {
    case 'accept': return '✓';
    case 'drop': return '✕';
    case 'reject': return '⊘';
    case 'return': return '↩';
    case 'dnat': case 'snat': return '↪';
    case 'mark': return '◆';
    case 'queue': return '⇢';
    case 'continue': return a.log ? '✎' : '•';
    default: return '•';
  }
}

/** The action: a word, a glyph (never colour alone) and what the target's options say. */
export function actionOf(rule: Rule): { word: string; glyph: string; detail: string } {
  const t = rule.target;
  if (!t) return { word: 'count', glyph: '∑', detail: 'no target: the rule only counts packets' };
  let detail = '';
  try {
    detail = targetDetail(t);
  } catch {
    detail = '';
  }
  if (t.chain) return { word: t.kind === 'goto' ? `go to ${t.name}` : `→ ${t.name}`, glyph: t.kind === 'goto' ? '⇥' : '→', detail };
  return { word: t.name, glyph: glyphOf(targetAction(rule)), detail };
}

/** What a builtin chain is for, as its title says it. */
export function chainMeaning(table: TableName, chain: Chain): string {
  if (!chain.builtin) return 'user chain: runs when a rule jumps here';
  const what: Record<string, string> = {
    INPUT: 'packets addressed to this host',
    FORWARD: 'packets routed through this host',
    OUTPUT: 'packets this host sends',
    PREROUTING: 'packets as they arrive, before routing',
    POSTROUTING: 'packets as they leave, after routing',
  };
  const tableWhat: Partial<Record<TableName, string>> = { nat: ' (address translation, first packet of each connection)', mangle: ' (marks and header changes)', raw: ' (before connection tracking)' };
  return `${what[chain.name] ?? ''}${tableWhat[table] ?? ''}`;
}

/** What an empty chain means ("No rules in INPUT. Policy DROP: every incoming connection is dropped."). */
export function emptyChainWords(table: TableName, chain: Chain): string {
  if (!chain.builtin) return `No rules in ${chain.name}: packets that jump here return to the chain they came from.`;
  const who: Record<string, string> = {
    INPUT: 'every incoming connection',
    FORWARD: 'every routed packet',
    OUTPUT: 'everything this host sends',
    PREROUTING: 'every arriving packet',
    POSTROUTING: 'every leaving packet',
  };
  const fate = chain.policy === 'DROP' ? 'is dropped' : 'is let through';
  return `No rules in ${chain.name}. Policy ${chain.policy}: ${who[chain.name] ?? 'every packet'} ${fate}${table === 'filter' || chain.policy === 'DROP' ? '' : ' unchanged'}.`;
}

/** The policy row: "Default: DROP" and what it does. */
export function policyWords(chain: Chain): string {
  return chain.policy === 'DROP' ? 'Packets no rule above decided are dropped.' : 'Packets no rule above decided are let through.';
}

/** 1234567 → "1.2 M", for the packets/bytes column */
export function shortCount(n: bigint, unit = ''): string {
  const v = Number(n);
  if (v < 1000) return `${v}${unit ? ' ' + unit : ''}`;
  const steps = unit === 'B' ? ['kB', 'MB', 'GB', 'TB'] : ['k', 'M', 'G', 'T'];
  let x = v;
  let k = -1;
  while (x >= 1000 && k < steps.length - 1) {
    x /= 1000;
    k++;
  }
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ${steps[k]}`;
}
