// One command line of a ruleset file (`-A INPUT -p tcp --dport 22 -j ACCEPT`),
// parsed with iptables' own rules: getopt_long over the generic options plus the
// options of every extension loaded so far (newest first), unique-prefix
// abbreviations, `!` before the option it negates, the protocol match loaded
// implicitly when an option nothing else knows appears after `-p`.
import { clipTokens } from './clip.js';
import type { AddressSpec, Counters, InterfaceSpec, Match, OptionValue, ProtocolSpec, Rule, TableName, Target } from './model.js';
import type { Word } from './tokenize.js';
import { findMatch, findTarget, KNOWN_TARGETS, knownMatches, knownTargets } from './extensions/registry.js';
import type { Extension, OptionSpec, ParseContext } from './extensions/types.js';
import { collectOptions } from './extensions/util.js';
import { ValueError, lowerCase, parseAddressItem, parseAddressItem6, parseProtocol, parseUInt, protocolMatchName, protocolName } from './values.js';
import type { FindingCode } from './findings.js';
import { LineTemplates, type ValueWords } from './line-templates.js';
import { ownCopy } from './ruleset-texts.js';

export type Command =
  | { kind: 'append'; chain: string; rules: Rule[] }
  | { kind: 'insert'; chain: string; num: number; rules: Rule[] }
  | { kind: 'delete'; chain: string; num: number | null; rules: Rule[] }
  | { kind: 'replace'; chain: string; num: number; rules: Rule[] }
  | { kind: 'check'; chain: string; rules: Rule[] }
  | { kind: 'new-chain'; chain: string }
  | { kind: 'delete-chain'; chain: string | null }
  | { kind: 'flush'; chain: string | null }
  | { kind: 'zero'; chain: string | null }
  | { kind: 'policy'; chain: string; policy: string }
  | { kind: 'rename-chain'; chain: string; to: string }
  /** a line marked -6 in an IPv4 file (or -4 in IPv6): iptables-restore ignores it */
  | { kind: 'skip'; reason: string };

/** A problem found while parsing a line; `word` is the index of the word to point at. */
export class RuleError extends Error {
  override name = 'RuleError';
  constructor(
    message: string,
    readonly code: FindingCode,
    readonly word: number,
    readonly fix?: string,
  ) {
    // the word quoted in the message may be megabytes long
    super(clipTokens(message));
  }
}

interface LineNote {
  code: FindingCode;
  severity: 'warning' | 'info';
  message: string;
  word: number;
  fix?: string;
}

interface ParsedCommand {
  command: Command;
  notes: LineNote[];
}

export interface CommandEnv {
  table: TableName;
  /** does the chain exist in the table right now (jump targets must) */
  isChain(name: string): boolean;
  family?: 'ipv4' | 'ipv6';
}

/** Thrown inside the option loop to stop at a -4/-6 that rules the line out. */
class SkipLine {
  constructor(readonly reason: string) {}
}

// --- generic options (iptables' original_opts) ---------------------------------

type Generic =
  | 'A' | 'C' | 'D' | 'I' | 'R' | 'L' | 'S' | 'F' | 'Z' | 'N' | 'X' | 'E' | 'P'
  | 's' | 'd' | 'p' | 'i' | 'o' | 'j' | 'g' | 'm' | 't' | 'f' | 'c'
  | 'n' | 'v' | 'x' | 'w' | 'W' | 'V' | 'h' | '0' | 'M' | '4' | '6';

interface GenericOpt {
  name: string;
  val: Generic;
  /** 0 none, 1 required, 2 optional */
  hasArg: 0 | 1 | 2;
}

const GENERIC_LONG: GenericOpt[] = [
  { name: 'append', val: 'A', hasArg: 1 },
  { name: 'delete', val: 'D', hasArg: 1 },
  { name: 'check', val: 'C', hasArg: 1 },
  { name: 'insert', val: 'I', hasArg: 1 },
  { name: 'replace', val: 'R', hasArg: 1 },
  { name: 'list', val: 'L', hasArg: 2 },
  { name: 'list-rules', val: 'S', hasArg: 2 },
  { name: 'flush', val: 'F', hasArg: 2 },
  { name: 'zero', val: 'Z', hasArg: 2 },
  { name: 'new-chain', val: 'N', hasArg: 1 },
  { name: 'delete-chain', val: 'X', hasArg: 2 },
  { name: 'rename-chain', val: 'E', hasArg: 1 },
  { name: 'policy', val: 'P', hasArg: 1 },
  { name: 'source', val: 's', hasArg: 1 },
  { name: 'destination', val: 'd', hasArg: 1 },
  { name: 'src', val: 's', hasArg: 1 },
  { name: 'dst', val: 'd', hasArg: 1 },
  { name: 'protocol', val: 'p', hasArg: 1 },
  { name: 'in-interface', val: 'i', hasArg: 1 },
  { name: 'jump', val: 'j', hasArg: 1 },
  { name: 'table', val: 't', hasArg: 1 },
  { name: 'match', val: 'm', hasArg: 1 },
  { name: 'numeric', val: 'n', hasArg: 0 },
  { name: 'out-interface', val: 'o', hasArg: 1 },
  { name: 'verbose', val: 'v', hasArg: 0 },
  { name: 'wait', val: 'w', hasArg: 2 },
  { name: 'wait-interval', val: 'W', hasArg: 2 },
  { name: 'exact', val: 'x', hasArg: 0 },
  { name: 'fragments', val: 'f', hasArg: 0 },
  { name: 'version', val: 'V', hasArg: 0 },
  { name: 'help', val: 'h', hasArg: 2 },
  { name: 'line-numbers', val: '0', hasArg: 0 },
  { name: 'modprobe', val: 'M', hasArg: 1 },
  { name: 'set-counters', val: 'c', hasArg: 1 },
  { name: 'goto', val: 'g', hasArg: 1 },
  { name: 'ipv4', val: '4', hasArg: 0 },
  { name: 'ipv6', val: '6', hasArg: 0 },
];
const GENERIC_BY_NAME = new Map(GENERIC_LONG.map((o) => [o.name, o]));
/** The generic options' names and arities, for tools that scan command words themselves (the importer). */
export const GENERIC_LONG_OPTIONS: readonly { name: string; hasArg: 0 | 1 | 2 }[] = GENERIC_LONG;

// getopt optstring "-:A:C:D:R:I:L::S::M:F::Z::N:X::E:P:Vh::o:p:s:d:j:i:fbvw::W::nt:m:xc:g:46"
const SHORT_ARG: Record<string, 0 | 1 | 2> = {
  A: 1, C: 1, D: 1, R: 1, I: 1, L: 2, S: 2, M: 1, F: 2, Z: 2, N: 1, X: 2, E: 1, P: 1, V: 0, h: 2,
  o: 1, p: 1, s: 1, d: 1, j: 1, i: 1, f: 0, b: 0, v: 0, w: 2, W: 2, n: 0, t: 1, m: 1, x: 0, c: 1, g: 1, '4': 0, '6': 0,
};
export const GENERIC_SHORT_OPTIONS: Readonly<Record<string, 0 | 1 | 2>> = SHORT_ARG;

const COMMAND_NAMES: Partial<Record<Generic, string>> = {
  A: 'append', C: 'check', D: 'delete', I: 'insert', R: 'replace', L: 'list', S: 'list-rules', F: 'flush', Z: 'zero',
  N: 'new-chain', X: 'delete-chain', E: 'rename-chain', P: 'policy',
};

const INVERTIBLE: ReadonlySet<Generic> = new Set(['s', 'd', 'p', 'i', 'o', 'f']);

// --- extension instances ---------------------------------------------------------

