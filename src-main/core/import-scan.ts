// The importer's word scan (import.ts): one iptables command's words walked as
// iptables' getopt would, before the rule parser sees them, so that every
// lost value, unknown option and obsolete match on the line is found — not
// only the first one the parser would stop at — and the words to leave out to
// look further are known. Also the advice texts those findings carry.
import type { Family } from './model.js';
import type { FindingCode, Severity } from './findings.js';
import { closest, GENERIC_LONG_OPTIONS, GENERIC_SHORT_OPTIONS } from './rule-parser.js';
import { findMatch, findTarget, knownMatches, knownTargets } from './extensions/registry.js';
import { parseProtocol, protocolMatchName } from './values.js';
import type { OptionSpec } from './extensions/types.js';

/** One word of an iptables command, where it is in the script, and what became of it. */
export interface Tok {
  text: string;
  line: number;
  col: number;
  /** its value is a stand-in for something unknown (an undefined variable) */
  placeholder?: boolean;
}

/** A finding on word `tok` of the command (placed on the script when it is emitted). */
export interface LineFinding {
  tok: number;
  code: FindingCode;
  severity: Severity;
  message: string;
  fix?: string;
}

/** What the scan learned about one command. */
export interface WordScan {
  findings: LineFinding[];
  /** words to leave out before parsing (their problem is already said) */
  remove: Set<number>;
  /** words whose parser errors would only repeat a finding already made */
  flagged: Set<number>;
  /** `-m`/`-j` words of extensions that lost a value (their "must be specified" follows from it) */
  damagedExt: Set<number>;
  /** the command letter (A, I, D, …, h for help) and its word */
  cmd: string | null;
  cmdTok: number;
  /** the word naming the command's chain */
  chainTok: number;
  target: string | null;
  targetTok: number;
  /** what a command that does not change the ruleset does (`lists the rules`) */
  listing: string | null;
  /** the chain is a stand-in for an unknown variable */
  placeholderChain: boolean;
}

/** matches iptables no longer has, with the options they took (to skip them) and their replacement */
const OBSOLETE_MATCHES: Record<string, { options: string[]; replacement: string }> = {
  nth: { options: ['counter', 'every', 'packet', 'start'], replacement: 'statistic --mode nth' },
  random: { options: ['average'], replacement: 'statistic --mode random --probability P' },
};

/**
 * Arity of options of extensions a script may use that Portcullis does not
 * model (it keeps their words as given): enough to tell a lost value.
 */
const FALLBACK_ARITY: Record<string, number> = {
  'to-destination': 1, 'to-source': 1, to: 1, 'to-ports': 1, 'log-prefix': 1, 'log-level': 1, limit: 1, 'limit-burst': 1,
  state: 1, ctstate: 1, dport: 1, sport: 1, dports: 1, sports: 1, comment: 1, 'set-mark': 1, mark: 1, every: 1, packet: 1,
  mode: 1, probability: 1, 'reject-with': 1, 'icmp-type': 1, 'uid-owner': 1, 'gid-owner': 1, name: 1, seconds: 1, hitcount: 1,
  'match-set': 2, 'connlimit-above': 1, 'connlimit-mask': 1, 'src-range': 1, 'dst-range': 1, 'mac-source': 1, 'tcp-flags': 2,
};

type OptionArity = { arity: number; name: string };
/** A loaded match or target: the options it takes (arity -1: an optional value). */
type Ext = { name: string; tok: number; specs: Map<string, OptionArity>; obsolete?: true; values: Record<string, string> };
type Resolved = { kind: 'generic'; hasArg: number; name: string } | { kind: 'ext'; ext: Ext; arity: number; name: string };

const COMMAND_LETTER: Record<string, string> = {
  append: 'A', insert: 'I', delete: 'D', replace: 'R', check: 'C', 'new-chain': 'N', policy: 'P', 'rename-chain': 'E',
  flush: 'F', zero: 'Z', list: 'L', 'list-rules': 'S', 'delete-chain': 'X',
};

/**
 * Walk the words as iptables' getopt would, knowing which options take a
 * value, and note every option whose value is missing (the line ends, or
 * another option follows), unknown options and obsolete matches.
 */
export function scanWords(toks: Tok[], family: Family): WordScan {
  return new WordScanner(toks, family).scan();
}

