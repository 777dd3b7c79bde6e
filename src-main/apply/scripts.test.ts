import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as scripts from './scripts.js';
import { parseKeyed, SAVE_MARK } from './scripts.js';

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
    expect(scripts.PUT_SCRIPT).toMatch(/case \$name in candidate\|backup\|expected\) ;;/);
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
});