interface Instance {
  ext: Extension | null;
  /** -m / -j name as given */
  name: string;
  options: OptionValue[];
  /** word index of -m / -j, for errors found at the end */
  word: number;
  implicit: boolean;
  /** tokens of an extension we keep but do not model */
  unknownTokens: string[] | null;
  byName: Map<string, OptionSpec>;
  names: string[];
}

const specIndex = new WeakMap<Extension, { byName: Map<string, OptionSpec>; names: string[] }>();
function indexOf(ext: Extension) {
  let ix = specIndex.get(ext);
  if (!ix) {
    const byName = new Map<string, OptionSpec>();
    for (const o of ext.options) for (const n of [o.name, ...(o.aliases ?? [])]) byName.set(n, o);
    ix = { byName, names: [...byName.keys()] };
    specIndex.set(ext, ix);
  }
  return ix;
}

const NO_SPECS: { byName: Map<string, OptionSpec>; names: string[] } = { byName: new Map(), names: [] };

function newInstance(ext: Extension | null, name: string, word: number, implicit: boolean): Instance {
  // fields named, not spread from the index: a spread copy is a slower object of its own shape, one per -m of every line
  const ix = ext ? indexOf(ext) : NO_SPECS;
  // options: exactly as many as given (see withOption), none yet
  return { ext, name, options: NO_OPTIONS, word, implicit, unknownTokens: ext ? null : [], byName: ix.byName, names: ix.names };
}

type Resolved =
  | { kind: 'generic'; opt: GenericOpt }
  | { kind: 'ext'; inst: Instance; spec: OptionSpec }
  | { kind: 'ambiguous'; names: string[] }
  | { kind: 'unknown' };

// what resolveLong finds by a whole name, without an object per option of every line:
// one result per generic option, and one for extensions' options that the caller reads at once
const GENERIC_RESOLVED = new Map<GenericOpt, Resolved>(GENERIC_LONG.map((o) => [o, { kind: 'generic', opt: o }]));
const EXT_RESOLVED: { kind: 'ext'; inst: Instance; spec: OptionSpec } = { kind: 'ext', inst: null as unknown as Instance, spec: null as unknown as OptionSpec };

/** The option a long name stands for. An 'ext' result found by its whole name is shared: read it before the next call. */
function resolveLong(name: string, insts: Instance[], count: number): Resolved {
  const g = GENERIC_BY_NAME.get(name);
  if (g) return GENERIC_RESOLVED.get(g)!;
  for (let k = count - 1; k >= 0; k--) {
    const spec = insts[k].byName.get(name);
    if (spec) {
      EXT_RESOLVED.inst = insts[k];
      EXT_RESOLVED.spec = spec;
      return EXT_RESOLVED;
    }
  }
  // unique prefix, as getopt_long: several candidates are fine when they are one option
  let found: Resolved | null = null;
  const names: string[] = [];
  let key = '';
  for (const o of GENERIC_LONG) {
    if (!o.name.startsWith(name)) continue;
    names.push(o.name);
    const k = `g:${o.val}:${o.hasArg}`;
    if (!found) { found = { kind: 'generic', opt: o }; key = k; } else if (k !== key) key = '!';
  }
  for (let k = count - 1; k >= 0; k--) {
    const inst = insts[k];
    for (const n of inst.names) {
      if (!n.startsWith(name)) continue;
      names.push(n);
      const spec = inst.byName.get(n)!;
      const kk = `e:${k}:${spec.name}`;
      if (!found) { found = { kind: 'ext', inst, spec }; key = kk; } else if (kk !== key) key = '!';
    }
  }
  if (!found) return { kind: 'unknown' };
  if (key === '!') return { kind: 'ambiguous', names };
  return found;
}

function ctxOf(env: CommandEnv, chain: string, rule: Rule, protoName: string | null): ParseContext {
  return { table: env.table, chain, rule, protoName, family: env.family ?? 'ipv4' };
}

// --- the parser ------------------------------------------------------------------

/**
 * Parse one line's words. Throws RuleError for what iptables rejects while parsing
 * the line; problems only the kernel finds (wrong table, protocol needed) are
 * checked later over the whole table.
 */
export function parseCommandWords(words: Word[], env: CommandEnv): ParsedCommand {
  const texts = words.map((w) => w.text);
  return parseCommandTexts(texts, texts.length, env);
}

/**
 * parseCommandWords over the first n of the words' texts (what the file reader
 * has, without Word objects). `templates`: the reader's RuleTemplates for the
 * table, for lines that differ from an earlier one only in their addresses.
 */
export function parseCommandTexts(texts: string[], n: number, env: CommandEnv, templates?: RuleTemplates): ParsedCommand {
  const slots = templates ? templates.slotsOf(texts, n, env.family ?? 'ipv4') : null;
  if (slots) {
    const hit = templates!.apply(slots);
    if (hit) return hit;
  }
  // the parser of the last line, begun again (its scratch kept); a parse within a parse makes its own
  const p = spareParser ?? new LineParser();
  spareParser = null;
  p.begin(texts, n, env);
  try {
    p.readWords();
    const parsed = p.finish();
    if (slots) templates!.learn(slots, p, parsed);
    return parsed;
  } catch (e) {
    if (e instanceof SkipLine) return { command: { kind: 'skip', reason: e.reason }, notes: [] };
    throw e;
  } finally {
    p.end();
    spareParser = p;
  }
}

/**
 * parseCommandTexts without templates, noting for every extension option that
 * took the next word as its value (`--dport 80`, not `--dport=80`) that word's
 * index and `extension:option` in `record` (pairs), and -s / -d's value words
 * in srcWord / dstWord: what line-templates.ts needs to learn which words of a
 * line are values it may swap. Throws RuleError as parseCommandTexts does.
 */
export function parseCommandRecorded(texts: string[], n: number, env: CommandEnv, record: ValueWords): ParsedCommand | null {
  record.words.length = 0;
  const p = new LineParser();
  p.begin(texts, n, env);
  p.record = record.words;
  try {
    p.readWords();
    const parsed = p.finish();
    record.srcWord = p.srcWord;
    record.dstWord = p.dstWord;
    return parsed;
  } catch (e) {
    if (e instanceof SkipLine) return null;
    throw e;
  } finally {
    p.end();
  }
}


/** A line's words with the values of its -s and -d taken out (see RuleTemplates): one object, reused from line to line. */
interface Slots {
  /** FNV-1a over the words, each slot one mark */
  hash: number;
  /** the line's words (the reader's array: valid for this line only) and how many */
  words: string[];
  n: number;
  /** word index of the -s / -d value, -1 for none */
  src: number;
  dst: number;
  family: 'ipv4' | 'ipv6';
}

interface Template {
  /** the line's words, '' at the slots (own copies: a word of the line would keep the file's text) */
  words: string[];
  hash: number;
  /** another template with the same hash */
  next: Template | null;
  chain: string;
  /** the rule the line made, as the parser left it (the reader stamps its own copy) */
  rule: Rule;
  src: number;
  dst: number;
  /** lines it made: a full store drops those that made none */
  used: number;
}

/**
 * Lines that differ only in the addresses after -s and -d (a blocklist's
 * 70,000 `-A bl -s ADDR/32 -j DROP`, fail2ban's REJECTs; IPv4 or IPv6, as the
 * ruleset's family) are parsed once: the
 * next line like it copies the rule and parses only its addresses. Exact: the
 * option loop never looks at the value of -s or -d (it is read in finish()),
 * so the same words elsewhere give the same rule, notes and errors; a template
 * is kept only when the first line's -s/-d really took those words as values,
 * made one rule and said nothing, and an address that does not parse as one
 * plain network of the family is left to the full parse and its message. The reader
 * clears the templates whenever the table's chains change.
 */
