import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importScript } from './import.js';
import { lintRuleset } from './lint.js';
import { canonicalRuleset } from './canonical.js';
import { parseRuleset } from './parse.js';
import { shellLexer } from './shell-words.js';
import { SHARED, corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';
import { tokenizeLine } from './tokenize.js';
import { canonicalTable, savedChainOrder } from './canonical.js';
import { TABLE_NAMES, type Ruleset } from './model.js';
import type { Finding } from './findings.js';

const SEED = join(SHARED, 'seed', 'iptables-recipes.txt');

/** The seed's command lines, everything else blanked, so line numbers are the how-to's own. */
function seedScript(): string {
  return readFileSync(SEED, 'utf8')
    .split('\n')
    .map((l) => (/^(iptables|iptabels)\b/.test(l) ? l : ''))
    .join('\n');
}

const at = (fs: Finding[], line: number) => fs.filter((f) => f.line === line);
const codes = (fs: Finding[], line: number) => at(fs, line).map((f) => f.code);

describe.skipIf(!existsSync(SEED))('importing the seed how-to', () => {
  const seedLines = readFileSync(existsSync(SEED) ? SEED : '/dev/null', 'utf8').split('\n');
  const lineOf = (start: string, nth = 0) => seedLines.map((l, k) => (l.startsWith(start) ? k + 1 : 0)).filter(Boolean)[nth];
  const r = existsSync(SEED) ? importScript(seedScript()) : null!;

  it('finds every problem of the three load-balancing lines: no -t nat, -m nth, lost --to-destination address', () => {
    for (let k = 0; k < 3; k++) {
      const line = lineOf('iptables -A PREROUTING', k);
      const fs = at(r.findings, line).filter((f) => f.severity === 'error');
      expect(fs.map((f) => f.code)).toEqual(['wrong-table', 'obsolete-match', 'missing-argument']);
      const [wrong, nth, missing] = fs;
      expect(wrong.fix).toBe('-t nat');
      expect(wrong.col).toBe(seedLines[line - 1].indexOf('PREROUTING') + 1);
      expect(nth.col).toBe(seedLines[line - 1].indexOf('-m nth') + 1);
      expect(nth.fix).toContain('--every 3 --packet 0, then --every 2 --packet 0, then no match');
      expect(nth.fix).toContain(['-m statistic --mode nth --every 3 --packet 0', '-m statistic --mode nth --every 2 --packet 0', 'no statistic match'][k]);
      expect(missing.message).toMatch(/--to-destination needs an address.*line ends/);
      expect(missing.col).toBe(seedLines[line - 1].indexOf('--to-destination') + 1);
    }
  });

  it('finds both lost addresses of the port-forwarding line (-d followed by --dport, --to at the end)', () => {
    const line = lineOf('iptables -t nat -A PREROUTING');
    const text = seedLines[line - 1];
    const fs = at(r.findings, line).filter((f) => f.severity === 'error');
    expect(fs.map((f) => [f.code, f.col])).toEqual([
      ['missing-argument', text.indexOf(' -d ') + 2],
      ['missing-argument', text.lastIndexOf('--to') + 1],
    ]);
    expect(fs[0].message).toContain('but --dport follows');
  });

  it('finds the --source without an address and the iptabels typo', () => {
    const src = lineOf('iptables -A INPUT --jump ACCEPT --protocol all');
    expect(at(r.findings, src).find((f) => f.code === 'missing-argument')?.message).toMatch(/^--source needs an address, and the line ends/);
    const typo = lineOf('iptabels');
    const f = at(r.findings, typo).find((x) => x.code === 'unknown-command')!;
    expect(f).toMatchObject({ severity: 'error', col: 1, fix: 'iptables' });
  });

  it('leaves out the commands that lost words, and keeps the rest, the typo line included', () => {
    const status = new Map(r.commands.map((c) => [c.line, c.status]));
    for (const l of [lineOf('iptables -A PREROUTING', 0), lineOf('iptables -A PREROUTING', 1), lineOf('iptables -A PREROUTING', 2),
      lineOf('iptables -t nat -A PREROUTING'), lineOf('iptables -A INPUT --jump ACCEPT --protocol all')]) {
      expect(status.get(l)).toBe('left-out');
      expect(codes(r.findings, l)).toContain('left-out');
    }
    expect(status.get(lineOf('iptabels'))).toBe('imported');
    const canon = canonicalRuleset(r.ruleset);
    expect(canon).toContain(':LOGGING - [0:0]');
    const input = canon.split('\n').filter((l) => l.startsWith('-A INPUT'));
    expect(input).toEqual([
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -i eth0 -p udp -m udp --sport 53 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 80 -m limit --limit 25/min --limit-burst 100 -j ACCEPT',
      '-A INPUT -i eth0 -p tcp -m tcp --dport 422 -m state --state NEW,ESTABLISHED -j ACCEPT',
      '-A INPUT -j LOGGING',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -p icmp -j ACCEPT',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(canon).toContain('-A LOGGING -m limit --limit 2/min -j LOG --log-prefix "IPTables Packet Dropped: " --log-level 7');
    // the result loads: its canonical text parses without errors
    expect(parseRuleset(canon).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('adds every lint finding of the result, on the script lines', () => {
    const lint = lintRuleset(r.ruleset, {});
    expect(lint.length).toBeGreaterThan(0);
    for (const f of lint) expect(r.findings.some((x) => x.line === f.line && x.code === f.code)).toBe(true);
    // the rules after -j LOGGING (which ends in DROP) can never match: lint says so on their own lines
    const shadowed = r.findings.filter((f) => f.code === 'shadowed-rule').map((f) => f.line);
    expect(shadowed).toContain(lineOf('iptables -A INPUT --jump ACCEPT --protocol tcp'));
    expect(shadowed).toContain(lineOf('iptabels'));
  });
});

describe('importScript: shell syntax', () => {
  const rules = (script: string, opts = {}) => canonicalRuleset(importScript(script, opts).ruleset).split('\n').filter((l) => l.startsWith('-A'));

  it('joins continuation lines, skips comments and blank lines, and points at the physical line of a problem', () => {
    const r = importScript('# header\n\niptables -A INPUT \\\n  -p tcp \\\n  --dport \\\n  -j ACCEPT  # trailing comment\n');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => [f.line, f.col, f.code])).toEqual([[5, 3, 'missing-argument']]);
    expect(r.commands).toEqual([{ line: 3, words: ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '-j', 'ACCEPT'], status: 'left-out', table: 'filter' }]);
  });

  it('quotes as the shell does: single quotes literal, double quotes with \\" and \\$', () => {
    expect(rules(`iptables -A INPUT -m comment --comment 'it''s $HOME "x"' -j ACCEPT\niptables -A INPUT -m comment --comment "a \\"b\\" \\$c d\\\\e" -j DROP\n`)).toEqual([
      '-A INPUT -m comment --comment "its $HOME \\"x\\"" -j ACCEPT',
      '-A INPUT -m comment --comment "a \\"b\\" $c d\\\\e" -j DROP',
    ]);
  });

  it('expands variables set in the script or given with --define, and reports the others', () => {
    const script = 'WAN=eth0\nSSH="22"\niptables -A INPUT -i $WAN -p tcp --dport ${SSH} -j ACCEPT\niptables -A INPUT -s $ADMIN -j ACCEPT\n';
    const r = importScript(script);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([
      { code: 'undefined-variable', severity: 'error', line: 4, col: 22, message: '$ADMIN is not defined in the script', fix: '--define ADMIN=VALUE' },
    ]);
    expect(rules(script)).toEqual(['-A INPUT -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT']);
    const defined = importScript(script, { defines: { ADMIN: '198.51.100.7' } });
    expect(defined.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(rules(script, { defines: { ADMIN: '198.51.100.7', WAN: 'ens3' } })).toEqual([
      '-A INPUT -i ens3 -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -s 198.51.100.7/32 -j ACCEPT',
    ]);
  });

  it('says where a variable set from a command substitution comes from', () => {
    const r = importScript('MYIP=$(hostname -I)\niptables -A INPUT -d $MYIP -j ACCEPT\n');
    const f = r.findings.find((x) => x.code === 'undefined-variable')!;
    expect(f.line).toBe(2);
    expect(f.message).toContain('line 1 sets it from $(hostname -I)');
  });

  it('caps variable expansion: 40 doublings end at once with an error on the line that overflowed', () => {
    const lines = ['A=x'];
    for (let k = 0; k < 40; k++) lines.push('A="$A$A"');
    lines.push('iptables -A INPUT -s 10.0.0.1 -m comment --comment "$A" -j ACCEPT', 'iptables -A INPUT -p tcp --dport 22 -j ACCEPT');
    const t0 = performance.now();
    const r = importScript(lines.join('\n') + '\n');
    expect(performance.now() - t0).toBeLessThan(1000);
    // line 17 would make A=… 2 + 2^16 characters long: one word past 65,536
    const over = r.findings.filter((f) => f.code === 'expansion-too-long');
    expect(over).toEqual([expect.objectContaining({ severity: 'error', line: 17, col: 6 })]);
    expect(over[0].message).toContain('$A');
    const use = r.findings.find((f) => f.code === 'undefined-variable')!;
    expect(use).toMatchObject({ line: 42, severity: 'error' });
    expect(use.message).toContain('line 17 would make it longer than 65,536 characters');
    // the command that uses it is left out; the rest is imported
    expect(canonicalRuleset(r.ruleset)).toContain('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
    expect(canonicalRuleset(r.ruleset)).not.toContain('10.0.0.1');
  });

  it('caps all expansions of a script together, not only each word', () => {
    const lines = ['A=' + 'y'.repeat(60000)];
    for (let k = 0; k < 200; k++) lines.push(`B${k}="$A"`);
    const r = importScript(lines.join('\n') + '\niptables -A INPUT -j ACCEPT\n');
    const over = r.findings.filter((f) => f.code === 'expansion-too-long');
    // 8 MiB / 60,000 characters: the 140th copy is the first that does not fit
    expect(over[0]).toMatchObject({ line: 141 });
    expect(canonicalRuleset(r.ruleset)).toContain('-A INPUT -j ACCEPT');
  });

  it('splits unquoted variables into words, as sh does', () => {
    expect(rules('OPTS="-p tcp --dport 80"\niptables -A INPUT $OPTS -j ACCEPT\n')).toEqual(['-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT']);
  });

  it('reads sudo, full paths, $IPT, -t TABLE anywhere, and several commands on one line', () => {
    const script = [
      'IPT=/sbin/iptables',
      'sudo iptables -A INPUT -i lo -j ACCEPT',
      '/usr/sbin/iptables -A OUTPUT -o lo -j ACCEPT',
      '$IPT -A POSTROUTING -t nat -o eth0 -j MASQUERADE; $IPT --table=nat -A PREROUTING -p tcp --dport 422 -j REDIRECT --to-ports 22',
      'iptables -A INPUT -j DROP && echo done',
    ].join('\n');
    const r = importScript(script);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(rules(script)).toEqual([
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -j DROP',
      '-A OUTPUT -o lo -j ACCEPT',
      '-A PREROUTING -p tcp -m tcp --dport 422 -j REDIRECT --to-ports 22',
      '-A POSTROUTING -o eth0 -j MASQUERADE',
    ]);
    expect(r.findings.find((f) => f.code === 'shell-command')).toMatchObject({ line: 5, severity: 'info', message: 'echo: not an iptables command; skipped' });
  });

  it('applies -N, -P, -I, -D, -F and -X in order, per table', () => {
    const script = [
      'iptables -F',
      'iptables -X',
      'iptables -P INPUT DROP',
      'iptables -N LOGDROP',
      'iptables -A LOGDROP -j DROP',
      'iptables -A INPUT -p tcp --dport 22 -j ACCEPT',
      'iptables -A INPUT -j LOGDROP',
      'iptables -I INPUT -i lo -j ACCEPT',
      'iptables -I INPUT 2 -p icmp -j ACCEPT',
      'iptables -D INPUT -p icmp -j ACCEPT',
      'iptables -N OLD',
      'iptables -X OLD',
    ].join('\n');
    const r = importScript(script);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(canonicalRuleset(r.ruleset)).toBe(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n' +
        '-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j LOGDROP\n-A LOGDROP -j DROP\nCOMMIT\n',
    );
  });

  it('skips commands that only list, zero or check, other shell commands, ip6tables and here-documents, as info', () => {
    const script = [
      'iptables -L -n -v',
      'iptables -nvL INPUT',
      'iptables -t nat -S',
      'iptables -Z',
      'iptables -C INPUT -j ACCEPT',
      'iptables-save > /etc/sysconfig/iptables',
      'service iptables save',
      'modprobe nf_conntrack_ftp',
      'ip6tables -A INPUT -j DROP',
      'cat > /tmp/rules <<EOF',
      'iptables -A INPUT -j DROP',
      'EOF',
    ].join('\n');
    const r = importScript(script);
    expect(r.findings.every((f) => f.severity === 'info')).toBe(true);
    expect(r.findings.map((f) => [f.line, f.code])).toEqual([
      [1, 'ignored-command'], [2, 'ignored-command'], [3, 'ignored-command'], [4, 'ignored-command'], [5, 'ignored-command'],
      [6, 'shell-command'], [7, 'shell-command'], [8, 'shell-command'], [9, 'other-family'], [10, 'shell-command'],
    ]);
    expect(r.commands.every((c) => c.status === 'skipped')).toBe(true);
    expect(r.ruleset.tables).toEqual([]);
    // with --family ipv6 the ip6tables line is the one imported
    expect(importScript('ip6tables -A INPUT -j DROP\niptables -A INPUT -j ACCEPT\n', { family: 'ipv6' }).commands.map((c) => c.status)).toEqual(['imported', 'skipped']);
  });
});

describe('importScript: every problem on a line', () => {
  it('reports an unknown option, a lost value and a second unknown option on one line', () => {
    const r = importScript('iptables -A INPUT -p tcp --dportt 22 -s -j ACCEPT --bogus x\n');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.col])).toEqual([
      ['unknown-option', 26],
      ['missing-argument', 38],
      ['unknown-option', 51],
    ]);
    expect(r.findings[0].fix).toBe('did you mean --dport?');
  });

  it('reports what the parser finds after the first problem is taken out', () => {
    // a bad port, then a match that does not exist: iptables stops at the first
    const r = importScript('iptables -A INPUT -p tcp --dport 99999 -m multiports --dports 1,2 -j ACCEPT\n');
    const errs = r.findings.filter((f) => f.severity === 'error');
    // the bad value, then the -m of the match that does not exist
    expect(errs.map((f) => f.col)).toEqual([34, 40]);
    expect(errs[1].message).toContain('multiports');
  });

  it('moves a chain that exists only in nat there, and says -t nat was missing', () => {
    const r = importScript('iptables -A POSTROUTING -o eth0 -j MASQUERADE\n');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.fix])).toEqual([['wrong-table', '-t nat']]);
    expect(canonicalRuleset(r.ruleset)).toContain('*nat\n');
    expect(r.commands[0]).toMatchObject({ status: 'imported', table: 'nat' });
  });

  it('reports a NAT target in a filter chain, and an undefined chain with a suggestion', () => {
    const r = importScript('iptables -A INPUT -p tcp -j DNAT --to-destination 10.0.0.1\niptables -A INPTU -j ACCEPT\n');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => [f.line, f.code, f.fix])).toEqual([
      [1, 'wrong-table', '-t nat -A PREROUTING'],
      [2, 'undefined-chain', 'did you mean INPUT?'],
    ]);
    expect(r.ruleset.tables).toEqual([]);
  });

  it('reports typographic quotes and dashes from a web page once, not every word they break', () => {
    const r = importScript('iptables -N LOGGING\niptables -A LOGGING -j LOG --log-prefix \u201cPacket Dropped: \u201d --log-level 7\niptables -A INPUT -p tcp \u2013dport 22 -j ACCEPT\n');
    const errs = r.findings.filter((f) => f.severity === 'error');
    expect(errs.map((f) => [f.line, f.code])).toEqual([[2, 'invalid-argument'], [3, 'invalid-argument']]);
    expect(errs[0].message).toMatch(/^typographic quotes/);
    expect(errs[1].fix).toContain('write --dport');
  });

  it('reports a bad -t table once, with a suggestion', () => {
    const r = importScript('iptables -t natt -A PREROUTING -j ACCEPT\n');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.fix])).toEqual([['invalid-argument', '-t nat']]);
  });

  it('maps commit-time errors (found by the restore parse) to the script line', () => {
    const r = importScript('iptables -N A\niptables -N B\n\niptables -A A -j B\niptables -A B -j A\niptables -A INPUT -j A\n');
    const loop = r.findings.find((f) => f.code === 'jump-loop');
    expect(loop?.line).toBeGreaterThanOrEqual(4);
    expect(loop?.line).toBeLessThanOrEqual(5);
  });
});

