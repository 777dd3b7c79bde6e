// Importing pasted commands: a shell script (or a how-to's recipe) of
// `iptables …` lines becomes a ruleset, with findings on the SCRIPT's lines.
//
// The script is read as sh reads it (shell-words.ts). Each iptables command is
// checked word by word (import-scan.ts) for everything we can see wrong with
// it — not only the first problem iptables would stop at — then parsed with
// the rule parser,
// repairing and re-parsing after each error to find the next one. Commands that
// survive intact are written into an iptables-restore text, table by table (the
// shell runs commands in order, and tables are independent, so per-table order
// is the order that matters), and that text is parsed by parseRuleset, which
// applies -N/-P/-I/-D/-F/-X and the commit-time checks exactly as for a file.
import type { Family, Ruleset, TableName } from './model.js';
import { BUILTIN_CHAINS, TABLE_NAMES, isTableName } from './model.js';
import type { Finding, FindingCode } from './findings.js';
import { parseRuleset } from './parse.js';
import { closest, parseCommandWords, RuleError, type Command } from './rule-parser.js';
import { findTarget } from './extensions/registry.js';
import type { Word } from './tokenize.js';
import { MAX_EXPANDED, MAX_WORD, shellLexer, type ShellWord, type Unresolved } from './shell-words.js';
import { isOptionWord, scanWords, spanToDrop, type LineFinding, type Tok, type WordScan } from './import-scan.js';
import { lintRuleset } from './lint.js';

interface ImportOptions {
  /** values for $VARIABLES the script uses but does not set (they win over the script's own assignments) */
  defines?: Record<string, string>;
  /** which commands make the ruleset: iptables (ipv4, the default) or ip6tables (ipv6) */
  family?: Family;
  /** run the lint on the result (default true) */
  lint?: boolean;
}

type CommandStatus = 'imported' | 'left-out' | 'skipped';

interface ImportedCommand {
  /** 1-based script line where the command starts */
  line: number;
  /** the command's words as the shell would pass them */
  words: string[];
  status: CommandStatus;
  table?: TableName;
}

export interface ImportResult {
  ruleset: Ruleset;
  /** on the script's lines, sorted by line */
  findings: Finding[];
  commands: ImportedCommand[];
  /** the iptables-restore text the imported commands became (its line numbers are not the script's) */
  restoreText: string;
}

const IPV4_COMMANDS = new Set(['iptables', 'iptables-legacy', 'iptables-nft']);
const IPV6_COMMANDS = new Set(['ip6tables', 'ip6tables-legacy', 'ip6tables-nft']);
const SAVE_RESTORE = new Set([
  'iptables-save', 'iptables-restore', 'ip6tables-save', 'ip6tables-restore', 'iptables-legacy-save', 'iptables-legacy-restore',
  'ip6tables-legacy-save', 'ip6tables-legacy-restore', 'iptables-nft-save', 'iptables-nft-restore', 'iptables-apply',
]);
/** words that start or end a shell construct around a command (`if …; then`, `for …; do`) */
const SHELL_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '{', '}', '!', 'time', 'fi', 'done', 'esac']);
/** commands we know are not iptables, so a short edit distance to "iptables" is not a typo */
const OTHER_COMMANDS = new Set(['ipset', 'iptstate', 'ip', 'nft', 'arptables', 'ebtables', 'ebtables-save']);
/** builtins whose NAME=value arguments set variables */
const DECLARATIONS = ['export', 'readonly', 'local', 'declare', 'typeset'];
/** commands that run the command after them (and their own options) */
const WRAPPERS = ['sudo', 'command', 'exec', 'nohup'];

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);
/** typographic quotes a web page puts where the shell needs straight ones */
const CURLY_QUOTE = /[\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb]/;

type Outcome = { status: CommandStatus; table?: TableName };

/** A command kept for the restore text: its words (placeholders never get here) and its script line. */
interface RestoreLine {
  words: Tok[];
  line: number;
}

/** One line of the restore text: the script line it came from, and where each of its words sits in both. */
interface RestoreMapLine {
  line: number;
  words: { from: number; to: number; tok: Tok }[];
}