export class RuleTemplates {
  /** by the hash of their words (a key string per line was a copy of every line) */
  private readonly byHash = new Map<number, Template>();
  private size = 0;
  private readonly slots: Slots = { hash: 0, words: [], n: 0, src: -1, dst: -1, family: 'ipv4' };
  private lines = 0;
  private hits = 0;
  /** given up: this table's lines do not repeat (kube-proxy's comments, ports) */
  private off = false;
  private decided = false;
  /** hashes of the keys of lines that were parsed in full and could be templates (numbers: a key kept would outlive its line) */
  private readonly seen = new Set<number>();
  /** the last line given to slotsOf became its rule through a template (applied, or learnt from it) */
  templated = false;
  /** the texts reader's templates of whole lines, made from these (cleared with them) */
  readonly lineTemplates = new LineTemplates();

  clear(): void {
    // Map.clear makes a new table even for an empty map: a kube-proxy table declares 20,000 chains
    if (this.size > 0) {
      this.byHash.clear();
      this.size = 0;
    }
    this.lineTemplates.clear();
  }

  /** templates are in use (not given up for this table) */
  get on(): boolean {
    return !this.off;
  }

  /** A line that a LineTemplate made: counted as a hit of these. */
  countHit(): void {
    this.lines++;
    this.hits++;
  }

  /** The line's key, or null when it has no address to take out (or templates do not pay off here). */
  slotsOf(words: string[], n: number, family: 'ipv4' | 'ipv6'): Slots | null {
    this.templated = false;
    if (this.off) return null;
    const net = family === 'ipv6' ? IPV6_NET : IPV4_NET;
    let src = -1;
    let dst = -1;
    for (let k = 0; k < n - 1; k++) {
      const w = words[k];
      if (w.length > 13 || w[0] !== '-' || !net.test(words[k + 1])) continue;
      if (w === '-s' || w === '--source' || w === '--src') {
        if (src >= 0) return null;
        src = k + 1;
      } else if (w === '-d' || w === '--destination' || w === '--dst') {
        if (dst >= 0) return null;
        dst = k + 1;
      }
    }
    if (src < 0 && dst < 0) return null;
    let h = 0x811c9dc5;
    for (let k = 0; k < n; k++) {
      if (k === src || k === dst) h = Math.imul(h ^ 1, 16777619);
      else {
        const w = words[k];
        for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
      }
      h = Math.imul(h, 16777619); // the word's end
    }
    const sl = this.slots;
    sl.hash = h;
    sl.words = words;
    sl.n = n;
    sl.src = src;
    sl.dst = dst;
    sl.family = family;
    return sl;
  }

  /** The template of the line's words but for its slots, or null. */
  private find(slots: Slots): Template | null {
    for (let t = this.byHash.get(slots.hash) ?? null; t; t = t.next) if (sameWords(t, slots)) return t;
    return null;
  }

  /** The rule of a line like an earlier one, or null (parse it in full). */
  apply(slots: Slots): ParsedCommand | null {
    this.lines++;
    const t = this.find(slots);
    if (!t) {
      // after 2,000 lines with templates hitting under 1 in 8, stop making keys
      if (this.lines >= 2000 && !this.decided) {
        this.decided = true;
        if (this.hits * 8 < this.lines) this.off = true;
      }
      return null;
    }
    const r = t.rule;
    const net = slots.family === 'ipv6' ? plainNet6 : plainNet;
    const src = slots.src < 0 ? r.src : net(slots.words[slots.src], (r.src as AddressSpec).invert);
    const dst = slots.dst < 0 ? r.dst : net(slots.words[slots.dst], (r.dst as AddressSpec).invert);
    if (src === undefined || dst === undefined) return null;
    this.hits++;
    t.used++;
    this.templated = true;
    // a jump to a user chain gets its own target: -E renames it in place
    const target = r.target?.chain ? { ...r.target } : r.target;
    const rule: Rule = { src, dst, inIface: r.inIface, outIface: r.outIface, proto: r.proto, fragment: r.fragment, matches: r.matches, target, counters: r.counters, source: undefined };
    return { command: { kind: 'append', chain: t.chain, rules: [rule] }, notes: [] };
  }

  /** After a full parse of a line with slots: keep it as a template when that is exact (see the class). */
  learn(slots: Slots, p: LineParser, parsed: ParsedCommand): void {
    const c = parsed.command;
    if (c.kind !== 'append' || c.rules.length !== 1 || parsed.notes.length > 0) return;
    if ((slots.src >= 0 ? p.srcWord !== slots.src : p.srcText !== null) || (slots.dst >= 0 ? p.dstWord !== slots.dst : p.dstText !== null)) return;
    // a template at the second line like it: a template of every line whose
    // ports differ (a rate limit per port) only lived long enough to be copied
    // out of the young generation before a full store dropped it (a key alone is less)
    const h = slots.hash;
    if (!this.seen.has(h)) {
      if (this.seen.size >= 8192) this.seen.clear();
      this.seen.add(h);
      return;
    }
    // a template of these words whose addresses were not plain: this one replaces it
    const old = this.find(slots);
    if (old) this.remove(old);
    if (this.size >= MAX_TEMPLATES && !this.dropUnused()) return;
    const r = c.rules[0];
    const words = new Array<string>(slots.n);
    for (let k = 0; k < slots.n; k++) words[k] = k === slots.src || k === slots.dst ? '' : ownCopy(slots.words[k]);
    // a copy of the rule: the reader stamps counters and the line on the rule it gets
    this.byHash.set(h, { words, hash: h, next: this.byHash.get(h) ?? null, chain: c.chain, rule: { ...r }, src: slots.src, dst: slots.dst, used: 0 });
    this.size++;
  }

  private remove(t: Template): void {
    const h = t.hash;
    let first = this.byHash.get(h) ?? null;
    if (first === t) first = t.next;
    else for (let x = first; x; x = x.next) if (x.next === t) x.next = t.next;
    if (first) this.byHash.set(h, first);
    else this.byHash.delete(h);
    this.size--;
  }

  /**
   * A full store drops the templates no line used: lines with their own ports
   * each (a rate limit per port) would otherwise fill it before the lines that
   * repeat come. False when every template was used.
   */
  private dropUnused(): boolean {
    for (const [h, first] of this.byHash) {
      let head: Template | null = null;
      let last: Template | null = null;
      for (let t: Template | null = first; t; t = t.next) {
        if (t.used === 0) {
          this.size--;
          continue;
        }
        if (last) last.next = t;
        else head = t;
        last = t;
      }
      if (last) last.next = null;
      if (head) this.byHash.set(h, head);
      else this.byHash.delete(h);
    }
    return this.size < MAX_TEMPLATES;
  }
}

/** The template was made from a line of these words, but for its slots (in the same places). */
function sameWords(t: Template, slots: Slots): boolean {
  const n = slots.n;
  if (t.words.length !== n || t.src !== slots.src || t.dst !== slots.dst) return false;
  const words = slots.words;
  const tw = t.words;
  for (let k = 0; k < n; k++) if (k !== t.src && k !== t.dst && tw[k] !== words[k]) return false;
  return true;
}

const MAX_TEMPLATES = 512;

const IPV4_NET = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,2})?$/;
// what may be one IPv6 network (plainNet6 decides): hex digits and colons, perhaps an embedded IPv4 and a prefix
const IPV6_NET = /^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:\/\d{1,3})?$/;

/** A -s/-d value that is one IPv6 network, as address6() makes it; undefined for anything else. */
function plainNet6(text: string, invert: boolean): AddressSpec | undefined {
  let a;
  try {
    a = parseAddressItem6(text);
  } catch {
    return undefined;
  }
  return a.kind === 'net6' ? { kind: 'net6', addr: a.addr, mask: a.mask, invert } : undefined;
}