class WordScanner implements WordScan {
  readonly findings: LineFinding[] = [];
  readonly remove = new Set<number>();
  readonly flagged = new Set<number>();
  readonly damagedExt = new Set<number>();
  cmd: string | null = null;
  cmdTok = -1;
  chainTok = -1;
  target: string | null = null;
  targetTok = -1;
  listing: string | null = null;
  placeholderChain = false;
  private protoName: string | null = null;
  /** an extension we do not model is loaded: its options are unknown to us */
  private blind = false;
  private readonly exts: Ext[] = [];

  constructor(
    private readonly toks: Tok[],
    private readonly family: Family,
  ) {}

  scan(): WordScan {
    let k = 0;
    while (k < this.toks.length) k = this.word(k);
    this.obsoleteMatches();
    const { findings, remove, flagged, damagedExt, cmd, cmdTok, chainTok, target, targetTok, listing, placeholderChain } = this;
    return { findings, remove, flagged, damagedExt, cmd, cmdTok, chainTok, target, targetTok, listing, placeholderChain };
  }

  /** Read word k (and its values); returns the index of the next word to read. */
  private word(k: number): number {
    const w = this.toks[k].text;
    if (w === '!') return k + 1;
    if (w.startsWith('--') && w.length > 2) return this.longOption(k, w);
    if (w.length >= 2 && w[0] === '-' && !/^-\d/.test(w)) return this.shortOption(k, w);
    return k + 1; // a stray word: the parser says "Bad argument"
  }

  private longOption(k: number, w: string): number {
    const toks = this.toks;
    const eq = w.indexOf('=');
    const name = eq >= 0 ? w.slice(2, eq) : w.slice(2);
    const inline = eq >= 0 ? w.slice(eq + 1) : undefined;
    const r = this.resolve(name);
    if (!r) return this.blind ? k + 1 : this.unknownLongOption(k, w, name);
    if (r.kind === 'generic') {
      const argc = r.hasArg === 1 && inline === undefined ? 1 : 0;
      if (argc && !this.values(k, 1, valueName(r.name), null)) return k + 1;
      this.generic(r.name, k, inline ?? (argc ? toks[k + 1].text : undefined));
      return k + 1 + argc;
    }
    // an extension's option
    let argc = r.arity < 0 ? (k + 1 < toks.length && !isOptionWord(toks[k + 1].text) ? 1 : 0) : r.arity;
    if (inline !== undefined && argc > 0) argc--;
    if (argc > 0 && !this.values(k, argc, valueName(r.name), r.ext)) return k + 1;
    if (r.ext.obsolete) {
      this.remove.add(k);
      for (let v = 1; v <= argc; v++) this.remove.add(k + v);
      r.ext.values[r.name] = inline ?? toks[k + argc]?.text ?? '';
    }
    return k + 1 + argc;
  }

  private unknownLongOption(k: number, w: string, name: string): number {
    const toks = this.toks;
    const pool = [...GENERIC_LONG_OPTIONS.map((o) => o.name), ...this.exts.flatMap((e) => [...e.specs.keys()])];
    const implicit = this.protoName ? findMatch(protoMatchOf(this.protoName, this.family), this.family) : undefined;
    if (implicit) for (const o of implicit.options) pool.push(o.name, ...(o.aliases ?? []));
    const guess = closest(name, pool, 2);
    this.findings.push({ tok: k, code: 'unknown-option', severity: 'error', message: `unknown option "${w}"`,
      fix: guess ? `did you mean --${guess}?` : !this.protoName && /port/.test(name) ? 'ports need a protocol first: -p tcp or -p udp' : undefined });
    this.remove.add(k);
    this.flagged.add(k);
    if (k + 1 < toks.length && !isOptionWord(toks[k + 1].text)) {
      this.remove.add(k + 1);
      this.flagged.add(k + 1);
      return k + 2;
    }
    return k + 1;
  }

  private shortOption(k: number, w: string): number {
    const c = w[1];
    const has = GENERIC_SHORT_OPTIONS[c];
    if (has === undefined) {
      if (!this.blind) {
        this.findings.push({ tok: k, code: 'unknown-option', severity: 'error', message: `unknown option "-${c}"` });
        this.remove.add(k);
        this.flagged.add(k);
      }
      return k + 1;
    }
    const longName = LONG_BY_SHORT.get(c) ?? c;
    if (has === 1 && w.length === 2) {
      if (!this.values(k, 1, valueName(longName), null)) return k + 1;
      this.generic(longName, k, this.toks[k + 1].text);
      return k + 2;
    }
    if (has === 1) {
      this.generic(longName, k, w.slice(2));
      return k + 1;
    }
    // flags, possibly bundled (-nvL): the letters that are commands count
    for (const letter of w.slice(1)) {
      const ln = LONG_BY_SHORT.get(letter);
      if (ln && 'LSZFXhV'.includes(letter)) this.generic(ln, k, undefined);
    }
    return k + 1;
  }

