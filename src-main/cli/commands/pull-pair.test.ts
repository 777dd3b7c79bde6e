// pull's pair findings: the host's saved IPv4 and IPv6 files compared, else
// its running rules; nothing when a family is missing or does not parse.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpretPull } from '../../host/index.js';
import { frameForTest, parseSections } from '../../host/remote-script.js';
import { REPO_ROOT } from '../../core/testing/shared-data.js';
import { pairOfPull } from './pull-pair.js';

const N = 'abcdef0123456789';
const pairFile = (name: string) => readFileSync(join(REPO_ROOT, 'src-main', 'core', 'testing', 'pairs', name), 'utf8');
const pulled = (sections: Parameters<typeof frameForTest>[1]) => interpretPull(parseSections(frameForTest(N, sections), N), 'web01', false);

describe('pull: the pair findings of a host', () => {
  it('compares the saved files when the host has both', () => {
    const p = pairOfPull(pulled([
      { key: 'saved-iptables', out: pairFile('web01.v4') },
      { key: 'saved-ip6tables', out: pairFile('web01.v6') },
      { key: 'live-iptables', out: pairFile('web01.v4') },
      { key: 'live-ip6tables', out: pairFile('web01.v6') },
    ]));
    expect(p?.source).toBe('saved');
    expect(p?.findings.map((f) => f.code)).toEqual(['pair-policy-mismatch', 'pair-policy-mismatch', 'pair-port-open', 'pair-ssh-rate-limit']);
  });
  it('falls back to the running rules when /etc/sysconfig/ip6tables is missing', () => {
    const p = pairOfPull(pulled([
      { key: 'saved-iptables', out: pairFile('db01.v4') },
      { key: 'saved-ip6tables', absent: true },
      { key: 'live-iptables', out: pairFile('db01.v4') },
      { key: 'live-ip6tables', out: pairFile('db01.v6') },
    ]));
    expect(p).toMatchObject({ source: 'live', findings: [expect.objectContaining({ code: 'pair-port-open', family: 'ipv6' })] });
  });
  it('says nothing when one family cannot be read or does not parse', () => {
    expect(pairOfPull(pulled([
      { key: 'saved-iptables', out: pairFile('db01.v4') },
      { key: 'saved-ip6tables', absent: true },
      { key: 'live-iptables', out: pairFile('db01.v4') },
      { key: 'live-ip6tables', absent: true },
    ]))).toBeNull();
    expect(pairOfPull(pulled([
      { key: 'saved-iptables', out: pairFile('db01.v4') },
      { key: 'saved-ip6tables', out: '*filter\n-A INPUT -s 10.0.0.1 -j ACCEPT\nCOMMIT\n' },
      { key: 'live-iptables', absent: true },
      { key: 'live-ip6tables', absent: true },
    ]))).toBeNull();
  });
});