/** A -s/-d value that is one IPv4 network, as addresses() makes it; undefined for anything else. */
function plainNet(text: string, invert: boolean): AddressSpec | undefined {
  let a;
  try {
    a = parseAddressItem(text);
  } catch {
    return undefined;
  }
  return a.kind === 'net' ? { kind: 'net', addr: a.addr, mask: a.mask, invert } : undefined;
}

// Bits of the generic options seen on the line (iptables' `options` flags), for
// "multiple -X flags not allowed"; commands are tracked apart.
const FLAG_BIT: Record<string, number> = {};
'sdpiojgmtfcnvxwWVh0M46b'.split('').forEach((c, k) => (FLAG_BIT[c] = 1 << k));

// what a parser holds between lines (see LineParser.end)
const NO_NOTES: LineNote[] = [];
Object.freeze(NO_NOTES);
const NO_WORDS: string[] = [];
Object.freeze(NO_WORDS);
const NO_RULE: Rule = Object.freeze({ src: null, dst: null, inIface: null, outIface: null, proto: null, fragment: null, matches: [], target: null, counters: null, source: undefined });
const NO_ENV: CommandEnv = Object.freeze({ table: 'filter', isChain: () => false, family: 'ipv4' });
const NO_INSTANCE: Instance = { ext: null, name: '', options: [], word: -1, implicit: false, unknownTokens: null, byName: new Map(), names: [] };
/** the parser parseCommandTexts begins again for the next line (null while one is parsing) */
let spareParser: LineParser | null = null;

/**
 * The state of one line's parse. A class rather than closures over locals: a
 * file has one line per rule, and each line used to allocate a dozen closures
 * and their context.
 */
class LineParser implements ParseContext {
  /** NO_NOTES until the line has one (see note) */
  notes: LineNote[] = NO_NOTES;
  rule: Rule = NO_RULE;
  table: TableName = 'filter';
  family: 'ipv4' | 'ipv6' = 'ipv4';
  /** the line's matches: the first nInsts (the rest are stale) */
  readonly insts: Instance[] = [];
  nInsts = 0;
  /** matches and the target in the order they were loaded, the first nLoaded: getopt looks options up newest first */
  readonly loaded: Instance[] = [];
  nLoaded = 0;
  target: Instance | null = null;
  targetKind: 'jump' | 'goto' | null = null;
  targetName = '';
  targetWord = -1;
  cmd: Generic | null = null;
  cmdWord = -1;
  chain = '';
  cmdArg2: string | null = null; // -E new name, -P policy
  ruleNum: number | null = null;
  invert = false;
  invertWord = -1;
  /** FLAG_BIT of every generic option seen */
  seen = 0;
  protoName: string | null = null;
  protoUsed = false;
  srcText: string | null = null;
  dstText: string | null = null;
  srcWord = -1;
  dstWord = -1;
  passThrough: Instance | null = null;
  /** the word of the option being parsed, for warnings from its extension */
  currentWord = 0;
  /** the line's words; only the first n count (the file reader reuses the array from line to line) */
  words: string[] = NO_WORDS;
  n = 0;
  /** parseCommandRecorded: where options' value words go */
  record: (number | string)[] | null = null;
  i = 0;
  env: CommandEnv = NO_ENV;

  /**
   * Every field as a new parser has it, for the line `words` (the first n): one
   * parser serves line after line, so that its object and its arrays of
   * instances are not made again for each (100,000 rules, a line each).
   */
  begin(words: string[], n: number, env: CommandEnv): void {
    this.notes = NO_NOTES;
    // an empty rule plus the `source` the file reader stamps on it: present from the
    // start so that setting it later does not give every rule a property store
    this.rule = { src: null, dst: null, inIface: null, outIface: null, proto: null, fragment: null, matches: [], target: null, counters: null, source: undefined };
    this.table = env.table;
    this.family = env.family ?? 'ipv4';
    this.nInsts = 0;
    this.nLoaded = 0;
    this.target = null;
    this.targetKind = null;
    this.targetName = '';
    this.targetWord = -1;
    this.cmd = null;
    this.cmdWord = -1;
    this.chain = '';
    this.cmdArg2 = null;
    this.ruleNum = null;
    this.invert = false;
    this.invertWord = -1;
    this.seen = 0;
    this.protoName = null;
    this.protoUsed = false;
    this.srcText = null;
    this.dstText = null;
    this.srcWord = -1;
    this.dstWord = -1;
    this.passThrough = null;
    this.currentWord = 0;
    this.words = words;
    this.n = n;
    this.i = 0;
    this.env = env;
  }

  /** After the line: nothing of it is held until the next (its words, rule, notes and instances). */
  end(): void {
    this.words = NO_WORDS;
    this.env = NO_ENV;
    this.rule = NO_RULE;
    this.notes = NO_NOTES;
    this.target = null;
    this.passThrough = null;
    // words of the line (views into the file's text): none kept
    this.chain = '';
    this.targetName = '';
    this.cmdArg2 = null;
    this.protoName = null;
    this.srcText = null;
    this.dstText = null;
    this.insts.fill(NO_INSTANCE, 0, this.nInsts);
    this.loaded.fill(NO_INSTANCE, 0, this.nLoaded);
    this.nInsts = 0;
    this.nLoaded = 0;
  }

  /** A note on the line (the first makes the line's list). */
  note(n: LineNote): void {
    if (this.notes === NO_NOTES) this.notes = [];
    this.notes.push(n);
  }

  private addInst(inst: Instance): void {
    this.insts[this.nInsts++] = inst;
  }

  private addLoaded(inst: Instance): void {
    this.loaded[this.nLoaded++] = inst;
  }

  // ParseContext.warn: the parser is the context extensions' parse functions get
  warn(code: FindingCode, message: string, fix?: string): void {
    this.note({ code, severity: 'warning', message, word: this.currentWord, fix });
  }

  setCommand(c: Generic, at: number): void {
    if (this.cmd !== null) throw new RuleError(`Cannot use -${c} with -${this.cmd}`, 'invalid-argument', at);
    if (this.invert) throw new RuleError(`unexpected ! flag before --${COMMAND_NAMES[c]}`, 'invalid-argument', this.invertWord);
    this.cmd = c;
    this.cmdWord = at;
  }

  nextIsValue(): boolean {
    const i = this.i;
    if (i >= this.n) return false;
    const t = this.words[i];
    return !t.startsWith('-') && t !== '!';
  }

  parseRuleNum(s: string, at: number): number {
    const v = parseUInt(s, 1, 0x7fffffff);
    if (v === null) throw new RuleError(`Invalid rule number \`${s}'`, 'invalid-argument', at);
    return v;
  }

  // argAt: the word holding the option's value (the option's own word when attached)
  handleGeneric(val: Generic, arg: string | undefined, at: number, argAt = at): void {
    if (COMMAND_NAMES[val]) return this.commandOption(val, arg, at);
    // iptables 1.8.9 reads -s -d -i -o -j from argv[optind-1], the word that
    // held the value: written attached (--source=X, -s=X, -sX) that is the
    // option's own word, so the value is the whole word (observed: long-equals.test.ts)
    if (arg !== undefined && argAt === at && (val === 's' || val === 'd' || val === 'i' || val === 'o' || val === 'j')) arg = this.wholeWordValue(val, arg, at);
    const invert = this.invert;
    if (invert && !INVERTIBLE.has(val)) {
      throw new RuleError(`cannot have ! before -${val}`, 'invalid-argument', this.invertWord);
    }
    // -g and -j are one option to iptables (OPT_JUMP)
    const flagKey = val === 'g' ? 'j' : val;
    const bit = FLAG_BIT[flagKey];
    if (val !== 'm' && val !== 'c' && (this.seen & bit) !== 0) {
      throw new RuleError(`multiple -${flagKey} flags not allowed`, 'invalid-argument', at);
    }
    this.seen |= bit;
    this.ruleOption(val, arg, at, argAt, invert);
    this.invert = false;
  }