export function importScript(text: string, opts: ImportOptions = {}): ImportResult {
  const importer = new ScriptImporter(opts.family ?? 'ipv4', opts.defines ?? {});
  importer.readScript(text);
  return importer.finish(opts.lint !== false);
}

/**
 * The import of one script, in named steps: read the script command by
 * command (`readScript`: variables, wrappers, which commands are iptables),
 * check and keep each iptables command (`CommandCheck`), then build the
 * restore text, parse it and map everything back onto the script (`finish`).
 */
class ScriptImporter {
  readonly findings: Finding[] = [];
  private readonly commands: ImportedCommand[] = [];
  private readonly vars = new Map<string, string>();
  /** variables the script sets to something only known at run time */
  readonly unknownVars = new Map<string, string>();
  /** chains as they exist at each point of the script, per table */
  private readonly chains = new Map<TableName, Set<string>>();
  private readonly restore = new Map<TableName, RestoreLine[]>();

  constructor(
    readonly family: Family,
    private readonly defines: Record<string, string>,
  ) {}

  private readonly lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(this.defines, name) ? this.defines[name] : this.vars.get(name);

  add(f: Finding): void {
    this.findings.push(f);
  }

  chainSet(t: TableName): Set<string> {
    let s = this.chains.get(t);
    if (!s) this.chains.set(t, (s = new Set(BUILTIN_CHAINS[t])));
    return s;
  }

  readScript(text: string): void {
    const lexer = shellLexer(text);
    for (let cmd = lexer.next(this.lookup); cmd; cmd = lexer.next(this.lookup)) this.shellCommand(cmd.words);
  }

