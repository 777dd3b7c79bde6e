// Reading a ruleset file the way iptables-restore does (iptables 1.8, legacy):
// `*table`, `:chain policy [p:b]`, command lines, `COMMIT`, `#` comments. Every
// problem becomes a finding on the line iptables-restore names; unlike
// iptables-restore we go on after an error, so one run shows every problem.
import { clipTokens } from './clip.js';
import './extensions/index.js';
import type { Chain, Counters, DisabledRule, Family, Rule, Ruleset, Table, TableName } from './model.js';
import { isTableName, newTable } from './model.js';
import type { Finding, FindingCode } from './findings.js';
import { splitWords, tokenizeLine } from './tokenize.js';
import { checkChainName, parseCommandTexts, parseCommandWords, RuleError, type Command, type CommandEnv } from './rule-parser.js';
import { checkAppended, newAppendedChecks, validateTable, type AppendedChecks } from './validate.js';
import { canonicalRuleBody } from './canonical.js';

export interface ParseOptions {
  family?: Family;
}

export interface ParseResult {
  ruleset: Ruleset;
  findings: Finding[];
  /** the file's lines without their line ends, for the preserving writer */
  lines: string[];
  /** the file ends with a line end (the last COMMIT needs one) */
  finalNewline: boolean;
}

interface TableState {
  table: Table;
  chains: Map<string, Chain>;
  /** line of the `*table` header */
  line: number;
  /** what the rule parser needs of the table, one per table rather than per line */
  env: CommandEnv;
  /** the commit checks done as rules were appended; null once a command did more than append */
  checks: AppendedChecks | null;
}

const COUNTERS_RE = /^\[(\d+):(\d+)\]$/;