  /** The option `--name` means here: generic, or of a loaded extension (getopt_long's unique prefixes included). */
  private resolve(name: string): Resolved | null {
    const exts = this.exts;
    const g = GENERIC_BY_LONG.get(name);
    if (g) return { kind: 'generic', hasArg: g.hasArg, name: g.name };
    for (let e = exts.length - 1; e >= 0; e--) {
      const s = exts[e].specs.get(name);
      if (s) return { kind: 'ext', ext: exts[e], arity: s.arity, name: s.name };
    }
    // unique prefix, as getopt_long
    const cands: Resolved[] = [];
    for (const o of GENERIC_LONG_OPTIONS) if (o.name.startsWith(name)) cands.push({ kind: 'generic', hasArg: o.hasArg, name: o.name });
    for (let e = exts.length - 1; e >= 0; e--)
      for (const [n, s] of exts[e].specs) if (n.startsWith(name)) cands.push({ kind: 'ext', ext: exts[e], arity: s.arity, name: s.name });
    const distinct = new Set(cands.map((c) => (c.kind === 'generic' ? 'g:' : `e:${c.ext.tok}:`) + c.name));
    if (distinct.size === 1) return cands[0];
    const implicit = this.implicitProtocolOption(name);
    if (implicit) return implicit;
    const fb = FALLBACK_ARITY[name];
    if (fb !== undefined && this.blind) return { kind: 'ext', ext: exts[exts.length - 1] ?? { name: '?', tok: -1, specs: new Map(), values: {} }, arity: fb, name };
    return null;
  }

  /** the protocol's own match loads by itself when its option appears (-p tcp --dport) */
  private implicitProtocolOption(name: string): Resolved | null {
    const protoName = this.protoName;
    if (!protoName || this.exts.some((e) => e.name === protoName)) return null;
    const pm = findMatch(protoMatchOf(protoName, this.family), this.family);
    if (!pm) return null;
    const ext: Ext = { name: protoName, tok: -1, specs: specsOf(pm.options), values: {} };
    const s = ext.specs.get(name) ?? [...ext.specs.entries()].find(([n]) => n.startsWith(name))?.[1];
    if (!s) return null;
    this.exts.push(ext);
    return { kind: 'ext', ext, arity: s.arity, name: s.name };
  }

  private loadExt(name: string, tok: number, kind: 'match' | 'target'): void {
    const family = this.family;
    const ext = kind === 'match' ? findMatch(name, family) : findTarget(name, family);
    if (ext) this.exts.push({ name, tok, specs: specsOf(ext.options), values: {} });
    else if (kind === 'match' && OBSOLETE_MATCHES[name]) {
      this.exts.push({ name, tok, specs: new Map(OBSOLETE_MATCHES[name].options.map((o) => [o, { arity: 1, name: o }])), obsolete: true, values: {} });
    } else if (kind === 'match' ? knownMatches(family).has(name) : knownTargets(family).has(name)) {
      this.exts.push({ name, tok, specs: fallbackSpecs(), values: {} });
      this.blind = true;
    } else if (kind === 'match') this.blind = true; // the parser reports the unknown match
  }

  private missing(k: number, what: string, ext: Ext | null): void {
    const toks = this.toks;
    const next = toks[k + 1];
    const message = next
      ? `${toks[k].text} needs ${what}, but ${next.text} follows: the value is missing (lost when the command was copied?)`
      : `${toks[k].text} needs ${what}, and the line ends: the value is missing`;
    this.findings.push({ tok: k, code: 'missing-argument', severity: 'error', message, fix: `write ${toks[k].text} ${exampleValue(toks[k].text)}` });
    this.remove.add(k);
    this.flagged.add(k);
    if (ext && ext.tok >= 0) this.damagedExt.add(ext.tok);
  }

  /** consume `count` values after toks[k]; false when one is missing */
  private values(k: number, count: number, what: string, ext: Ext | null): boolean {
    for (let v = 1; v <= count; v++) {
      const t = this.toks[k + v];
      if (!t || (isOptionWord(t.text) && !t.placeholder)) {
        this.missing(k, what, ext);
        return false;
      }
    }
    return true;
  }