  /** One command of the script: assignments, wrappers (`sudo …`), then what the command is. */
  private shellCommand(all: ShellWord[]): void {
    let words = all;
    while (words.length && SHELL_KEYWORDS.has(words[0].text) && !words[0].quoted) words = words.slice(1);
    if (words.length === 0) return;

    // NAME=value alone sets a variable; before a command it is only that command's environment
    let k = 0;
    while (k < words.length && words[k].assignment) k++;
    if (k === words.length) {
      for (const w of words) this.assign(w);
      return;
    }
    words = words.slice(k);
    if (DECLARATIONS.includes(words[0].text)) {
      for (const w of words.slice(1)) if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) this.assign(w);
      return;
    }
    words = withoutWrappers(words);
    if (words.length === 0) return;
    const head = words[0];
    const cmdFamily = this.commandFamily(head, words);
    const outcome: Outcome = cmdFamily === 'skipped' ? { status: 'skipped' } : new CommandCheck(this, words.slice(1)).run();
    this.commands.push({ line: head.line, words: words.map((w) => w.text), status: outcome.status, ...(outcome.table ? { table: outcome.table } : {}) });
  }

  /** The family of the iptables command `head` starts, or 'skipped' (and why) when it is none of this import's. */
  private commandFamily(head: ShellWord, words: ShellWord[]): Family | 'skipped' {
    const base = head.text.slice(head.text.lastIndexOf('/') + 1);
    const info = (code: FindingCode, message: string, fix?: string) =>
      this.add({ code, severity: 'info', line: head.line, col: head.col, message, ...(fix ? { fix } : {}) });
    const family = this.family;
    let cmdFamily: Family | null = IPV4_COMMANDS.has(base) ? 'ipv4' : IPV6_COMMANDS.has(base) ? 'ipv6' : null;
    if (!cmdFamily && head.unresolved.length > 0 && words.length > 1 && /^-[A-Za-z-]/.test(words[1].text)) {
      // `$IPT -A INPUT …` with IPT unknown: it is an iptables command all the same
      cmdFamily = family;
    } else if (!cmdFamily && SAVE_RESTORE.has(base)) {
      info('shell-command', `${base} is not a rule command; skipped`,
        base.includes('restore') ? 'a ruleset file loaded with iptables-restore can be checked directly: portcullis check FILE' : undefined);
      return 'skipped';
    } else if (!cmdFamily && !OTHER_COMMANDS.has(base) && !head.quoted && base.length >= 5) {
      const guess = closest(base, ['iptables', 'ip6tables'], 2);
      if (guess) {
        this.add({ code: 'unknown-command', severity: 'error', line: head.line, col: head.col,
          message: `${base}: command not found (the shell would stop here; read as ${guess})`, fix: guess });
        cmdFamily = guess === 'ip6tables' ? 'ipv6' : 'ipv4';
      }
    }
    if (!cmdFamily) {
      if (base === '.' || base === 'source') info('shell-command', `${base} reads another file; variables it sets are unknown here`, 'give their values with --define NAME=VALUE');
      else info('shell-command', `${base}: not an iptables command; skipped`);
      return 'skipped';
    }
    if (cmdFamily !== family) {
      info('other-family', `${cmdFamily === 'ipv6' ? 'ip6tables' : 'iptables'} command skipped: this import builds the ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ruleset`,
        `import the ${cmdFamily === 'ipv6' ? 'IPv6' : 'IPv4'} rules with --family ${cmdFamily}`);
      return 'skipped';
    }
    return cmdFamily;
  }

  private assign(w: ShellWord): void {
    const eq = w.text.indexOf('=');
    const name = w.text.slice(0, eq);
    if (w.unresolved.length) {
      this.vars.delete(name);
      const u = w.unresolved.find((x) => x.kind === 'too-long') ?? w.unresolved[0];
      if (u.kind === 'too-long') this.add(unresolvedFinding(u, this.unknownVars));
      // a variable set from one that is already unknown keeps the first reason (a chain of 40 doublings names the line that overflowed)
      this.unknownVars.set(name, u.kind === 'substitution' ? `line ${w.line} sets it from ${u.name}, which only runs on the host`
        : u.kind === 'too-long' ? `line ${u.line} would make it longer than ${MAX_WORD.toLocaleString('en')} characters`
          : this.unknownVars.get(u.name) ?? `line ${w.line} sets it from $${u.name}, which is not defined`);
    } else {
      this.vars.set(name, w.text.slice(eq + 1));
      this.unknownVars.delete(name);
    }
  }

  /** A whole command: simulate what it does to the chains and keep it for the restore text. */
  keep(command: Command, table: TableName, words: Tok[], line: number): void {
    const chains = this.chainSet(table);
    switch (command.kind) {
      case 'new-chain': chains.add(command.chain); break;
      case 'delete-chain':
        if (command.chain) chains.delete(command.chain);
        else for (const c of [...chains]) if (!(BUILTIN_CHAINS[table] as readonly string[]).includes(c)) chains.delete(c);
        break;
      case 'rename-chain': chains.delete(command.chain); chains.add(command.to); break;
      default: break;
    }
    let lines = this.restore.get(table);
    if (!lines) this.restore.set(table, (lines = []));
    lines.push({ words, line });
  }

  /** The restore text of the kept commands, parsed; its findings and lines mapped onto the script; the lint; sorted. */
  finish(lint: boolean): ImportResult {
    const { text: restoreText, map } = this.restoreText();
    const parsed = parseRuleset(restoreText, { family: this.family });
    // what the script-level checks said stays; the restore parse and the lint add only what is new
    const scriptFindings = this.findings.length;
    const scriptLine = (l: number) => map[l - 1]?.line ?? map[map.length - 1]?.line ?? 0;
    for (const f of parsed.findings) this.findings.push(onScript(f, map, scriptLine));
    relineRuleset(parsed.ruleset, scriptLine);
    if (lint) this.findings.push(...lintImported(parsed.ruleset));
    const findings = uniqueFindings(this.findings, scriptFindings);
    // on each line: the problems with a column in column order, then those about the whole rule, then what became of the command
    const rank = (f: Finding) => (f.code === 'left-out' ? Number.MAX_SAFE_INTEGER : (f.col ?? Number.MAX_SAFE_INTEGER - 1));
    findings.sort((a, b) => a.line - b.line || rank(a) - rank(b));
    return { ruleset: parsed.ruleset, findings, commands: this.commands, restoreText };
  }

  /** The kept commands as an iptables-restore text, table by table, and where each of its lines and words came from. */
  private restoreText(): { text: string; map: RestoreMapLine[] } {
    const map: RestoreMapLine[] = [];
    const out: string[] = [];
    const put = (s: string, line: number, words: RestoreMapLine['words'] = []) => {
      out.push(s);
      map.push({ line, words });
    };
    for (const t of TABLE_NAMES.filter((x) => this.restore.has(x))) {
      const lines = this.restore.get(t)!;
      put(`*${t}`, lines[0].line);
      for (const c of BUILTIN_CHAINS[t]) put(`:${c} ACCEPT [0:0]`, lines[0].line);
      for (const l of lines) {
        let s = '';
        const ws: RestoreMapLine['words'] = [];
        l.words.forEach((w, k) => {
          if (k) s += ' ';
          const q = quoteForRestore(w.text, k === 0);
          ws.push({ from: s.length, to: s.length + q.length, tok: w });
          s += q;
        });
        put(s, l.line, ws);
      }
      put('COMMIT', lines[lines.length - 1].line);
    }
    return { text: out.length ? out.join('\n') + '\n' : '', map };
  }
}

