// Importing pasted commands: a shell script (or a how-to's recipe) of
// `iptables …` lines becomes a ruleset, with findings on the SCRIPT's lines.
//
// The script is read as sh reads it (shell-words.ts). Each iptables command is
// checked word by word for everything we can see wrong with it — not only the
// first problem iptables would stop at — then parsed with the rule parser,
// repairing and re-parsing after each error to find the next one. Commands that
// survive intact are written into an iptables-restore text, table by table (the
// shell runs commands in order, and tables are independent, so per-table order
// is the order that matters), and that text is parsed by parseRuleset, which
// applies -N/-P/-I/-D/-F/-X and the commit-time checks exactly as for a file.
import type { Family, Ruleset, TableName } from './model.js';
import { BUILTIN_CHAINS, TABLE_NAMES, isTableName } from './model.js';
import type { Finding, FindingCode, Severity } from './findings.js';
import { parseRuleset } from './parse.js';
import { closest, GENERIC_LONG_OPTIONS, GENERIC_SHORT_OPTIONS, parseCommandWords, RuleError } from './rule-parser.js';
import { findMatch, findTarget, knownMatches, knownTargets } from './extensions/registry.js';
import { parseProtocol, protocolMatchName } from './values.js';
import type { OptionSpec } from './extensions/types.js';
import type { Word } from './tokenize.js';
import { MAX_EXPANDED, MAX_WORD, shellLexer, type ShellWord, type Unresolved } from './shell-words.js';
import { lintRuleset } from './lint.js';

export interface ImportOptions {
  /** values for $VARIABLES the script uses but does not set (they win over the script's own assignments) */
  defines?: Record<string, string>;
  /** which commands make the ruleset: iptables (ipv4, the default) or ip6tables (ipv6) */
  family?: Family;
  /** run the lint on the result (default true) */
  lint?: boolean;
}

export type CommandStatus = 'imported' | 'left-out' | 'skipped';

export interface ImportedCommand {
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

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);

/** One word of an iptables command, where it is in the script, and what became of it. */
interface Tok {
  text: string;
  line: number;
  col: number;
  /** its value is a stand-in for something unknown (an undefined variable) */
  placeholder?: boolean;
}

interface LineFinding {
  tok: number;
  code: FindingCode;
  severity: Severity;
  message: string;
  fix?: string;
}