  /** A generic option (or a command letter of a bundle) at word k, with its value. */
  private generic(name: string, k: number, value: string | undefined): void {
    switch (name) {
      case 'append': case 'insert': case 'delete': case 'replace': case 'check': case 'new-chain': case 'policy':
      case 'rename-chain': case 'flush': case 'zero': case 'list': case 'list-rules': case 'delete-chain':
        if (this.cmd === null) this.command(name, k, value);
        break;
      case 'help': case 'version':
        if (this.cmd === null) {
          this.cmd = 'h';
          this.cmdTok = k;
          this.listing = 'prints information';
        }
        break;
      case 'match':
        if (value !== undefined) this.loadExt(value, k, 'match');
        break;
      case 'jump':
        if (value !== undefined) {
          this.target = value;
          this.targetTok = k;
          this.loadExt(value, k, 'target');
        }
        break;
      case 'goto':
        if (value !== undefined) {
          this.target = value;
          this.targetTok = k;
        }
        break;
      case 'protocol':
        if (value !== undefined) this.protoName = value.toLowerCase();
        break;
      default:
        break;
    }
  }

  /** The command (-A, -I, -N, …) at word k; the first one counts. */
  private command(name: string, k: number, value: string | undefined): void {
    this.cmd = COMMAND_LETTER[name];
    this.cmdTok = k;
    if (value !== undefined) {
      const valueTok = this.toks[k + 1]?.text === value ? k + 1 : k;
      this.chainTok = valueTok;
      this.placeholderChain = Boolean(this.toks[valueTok]?.placeholder);
    }
    if (name === 'list' || name === 'list-rules') this.listing = 'lists the rules';
    if (name === 'zero') this.listing = 'zeroes the counters';
    if (name === 'check') this.listing = 'checks whether a rule exists';
  }

  /** obsolete matches: one finding with the replacement, the match and its options removed */
  private obsoleteMatches(): void {
    for (const e of this.exts) {
      if (!e.obsolete) continue;
      this.remove.add(e.tok);
      this.remove.add(e.tok + 1);
      this.flagged.add(e.tok);
      this.findings.push({ tok: e.tok, code: 'obsolete-match', severity: 'error', ...obsoleteAdvice(e.name, e.values) });
    }
  }
}

function specsOf(list: readonly OptionSpec[]): Map<string, OptionArity> {
  const m = new Map<string, OptionArity>();
  for (const o of list) for (const n of [o.name, ...(o.aliases ?? [])]) m.set(n, { arity: o.arg === 'required' ? 1 + (o.extraArgs ?? 0) : o.arg === 'optional' ? -1 : 0, name: o.name });
  return m;
}

function fallbackSpecs(): Map<string, OptionArity> {
  const m = new Map<string, OptionArity>();
  for (const [n, a] of Object.entries(FALLBACK_ARITY)) m.set(n, { arity: a, name: n });
  return m;
}

/** The match `-p NAME` loads by itself (`-p 58` and `-p icmpv6` load icmp6 in ip6tables). */
function protoMatchOf(protoName: string, family: Family): string {
  try {
    return protocolMatchName(parseProtocol(protoName), family) ?? protoName;
  } catch {
    return protoName;
  }
}

/** The words to take out after the parser stopped at word `w` of `live`, to look further. */
export function spanToDrop(toks: Tok[], live: number[], w: number): Set<number> {
  const drop = new Set<number>();
  if (w < 0 || w >= live.length) return drop;
  const at = live[w];
  const text = toks[at].text;
  if (isOptionWord(text)) {
    drop.add(at);
    const isModule = text === '-m' || text === '-j' || (text.startsWith('--') && ('match'.startsWith(text.slice(2)) || 'jump'.startsWith(text.slice(2))) && text.length > 3);
    // the option's values; for a bad module, everything up to the next generic option
    for (let k = w + 1; k < live.length; k++) {
      const t = toks[live[k]].text;
      if (isModule ? isGenericOption(t) : isOptionWord(t)) break;
      drop.add(live[k]);
    }
  } else {
    drop.add(at);
    if (w > 0 && isOptionWord(toks[live[w - 1]].text)) drop.add(live[w - 1]);
  }
  return drop;
}

export function isOptionWord(t: string): boolean {
  return t.length >= 2 && t[0] === '-' && !/^-\d/.test(t);
}