/** `sudo [-u user] …`, `command …`, `exec …`: the command they run */
function withoutWrappers(words: ShellWord[]): ShellWord[] {
  let w0 = 0;
  while (w0 < words.length && WRAPPERS.includes(words[w0].text)) {
    const wrapper = words[w0++].text;
    while (w0 < words.length && words[w0].text.startsWith('-')) {
      const o = words[w0++].text;
      if (wrapper === 'sudo' && /^-[ugpCUhD]$/.test(o)) w0++;
    }
  }
  return words.slice(w0);
}

/** A finding of the restore text's parse, placed on the script word (or line) it is about. */
function onScript(f: Finding, map: RestoreMapLine[], scriptLine: (l: number) => number): Finding {
  const m = map[f.line - 1];
  const mapped: Finding = { ...f, line: scriptLine(f.line) };
  delete mapped.col;
  if (m && f.col !== undefined) {
    const w = m.words.find((x) => f.col! - 1 >= x.from && f.col! - 1 < x.to) ?? m.words[0];
    if (w) {
      mapped.line = w.tok.line;
      mapped.col = w.tok.col;
    }
  }
  return mapped;
}

/** rules and chains remember the script's lines, so everything said about them later points there */
function relineRuleset(ruleset: Ruleset, scriptLine: (l: number) => number): void {
  for (const t of ruleset.tables) {
    if (t.source) t.source = { line: scriptLine(t.source.line) };
    for (const c of t.chains) {
      if (c.source) c.source = { ...c.source, line: scriptLine(c.source.line) };
      for (const r of c.rules) if (r.source) r.source = { ...r.source, line: scriptLine(r.source.line) };
      for (const d of c.disabled) if (d.rule.source) d.rule.source = { ...d.rule.source, line: scriptLine(d.rule.source.line) };
    }
  }
}

/**
 * One finding per line, code and place: the same problem can be seen by the
 * scan, the parser and the lint. The first `scriptFindings` (the script-level
 * checks) win over a later finding of the same code on the same line.
 */
function uniqueFindings(findings: Finding[], scriptFindings: number): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f, k) => {
    const key = `${f.line}\u0000${f.code}\u0000${f.col ?? ''}\u0000${f.index ?? ''}\u0000${f.message}`;
    const loose = `${f.line}\u0000${f.code}`;
    if (seen.has(key) || (k >= scriptFindings && seen.has(loose))) return false;
    seen.add(key);
    if (k < scriptFindings) seen.add(loose);
    return true;
  });
}

/**
 * One iptables command's words (without the command name), checked in steps:
 * stand-ins for unknown variables, the table, typographic quotes, the word
 * scan (import-scan.ts), the chain's table, then the rule parser, repairing and
 * re-parsing after each error so one run shows every problem of the line.
 */
class CommandCheck {
  private toks: Tok[];
  private readonly startLine: number;
  /** some value is unknown (a variable, a bad table): the command cannot be kept */
  private incomplete = false;
  /** a word is wrong: the command cannot be kept */
  private damaged = false;
  private table: TableName = 'filter';
  private badTable = false;

  constructor(
    private readonly importer: ScriptImporter,
    private readonly words: ShellWord[],
  ) {
    this.toks = words.map((w) => ({ text: w.text, line: w.line, col: w.col }));
    this.startLine = words[0]?.line ?? 0;
  }