  /** -A -C -D -I -R -L -S -F -Z -N -X -E -P and what each takes after its chain. */
  private commandOption(val: Generic, arg: string | undefined, at: number): void {
    const words = this.words;
    this.setCommand(val, at);
    switch (val) {
      case 'A': case 'C': case 'N':
        this.chain = arg!;
        break;
      case 'D':
        this.chain = arg!;
        if (this.nextIsValue()) this.ruleNum = this.parseRuleNum(words[this.i], this.i++);
        break;
      case 'I':
        this.chain = arg!;
        this.ruleNum = this.nextIsValue() ? this.parseRuleNum(words[this.i], this.i++) : 1;
        break;
      case 'R':
        this.chain = arg!;
        if (!this.nextIsValue()) throw new RuleError('-R requires a rule number', 'missing-argument', at);
        this.ruleNum = this.parseRuleNum(words[this.i], this.i++);
        break;
      case 'E':
        this.chain = arg!;
        if (!this.nextIsValue()) throw new RuleError('-E requires old-chain-name and new-chain-name', 'missing-argument', at);
        this.cmdArg2 = words[this.i++];
        break;
      case 'P':
        this.chain = arg!;
        if (this.i >= this.n) throw new RuleError('-P requires a chain and a policy', 'missing-argument', at);
        this.cmdArg2 = words[this.i++];
        break;
      case 'L': case 'S':
        throw new RuleError(`--${COMMAND_NAMES[val]} lists rules; it has no place in a ruleset file`, 'invalid-argument', at, 'remove the line');
      default: // F Z X: optional chain
        this.chain = arg ?? (this.nextIsValue() ? words[this.i++] : '');
    }
  }

  /** -s -d -i -o -j written attached: iptables 1.8.9 takes the whole word as the value (see handleGeneric). */
  private wholeWordValue(val: 's' | 'd' | 'i' | 'o' | 'j', arg: string, at: number): string {
    const whole = this.words[at];
    const fix = `write the value as a separate word: ${whole.startsWith('--') ? whole.slice(0, whole.indexOf('=') < 0 ? undefined : whole.indexOf('=')) : '-' + val} ${arg.replace(/^=/, '')}`;
    if (val === 's' || val === 'd') throw new RuleError(`host/network \`${whole}' not found (iptables 1.8.9 takes the whole word as the address)`, 'invalid-argument', at, fix);
    if (val === 'j') throw new RuleError(`Couldn't load target \`${whole}': iptables 1.8.9 takes the whole word as the target name`, 'invalid-argument', at, fix);
    if (whole.length >= 16) throw new RuleError(`interface name \`${whole}' must be shorter than IFNAMSIZ (15) (iptables 1.8.9 takes the whole word as the name)`, 'invalid-argument', at, fix);
    return whole;
  }