function isGenericOption(t: string): boolean {
  if (t.startsWith('--')) {
    const name = t.slice(2).split('=')[0];
    return GENERIC_BY_LONG.has(name);
  }
  return t.length >= 2 && t[0] === '-' && GENERIC_SHORT_OPTIONS[t[1]] !== undefined && !/^-\d/.test(t);
}

const SHORT_OF: Record<string, string> = {
  'new-chain': 'N', 'delete-chain': 'X', 'rename-chain': 'E', 'list-rules': 'S', 'line-numbers': '0', 'set-counters': 'c',
  'wait-interval': 'W', 'in-interface': 'i', 'out-interface': 'o', fragments: 'f', exact: 'x', list: 'L', flush: 'F', zero: 'Z',
  policy: 'P', append: 'A', insert: 'I', delete: 'D', replace: 'R', check: 'C', version: 'V', ipv4: '4', ipv6: '6', modprobe: 'M',
  src: 's', dst: 'd', source: 's', destination: 'd',
};
/** the short letter getopt gives a generic long option (source → s) */
function shortOf(name: string): string {
  return SHORT_OF[name] ?? name[0];
}
const GENERIC_BY_LONG = new Map(GENERIC_LONG_OPTIONS.map((o) => [o.name, o]));
/** short letter → the long name of the same generic option (the first one, as in iptables' table) */
const LONG_BY_SHORT = new Map<string, string>();
for (const o of GENERIC_LONG_OPTIONS) if (!LONG_BY_SHORT.has(shortOf(o.name))) LONG_BY_SHORT.set(shortOf(o.name), o.name);

function valueName(option: string): string {
  if (/^(source|destination|src|dst|s|d)$/.test(option)) return 'an address';
  if (/^(to-destination|to-source|to)$/.test(option)) return 'an address (and port) to translate to';
  if (/port/.test(option)) return 'a port';
  if (/interface|^[io]$/.test(option)) return 'an interface name';
  if (/^(append|insert|delete|replace|check|new-chain|policy|rename-chain|jump|goto)$/.test(option)) return 'a chain or target name';
  if (option === 'protocol') return 'a protocol';
  if (option === 'match') return 'a match name';
  return 'a value';
}

function exampleValue(opt: string): string {
  const o = opt.replace(/^-+/, '');
  if (/^(s|d|src|dst)$/.test(o) || (o.length >= 2 && ('source'.startsWith(o) || 'destination'.startsWith(o)))) return '192.0.2.10';
  if (o.length >= 4 && 'to-destination'.startsWith(o)) return '192.0.2.10[:PORT]';
  if (o === 'to' || o === 'to-source') return '192.0.2.10';
  if (/port/.test(o)) return '22';
  if (/^(i|o)$/.test(o) || /interface/.test(o)) return 'eth0';
  if (o === 'p' || o === 'protocol') return 'tcp';
  if (/^(j|jump)$/.test(o)) return 'ACCEPT';
  if (/^(A|append|I|insert|N|new-chain)$/.test(o)) return 'INPUT';
  return 'VALUE';
}

function obsoleteAdvice(name: string, values: Record<string, string>): { message: string; fix: string } {
  if (name === 'random') {
    const avg = Number(values.average ?? '50');
    const p = Number.isFinite(avg) ? Math.min(1, Math.max(0, avg / 100)) : 0.5;
    return { message: '-m random was removed from iptables; -m statistic --mode random replaces it',
      fix: `-m statistic --mode random --probability ${p}` };
  }
  const every = Number(values.every);
  const packet = Number(values.packet ?? '0');
  const message = "-m nth was removed from iptables (CentOS 7 has no such match); its replacement, -m statistic --mode nth, keeps one counter per rule, so giving every rule the same --every does not split traffic evenly";
  if (!Number.isInteger(every) || every < 1 || !Number.isInteger(packet) || packet < 0 || packet >= every)
    return { message, fix: 'use -m statistic --mode nth in a cascade: for N equal shares, rule k (from 0) gets --every N-k --packet 0 and the last rule no match at all' };
  const cascade = Array.from({ length: every }, (_, k) => (k < every - 1 ? `--every ${every - k} --packet 0` : 'no match')).join(', then ');
  const mine = packet < every - 1 ? `-m statistic --mode nth --every ${every - packet} --packet 0` : 'no statistic match at all (it takes what the earlier rules leave)';
  return { message, fix: `for ${every} equal shares use the cascade ${cascade}; this rule (--packet ${packet}) becomes ${mine}` };
}