  run(): Outcome {
    this.standInForUnknowns();
    this.takeTable();
    const curly = this.typographicQuotes();
    const scan = scanWords(this.toks, this.importer.family);
    if (scan.listing) {
      this.importer.add({ code: 'ignored-command', severity: 'info', line: this.startLine, col: this.toks[scan.cmdTok]?.col, message: `${this.toks[scan.cmdTok]?.text ?? 'this command'} ${scan.listing}; it does not change the ruleset, skipped` });
      return { status: 'skipped' };
    }
    this.damaged = scan.remove.size > 0;
    this.checkChainTable(scan);
    for (const lf of scan.findings) this.emit(lf, this.toks[lf.tok]);
    const command = this.parseRepairing(scan, this.consequences(scan, curly));
    if (!command || this.damaged || this.incomplete) {
      this.importer.add({ code: 'left-out', severity: 'info', line: this.startLine, message: 'this command is left out of the imported ruleset until the problems above are fixed' });
      return { status: 'left-out', table: this.table };
    }
    this.importer.keep(command, this.table, this.toks, this.startLine);
    return { status: 'imported', table: this.table };
  }

  private emit(lf: LineFinding, at: Tok | undefined): void {
    this.importer.add({ code: lf.code, severity: lf.severity, message: lf.message, line: at?.line ?? this.startLine, ...(at ? { col: at.col } : {}), ...(lf.fix ? { fix: lf.fix } : {}) });
  }

  /** $VARIABLES nobody defined: say so, and stand in a harmless value to check the rest */
  private standInForUnknowns(): void {
    const words = this.words;
    const reported = new Set<string>();
    words.forEach((w, k) => {
      for (const u of w.unresolved) {
        const key = `${u.line}:${u.col}`;
        if (reported.has(key)) continue;
        reported.add(key);
        this.importer.add(unresolvedFinding(u, this.importer.unknownVars));
      }
      if (w.unresolved.length) {
        this.incomplete = true;
        this.toks[k] = { ...this.toks[k], text: placeholderFor(k > 0 ? words[k - 1].text : ''), placeholder: true };
      }
    });
  }