  /** A generic option of the rule itself (not a command), its flag checked. */
  private ruleOption(val: Generic, arg: string | undefined, at: number, argAt: number, invert: boolean): void {
    const rule = this.rule;
    switch (val) {
      case 's':
        this.srcText = arg!;
        this.srcWord = argAt;
        rule.src = { kind: 'net', addr: 0, mask: 0, invert }; // refined after the loop
        break;
      case 'd':
        this.dstText = arg!;
        this.dstWord = argAt;
        rule.dst = { kind: 'net', addr: 0, mask: 0, invert };
        break;
      case 'p':
        return this.protocolOption(arg!, at, argAt, invert);
      case 'i':
      case 'o': {
        const name = arg!;
        if (name.length >= 16) throw new RuleError(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`, 'invalid-argument', at);
        if (/[\/ ]/.test(name))
          this.note({ code: 'invalid-argument', severity: 'warning', message: `weird character in interface \`${name}' ('/' and ' ' are not allowed by the kernel)`, word: at });
        const spec = interfaceSpec(name, invert);
        if (val === 'i') rule.inIface = spec;
        else rule.outIface = spec;
        break;
      }
      case 'f':
        if (this.family === 'ipv6') throw new RuleError("`-f' is not supported in IPv6, use -m frag instead", 'invalid-argument', at, 'match fragments with -m frag --fragmore (or ! --fragid 0)');
        rule.fragment = { invert };
        break;
      case 'j':
      case 'g':
        return this.targetOption(val, arg!, at);
      case 'm':
        return this.matchOption(arg!, at, invert);
      case 't':
        throw new RuleError('The -t option cannot be used in a ruleset file; the table comes from the *table line', 'invalid-argument', at);
      case 'c':
        return this.countersOption(arg!, at);
      case '4':
      case '6':
        if ((val === '6') !== (this.env.family === 'ipv6'))
          throw new SkipLine(`the line is marked -${val}: ${val === '6' ? 'ip6tables' : 'iptables'}-restore reads it, this one ignores it`);
        break;
      case 'w': case 'W': case 'n': case 'v': case 'x': case '0': case 'M':
        // accepted and meaningless inside a ruleset file
        break;
      default:
        throw new RuleError(`option -${val} has no place in a ruleset file`, 'invalid-argument', at);
    }
  }

  private protocolOption(arg: string, at: number, argAt: number, invert: boolean): void {
    // iptables 1.8.9 reads the protocol from the word after -p, so the
    // attached forms (-ptcp, --protocol=tcp) fail there; 1.4.21 takes them.
    const opt = this.words[at];
    if (opt !== '-p' && opt !== '--protocol' && !/^--p[a-z]*$/.test(opt))
      throw new RuleError(`unknown protocol "${opt}" specified`, 'invalid-argument', at,
        `write the protocol as a separate word: -p ${arg}`);
    let num: number;
    try {
      num = parseProtocol(arg);
    } catch (e) {
      throw asRuleError(e, argAt);
    }
    if (num === 0 && invert) throw new RuleError('rule would never match protocol', 'invalid-argument', at);
    // ip6tables: an extension header is never the upper-layer protocol the kernel compares -p with
    if (this.family === 'ipv6' && !invert && EXTENSION_HEADERS.has(num))
      this.note({ code: 'never-matches', severity: 'warning', word: argAt,
        message: `never matched protocol: ${arg}: IPv6 extension headers are skipped before -p is compared`,
        fix: num === 51 ? 'use -m ah' : num === 44 ? 'use -m frag' : num === 43 ? 'use -m rt' : 'use -m dst' });
    this.rule.proto = protocolSpec(num, invert);
    this.protoName = num === 0 ? null : lowerCase(arg);
  }

  /** -j NAME / -g CHAIN: a target extension, a target we keep as written, or (checked in finish) a chain. */
  private targetOption(val: 'j' | 'g', name: string, at: number): void {
    if (name.length > 28) throw new RuleError(`Invalid target name \`${name}' (28 chars max)`, 'invalid-argument', at);
    this.targetKind = val === 'g' ? 'goto' : 'jump';
    this.targetName = name;
    this.targetWord = at;
    if (val !== 'j') return;
    const ext = findTarget(name, this.family) ?? null;
    if (ext) {
      this.target = newInstance(ext, name, at, false);
      this.addLoaded(this.target);
    } else if (!this.env.isChain(name) && knownTargets(this.family).has(name)) {
      const target = newInstance(null, name, at, false);
      this.target = target;
      this.addLoaded(target);
      this.passThrough = target;
      this.note({
        code: 'unknown-extension',
        severity: 'info',
        message: `target ${name} is kept as written; Portcullis does not check its options`,
        word: at,
      });
    }
  }

  /** -m NAME: a match extension, one we keep as written, or an error naming what it may have meant. */
  private matchOption(name: string, at: number, invert: boolean): void {
    if (invert) throw new RuleError('unexpected ! flag before --match', 'invalid-argument', this.invertWord);
    const ext = findMatch(name, this.family) ?? null;
    if (ext) {
      const inst = newInstance(ext, name, at, false);
      this.addInst(inst);
      this.addLoaded(inst);
      if (this.protoName && (name === this.protoName)) this.protoUsed = true;
    } else if (knownMatches(this.family).has(name)) {
      const inst = newInstance(null, name, at, false);
      this.addInst(inst);
      this.addLoaded(inst);
      this.passThrough = inst;
      this.note({ code: 'unknown-extension', severity: 'info', message: `match ${name} is kept as written; Portcullis does not check its options`, word: at });
    } else if (name === 'nth') {
      throw new RuleError("Couldn't load match `nth': it was removed from iptables", 'obsolete-match', at,
        'use -m statistic --mode nth --every N --packet P, one rule per share with --every N, N-1, … (see the load-balance recipe)');
    } else {
      throw new RuleError(`Couldn't load match \`${name}':No such file or directory`, 'unknown-extension', at, matchHint(name, this.family));
    }
  }

  /** -c PACKETS BYTES */
  private countersOption(pk: string, at: number): void {
    if (this.i >= this.n) throw new RuleError('-c requires packet and byte counter', 'missing-argument', at);
    const by = this.words[this.i++];
    if (!/^\d+$/.test(pk)) throw new RuleError('-c packet counter not numeric', 'invalid-argument', at);
    if (!/^\d+$/.test(by)) throw new RuleError('-c byte counter not numeric', 'invalid-argument', this.i - 1);
    this.rule.counters = { packets: BigInt(pk), bytes: BigInt(by) } satisfies Counters;
  }

  handleExtOption(inst: Instance, spec: OptionSpec, inline: string | undefined, at: number): void {
    const extName = inst.ext!.name;
    const invert = this.invert;
    const words = this.words;
    if (invert && !spec.invert) throw new RuleError(`${extName}: option "--${spec.name}" cannot be inverted.`, 'invalid-argument', this.invertWord);
    if (!spec.multi && usedBefore(inst.options, spec.name))
      throw new RuleError(`${extName}: option "--${spec.name}" can only be used once.`, 'invalid-argument', at);
    const extra = spec.extraArgs ?? 0;
    let args: string[];
    if (spec.arg === 'required') {
      let first: string;
      if (inline !== undefined) first = inline;
      else if (this.i < this.n) first = words[this.i++];
      else throw new RuleError(`option "--${spec.name}" requires an argument`, 'missing-argument', at);
      // a literal of one: a pushed-to [] makes room for 16 on every option
      args = [first];
    } else if (spec.arg === 'optional') {
      args = [];
      if (inline !== undefined) args.push(inline);
      else if (this.nextIsValue()) args.push(words[this.i++]);
    } else {
      if (inline !== undefined) throw new RuleError(`option "--${spec.name}" takes no argument`, 'invalid-argument', at);
      args = [];
    }
    for (let k = 0; k < extra; k++) {
      if (!this.nextIsValue()) throw new RuleError(`${extName}: option "--${spec.name}" requires ${1 + extra} arguments`, 'missing-argument', at);
      args.push(words[this.i++]);
    }
    let value: unknown = args.length === 1 ? args[0] : args.length === 0 ? true : args;
    if (spec.parse) {
      try {
        this.currentWord = at;
        value = spec.parse(args, this);
      } catch (e) {
        throw asRuleError(e, inline !== undefined || args.length === 0 ? at : at + 1);
      }
    }
    inst.options = withOption(inst.options, { name: spec.name, invert, value });
    this.invert = false;
    if (this.record && inline === undefined && args.length === 1 && extra === 0 && spec.arg === 'required') this.record.push(at + 1, `${extName}:${spec.name}`);
  }

  tryImplicitProto(): boolean {
    if (!this.protoName || this.protoUsed) return false;
    const mname = protocolMatchName(this.rule.proto!.num, this.family) ?? this.protoName;
    const ext = findMatch(mname, this.family);
    if (!ext) return false;
    this.protoUsed = true;
    const inst = newInstance(ext, mname, this.i, true);
    this.addInst(inst);
    this.addLoaded(inst);
    return true;
  }

  /** The option loop: every word of the line. */
  readWords(): void {
    const words = this.words;
    const n = this.n;
    while (this.i < n) {
      const at = this.i;
      const w = words[this.i++];

      // Words of an extension we do not model go to it until the next generic option.
      if (this.passThrough) {
        if (isGenericWord(w, this.i < n ? words[this.i] : undefined)) {
          this.passThrough = null;
        } else {
          this.passThrough.unknownTokens!.push(w);
          continue;
        }
      }

      if (w.length >= 2 && w[0] === '-' && w[1] === '-') {
        this.readLong(w, at);
        continue;
      }
      if (w.length >= 2 && w[0] === '-') {
        this.readShort(w, at);
        continue;
      }
      if (w === '!') {
        if (this.invert) throw new RuleError('multiple consecutive ! not allowed', 'invalid-argument', at);
        this.invert = true;
        this.invertWord = at;
        continue;
      }
      throw new RuleError(`Bad argument \`${w}'`, 'invalid-argument', at, hintForBadArgument(w, words, at));
    }
  }

  /** A long option (`--name`, `--name=value`): generic, of a loaded extension, or an implicit protocol match's. */
  private readLong(w: string, at: number): void {
    if (w.length === 2) throw new RuleError("Bad argument `--'", 'invalid-argument', at);
    const words = this.words;
    const eq = w.indexOf('=');
    const name = eq >= 0 ? w.slice(2, eq) : w.slice(2);
    const inline = eq >= 0 ? w.slice(eq + 1) : undefined;
    const r = resolveLong(name, this.loaded, this.nLoaded);
    if (r.kind === 'generic') {
      let arg: string | undefined;
      if (r.opt.hasArg === 1) {
        if (inline !== undefined) arg = inline;
        else if (this.i < this.n) arg = words[this.i++];
        else throw new RuleError(`option "--${r.opt.name}" requires an argument`, 'missing-argument', at);
      } else if (r.opt.hasArg === 2) arg = inline;
      else if (inline !== undefined) throw new RuleError(`option "--${r.opt.name}" takes no argument`, 'invalid-argument', at);
      this.handleGeneric(r.opt.val, arg, at, r.opt.hasArg === 1 && inline === undefined ? at + 1 : at);
    } else if (r.kind === 'ext') {
      this.handleExtOption(r.inst, r.spec, inline, at);
    } else {
      // read the word again with the protocol's match loaded
      if (this.tryImplicitProto()) {
        this.i = at;
        return;
      }
      if (r.kind === 'ambiguous')
        throw new RuleError(`option "${w}" is ambiguous; possibilities: ${r.names.map((x) => '--' + x).join(' ')}`, 'unknown-option', at);
      throw new RuleError(`unknown option "${w}"`, 'unknown-option', at, suggestOption(name, this.insts.slice(0, this.nInsts), this.target, this.protoName));
    }
  }

  /** Short options, possibly bundled (-fv) or with the value attached (-ptcp). */
  private readShort(w: string, at: number): void {
    let k = 1;
    while (k < w.length) {
      const c = w[k++];
      const has = SHORT_ARG[c];
      if (has === undefined) {
        if (this.tryImplicitProto()) {
          this.i = at;
          return;
        }
        throw new RuleError(`unknown option "-${c}"`, 'unknown-option', at);
      }
      let arg: string | undefined;
      let argAt = at;
      if (has === 1) {
        if (k < w.length) arg = w.slice(k);
        else if (this.i < this.n) arg = this.words[(argAt = this.i++)];
        else throw new RuleError(`option "-${c}" requires an argument`, 'missing-argument', at);
        k = w.length;
      } else if (has === 2 && k < w.length) {
        arg = w.slice(k);
        k = w.length;
      }
      this.handleGeneric(c as Generic, arg, at, argAt);
    }
  }

  /** After the last word: the command, the extensions' final checks, one rule per address pair. */
  finish(): ParsedCommand {
    const { rule, insts, nInsts, chain, env } = this;
    if (this.invert) throw new RuleError('nothing appropriate following !', 'invalid-argument', this.invertWord);
    if (this.cmd === null) throw new RuleError('no command specified', 'missing-argument', 0, 'a rule line starts with -A CHAIN');
    const command = this.cmd as Generic;
    const cmdWord = this.cmdWord;

    const ruleCommand = command === 'A' || command === 'I' || command === 'D' || command === 'R' || command === 'C';
    if (!ruleCommand) {
      if (this.seen !== 0 || nInsts > 0) {
        throw new RuleError(`Illegal option with -${command}: rule options cannot go with --${COMMAND_NAMES[command]}`, 'invalid-argument', cmdWord);
      }
      return { command: simpleCommand(command, chain, this.cmdArg2, cmdWord), notes: this.notes };
    }
    if (command === 'D' && this.ruleNum !== null) {
      if (this.seen !== 0 || nInsts > 0)
        throw new RuleError('-D with a rule number takes no rule specification', 'invalid-argument', cmdWord);
      return { command: { kind: 'delete', chain, num: this.ruleNum, rules: [] }, notes: this.notes };
    }

    // -i / -o on chains that never see that interface (iptables' own check)
    if ((chain === 'PREROUTING' || chain === 'INPUT') && rule.outIface)
      throw new RuleError(`Can't use -o with ${chain}`, 'invalid-argument', cmdWord, 'incoming packets have no output interface yet; use -i');
    if ((chain === 'POSTROUTING' || chain === 'OUTPUT') && rule.inIface)
      throw new RuleError(`Can't use -i with ${chain}`, 'invalid-argument', cmdWord, 'outgoing packets have no input interface; use -o');

    // Final checks of each extension, in the order iptables runs them.
    const ctx = ctxOf(env, chain, rule, this.protoName);
    if (nInsts > 0) {
      const matches = new Array<Match>(nInsts);
      for (let k = 0; k < nInsts; k++) matches[k] = finishMatch(insts[k], ctx);
      rule.matches = matches;
    }
    const targetKind = this.targetKind;
    if (targetKind) {
      if (this.target) {
        rule.target = finishTarget(this.target, targetKind, ctx);
      } else {
        const targetName = this.targetName;
        if (!env.isChain(targetName)) {
          if (targetKind === 'goto') throw new RuleError(`goto '${targetName}' is not a chain`, 'undefined-chain', this.targetWord, `declare it first with :${targetName} - [0:0]`);
          throw new RuleError(`Couldn't load target \`${targetName}':No such file or directory`, 'undefined-chain', this.targetWord,
            suggestTarget(targetName) ?? `declare the chain first with :${targetName} - [0:0], or fix the target name`);
        }
        rule.target = { kind: targetKind, name: targetName, options: NO_OPTIONS, state: NO_STATE, chain: true };
      }
    }

    // -s / -d: comma lists and host names make one rule per address pair.
    const fam = this.family;
    const { srcText, dstText } = this;
    let rules: Rule[];
    if ((srcText === null || srcText.indexOf(',') < 0) && (dstText === null || dstText.indexOf(',') < 0)) {
      // one address each (most lines): no lists to make
      if (srcText !== null) rule.src = address(srcText, (rule.src as AddressSpec).invert, this.srcWord, this, fam);
      if (dstText !== null) rule.dst = address(dstText, (rule.dst as AddressSpec).invert, this.dstWord, this, fam);
      rules = [rule];
    } else {
      const srcs = srcText !== null ? addresses(srcText, (rule.src as AddressSpec).invert, this.srcWord, this, fam) : [null];
      const dsts = dstText !== null ? addresses(dstText, (rule.dst as AddressSpec).invert, this.dstWord, this, fam) : [null];
      if (srcs.length === 1 && dsts.length === 1) {
        rule.src = srcs[0];
        rule.dst = dsts[0];
        rules = [rule];
      } else {
        rules = [];
        for (const s of srcs) for (const d of dsts) rules.push({ ...rule, src: s, dst: d });
      }
    }

    const notes = this.notes;
    switch (command) {
      case 'A': return { command: { kind: 'append', chain, rules }, notes };
      case 'C': return { command: { kind: 'check', chain, rules }, notes };
      case 'D': return { command: { kind: 'delete', chain, num: null, rules }, notes };
      case 'I': return { command: { kind: 'insert', chain, num: this.ruleNum ?? 1, rules }, notes };
      default: return { command: { kind: 'replace', chain, num: this.ruleNum!, rules }, notes };
    }
  }
}