export function parseRuleset(text: string, opts: ParseOptions = {}): ParseResult {
  const findings: Finding[] = [];
  const ruleset: Ruleset = { family: opts.family ?? 'ipv4', tables: [] };
  const lines = text.split('\n');
  const finalNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();

  let cur: TableState | null = null;
  let crlfReported = false;
  // a run of lines outside any table gets one finding
  let outside: { finding: Finding; last: number } | null = null;
  let lastContentLine = 0;
  // each command line's words, reused from line to line
  const texts: string[] = [];
  const starts: number[] = [];

  const err = (line: number, message: string, code: FindingCode = 'syntax', fix?: string, col?: number): void => {
    findings.push({ code, severity: 'error', line, col, message: clipTokens(message), fix: fix === undefined ? undefined : clipTokens(fix), table: cur?.table.name });
  };

  for (let ln = 0; ln < lines.length; ln++) {
    const lineNo = ln + 1;
    let raw = lines[ln];
    const isLast = ln === lines.length - 1 && !finalNewline;
    const nul = raw.indexOf('\0');
    if (nul >= 0) {
      // iptables-restore reads lines with fgets and C strings: a NUL ends the
      // line there and what follows is silently dropped. Refuse it (a file
      // written back would keep the NUL), and check the line as iptables reads it.
      const rest = raw.slice(nul + 1).replace(/\0/g, '\\0').trim();
      err(lineNo, `a NUL byte at column ${nul + 1}: iptables-restore stops reading the line there${rest ? `, so \`${rest}' after it is ignored` : ''}`,
        'nul-byte', 'remove the NUL byte (tr -d \'\\000\' < FILE) and check what the line should say', nul + 1);
      raw = raw.slice(0, nul);
    }

    if (raw.endsWith('\r')) {
      if (!crlfReported) {
        crlfReported = true;
        err(lineNo, 'the file has Windows line endings (CRLF); iptables-restore reads the \\r as part of each line and fails',
          'crlf', "convert the file to Unix line endings (dos2unix FILE, or sed -i 's/\\r$//' FILE)", raw.length);
      }
      // said once: the rest is checked as it reads after dos2unix, so that the
      // file's own mistakes show instead of the same \r error on every line
      raw = raw.slice(0, -1);
    }
    if (raw === '') continue;
    if (raw[0] === '#') {
      if (cur) maybeDisabledRule(cur, raw, lineNo);
      continue;
    }
    if (raw === 'COMMIT' && cur && !isLast) {
      commitTable(cur, lineNo);
      cur = null;
      continue;
    }
    if (raw[0] === '*' && cur && !isLast) {
      // iptables-restore stops here ("Bad argument `*nat'"); we say why, close
      // the open table as if COMMIT had been there and go on in the new one,
      // so the rest of the file is checked in the right table
      const name = raw.slice(1).split(/[ \t]/).find((x) => x !== '') ?? '';
      err(lineNo, `Bad argument \`${raw.split(/[ \t]/)[0]}': the *${cur.table.name} table (line ${cur.line}) has no COMMIT before this table starts`,
        'missing-commit', `add a COMMIT line before line ${lineNo}`, 1);
      commitTable(cur, lineNo);
      cur = null;
      if (!isTableName(name)) {
        cur = openTable(ruleset, 'filter', lineNo, true);
        continue;
      }
      cur = openTable(ruleset, name, lineNo, false);
      continue;
    }
    if (raw[0] === '*' && !cur) {
      const name = raw.slice(1).split(/[ \t]/).find((x) => x !== '') ?? '';
      if (!name) {
        err(lineNo, 'table name invalid', 'syntax', 'write the table as *filter, *nat, *mangle, *raw or *security');
        continue;
      }
      if (!isTableName(name)) {
        const cr = name.endsWith('\r');
        err(lineNo, `unable to initialize table '${name.replace(/\r/g, '\\r')}'`, cr ? 'crlf' : 'unknown-table',
          cr ? "convert the file to Unix line endings (dos2unix FILE)" : 'the tables are filter, nat, mangle, raw and security', 2);
        // keep going in a scratch table so the rest of the file is still checked
        cur = openTable(ruleset, 'filter', lineNo, true);
        continue;
      }
      cur = openTable(ruleset, name, lineNo, false);
      continue;
    }
    if (!cur) {
      if (raw === 'COMMIT' && isLast) {
        err(lineNo, "Bad argument `COMMIT'", 'missing-newline', 'end the file with a newline after the last COMMIT', 1);
      } else if (outside && outside.last === lastContentLine) {
        // one finding for a whole run of lines outside any table
        outside.last = lineNo;
        outside.finding.message = `lines ${outside.finding.line}–${lineNo} are outside a table: iptables-restore fails at line ${outside.finding.line}`;
      } else {
        err(lineNo, `line ${lineNo} failed: ${raw[0] === '*' ? 'table' : 'rule'} outside a table`, 'syntax',
          'start the table with a *filter (or *nat, *mangle, *raw, *security) line and end it with COMMIT', 1);
        outside = { finding: findings[findings.length - 1], last: lineNo };
      }
      lastContentLine = lineNo;
      continue;
    }
    lastContentLine = lineNo;
    if (raw[0] === ':') {
      declareChain(cur, raw, lineNo);
      continue;
    }
    if (raw === 'COMMIT' && isLast) {
      err(lineNo, "Bad argument `COMMIT'", 'missing-newline', 'end the file with a newline after the last COMMIT', 1);
      commitTable(cur, lineNo);
      cur = null;
      continue;
    }
    commandLine(cur, raw, lineNo);
  }
  if (cur) {
    err(lines.length + 1, `COMMIT expected at line ${lines.length + 1}`, 'missing-commit', `end the *${cur.table.name} table with a COMMIT line`);
    commitTable(cur, lines.length + 1);
  }
  // Tables opened on a bad header line were only there to check the rest.
  ruleset.tables = ruleset.tables.filter((t) => !scratch.has(t));
  findings.sort((a, b) => a.line - b.line || (a.col ?? 0) - (b.col ?? 0));
  return { ruleset, findings, lines, finalNewline };

  // ---------------------------------------------------------------------------

  function openTable(rs: Ruleset, name: TableName, line: number, isScratch: boolean): TableState {
    const table = newTable(name, { line });
    if (isScratch) scratch.add(table);
    else {
      // A second *filter replaces the first: iptables-restore flushes the table.
      const at = rs.tables.findIndex((t) => t.name === name);
      if (at >= 0) rs.tables.splice(at, 1, table);
      else rs.tables.push(table);
    }
    const chains = new Map(table.chains.map((c) => [c.name, c]));
    return { table, chains, line, env: { table: name, isChain: (n) => chains.has(n), family: rs.family }, checks: newAppendedChecks() };
  }

  function declareChain(st: TableState, raw: string, line: number): void {
    const parts = raw.slice(1).split(/[ \t]+/).filter((x) => x !== '');
    const [name, policy, ctrs] = parts;
    if (!name) return err(line, 'chain name invalid', 'syntax', 'write :NAME POLICY [0:0]', 1);
    if (name.length >= 29) return err(line, `Invalid chain name \`${name}' (28 chars max)`, 'invalid-argument', undefined, 2);
    let chain = st.chains.get(name);
    if (!chain) {
      try {
        if (!/^[A-Z]+$/.test(name) || !['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(name)) checkChainName(name, 0);
      } catch (e) {
        if (e instanceof RuleError) return err(line, `error creating chain '${name}': ${e.message}`, e.code, undefined, 2);
        throw e;
      }
      chain = { name, builtin: false, policy: null, counters: null, rules: [], disabled: [], source: { line } };
      st.chains.set(name, chain);
      st.table.chains.push(chain);
    } else if (!chain.builtin) {
      return err(line, `error creating chain '${name}': Chain already exists`, 'duplicate-chain', 'remove the second declaration', 2);
    } else {
      chain.source = { line };
    }
    if (!policy) return err(line, `policy invalid for chain '${name}'`, 'missing-argument', `write :${name} ${chain.builtin ? 'ACCEPT' : '-'} [0:0]`);
    if (ctrs !== undefined) {
      const m = COUNTERS_RE.exec(ctrs);
      if (m) chain.counters = { packets: BigInt(m[1]), bytes: BigInt(m[2]) };
      else
        findings.push({ code: 'invalid-argument', severity: 'warning', line, message: `invalid policy counters for chain '${name}': ${ctrs}`,
          fix: 'write counters as [packets:bytes], e.g. [0:0]', table: st.table.name, chain: name });
    }
    if (policy === '-') return;
    if (!chain.builtin) {
      return err(line, `Can't set policy \`${policy}' on \`${name}' line ${line}: Bad built-in chain name`, 'invalid-argument',
        `user chains have no policy: write :${name} - [0:0]`, raw.indexOf(policy, 1 + name.length) + 1);
    }
    if (policy !== 'ACCEPT' && policy !== 'DROP') {
      return err(line, `Can't set policy \`${policy}' on \`${name}' line ${line}: Bad policy name`, 'invalid-argument',
        'a policy is ACCEPT or DROP', raw.indexOf(policy, 1 + name.length) + 1);
    }
    chain.policy = policy;
  }

  function commandLine(st: TableState, raw: string, line: number): void {
    let from = 0;
    let counters: Counters | null = null;
    if (raw[0] === '[') {
      const close = raw.indexOf(']');
      const m = close > 0 ? /^\[(\d+):(\d+)\]$/.exec(raw.slice(0, close + 1)) : null;
      if (close < 0) return err(line, `Bad line ${line}: need ]`, 'syntax', 'counters are written [packets:bytes]', 1);
      if (!raw.slice(1, close).includes(':')) return err(line, `Bad line ${line}: need :`, 'syntax', 'counters are written [packets:bytes]', 1);
      if (m) counters = { packets: BigInt(m[1]), bytes: BigInt(m[2]) };
      from = close + 1;
    }
    const n = splitWords(raw, from, texts, starts);
    let parsed;
    try {
      parsed = parseCommandTexts(texts, n, st.env);
    } catch (e) {
      if (e instanceof RuleError) return err(line, e.message, e.code, e.fix, colOf(starts, n, e.word, from));
      throw e;
    }
    for (const note of parsed.notes) {
      findings.push({ code: note.code, severity: note.severity, line, col: colOf(starts, n, note.word, from), message: note.message, fix: note.fix, table: st.table.name });
    }
    const c = parsed.command;
    // the common case, -A with one rule, without runCommand's generality
    if (c.kind === 'append' && c.rules.length === 1) {
      const ch = st.chains.get(c.chain);
      if (ch) {
        const r = c.rules[0];
        if (counters && !r.counters) r.counters = counters;
        r.source = { line };
        ch.rules.push(r);
        if (st.checks) checkAppended(st.checks, st.table, ch, r, ch.rules.length - 1);
        return;
      }
    }
    runCommand(st, c, line, counters);
  }

  function runCommand(st: TableState, c: Command, line: number, counters: Counters | null): void {
    const fail = (message: string, code: FindingCode = 'invalid-argument', fix?: string) => err(line, message, code, fix, 1);
    const chainOf = (name: string): Chain | undefined => {
      const ch = st.chains.get(name);
      if (!ch) fail(`iptables: No chain/target/match by that name: ${name} (in table ${st.table.name})`, 'undefined-chain',
        `declare it first with :${name} - [0:0]`);
      return ch;
    };
    const stamp = (rules: Rule[]) =>
      rules.map((r, k) => {
        if (counters && !r.counters) r.counters = counters;
        r.source = rules.length > 1 ? { line, part: k } : { line };
        return r;
      });
    // commands that change or remove rules: the commit checks start over from the table
    if (c.kind !== 'skip' && c.kind !== 'append' && c.kind !== 'check' && c.kind !== 'new-chain' && c.kind !== 'zero' && c.kind !== 'policy') st.checks = null;
    switch (c.kind) {
      case 'skip':
        findings.push({ code: 'ignored-line', severity: 'info', line, message: c.reason, table: st.table.name });
        return;
      case 'append': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        const from = ch.rules.length;
        ch.rules.push(...stamp(c.rules));
        const checks = st.checks;
        if (checks) for (let k = from; k < ch.rules.length; k++) checkAppended(checks, st.table, ch, ch.rules[k], k);
        return;
      }
      case 'insert': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        if (c.num > ch.rules.length + 1) return fail(`iptables: Index of insertion too big (chain ${c.chain} has ${ch.rules.length} rules)`);
        ch.rules.splice(c.num - 1, 0, ...stamp(c.rules));
        shiftDisabled(ch, c.num - 1, c.rules.length);
        return;
      }
      case 'replace': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        if (c.rules.length !== 1) return fail('-R works on one rule: give one source and one destination address');
        if (c.num > ch.rules.length) return fail(`iptables: Index of replacement too big (chain ${c.chain} has ${ch.rules.length} rules)`);
        ch.rules[c.num - 1] = stamp(c.rules)[0];
        return;
      }
      case 'delete':
      case 'check': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        if (c.kind === 'delete' && c.num !== null) {
          if (c.num > ch.rules.length) return fail(`iptables: Index of deletion too big (chain ${c.chain} has ${ch.rules.length} rules)`);
          ch.rules.splice(c.num - 1, 1);
          shiftDisabled(ch, c.num - 1, -1);
          return;
        }
        for (const r of c.rules) {
          const body = canonicalRuleBody(r);
          const at = ch.rules.findIndex((x) => canonicalRuleBody(x) === body);
          if (at < 0) return fail('iptables: Bad rule (does a matching rule exist in that chain?)', 'invalid-argument');
          if (c.kind === 'delete') {
            ch.rules.splice(at, 1);
            shiftDisabled(ch, at, -1);
          }
        }
        return;
      }
      case 'new-chain': {
        if (st.chains.has(c.chain)) return fail(`iptables: Chain already exists: ${c.chain}`, 'duplicate-chain');
        const ch: Chain = { name: c.chain, builtin: false, policy: null, counters: null, rules: [], disabled: [], source: { line } };
        st.chains.set(c.chain, ch);
        st.table.chains.push(ch);
        return;
      }
      case 'delete-chain': {
        const victims = c.chain ? [c.chain] : st.table.chains.filter((x) => !x.builtin).map((x) => x.name);
        for (const name of victims) {
          const ch = chainOf(name);
          if (!ch) return;
          if (ch.builtin) return fail(`iptables: Can't delete built-in chain ${name}`);
          if (ch.rules.length) return fail(`iptables: Directory not empty: chain ${name} still has rules`, 'invalid-argument', `flush it first with -F ${name}`);
          if (referenced(st.table, name)) return fail(`iptables: Too many links: chain ${name} is still the target of a rule`);
          st.chains.delete(name);
          st.table.chains.splice(st.table.chains.indexOf(ch), 1);
        }
        return;
      }
      case 'flush': {
        for (const ch of c.chain ? [chainOf(c.chain)] : st.table.chains) if (ch) ch.rules = [];
        return;
      }
      case 'zero': {
        for (const ch of c.chain ? [chainOf(c.chain)] : st.table.chains) {
          if (!ch) continue;
          if (ch.counters) ch.counters = { packets: 0n, bytes: 0n };
          for (const r of ch.rules) if (r.counters) r.counters = { packets: 0n, bytes: 0n };
        }
        return;
      }
      case 'policy': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        if (!ch.builtin) return fail(`iptables: Bad built-in chain name: ${c.chain} is a user chain and has no policy`);
        if (c.policy !== 'ACCEPT' && c.policy !== 'DROP') return fail(`iptables: Bad policy name: ${c.policy}`, 'invalid-argument', 'a policy is ACCEPT or DROP');
        ch.policy = c.policy;
        return;
      }
      case 'rename-chain': {
        const ch = chainOf(c.chain);
        if (!ch) return;
        if (ch.builtin) return fail(`iptables: Can't rename built-in chain ${c.chain}`);
        if (st.chains.has(c.to)) return fail(`iptables: File exists: chain ${c.to} already exists`, 'duplicate-chain');
        st.chains.delete(c.chain);
        ch.name = c.to;
        st.chains.set(c.to, ch);
        for (const x of st.table.chains) for (const r of x.rules) if (r.target?.chain && r.target.name === c.chain) r.target.name = c.to;
        return;
      }
    }
  }

  function maybeDisabledRule(st: TableState, raw: string, line: number): void {
    const m = /^#[ \t]*(?=(?:-A|--append)[ \t])/.exec(raw);
    if (!m) return;
    const { words } = tokenizeLine(raw, m[0].length);
    let parsed;
    try {
      parsed = parseCommandWords(words, { table: st.table.name, isChain: (n) => st.chains.has(n), family: st.env.family });
    } catch {
      return; // an ordinary comment that happens to start like a rule
    }
    if (parsed.command.kind !== 'append' || parsed.command.rules.length !== 1) return;
    const ch = st.chains.get(parsed.command.chain);
    if (!ch) return;
    const rule = parsed.command.rules[0];
    rule.source = { line };
    const d: DisabledRule = { rule, before: ch.rules.length, text: raw };
    ch.disabled.push(d);
  }

  function commitTable(st: TableState, commitLine: number): void {
    for (const f of validateTable(st.table, commitLine, st.checks ?? undefined)) findings.push(f);
  }
}

const scratch = new WeakSet<Table>();

/** 1-based column of word w of n (the start of the command when there is no such word). */
function colOf(starts: readonly number[], n: number, w: number, from: number): number {
  return w >= 0 && w < n ? starts[w] + 1 : from + 1;
}

function shiftDisabled(ch: Chain, from: number, by: number): void {
  for (const d of ch.disabled) if (d.before > from || (by > 0 && d.before === from)) d.before = Math.max(0, d.before + by);
}

function referenced(t: Table, name: string): boolean {
  return t.chains.some((c) => c.rules.some((r) => r.target?.chain && r.target.name === name));
}
