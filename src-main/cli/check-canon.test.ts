// `portcullis check` and `portcullis canon`: the contract scripts depend on
// (exit codes, FILE:LINE:COL: error: MESSAGE on stderr, canonical stdout).
import { describe, it, expect } from 'vitest';
import { run } from './testing/capture.js';

const GOOD = '*filter\n:INPUT DROP [5:300]\n-A INPUT --protocol tcp --dport ssh -j ACCEPT\n[7:420] -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n';
const BAD = '*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -m multiports --dports 1,2 -j ACCEPT\nCOMMIT';

describe('portcullis check', () => {
  it('exits 0 and prints nothing for a valid file', async () => {
    const r = await run(['check', 'good.rules'], { 'good.rules': GOOD });
    expect(r).toEqual({ code: 0, out: '', err: '' });
  });

  it('exits 1 with every error as FILE:LINE:COL: error: MESSAGE', async () => {
    const r = await run(['check', 'bad.rules'], { 'bad.rules': BAD });
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(/^bad\.rules:2:25: error: invalid port\/service `99999' specified/);
    expect(lines[1]).toMatch(/^bad\.rules:3:\d+: error: Couldn't load match `multiports'.*did you mean -m multiport/);
    expect(lines[2]).toMatch(/^bad\.rules:4:1: error: Bad argument `COMMIT'.*newline/);
  });

  it('folds the same warning on many lines into one line after the third; --verbose lists all', async () => {
    const rules = Array.from({ length: 40 }, (_, k) => `-A INPUT -m set --match-set blocked src -s 198.18.${k}.1 -j DROP`);
    const other = '-A INPUT -m set --match-set admins src -j ACCEPT';
    const file = `*filter\n:INPUT ACCEPT [0:0]\n${rules.join('\n')}\n${other}\nCOMMIT\n`;
    const r = await run(['check', 'sets.rules'], { 'sets.rules': file });
    expect(r.code).toBe(0);
    const lines = r.err.trim().split('\n');
    expect(lines.filter((l) => l.includes("ipset `blocked'"))).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.split(':')[1])).toEqual(['3', '4', '5']);
    expect(lines).toContain("sets.rules:43:17: warning: ipset `admins' must exist on the host when the rules load; if it does not, the whole ruleset fails to load (fix: create the set before the rules load (ipset restore, e.g. from the ipset service))");
    expect(lines.at(-1)).toBe("sets.rules: warning: the same warning on 37 more lines (6, 7, 8, …): ipset `blocked' must exist on the host when the rules load; if it does not, the whole ruleset fails to load");
    const all = await run(['check', '--verbose', 'sets.rules'], { 'sets.rules': file });
    expect(all.err.trim().split('\n').filter((l) => l.includes("ipset `blocked'"))).toHaveLength(40);
  });

  it('checks several files and exits with the worst status', async () => {
    const r = await run(['check', 'good.rules', 'bad.rules'], { 'good.rules': GOOD, 'bad.rules': BAD });
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('good.rules');
  });

  it('exits 2 for a file that cannot be read, naming it', async () => {
    const r = await run(['check', '/nonexistent/x.rules']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/nonexistent/x.rules: error: cannot read the file: no such file');
  });

  it('is a usage error without files', async () => {
    const r = await run(['check']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: portcullis check');
    // the mistake stays on screen: the synopsis, not the whole help
    expect(r.err).toBe('portcullis check: give at least one FILE\n\nusage: portcullis check FILE… [--family 4|6] [--verbose]\nRun `portcullis check --help` for every option.\n');
  });

  it('reports a CRLF file with the fix', async () => {
    const r = await run(['check', 'crlf.rules'], { 'crlf.rules': GOOD.replace(/\n/g, '\r\n') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/crlf\.rules:1:\d+: error: .*(CRLF|\\r)/);
    expect(r.err).toContain('dos2unix');
  });

  it('says CRLF once, not on every line, and still finds the file\'s own mistakes', async () => {
    const good = await run(['check', 'crlf.rules'], { 'crlf.rules': GOOD.replace(/\n/g, '\r\n') });
    expect(good.err.trim().split('\n')).toHaveLength(1);
    const bad = await run(['check', 'crlf.rules'], { 'crlf.rules': BAD.replace(/\n/g, '\r\n') });
    expect(bad.code).toBe(1);
    const lines = bad.err.trim().split('\n');
    expect(lines[0]).toMatch(/^crlf\.rules:1:\d+: error: the file has Windows line endings/);
    expect(lines.slice(1).map((l) => l.replace(/ \(fix:.*$/, ''))).toEqual([
      "crlf.rules:2:25: error: invalid port/service `99999' specified",
      "crlf.rules:3:10: error: Couldn't load match `multiports':No such file or directory",
      "crlf.rules:4:1: error: Bad argument `COMMIT'",
    ]);
  });
});

describe('portcullis canon', () => {
  it('prints what iptables-save would print', async () => {
    const r = await run(['canon', 'good.rules'], { 'good.rules': GOOD });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
        '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n',
    );
  });

  it('keeps counters with --counters', async () => {
    const r = await run(['canon', '--counters', 'good.rules'], { 'good.rules': GOOD });
    expect(r.out).toContain(':INPUT DROP [5:300]');
    expect(r.out).toContain('[7:420] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT');
    expect(r.out).toContain('[0:0] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
  });

  it('exits 1 with the errors on stderr and nothing on stdout for invalid input', async () => {
    const r = await run(['canon', 'bad.rules'], { 'bad.rules': BAD });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('bad.rules:2:25: error:');
  });
});

describe('portcullis', () => {
  it('lists the commands with --help and rejects an unknown one', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/check .*\n.*canon/s);
    const bad = await run(['chek']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "chek"');
  });
});

describe('portcullis without a command', () => {
  it('is a usage error: the help goes to stderr, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('Commands:');
  });
});

describe('check, on files that are broken in more than one place', () => {
  it('reports a run of lines outside any table once, on the line iptables names', async () => {
    const r = await run(['check', 'x.rules'], { 'x.rules': '-A INPUT -j ACCEPT\n-A INPUT -j DROP\n# note\n-A OUTPUT -j ACCEPT\n' });
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^x\.rules:1:1: error: lines 1–4 are outside a table: iptables-restore fails at line 1/)]);
  });

  it('a table without COMMIT is reported where the next one starts, and the next one is checked as itself', async () => {
    const text = '*filter\n-A INPUT -j ACCEPT\n*nat\n-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 198.18.0.2\nCOMMIT\n';
    const r = await run(['check', 'y.rules'], { 'y.rules': text });
    expect(r.code).toBe(1);
    // one error: the missing COMMIT; the DNAT rule is not misread as a filter rule
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^y\.rules:3:1: error: Bad argument `\*nat': the \*filter table \(line 1\) has no COMMIT/)]);
  });

  it('suggests -A for --A', async () => {
    const r = await run(['check', 'z.rules'], { 'z.rules': '*filter\n--A INPUT -j ACCEPT\nCOMMIT\n' });
    expect(r.err).toContain('unknown option "--A" (fix: did you mean -A?)');
  });
});