export function importScript(text: string, opts: ImportOptions = {}): ImportResult {
  const family: Family = opts.family ?? 'ipv4';
  const defines = opts.defines ?? {};
  const findings: Finding[] = [];
  const commands: ImportedCommand[] = [];
  const vars = new Map<string, string>();
  /** variables the script sets to something only known at run time */
  const unknownVars = new Map<string, string>();
  const lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(defines, name) ? defines[name] : vars.get(name);

  // Chains as they exist at each point of the script, per table.
  const chains = new Map<TableName, Set<string>>();
  const chainSet = (t: TableName): Set<string> => {
    let s = chains.get(t);
    if (!s) chains.set(t, (s = new Set(BUILTIN_CHAINS[t])));
    return s;
  };
  interface RestoreLine {
    words: Tok[];
    line: number;
  }
  const restore = new Map<TableName, RestoreLine[]>();

  const add = (f: Omit<Finding, 'line'> & { line: number }) => findings.push(f);
  const lexer = shellLexer(text);
  for (let cmd = lexer.next(lookup); cmd; cmd = lexer.next(lookup)) {
    let words = cmd.words;
    while (words.length && SHELL_KEYWORDS.has(words[0].text) && !words[0].quoted) words = words.slice(1);
    if (words.length === 0) continue;

    // NAME=value alone sets a variable; before a command it is only that command's environment
    let k = 0;
    while (k < words.length && words[k].assignment) k++;
    if (k === words.length) {
      for (const w of words) assign(w);
      continue;
    }
    words = words.slice(k);
    const first = words[0];
    if (['export', 'readonly', 'local', 'declare', 'typeset'].includes(first.text)) {
      for (const w of words.slice(1)) if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) assign(w);
      continue;
    }
    // sudo [-u user] …, command …, exec …
    let w0 = 0;
    while (w0 < words.length && ['sudo', 'command', 'exec', 'nohup'].includes(words[w0].text)) {
      const wrapper = words[w0++].text;
      while (w0 < words.length && words[w0].text.startsWith('-')) {
        const o = words[w0++].text;
        if (wrapper === 'sudo' && /^-[ugpCUhD]$/.test(o)) w0++;
      }
    }
    words = words.slice(w0);
    if (words.length === 0) continue;
    const head = words[0];
    const base = head.text.slice(head.text.lastIndexOf('/') + 1);
    const record = (status: CommandStatus, table?: TableName) =>
      commands.push({ line: head.line, words: words.map((w) => w.text), status, ...(table ? { table } : {}) });
    const info = (code: FindingCode, message: string, fix?: string) =>
      add({ code, severity: 'info', line: head.line, col: head.col, message, ...(fix ? { fix } : {}) });

    let cmdFamily: Family | null = IPV4_COMMANDS.has(base) ? 'ipv4' : IPV6_COMMANDS.has(base) ? 'ipv6' : null;
    if (!cmdFamily && head.unresolved.length > 0 && words.length > 1 && /^-[A-Za-z-]/.test(words[1].text)) {
      // `$IPT -A INPUT …` with IPT unknown: it is an iptables command all the same
      cmdFamily = family;
    } else if (!cmdFamily && SAVE_RESTORE.has(base)) {
      info('shell-command', `${base} is not a rule command; skipped`,
        base.includes('restore') ? 'a ruleset file loaded with iptables-restore can be checked directly: portcullis check FILE' : undefined);
      record('skipped');
      continue;
    } else if (!cmdFamily && !OTHER_COMMANDS.has(base) && !head.quoted && base.length >= 5) {
      const guess = closest(base, ['iptables', 'ip6tables'], 2);
      if (guess) {
        add({ code: 'unknown-command', severity: 'error', line: head.line, col: head.col,
          message: `${base}: command not found (the shell would stop here; read as ${guess})`, fix: guess });
        cmdFamily = guess === 'ip6tables' ? 'ipv6' : 'ipv4';
      }
    }
    if (!cmdFamily) {
      if (base === '.' || base === 'source') info('shell-command', `${base} reads another file; variables it sets are unknown here`, 'give their values with --define NAME=VALUE');
      else info('shell-command', `${base}: not an iptables command; skipped`);
      record('skipped');
      continue;
    }
    if (cmdFamily !== family) {
      info('other-family', `${cmdFamily === 'ipv6' ? 'ip6tables' : 'iptables'} command skipped: this import builds the ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ruleset`,
        `import the ${cmdFamily === 'ipv6' ? 'IPv6' : 'IPv4'} rules with --family ${cmdFamily}`);
      record('skipped');
      continue;
    }
    const outcome = iptablesCommand(words.slice(1));
    record(outcome.status, outcome.table);
  }

  // ---- the restore text ---------------------------------------------------------
  const restoreMap: { line: number; words: { from: number; to: number; tok: Tok }[] }[] = [];
  const out: string[] = [];
  const put = (s: string, line: number, words: { from: number; to: number; tok: Tok }[] = []) => {
    out.push(s);
    restoreMap.push({ line, words });
  };
  for (const t of TABLE_NAMES.filter((x) => restore.has(x))) {
    const lines = restore.get(t)!;
    put(`*${t}`, lines[0].line);
    for (const c of BUILTIN_CHAINS[t]) put(`:${c} ACCEPT [0:0]`, lines[0].line);
    for (const l of lines) {
      let s = '';
      const ws: { from: number; to: number; tok: Tok }[] = [];
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
  const restoreText = out.length ? out.join('\n') + '\n' : '';
  const parsed = parseRuleset(restoreText, { family });
  // what the script-level checks said stays; the restore parse and the lint add only what is new
  const scriptFindings = findings.length;
  const scriptLine = (l: number) => restoreMap[l - 1]?.line ?? restoreMap[restoreMap.length - 1]?.line ?? 0;
  for (const f of parsed.findings) {
    const m = restoreMap[f.line - 1];
    const mapped: Finding = { ...f, line: scriptLine(f.line) };
    delete mapped.col;
    if (m && f.col !== undefined) {
      const w = m.words.find((x) => f.col! - 1 >= x.from && f.col! - 1 < x.to) ?? m.words[0];
      if (w) {
        mapped.line = w.tok.line;
        mapped.col = w.tok.col;
      }
    }
    findings.push(mapped);
  }
  // rules and chains remember the script's lines, so everything said about them later points there
  for (const t of parsed.ruleset.tables) {
    if (t.source) t.source = { line: scriptLine(t.source.line) };
    for (const c of t.chains) {
      if (c.source) c.source = { ...c.source, line: scriptLine(c.source.line) };
      for (const r of c.rules) if (r.source) r.source = { ...r.source, line: scriptLine(r.source.line) };
      for (const d of c.disabled) if (d.rule.source) d.rule.source = { ...d.rule.source, line: scriptLine(d.rule.source.line) };
    }
  }

  if (opts.lint !== false) findings.push(...lintImported(parsed.ruleset));

  // one finding per line, code and place: the same problem can be seen by the scan, the parser and the lint
  const seen = new Set<string>();
  const unique = findings.filter((f, k) => {
    const key = `${f.line}\u0000${f.code}\u0000${f.col ?? ''}\u0000${f.index ?? ''}\u0000${f.message}`;
    const loose = `${f.line}\u0000${f.code}`;
    if (seen.has(key) || (k >= scriptFindings && seen.has(loose))) return false;
    seen.add(key);
    if (k < scriptFindings) seen.add(loose);
    return true;
  });
  // on each line: the problems with a column in column order, then those about the whole rule, then what became of the command
  const rank = (f: Finding) => (f.code === 'left-out' ? Number.MAX_SAFE_INTEGER : (f.col ?? Number.MAX_SAFE_INTEGER - 1));
  unique.sort((a, b) => a.line - b.line || rank(a) - rank(b));
  return { ruleset: parsed.ruleset, findings: unique, commands, restoreText };

  // ---------------------------------------------------------------------------------

  function assign(w: ShellWord): void {
    const eq = w.text.indexOf('=');
    const name = w.text.slice(0, eq);
    if (w.unresolved.length) {
      vars.delete(name);
      const u = w.unresolved.find((x) => x.kind === 'too-long') ?? w.unresolved[0];
      if (u.kind === 'too-long') add(unresolvedFinding(u, unknownVars));
      // a variable set from one that is already unknown keeps the first reason (a chain of 40 doublings names the line that overflowed)
      unknownVars.set(name, u.kind === 'substitution' ? `line ${w.line} sets it from ${u.name}, which only runs on the host`
        : u.kind === 'too-long' ? `line ${u.line} would make it longer than ${MAX_WORD.toLocaleString('en')} characters`
          : unknownVars.get(u.name) ?? `line ${w.line} sets it from $${u.name}, which is not defined`);
    } else {
      vars.set(name, w.text.slice(eq + 1));
      unknownVars.delete(name);
    }
  }

  /** One iptables command's words (without the command name). */
  function iptablesCommand(words: ShellWord[]): { status: CommandStatus; table?: TableName } {
    const lineFindings: LineFinding[] = [];
    let incomplete = false;
    let toks: Tok[] = words.map((w) => ({ text: w.text, line: w.line, col: w.col }));
    const startLine = words[0]?.line ?? 0;
    const emit = (lf: LineFinding, at: Tok | undefined) =>
      add({ code: lf.code, severity: lf.severity, message: lf.message, line: at?.line ?? startLine, ...(at ? { col: at.col } : {}), ...(lf.fix ? { fix: lf.fix } : {}) });

    // $VARIABLES nobody defined: say so, and stand in a harmless value to check the rest
    const reported = new Set<string>();
    words.forEach((w, k) => {
      for (const u of w.unresolved) {
        const key = `${u.line}:${u.col}`;
        if (reported.has(key)) continue;
        reported.add(key);
        add(unresolvedFinding(u, unknownVars));
      }
      if (w.unresolved.length) {
        incomplete = true;
        toks[k] = { ...toks[k], text: placeholderFor(k > 0 ? words[k - 1].text : ''), placeholder: true };
      }
    });

    // -t TABLE goes to the restore text's *table line
    let table: TableName = 'filter';
    let badTable = false;
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
          emit({ tok: k, code: 'missing-argument', severity: 'error', message: `${t} needs a table name${k + 1 < toks.length ? `, but ${toks[k + 1].text} follows` : ' and the line ends'}`, fix: `${t} nat (or filter, mangle, raw, security)` }, toks[k]);
          incomplete = true;
        }
      } else if (/^-t[a-z]+$/.test(t)) {
        isTable = true;
        value = t.slice(2);
      }
      if (!isTable) {
        kept.push(toks[k]);
        continue;
      }
      if (value === undefined) continue;
      if (isTableName(value)) table = value;
      else {
        const guess = closest(value, TABLE_NAMES, 2);
        emit({ tok: k, code: 'invalid-argument', severity: 'error', message: `can't initialize iptables table \`${value}': Table does not exist`, fix: guess ? `-t ${guess}` : 'the tables are filter, nat, mangle, raw and security' }, toks[k]);
        incomplete = true;
        badTable = true;
      }
    }
    toks = kept;

    // “curly” quotes from a web page are ordinary characters to sh: the quoted text falls apart into words
    const curly = toks.findIndex((t) => /[\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb]/.test(t.text));
    if (curly >= 0) {
      emit({ tok: curly, code: 'invalid-argument', severity: 'error',
        message: `typographic quotes (${[...toks[curly].text].find((c) => /[\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb]/.test(c))}) are not quotes to the shell: the text between them is split into separate words (copied from a web page?)`,
        fix: 'use straight quotes: "…"' }, toks[curly]);
      incomplete = true;
    }

    const scan = scanWords(toks, table);
    if (scan.listing) {
      add({ code: 'ignored-command', severity: 'info', line: startLine, col: toks[scan.cmdTok]?.col, message: `${toks[scan.cmdTok]?.text ?? 'this command'} ${scan.listing}; it does not change the ruleset, skipped` });
      return { status: 'skipped' };
    }
    let damaged = scan.remove.size > 0;

    // A chain that only exists in another table: the `-t nat` was forgotten.
    const chainTok = scan.chainTok >= 0 ? toks[scan.chainTok] : undefined;
    if (badTable) {
      // the table is unknown: which chains exist is unknown too
    } else if (chainTok && scan.cmd && 'AIDRPLSFZC'.includes(scan.cmd) && !chainSet(table).has(chainTok.text)) {
      const homes = TABLE_NAMES.filter((t) => t !== table && (BUILTIN_CHAINS[t] as readonly string[]).includes(chainTok.text));
      if (homes.length) {
        const to = scan.target && NAT_TARGETS.has(scan.target) && homes.includes('nat') ? 'nat'
          : homes.includes('nat') ? 'nat' : homes[0];
        emit({ tok: scan.chainTok, code: 'wrong-table', severity: 'error',
          message: `${chainTok.text} is not a chain of the ${table} table (iptables: "No chain/target/match by that name"); ${scan.target ? `-j ${scan.target} ` : ''}rules in ${chainTok.text} belong in the ${to} table`,
          fix: `-t ${to}` }, chainTok);
        table = to;
      } else if (!scan.placeholderChain) {
        const guess = closest(chainTok.text, chainSet(table), 2);
        emit({ tok: scan.chainTok, code: 'undefined-chain', severity: 'error',
          message: `iptables: No chain/target/match by that name: ${chainTok.text} (in table ${table})`,
          fix: guess ? `did you mean ${guess}?` : `create it first with iptables${table === 'filter' ? '' : ` -t ${table}`} -N ${chainTok.text}` }, chainTok);
        damaged = true;
      }
    } else if (scan.target && NAT_TARGETS.has(scan.target) && table !== 'nat' && chainTok && (BUILTIN_CHAINS.nat as readonly string[]).includes(chainTok.text)) {
      const hooks = findTarget(scan.target)?.hooks;
      if (!hooks || (hooks as readonly string[]).includes(chainTok.text)) {
        emit({ tok: scan.targetTok, code: 'wrong-table', severity: 'error',
          message: `${scan.target} works only in the nat table, and this rule is in ${table}`, fix: '-t nat' }, toks[scan.targetTok]);
        table = 'nat';
      } else {
        emit({ tok: scan.targetTok, code: 'wrong-table', severity: 'error',
          message: `${scan.target} works only in the nat table's ${hooks.join(' and ')} chains, and this rule is in ${table} ${chainTok.text}`,
          fix: `-t nat -A ${hooks[0]}` }, toks[scan.targetTok]);
        damaged = true;
      }
    }
    for (const lf of scan.findings) emit(lf, toks[lf.tok]);

    // Parse, and after each error take the offending words out and parse again,
    // so one run shows every problem of the line.
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
    let live = toks.map((_, k) => k).filter((k) => !scan.remove.has(k));
    let parsedOk = false;
    let command: ReturnType<typeof parseCommandWords>['command'] | null = null;
    for (let attempt = 0; attempt < 16; attempt++) {
      const ws: Word[] = live.map((k) => ({ text: toks[k].text, start: k, quoted: false }));
      try {
        command = parseCommandWords(ws, { table, isChain: (n) => chainSet(table).has(n), family }).command;
        parsedOk = true;
        break;
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        const at = live[Math.min(e.word, live.length - 1)] ?? -1;
        const consequence = flagged.has(at) || (scan.damagedExt.has(at) && /must be specified|requires|needs|missing/i.test(e.message));
        if (!consequence) emit({ tok: at, code: e.code, severity: 'error', message: e.message, ...(e.fix ? { fix: e.fix } : {}) }, toks[at]);
        damaged = true;
        const drop = spanToDrop(toks, live, e.word);
        if (drop.size === 0) break;
        live = live.filter((k) => !drop.has(k));
        if (live.length === 0) break;
      }
    }
    if (!parsedOk || damaged || incomplete || !command) {
      add({ code: 'left-out', severity: 'info', line: startLine, message: 'this command is left out of the imported ruleset until the problems above are fixed' });
      return { status: 'left-out', table };
    }

    // The command is whole: simulate what it does to the chains and keep it.
    switch (command.kind) {
      case 'new-chain': chainSet(table).add(command.chain); break;
      case 'delete-chain':
        if (command.chain) chainSet(table).delete(command.chain);
        else for (const c of [...chainSet(table)]) if (!(BUILTIN_CHAINS[table] as readonly string[]).includes(c)) chainSet(table).delete(c);
        break;
      case 'rename-chain': chainSet(table).delete(command.chain); chainSet(table).add(command.to); break;
      default: break;
    }
    let lines = restore.get(table);
    if (!lines) restore.set(table, (lines = []));
    lines.push({ words: toks, line: startLine });
    return { status: 'imported', table };
  }

  /**
   * Walk the words as iptables' getopt would, knowing which options take a
   * value, and note every option whose value is missing (the line ends, or
   * another option follows), unknown options and obsolete matches.
   */
  /** The match `-p NAME` loads by itself (`-p 58` and `-p icmpv6` load icmp6 in ip6tables). */
  function protoMatchOf(protoName: string): string {
    try {
      return protocolMatchName(parseProtocol(protoName), family) ?? protoName;
    } catch {
      return protoName;
    }
  }

  function scanWords(toks: Tok[], table: TableName) {
    const findings: LineFinding[] = [];
    const remove = new Set<number>();
    const flagged = new Set<number>();
    const damagedExt = new Set<number>();
    let cmd: string | null = null;
    let cmdTok = -1;
    let chainTok = -1;
    let target: string | null = null;
    let targetTok = -1;
    let listing: string | null = null;
    let protoName: string | null = null;
    let placeholderChain = false;
    let blind = false; // an extension we do not model is loaded: its options are unknown to us
    type Ext = { name: string; tok: number; specs: Map<string, { arity: number; name: string }>; obsolete?: true; values: Record<string, string> };
    const exts: Ext[] = [];

    const specsOf = (list: readonly OptionSpec[]) => {
      const m = new Map<string, { arity: number; name: string }>();
      for (const o of list) for (const n of [o.name, ...(o.aliases ?? [])]) m.set(n, { arity: o.arg === 'required' ? 1 + (o.extraArgs ?? 0) : o.arg === 'optional' ? -1 : 0, name: o.name });
      return m;
    };
    const fallbackSpecs = (names: string[] | null) => {
      const m = new Map<string, { arity: number; name: string }>();
      for (const [n, a] of Object.entries(FALLBACK_ARITY)) if (!names || names.includes(n)) m.set(n, { arity: a, name: n });
      return m;
    };
    const loadExt = (name: string, tok: number, kind: 'match' | 'target') => {
      const ext = kind === 'match' ? findMatch(name, family) : findTarget(name, family);
      if (ext) exts.push({ name, tok, specs: specsOf(ext.options), values: {} });
      else if (kind === 'match' && OBSOLETE_MATCHES[name]) {
        exts.push({ name, tok, specs: new Map(OBSOLETE_MATCHES[name].options.map((o) => [o, { arity: 1, name: o }])), obsolete: true, values: {} });
      } else if (kind === 'match' ? knownMatches(family).has(name) : knownTargets(family).has(name)) {
        exts.push({ name, tok, specs: fallbackSpecs(null), values: {} });
        blind = true;
      } else if (kind === 'match') blind = true; // the parser reports the unknown match
    };
    const resolve = (name: string): { kind: 'generic'; hasArg: number; name: string } | { kind: 'ext'; ext: Ext; arity: number; name: string } | null => {
      const g = GENERIC_BY_LONG.get(name);
      if (g) return { kind: 'generic', hasArg: g.hasArg, name: g.name };
      for (let e = exts.length - 1; e >= 0; e--) {
        const s = exts[e].specs.get(name);
        if (s) return { kind: 'ext', ext: exts[e], arity: s.arity, name: s.name };
      }
      // unique prefix, as getopt_long
      const cands: ({ kind: 'generic'; hasArg: number; name: string } | { kind: 'ext'; ext: Ext; arity: number; name: string })[] = [];
      for (const o of GENERIC_LONG_OPTIONS) if (o.name.startsWith(name)) cands.push({ kind: 'generic', hasArg: o.hasArg, name: o.name });
      for (let e = exts.length - 1; e >= 0; e--)
        for (const [n, s] of exts[e].specs) if (n.startsWith(name)) cands.push({ kind: 'ext', ext: exts[e], arity: s.arity, name: s.name });
      const distinct = new Set(cands.map((c) => (c.kind === 'generic' ? 'g:' : `e:${c.ext.tok}:`) + c.name));
      if (distinct.size === 1) return cands[0];
      // the protocol's own match loads by itself when its option appears (-p tcp --dport)
      if (protoName && !exts.some((e) => e.name === protoName)) {
        const pm = findMatch(protoMatchOf(protoName), family);
        if (pm) {
          const ext: Ext = { name: protoName, tok: -1, specs: specsOf(pm.options), values: {} };
          const s = ext.specs.get(name) ?? [...ext.specs.entries()].find(([n]) => n.startsWith(name))?.[1];
          if (s) {
            exts.push(ext);
            return { kind: 'ext', ext, arity: s.arity, name: s.name };
          }
        }
      }
      const fb = FALLBACK_ARITY[name];
      if (fb !== undefined && blind) return { kind: 'ext', ext: exts[exts.length - 1] ?? { name: '?', tok: -1, specs: new Map(), values: {} }, arity: fb, name };
      return null;
    };
    const missing = (k: number, what: string, ext: Ext | null) => {
      const next = toks[k + 1];
      const message = next
        ? `${toks[k].text} needs ${what}, but ${next.text} follows: the value is missing (lost when the command was copied?)`
        : `${toks[k].text} needs ${what}, and the line ends: the value is missing`;
      findings.push({ tok: k, code: 'missing-argument', severity: 'error', message, fix: `write ${toks[k].text} ${exampleValue(toks[k].text)}` });
      remove.add(k);
      flagged.add(k);
      if (ext && ext.tok >= 0) damagedExt.add(ext.tok);
    };
    /** consume `count` values after toks[k]; false when one is missing */
    const values = (k: number, count: number, what: string, ext: Ext | null): boolean => {
      for (let v = 1; v <= count; v++) {
        const t = toks[k + v];
        if (!t || (isOptionWord(t.text) && !t.placeholder)) {
          missing(k, what, ext);
          return false;
        }
      }
      return true;
    };

    let k = 0;
    while (k < toks.length) {
      const w = toks[k].text;
      if (w === '!') {
        k++;
        continue;
      }
      if (w.startsWith('--') && w.length > 2) {
        const eq = w.indexOf('=');
        const name = eq >= 0 ? w.slice(2, eq) : w.slice(2);
        const inline = eq >= 0 ? w.slice(eq + 1) : undefined;
        const r = resolve(name);
        if (!r) {
          if (!blind) {
            const pool = [...GENERIC_LONG_OPTIONS.map((o) => o.name), ...exts.flatMap((e) => [...e.specs.keys()])];
            const implicit = protoName ? findMatch(protoMatchOf(protoName), family) : undefined;
            if (implicit) for (const o of implicit.options) pool.push(o.name, ...(o.aliases ?? []));
            const guess = closest(name, pool, 2);
            findings.push({ tok: k, code: 'unknown-option', severity: 'error', message: `unknown option "${w}"`,
              fix: guess ? `did you mean --${guess}?` : !protoName && /port/.test(name) ? 'ports need a protocol first: -p tcp or -p udp' : undefined });
            remove.add(k);
            flagged.add(k);
            if (k + 1 < toks.length && !isOptionWord(toks[k + 1].text)) {
              remove.add(k + 1);
              flagged.add(k + 1);
              k++;
            }
          }
          k++;
          continue;
        }
        if (r.kind === 'generic') {
          const argc = r.hasArg === 1 && inline === undefined ? 1 : 0;
          if (argc && !values(k, 1, valueName(r.name), null)) {
            k++;
            continue;
          }
          generic(r.name, k, inline ?? (argc ? toks[k + 1].text : undefined));
          k += 1 + argc;
          continue;
        }
        // an extension's option
        let argc = r.arity < 0 ? (k + 1 < toks.length && !isOptionWord(toks[k + 1].text) ? 1 : 0) : r.arity;
        if (inline !== undefined && argc > 0) argc--;
        if (argc > 0 && !values(k, argc, valueName(r.name), r.ext)) {
          k++;
          continue;
        }
        if (r.ext.obsolete) {
          remove.add(k);
          for (let v = 1; v <= argc; v++) remove.add(k + v);
          r.ext.values[r.name] = inline ?? toks[k + argc]?.text ?? '';
        }
        k += 1 + argc;
        continue;
      }
      if (w.length >= 2 && w[0] === '-' && !/^-\d/.test(w)) {
        const c = w[1];
        const has = GENERIC_SHORT_OPTIONS[c];
        if (has === undefined) {
          if (!blind) {
            findings.push({ tok: k, code: 'unknown-option', severity: 'error', message: `unknown option "-${c}"` });
            remove.add(k);
            flagged.add(k);
          }
          k++;
          continue;
        }
        const longName = LONG_BY_SHORT.get(c) ?? c;
        if (has === 1 && w.length === 2) {
          if (!values(k, 1, valueName(longName), null)) {
            k++;
            continue;
          }
          generic(longName, k, toks[k + 1].text);
          k += 2;
          continue;
        }
        if (has === 1) {
          generic(longName, k, w.slice(2));
          k++;
          continue;
        }
        // flags, possibly bundled (-nvL): the letters that are commands count
        for (const letter of w.slice(1)) {
          const ln = LONG_BY_SHORT.get(letter);
          if (ln && 'LSZFXhV'.includes(letter)) generic(ln, k, undefined);
        }
        k++;
        continue;
      }
      k++; // a stray word: the parser says "Bad argument"
    }

    // obsolete matches: one finding with the replacement, the match and its options removed
    for (const e of exts) {
      if (!e.obsolete) continue;
      remove.add(e.tok);
      remove.add(e.tok + 1);
      flagged.add(e.tok);
      findings.push({ tok: e.tok, code: 'obsolete-match', severity: 'error', ...obsoleteAdvice(e.name, e.values) });
    }
    return { findings, remove, flagged, damagedExt, cmd, cmdTok, chainTok, target, targetTok, listing, placeholderChain };

    function generic(name: string, k: number, value: string | undefined): void {
      const at = toks[k];
      const valueTok = value !== undefined && toks[k + 1]?.text === value ? k + 1 : k;
      switch (name) {
        case 'append': case 'insert': case 'delete': case 'replace': case 'check': case 'new-chain': case 'policy':
        case 'rename-chain': case 'flush': case 'zero': case 'list': case 'list-rules': case 'delete-chain': {
          if (cmd === null) {
            cmd = { append: 'A', insert: 'I', delete: 'D', replace: 'R', check: 'C', 'new-chain': 'N', policy: 'P', 'rename-chain': 'E',
              flush: 'F', zero: 'Z', list: 'L', 'list-rules': 'S', 'delete-chain': 'X' }[name]!;
            cmdTok = k;
            if (value !== undefined) {
              chainTok = valueTok;
              placeholderChain = Boolean(toks[valueTok]?.placeholder);
            }
            if (name === 'list' || name === 'list-rules') listing = 'lists the rules';
            if (name === 'zero') listing = 'zeroes the counters';
            if (name === 'check') listing = 'checks whether a rule exists';
          }
          break;
        }
        case 'help': case 'version':
          if (cmd === null) {
            cmd = 'h';
            cmdTok = k;
            listing = 'prints information';
          }
          break;
        case 'match':
          if (value !== undefined) loadExt(value, k, 'match');
          break;
        case 'jump':
          if (value !== undefined) {
            target = value;
            targetTok = k;
            loadExt(value, k, 'target');
          }
          break;
        case 'goto':
          if (value !== undefined) {
            target = value;
            targetTok = k;
          }
          break;
        case 'protocol':
          if (value !== undefined) protoName = value.toLowerCase();
          break;
        default:
          void at;
          break;
      }
    }
  }
}

/** The words to take out after the parser stopped at word `w` of `live`, to look further. */
function spanToDrop(toks: Tok[], live: number[], w: number): Set<number> {
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

function isOptionWord(t: string): boolean {
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

// ---- lint --------------------------------------------------------------------------
// THE single call site of the lint on an imported ruleset. The rulesets' rules
// already carry the script's line numbers, so its findings need no mapping.
function lintImported(rs: Ruleset): Finding[] {
  return lintRuleset(rs, {});
}
