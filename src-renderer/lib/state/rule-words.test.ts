import { describe, it, expect } from 'vitest';
import { parseRuleset } from '../../../src-main/core/index.js';
import { actionOf, emptyChainWords, ruleComment, ruleWords, shortCount } from './rule-words.js';

const rules = (lines: string[]) => parseRuleset(`*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n${lines.join('\n')}\nCOMMIT\n`).ruleset.tables[0];

describe('rules in plain words', () => {
  it('says protocol, addresses, interfaces, ports and state', () => {
    const t = rules([
      '-A INPUT -s 10.0.0.0/8 -i eth0 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "office ssh" -j ACCEPT',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -p udp -m multiport --dports 53,123,1000:2000 -j ACCEPT',
      '-A INPUT ! -s 192.0.2.1/32 -p icmp -m icmp --icmp-type 8 -m limit --limit 5/min --limit-burst 10 -j web',
      '-A INPUT -j DROP',
    ]);
    const [ssh, est, mp, icmp, drop] = t.chains[0].rules;
    expect(ruleWords(ssh)).toBe('TCP · from 10.0.0.0/8 · in on eth0 · to port 22 · new connections');
    expect(ruleComment(ssh)).toBe('office ssh');
    expect(ruleWords(est)).toBe('replies and related (established connections)');
    expect(ruleWords(mp)).toBe('UDP · to ports 53, 123, 1000–2000');
    expect(ruleWords(icmp)).toBe('ICMP · not from 192.0.2.1 · ICMP type 8 · at most 5/min (bursts of 10)');
    expect(ruleWords(drop)).toBe('every packet');
    expect(actionOf(ssh)).toMatchObject({ word: 'ACCEPT', glyph: '✓' });
    expect(actionOf(icmp)).toMatchObject({ word: '→ web', glyph: '→' });
  });

  it('says what an empty chain means', () => {
    const t = rules([]);
    expect(emptyChainWords('filter', t.chains[0])).toBe('No rules in INPUT. Policy DROP: every incoming connection is dropped.');
    expect(emptyChainWords('filter', t.chains[3])).toMatch(/return to the chain they came from/);
    expect(shortCount(1234567n, 'B')).toBe('1.2 MB');
    expect(shortCount(999n)).toBe('999');
  });
});