  /** -t TABLE goes to the restore text's *table line: take it (and its value) out of the words */
  private takeTable(): void {
    const toks = this.toks;
    const kept: Tok[] = [];
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k].text;
      let value: string | undefined;
      let isTable = false;
      if (t === '-t' || (t.startsWith('--') && t.length > 3 && 'table'.startsWith(t.slice(2).split('=')[0]) && t.slice(2).split('=')[0].length >= 2)) {
        isTable = true;
        if (t.includes('=')) value = t.slice(t.indexOf('=') + 1);
        else if (k + 1 < toks.length && !isOptionWord(toks[k + 1].text)) value = toks[++k].text;
        else {
          this.emit({ tok: k, code: 'missing-argument', severity: 'error', message: `${t} needs a table name${k + 1 < toks.length ? `, but ${toks[k + 1].text} follows` : ' and the line ends'}`, fix: `${t} nat (or filter, mangle, raw, security)` }, toks[k]);
          this.incomplete = true;
        }
      } else if (/^-t[a-z]+$/.test(t)) {
        isTable = true;
        value = t.slice(2);
      }
      if (!isTable) {
        kept.push(toks[k]);
        continue;
      }
      if (value !== undefined) this.setTable(value, k, toks[k]);
    }
    this.toks = kept;
  }

  private setTable(value: string, k: number, at: Tok): void {
    if (isTableName(value)) {
      this.table = value;
      return;
    }
    const guess = closest(value, TABLE_NAMES, 2);
    this.emit({ tok: k, code: 'invalid-argument', severity: 'error', message: `can't initialize iptables table \`${value}': Table does not exist`, fix: guess ? `-t ${guess}` : 'the tables are filter, nat, mangle, raw and security' }, at);
    this.incomplete = true;
    this.badTable = true;
  }

  /** “curly” quotes from a web page are ordinary characters to sh: the quoted text falls apart into words. Returns the first such word, or -1. */
  private typographicQuotes(): number {
    const toks = this.toks;
    const curly = toks.findIndex((t) => CURLY_QUOTE.test(t.text));
    if (curly >= 0) {
      this.emit({ tok: curly, code: 'invalid-argument', severity: 'error',
        message: `typographic quotes (${[...toks[curly].text].find((c) => CURLY_QUOTE.test(c))}) are not quotes to the shell: the text between them is split into separate words (copied from a web page?)`,
        fix: 'use straight quotes: "…"' }, toks[curly]);
      this.incomplete = true;
    }
    return curly;
  }

  /** A chain that only exists in another table: the `-t nat` was forgotten (or the chain was never created). */
  private checkChainTable(scan: WordScan): void {
    const { toks, table } = this;
    const chainTok = scan.chainTok >= 0 ? toks[scan.chainTok] : undefined;
    if (this.badTable) {
      // the table is unknown: which chains exist is unknown too
    } else if (chainTok && scan.cmd && 'AIDRPLSFZC'.includes(scan.cmd) && !this.importer.chainSet(table).has(chainTok.text)) {
      this.chainElsewhere(scan, chainTok);
    } else if (scan.target && NAT_TARGETS.has(scan.target) && table !== 'nat' && chainTok && (BUILTIN_CHAINS.nat as readonly string[]).includes(chainTok.text)) {
      const hooks = findTarget(scan.target)?.hooks;
      if (!hooks || (hooks as readonly string[]).includes(chainTok.text)) {
        this.emit({ tok: scan.targetTok, code: 'wrong-table', severity: 'error',
          message: `${scan.target} works only in the nat table, and this rule is in ${table}`, fix: '-t nat' }, toks[scan.targetTok]);
        this.table = 'nat';
      } else {
        this.emit({ tok: scan.targetTok, code: 'wrong-table', severity: 'error',
          message: `${scan.target} works only in the nat table's ${hooks.join(' and ')} chains, and this rule is in ${table} ${chainTok.text}`,
          fix: `-t nat -A ${hooks[0]}` }, toks[scan.targetTok]);
        this.damaged = true;
      }
    }
  }

  /** The command's chain is not in its table: a built-in chain of another table (read it there), or undefined. */
  private chainElsewhere(scan: WordScan, chainTok: Tok): void {
    const table = this.table;
    const homes = TABLE_NAMES.filter((t) => t !== table && (BUILTIN_CHAINS[t] as readonly string[]).includes(chainTok.text));
    if (homes.length) {
      const to = scan.target && NAT_TARGETS.has(scan.target) && homes.includes('nat') ? 'nat'
        : homes.includes('nat') ? 'nat' : homes[0];
      this.emit({ tok: scan.chainTok, code: 'wrong-table', severity: 'error',
        message: `${chainTok.text} is not a chain of the ${table} table (iptables: "No chain/target/match by that name"); ${scan.target ? `-j ${scan.target} ` : ''}rules in ${chainTok.text} belong in the ${to} table`,
        fix: `-t ${to}` }, chainTok);
      this.table = to;
    } else if (!scan.placeholderChain) {
      const guess = closest(chainTok.text, this.importer.chainSet(table), 2);
      this.emit({ tok: scan.chainTok, code: 'undefined-chain', severity: 'error',
        message: `iptables: No chain/target/match by that name: ${chainTok.text} (in table ${table})`,
        fix: guess ? `did you mean ${guess}?` : `create it first with iptables${table === 'filter' ? '' : ` -t ${table}`} -N ${chainTok.text}` }, chainTok);
      this.damaged = true;
    }
  }

  /** Words whose parser errors only repeat a problem already said (the scan's, typographic quotes and dashes, stand-ins). */
  private consequences(scan: WordScan, curly: number): Set<number> {
    const toks = this.toks;
    const flagged = new Set(scan.flagged);
    // words that only look wrong because of an earlier typographic character
    if (curly >= 0) {
      const closing = toks.findIndex((t, k) => k > curly && /[\u201d\u2019\u00bb]/.test(t.text));
      for (let k = curly + 1; k <= (closing < 0 ? toks.length - 1 : closing); k++) flagged.add(k);
    }
    toks.forEach((t, k) => {
      if (!/^[\u2013\u2014]/.test(t.text)) return;
      for (let v = k + 1; v < toks.length && !isOptionWord(toks[v].text) && !/^[\u2013\u2014]/.test(toks[v].text); v++) flagged.add(v);
    });
    toks.forEach((t, k) => {
      if (t.placeholder) {
        flagged.add(k);
        if (k > 0) flagged.add(k - 1);
      }
    });
    return flagged;
  }

  /** Parse, and after each error take the offending words out and parse again; the command, or null when it never parsed. */
  private parseRepairing(scan: WordScan, flagged: Set<number>): Command | null {
    const { toks, table } = this;
    const chains = this.importer.chainSet(table);
    let live = toks.map((_, k) => k).filter((k) => !scan.remove.has(k));
    for (let attempt = 0; attempt < 16; attempt++) {
      const ws: Word[] = live.map((k) => ({ text: toks[k].text, start: k, quoted: false }));
      try {
        return parseCommandWords(ws, { table, isChain: (n) => chains.has(n), family: this.importer.family }).command;
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        const at = live[Math.min(e.word, live.length - 1)] ?? -1;
        const consequence = flagged.has(at) || (scan.damagedExt.has(at) && /must be specified|requires|needs|missing/i.test(e.message));
        if (!consequence) this.emit({ tok: at, code: e.code, severity: 'error', message: e.message, ...(e.fix ? { fix: e.fix } : {}) }, toks[at]);
        this.damaged = true;
        const drop = spanToDrop(toks, live, e.word);
        if (drop.size === 0) break;
        live = live.filter((k) => !drop.has(k));
        if (live.length === 0) break;
      }
    }
    return null;
  }
}