function usedBefore(options: readonly OptionValue[], name: string): boolean {
  for (let k = 0; k < options.length; k++) if (options[k].name === name) return true;
  return false;
}

function hintForBadArgument(w: string, words: string[], at: number): string | undefined {
  if (w === 'COMMIT') return 'end the file with a newline after the last COMMIT';
  if (w.startsWith('*')) return 'close the previous table with COMMIT before starting another';
  if (w.startsWith('\u2013') || w.startsWith('\u2014')) return `this dash is a typographic one (copied from a web page); write --${w.slice(1)}`;
  if (at > 0 && words[at - 1] === '!') return 'put ! before the option it negates: ! --option value';
  if (at > 0 && words[at - 1].startsWith('-')) return `${words[at - 1]} takes fewer values; quote a value that contains spaces with double quotes`;
  return undefined;
}

// Values no one edits in place are shared between rules, frozen: a ruleset of
// 100,000 rules has a handful of distinct protocols and interfaces, and every
// object the model keeps is copied by the garbage collector while parsing.
const PROTOCOL_SPECS: ProtocolSpec[][] = [[], []];
function protocolSpec(num: number, invert: boolean): ProtocolSpec {
  const byNum = PROTOCOL_SPECS[invert ? 1 : 0];
  return (byNum[num] ??= Object.freeze({ num, invert }));
}
const INTERFACE_SPECS = [new Map<string, InterfaceSpec>(), new Map<string, InterfaceSpec>()];
function interfaceSpec(name: string, invert: boolean): InterfaceSpec {
  const byName = INTERFACE_SPECS[invert ? 1 : 0];
  let spec = byName.get(name);
  if (!spec) byName.set(name, (spec = Object.freeze({ name, invert })));
  return spec;
}

// Jumps to user chains have no options: one frozen pair serves them all.
const NO_OPTIONS: OptionValue[] = [];
Object.freeze(NO_OPTIONS);
const NO_STATE: Record<string, unknown> = Object.freeze({});

function simpleCommand(c: Generic, chain: string, arg2: string | null, at: number): Command {
  switch (c) {
    case 'N':
      checkChainName(chain, at);
      return { kind: 'new-chain', chain };
    case 'X': return { kind: 'delete-chain', chain: chain || null };
    case 'F': return { kind: 'flush', chain: chain || null };
    case 'Z': return { kind: 'zero', chain: chain || null };
    case 'P': return { kind: 'policy', chain, policy: arg2! };
    default:
      checkChainName(arg2!, at);
      return { kind: 'rename-chain', chain, to: arg2! };
  }
}

