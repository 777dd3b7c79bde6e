import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../testing/capture.js';
import { parseRuleset } from '../../core/index.js';
import { SHARED } from '../../core/testing/shared-data.js';

const CLEAN = '#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -i lo -j ACCEPT\niptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\niptables -A INPUT -p tcp --dport $SSH_PORT -j ACCEPT\n';

describe('portcullis import', () => {
  it('prints the canonical ruleset on stdout and exits 0 when nothing is wrong', async () => {
    const c = await run(['import', 'fw.sh', '--define', 'SSH_PORT=2222'], { 'fw.sh': CLEAN });
    expect(c.code).toBe(0);
    expect(c.out).toBe(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n' +
        '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\nCOMMIT\n',
    );
    expect(parseRuleset(c.out).findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(c.err).toContain('fw.sh: 4 command(s) imported, 0 left out; 0 error(s)');
  });

  it('exits 1 on an undefined variable, with the finding on the script line', async () => {
    const c = await run(['import', 'fw.sh'], { 'fw.sh': CLEAN });
    expect(c.code).toBe(1);
    expect(c.err).toContain('fw.sh:5:34: error: [undefined-variable]: $SSH_PORT is not defined in the script\n    fix: --define SSH_PORT=VALUE\n');
    expect(c.out).not.toContain('--dport');
  });

  it('prints findings and the ruleset as JSON', async () => {
    const c = await run(['import', '--json', 'fw.sh'], { 'fw.sh': 'iptabels -A INPUT -j ACCEPT\niptables -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080\n' });
    expect(c.code).toBe(1);
    const j = JSON.parse(c.out);
    expect(j.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([
      { code: 'unknown-command', severity: 'error', line: 1, col: 1, table: null, chain: null, index: null, message: 'iptabels: command not found (the shell would stop here; read as iptables)', fix: 'iptables' },
      { code: 'wrong-table', severity: 'error', line: 2, col: 13, table: null, chain: null, index: null,
        message: 'PREROUTING is not a chain of the filter table (iptables: "No chain/target/match by that name"); -j REDIRECT rules in PREROUTING belong in the nat table', fix: '-t nat' },
    ]);
    expect(j.ruleset).toContain('*nat\n');
    expect(j.ruleset).toContain('-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080\n');
    expect(j.ruleset).toContain('-A INPUT -j ACCEPT\n');
  });

  it('exits 2 for an unreadable script or a bad --define', async () => {
    const c = await run(['import', 'nowhere.sh']);
    expect(c.code).toBe(2);
    expect(c.err).toBe('nowhere.sh: error: cannot read the file: no such file\n');
    expect((await run(['import', 'x', '--define', 'not a define'])).code).toBe(2);
    expect((await run(['import', 'x', '--family', 'ipx'])).code).toBe(2);
  });

  const seed = join(SHARED, 'seed', 'iptables-recipes.txt');
  it.skipIf(!existsSync(seed))("reports the seed how-to's mistakes on its own lines", async () => {
    const lines = readFileSync(seed, 'utf8').split('\n');
    const script = lines.map((l) => (/^(iptables|iptabels)\b/.test(l) ? l : '')).join('\n');
    const c = await run(['import', 'recipes.sh'], { 'recipes.sh': script });
    expect(c.code).toBe(1);
    const typo = lines.findIndex((l) => l.startsWith('iptabels')) + 1;
    const nat = lines.findIndex((l) => l.startsWith('iptables -t nat -A PREROUTING')) + 1;
    expect(c.err).toContain(`recipes.sh:${typo}:1: error: [unknown-command]: iptabels: command not found`);
    expect(c.err).toMatch(new RegExp(`recipes\\.sh:${nat}:\\d+: error: \\[missing-argument\\]: -d needs an address, but --dport follows`));
    expect(c.err).toMatch(/\[obsolete-match\]: -m nth was removed/);
    expect(c.out).toMatch(/^\*filter\n/);
  });
});
