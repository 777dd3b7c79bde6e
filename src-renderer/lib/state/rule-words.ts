// A rule in plain words for the rule table (Webmin's "protocol is TCP and
// destination port is 22"): protocol, source, destination, interfaces, ports,
// connection state and the rest, read from the options as iptables-save
// prints them (matchOptions), so every extension reads the same way. The
// comment and the target have their own columns; the canonical text is one
// click away in the rule's detail.
import { formatNet, formatNet6, matchOptions, targetOptions, type AddressSpec, type Chain, type Rule, type TableName } from '../../../src-main/core/index.js';

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 112: 'VRRP', 132: 'SCTP', 136: 'UDPLite' };

function addressWords(a: AddressSpec): string {
  if (a.kind === 'host-name') return a.name;
  // a single address reads as itself, a network with its prefix
  if (a.kind === 'net6') return formatNet6(a.addr, a.mask).replace(/\/128$/, '');
  return formatNet(a.addr, a.mask).replace(/\/32$/, '');
}

const not = (inv: boolean | undefined) => (inv ? 'not ' : '');
const ports = (s: string) => s.replace(/:/g, '–').replace(/,/g, ', ');

/** What each match adds, in words; an extension without words here shows as iptables prints it. */
function matchWords(name: string, o: ReturnType<typeof matchOptions>): string[] {
  const a = (k: string) => o.options.get(k);
  const out: string[] = [];
  switch (name) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite': {
      const d = a('dport');
      const s = a('sport');
      if (d) out.push(`${not(d.invert)}to port ${ports(d.args[0])}`);
      if (s) out.push(`${not(s.invert)}from port ${ports(s.args[0])}`);
      const f = a('tcp-flags');
      if (f) out.push(`${not(f.invert)}flags ${f.args[1]} of ${f.args[0]}`);
      if (a('syn')) out.push('SYN (new connection)');
      return out.length || !o.options.size ? out : [o.text];
    }
    case 'multiport': {
      for (const [k, w] of [['dports', 'to ports'], ['sports', 'from ports'], ['ports', 'ports']] as const) {
        const v = a(k);
        if (v) out.push(`${not(v.invert)}${w} ${ports(v.args[0])}`);
      }
      return out;
    }
    case 'state':
    case 'conntrack': {
      const st = a(name === 'state' ? 'state' : 'ctstate');
      if (st) out.push(`${not(st.invert)}${stateWords(st.args[0])}`);
      if (name === 'conntrack' && o.options.size > (st ? 1 : 0)) out.push(o.text.replace(/^-m conntrack\s*/, '').replace(/--ctstate \S+\s*/, '').trim());
      return out.filter(Boolean);
    }
    case 'icmp': {
      const t = a('icmp-type');
      return t ? [`${not(t.invert)}ICMP type ${t.args[0]}`] : [];
    }
    case 'comment':
      return [];
    case 'limit': {
      const l = a('limit');
      const b = a('limit-burst');
      return [`at most ${l?.args[0] ?? '3/hour'}${b ? ` (bursts of ${b.args[0]})` : ''}`];
    }
    case 'mac': {
      const m = a('mac-source');
      return m ? [`${not(m.invert)}from MAC ${m.args[0]}`] : [o.text];
    }
    case 'iprange': {
      const s = a('src-range');
      const d = a('dst-range');
      if (s) out.push(`${not(s.invert)}from ${s.args[0].replace('-', '–')}`);
      if (d) out.push(`${not(d.invert)}to ${d.args[0].replace('-', '–')}`);
      return out;
    }
    case 'set': {
      const s = a('match-set');
      return s ? [`${not(s.invert)}${s.args[1]?.startsWith('src') ? 'source' : 'destination'} in set ${s.args[0]}`] : [o.text];
    }
    default:
      return [o.text];
  }
}

function stateWords(s: string): string {
  const set = new Set(s.split(','));
  if (set.size === 2 && set.has('RELATED') && set.has('ESTABLISHED')) return 'replies and related (established connections)';
  if (set.size === 1 && set.has('NEW')) return 'new connections';
  if (set.size === 1 && set.has('INVALID')) return 'invalid packets';
  return `connection state ${[...set].map((x) => x.toLowerCase()).join(', ')}`;
}

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
      parts.push(...matchWords(m.name, matchOptions(m)));
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

/** The action: a word, a glyph (never colour alone) and what the target's options say. */
export function actionOf(rule: Rule): { word: string; glyph: string; detail: string } {
  const t = rule.target;
  if (!t) return { word: 'count', glyph: '∑', detail: 'no target: the rule only counts packets' };
  let detail = '';
  try {
    const o = targetOptions(rule);
    detail = o ? o.text.replace(/^-[jg] \S+\s*/, '') : '';
  } catch {
    detail = '';
  }
  if (t.chain) return { word: t.kind === 'goto' ? `go to ${t.name}` : `→ ${t.name}`, glyph: t.kind === 'goto' ? '⇥' : '→', detail };
  const glyphs: Record<string, string> = { ACCEPT: '✓', DROP: '✕', REJECT: '⊘', LOG: '✎', NFLOG: '✎', RETURN: '↩', DNAT: '↪', SNAT: '↪', MASQUERADE: '↪', REDIRECT: '↪', MARK: '◆', CONNMARK: '◆', QUEUE: '⇢', NFQUEUE: '⇢' };
  return { word: t.name, glyph: glyphs[t.name] ?? '•', detail };
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
