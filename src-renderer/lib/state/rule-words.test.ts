import { describe, it, expect } from 'vitest';
import { parseRuleset } from '../../../src-main/core/index.js';
import { actionOf, emptyChainWords, ruleComment, ruleWords, shortCount } from './rule-words.js';
import { targetClass } from './rows.js';

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

  it("reads each match from its extension's state, and shows one without words as iptables-save prints it", () => {
    const t = rules([
      '-A INPUT -p tcp -m tcp ! --dport 1000:2000 --tcp-flags SYN,ACK SYN -m conntrack ! --ctstate NEW --ctproto 6 -j DROP',
      '-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.0.2.1-192.0.2.2 -m mac ! --mac-source 00:11:22:33:44:55 -j ACCEPT',
      '-A INPUT -m set ! --match-set blocked src,dst -p icmp -m icmp --icmp-type any -j DROP',
      '-A INPUT -p tcp -m tcp --tcp-option 5 -m ttl --ttl-gt 3 -j ACCEPT',
    ]);
    const [tcp, range, set, opaque] = t.chains[0].rules;
    // the conntrack options other than --ctstate as printed, without the state's `!`
    expect(ruleWords(tcp)).toBe('TCP · not to port 1000–2000 · flags SYN of SYN,ACK · not new connections · --ctproto 6');
    expect(ruleWords(range)).toBe('from 10.0.0.1–10.0.0.9 · not to 192.0.2.1–192.0.2.2 · not from MAC 00:11:22:33:44:55');
    expect(ruleWords(set)).toBe('ICMP · not source in set blocked · ICMP type any');
    expect(ruleWords(opaque)).toBe('TCP · -m tcp --tcp-option 5 · -m ttl --ttl-gt 3');
  });

  it("the action's glyph and class come from what the target does, its detail from the printer", () => {
    const nat = parseRuleset('*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.2:8080\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n').ruleset.tables[0];
    const [dnat] = nat.chains.find((c) => c.name === 'PREROUTING')!.rules;
    expect(actionOf(dnat)).toEqual({ word: 'DNAT', glyph: '↪', detail: '--to-destination 10.0.0.2:8080' });
    const t = rules(['-A INPUT -j LOG --log-prefix "in: "', '-A INPUT -j REJECT', '-A INPUT -j NFQUEUE --queue-num 3', '-A INPUT -g web', '-A INPUT']);
    const [log, reject, queue, go, count] = t.chains[0].rules;
    expect([actionOf(log), targetClass(log)]).toEqual([{ word: 'LOG', glyph: '✎', detail: '--log-prefix "in: "' }, 'log']);
    expect([actionOf(reject), targetClass(reject)]).toEqual([{ word: 'REJECT', glyph: '⊘', detail: '--reject-with icmp-port-unreachable' }, 'reject']);
    expect([actionOf(queue).glyph, targetClass(queue)]).toEqual(['⇢', 'other']);
    expect([actionOf(go), targetClass(go)]).toEqual([{ word: 'go to web', glyph: '⇥', detail: '' }, 'jump']);
    expect([actionOf(count).glyph, targetClass(count)]).toEqual(['∑', 'none']);
  });
});