export function checkChainName(name: string, at: number): void {
  if (name.length > 28) throw new RuleError(`chain name \`${name}' too long (must be under 29 chars)`, 'invalid-argument', at);
  if (name.startsWith('-') || name === '!') throw new RuleError("chain name not allowed to start with `-'", 'invalid-argument', at);
  if (findTarget(name) || KNOWN_TARGETS.has(name)) throw new RuleError('chain name may not clash with target name', 'invalid-argument', at);
}

// The model outlives parsing, so what it keeps is built exactly sized: an array
// grown by push keeps room for 16 elements, which 100,000 rules pay for. An
// instance's options are made so as they come (most extensions get one or two),
// and the model keeps that very array: no room grown, no copy made of it.
function withOption(options: readonly OptionValue[], o: OptionValue): OptionValue[] {
  return options.length === 0 ? [o] : [...options, o];
}

/** An instance's options for the model and its finalize: its own array (a fresh one for none, never the shared empty one). */
function exactOptions(options: OptionValue[]): OptionValue[] {
  return options.length === 0 ? [] : options;
}

function finishMatch(inst: Instance, ctx: ParseContext): Match {
  if (!inst.ext) return { name: inst.name, options: [], state: {}, unknown: { tokens: inst.unknownTokens ?? [] } };
  const options = exactOptions(inst.options);
  let state: unknown;
  try {
    state = inst.ext.finalize ? inst.ext.finalize(options, ctx) : collectOptions(options, inst.ext.options);
  } catch (e) {
    throw asRuleError(e, inst.word);
  }
  // one literal per shape: adding `implicit` afterwards would give every match a property store
  return inst.implicit ? { name: inst.ext.name, options, state, implicit: true } : { name: inst.ext.name, options, state };
}

const VERDICTS = new WeakMap<Extension, Target>();

function finishTarget(inst: Instance, kind: 'jump' | 'goto', ctx: ParseContext): Target {
  if (!inst.ext) return { kind, name: inst.name, options: [], state: {}, unknown: { tokens: inst.unknownTokens ?? [] } };
  // ACCEPT, DROP, RETURN …: nothing to check, and one frozen target serves every rule
  if (inst.options.length === 0 && !inst.ext.finalize) {
    if (kind !== 'jump') return { kind, name: inst.ext.name, options: NO_OPTIONS, state: NO_STATE };
    let t = VERDICTS.get(inst.ext);
    if (!t) VERDICTS.set(inst.ext, (t = Object.freeze({ kind, name: inst.ext.name, options: NO_OPTIONS, state: NO_STATE })));
    return t;
  }
  const options = exactOptions(inst.options);
  let state: unknown;
  try {
    state = inst.ext.finalize ? inst.ext.finalize(options, ctx) : collectOptions(options, inst.ext.options);
  } catch (e) {
    throw asRuleError(e, inst.word);
  }
  return { kind, name: inst.ext.name, options, state };
}

/** Where an address's note goes (the line's parser). */
interface NoteSink {
  note(n: LineNote): void;
}

function addresses(text: string, invert: boolean, at: number, notes: NoteSink, family: 'ipv4' | 'ipv6'): AddressSpec[] {
  const out: AddressSpec[] = [];
  for (const item of text.split(',')) out.push(address(item, invert, at, notes, family));
  return out;
}

/** One item of a -s / -d list (xtables_ipparse_multiple's), with a note for a host name. */
function address(item: string, invert: boolean, at: number, notes: NoteSink, family: 'ipv4' | 'ipv6'): AddressSpec {
  if (family === 'ipv6') return address6(item, invert, at, notes);
  let a;
  try {
    a = parseAddressItem(item);
  } catch (e) {
    throw asRuleError(e, at);
  }
  if (a.kind === 'host-name') notes.note(hostNameNote(a.name, at));
  // literals, not `{ ...a, invert }`: a spread copy gets a hidden class of its own
  return a.kind === 'net' ? { kind: 'net', addr: a.addr, mask: a.mask, invert } : { kind: 'host-name', name: a.name, mask: a.mask, invert };
}

function hostNameNote(name: string, at: number): LineNote {
  return {
    code: 'host-dependent',
    severity: 'warning',
    message: `host name \`${name}' is resolved by the host when the rules load; if it does not resolve there, the whole ruleset fails to load`,
    word: at,
    fix: 'use the address instead of the name',
  };
}

/** One item of ip6tables' xtables_ip6parse_multiple: an IPv6 address or name. */
function address6(item: string, invert: boolean, at: number, notes: NoteSink): AddressSpec {
  let a;
  try {
    a = parseAddressItem6(item);
  } catch (e) {
    throw asRuleError(e, at);
  }
  if (a.kind === 'host-name') {
    notes.note(hostNameNote(a.name, at));
    return { kind: 'host-name', name: a.name, mask: null, mask6: a.mask6, invert };
  }
  return { kind: 'net6', addr: a.addr, mask: a.mask, invert };
}

// -p of an IPv6 extension header (routing, fragment, AH, destination options): ip6tables warns it never matches
const EXTENSION_HEADERS: ReadonlySet<number> = new Set([43, 44, 51, 60]);

function matchHint(name: string, family: 'ipv4' | 'ipv6'): string | undefined {
  if (family === 'ipv6' && (name === 'icmp' || name === 'ttl')) return `this is ip6tables: use -m ${name === 'icmp' ? 'icmp6 --icmpv6-type' : 'hl --hl-eq'}`;
  if (family === 'ipv4' && knownMatches('ipv6').has(name) && !knownMatches('ipv4').has(name)) return `-m ${name} exists in ip6tables only; this is an IPv4 ruleset`;
  return suggestExtension(name, knownMatches(family));
}

function asRuleError(e: unknown, word: number): RuleError {
  if (e instanceof RuleError) return e;
  if (e instanceof ValueError) return new RuleError(e.message, e.code, word, e.fix);
  throw e;
}

/** Does this word end a pass-through extension's arguments? */
function isGenericWord(w: string, next: string | undefined): boolean {
  if (w === '!') return next !== undefined && isGenericWord(next, undefined);
  if (w.startsWith('--')) {
    const name = w.slice(2).split('=')[0];
    return GENERIC_BY_NAME.has(name);
  }
  return w.length >= 2 && w[0] === '-' && w[1] !== '-' && SHORT_ARG[w[1]] !== undefined && !/^-\d/.test(w);
}

// --- suggestions ---------------------------------------------------------------

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

function suggestExtension(name: string, known: ReadonlySet<string>): string | undefined {
  const c = closest(name, known);
  return c ? `did you mean -m ${c}?` : undefined;
}

function suggestTarget(name: string): string | undefined {
  const c = closest(name, KNOWN_TARGETS, 1);
  return c && c !== name ? `did you mean -j ${c}?` : undefined;
}

function suggestOption(name: string, insts: Instance[], target: Instance | null, protoName: string | null): string | undefined {
  const pool = new Set<string>(GENERIC_LONG.map((o) => o.name));
  for (const inst of [...insts, ...(target ? [target] : [])]) for (const x of inst.names) pool.add(x);
  // `--A INPUT`: a short option written with two dashes
  if (name.length === 1 && SHORT_ARG[name] !== undefined) return `did you mean -${name}?`;
  const c = closest(name, pool);
  if (c) return `did you mean --${c}?`;
  if (!protoName && ['dport', 'sport', 'destination-port', 'source-port'].includes(name)) return 'ports need a protocol first: -p tcp or -p udp';
  return undefined;
}

export { protocolName };