describe('shellLexer', () => {
  const all = (s: string, vars: Record<string, string> = {}) => {
    const lx = shellLexer(s);
    const out: string[][] = [];
    for (let c = lx.next((n) => vars[n]); c; c = lx.next((n) => vars[n])) out.push(c.words.map((w) => w.text));
    return out;
  };
  it('splits commands on ; && || | & and newlines, drops redirections', () => {
    expect(all('a 1; b 2 && c || d | e & f 2>/dev/null >>log\ng')).toEqual([['a', '1'], ['b', '2'], ['c'], ['d'], ['e'], ['f'], ['g']]);
  });
  it('keeps an empty quoted word and drops an empty unquoted expansion', () => {
    expect(all('x "" $EMPTY y', { EMPTY: '' })).toEqual([['x', '', 'y']]);
  });
  it('supports ${VAR:-default}', () => {
    expect(all('x ${A:-eth0} ${B:-no}', { B: 'yes' })).toEqual([['x', 'eth0', 'yes']]);
  });
});

/** A ruleset written out as the iptables commands an admin would type (shell-quoted). */
function asScript(rs: Ruleset): string {
  const q = (w: string) => (/^[A-Za-z0-9_.,:\/=+@%-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);
  const out: string[] = ['#!/bin/sh', 'set -e'];
  for (const t of rs.tables) {
    const chains = savedChainOrder(t);
    for (const c of chains) if (!c.builtin) out.push(`iptables -t ${t.name} -N ${q(c.name)}`);
    for (const c of chains) if (c.builtin && c.policy && c.policy !== 'ACCEPT') out.push(`iptables -t ${t.name} -P ${c.name} ${c.policy}`);
    for (const line of canonicalTable(t).split('\n').filter((l) => l.startsWith('-A '))) {
      out.push(`iptables -t ${t.name} ` + tokenizeLine(line).words.map((w) => q(w.text)).join(' '));
    }
  }
  return out.join('\n') + '\n';
}

function sortedCanonical(rs: Ruleset): string {
  return TABLE_NAMES.map((n) => rs.tables.find((t) => t.name === n)).filter((t) => t && t.chains.some((c) => c.rules.length || !c.builtin || c.policy === 'DROP')).map((t) => canonicalTable(t!)).join('');
}

describe.skipIf(!sharedAvailable())('import round trip over the real-world corpus', () => {
  it('importing the commands that build a corpus ruleset gives that ruleset back', () => {
    let done = 0;
    for (const f of corpusFiles()) {
      const parsed = parseRuleset(readCorpus(f));
      if (parsed.findings.some((x) => x.severity === 'error' || x.code === 'host-dependent')) continue;
      const script = asScript(parsed.ruleset);
      const r = importScript(script, { lint: false });
      const errors = r.findings.filter((x) => x.severity === 'error');
      expect(errors, `${f}: ${errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`).toEqual([]);
      expect(sortedCanonical(r.ruleset), f).toBe(sortedCanonical(parsed.ruleset));
      done++;
    }
    expect(done).toBeGreaterThan(50);
  });
});