/** A stand-in for an unknown value, chosen by the option it follows, so the rest of the line can be checked. */
function placeholderFor(prev: string): string {
  const o = prev.replace(/^-+/, '').split('=')[0];
  if (/^(s|d|src|dst)$/.test(o) || (o.length >= 2 && ('source'.startsWith(o) || 'destination'.startsWith(o) || 'to-destination'.startsWith(o) || o === 'to-source'))) return '198.18.0.1';
  if (/port/.test(o)) return '1';
  if (/^(i|o)$/.test(o) || /interface/.test(o)) return 'eth0';
  if (/^(j|jump|g|goto)$/.test(o)) return 'ACCEPT';
  if (/^(A|append|I|insert|D|delete|P|policy|N|new-chain)$/.test(o)) return 'INPUT';
  if (o === 'p' || o === 'protocol') return 'tcp';
  return 'x';
}

function quoteForRestore(t: string, first: boolean): string {
  const plain = t !== '' && /^[^\s"\\]+$/.test(t) && !(first && (/^[#*:[]/.test(t) || t === 'COMMIT'));
  return plain ? t : '"' + t.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function unresolvedFinding(u: Unresolved, unknownVars: Map<string, string>): Finding {
  if (u.kind === 'too-long')
    return { code: 'expansion-too-long', severity: 'error', line: u.line, col: u.col,
      message: `expanding $${u.name} here would make a word longer than ${MAX_WORD.toLocaleString('en')} characters (or all expansions together longer than ${MAX_EXPANDED.toLocaleString('en')}); no iptables argument is that long, so the value is dropped and what uses it is left out`,
      fix: `check how the script builds $${u.name} (does it double it in a loop?), or give its value with --define ${u.name}=VALUE` };
  if (u.kind === 'substitution')
    return { code: 'undefined-variable', severity: 'error', line: u.line, col: u.col,
      message: `${u.name} is only known when the script runs on the host; the command is left out`,
      fix: 'put the value in the script, or in a variable given with --define NAME=VALUE' };
  const why = unknownVars.get(u.name);
  return { code: 'undefined-variable', severity: 'error', line: u.line, col: u.col,
    message: why ? `$${u.name} is only known when the script runs (${why})` : `$${u.name} is not defined in the script`,
    fix: `--define ${u.name}=VALUE` };
}

// ---- lint --------------------------------------------------------------------------
// THE single call site of the lint on an imported ruleset. The rulesets' rules
// already carry the script's line numbers, so its findings need no mapping.
function lintImported(rs: Ruleset): Finding[] {
  return lintRuleset(rs, {});
}
