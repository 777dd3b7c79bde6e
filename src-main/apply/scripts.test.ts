import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as scripts from './scripts.js';
import { parseKeyed, SAVE_MARK, SAVE6_MARK } from './scripts.js';

const all = Object.entries(scripts).filter(([k, v]) => k.endsWith('_SCRIPT') && typeof v === 'string') as [string, string][];

describe('remote apply scripts', () => {
  it('parse in the shells CentOS and the lab use', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    for (const sh of ['/bin/sh', '/bin/bash', '/bin/dash'].filter((p) => existsSync(p))) {
      for (const [name, text] of all) {
        const r = spawnSync(sh, ['-n', '-c', text]);
        expect(r.status, `${name} under ${sh}: ${r.stderr}`).toBe(0);
      }
    }
  });

  it('take every variable from stdin and check it on the host (no placeholders, ids and names validated)', () => {
    for (const [name, text] of all) {
      expect(text, name).not.toMatch(/\$\{(?:input|opts|id|host|file)\b/);
      if (/read -r id/.test(text)) expect(text, name).toMatch(/pcl_id "\$id"/);
    }
    expect(scripts.PUT_SCRIPT).toMatch(/case \$name in candidate\|backup\|expected\|candidate6\|backup6\|expected6\) ;;/);
  });

  it('never restart or stop iptables.service', () => {
    for (const [name, text] of all) expect(text, name).not.toMatch(/systemctl\s+(restart|stop)\s+iptables|service iptables/);
  });

  it('splits KEY=value lines from the iptables-save text after the mark', () => {
    const out = `outcome=reverted\nby=client\n${SAVE_MARK}\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n`;
    const p = parseKeyed(out);
    expect(p.keys.get('outcome')).toEqual(['reverted']);
    expect(p.lines).toEqual(['outcome=reverted', 'by=client']);
    expect(p.save).toBe('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(parseKeyed('restored\n').save).toBeNull();
    expect(parseKeyed(`${SAVE_MARK}\n*nat\nCOMMIT\n`).save).toBe('*nat\nCOMMIT\n');
  });

  it('splits both families: iptables-save after SAVE_MARK, ip6tables-save after SAVE6_MARK, in either order or alone', () => {
    const v4 = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    const v6 = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n';
    const both = parseKeyed(`outcome=reverted\nverify6=verified\n${SAVE_MARK}\n${v4}${SAVE6_MARK}\n${v6}`);
    expect(both).toMatchObject({ save: v4, save6: v6, lines: ['outcome=reverted', 'verify6=verified'] });
    expect(parseKeyed(`restored\n${SAVE6_MARK}\n${v6}`)).toMatchObject({ save: null, save6: v6, lines: ['restored'] });
    expect(parseKeyed(`${SAVE6_MARK}\n${v6}${SAVE_MARK}\n${v4}`)).toMatchObject({ save: v4, save6: v6 });
  });
});

describe('the revert timer under systemd', () => {
  it('runs the revert script from a file: systemd expands $NAME and ${…} in the command lines it runs', () => {
    const line = scripts.ARM_SCRIPT.split('\n').find((l) => l.includes('systemd-run --unit'))!;
    expect(line).toMatch(/\/bin\/sh "\$d\/portcullis-revert" "\$d" now 0 timer/);
    expect(line).not.toMatch(/ -c /);
    // the guard on iptables.service likewise: a fixed path, no shell text in the unit
    expect(scripts.ARM_SCRIPT).toMatch(/ExecStopPost=\/bin\/sh %s\/portcullis-guard %s/);
  });
});

describe('the scripts the host runs on its own (revert, guard)', () => {
  it('parse in the shells CentOS and the lab use', () => {
    const bodies = [...scripts.ARM_SCRIPT.matchAll(/<<'(PCL_[A-Z]+_EOF)'\n([\s\S]*?)\n\1\n/g)].map((m) => [m[1], m[2]] as const);
    expect(bodies.map((b) => b[0])).toEqual(['PCL_REVERT_EOF', 'PCL_GUARD_EOF']);
    for (const sh of ['/bin/sh', '/bin/bash', '/bin/dash'].filter((p) => existsSync(p)))
      for (const [name, text] of bodies) expect(spawnSync(sh, ['-n', '-c', text]).status, `${name} under ${sh}`).toBe(0);
  });
});
