import { describe, it, expect } from 'vitest';
import { canonicalRuleBody, parseRuleset, parseRuleBody } from '../../../src-main/core/index.js';
import { formFromText, splitRuleWords, textFromForm, extensionForm, matchSpec } from './rule-form.js';

const rs = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n:web - [0:0]\nCOMMIT\n').ruleset;
const canon = (body: string) => {
  const p = parseRuleBody(rs, 'filter', 'INPUT', body);
  if (!p.ok) throw new Error(p.findings.map((f) => f.message).join('; '));
  return canonicalRuleBody(p.rule);
};

describe('rule form', () => {
  it('splits words as iptables-restore does', () => {
    expect(splitRuleWords('-m comment --comment "two words" -j ACCEPT')).toEqual(['-m', 'comment', '--comment', 'two words', '-j', 'ACCEPT']);
    expect(splitRuleWords('--log-prefix "say \\"hi\\" " -j LOG')).toEqual(['--log-prefix', 'say "hi" ', '-j', 'LOG']);
  });

  it('reads a rule into fields and writes the same rule back (canonically equal)', () => {
    const bodies = [
      '-s 10.0.0.0/8 ! -i eth0 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "office ssh" -j ACCEPT',
      '-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m state --state NEW -j DROP',
      '-p udp -m multiport --dports 53,123 -j web',
      '-m limit --limit 5/min -j LOG --log-prefix "dropped: " --log-level 4',
      '-p tcp -j REJECT --reject-with tcp-reset',
    ];
    for (const b of bodies) {
      const form = formFromText(b);
      expect(canon(textFromForm(form))).toBe(canon(b));
    }
    const f = formFromText(bodies[0]);
    expect(f.generic.source.value).toBe('10.0.0.0/8');
    expect(f.generic.in).toEqual({ value: 'eth0', invert: true });
    expect(f.matches.map((m) => m.name)).toEqual(['tcp', 'conntrack', 'comment']);
    expect(f.matches[0].values.dport).toEqual({ on: true, invert: false, args: ['22'] });
    expect(f.matches[2].values.comment.args).toEqual(['office ssh']);
    expect(f.target?.name).toBe('ACCEPT');
  });

  it('builds a new rule from fields the registry declares', () => {
    const form = formFromText('');
    form.generic.protocol.value = 'tcp';
    const tcp = extensionForm('tcp', matchSpec('tcp'));
    tcp.values.dport = { on: true, invert: false, args: ['443'] };
    form.matches.push(tcp);
    form.target = extensionForm('ACCEPT', undefined);
    form.target.known = true;
    expect(textFromForm(form)).toBe('-p tcp -m tcp --dport 443 -j ACCEPT');
  });

  it('keeps words it has no field for instead of dropping them', () => {
    const b = '-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10" -j DROP';
    expect(canon(textFromForm(formFromText(b)))).toBe(canon(b));
  });
});

describe('rule form: implicit protocol match', () => {
  it('puts --dport after -p tcp (no -m tcp) into the tcp match', () => {
    const f = formFromText('-p tcp --dport 22 -j ACCEPT');
    expect(f.matches.map((m) => m.name)).toEqual(['tcp']);
    expect(f.matches[0].values.dport.args).toEqual(['22']);
    expect(textFromForm(f)).toBe('-p tcp -m tcp --dport 22 -j ACCEPT');
  });
});

describe('rule form of an IPv6 ruleset', () => {
  const rs6 = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', { family: 'ipv6' }).ruleset;
  const canon6 = (body: string) => {
    const p = parseRuleBody(rs6, 'filter', 'INPUT', body);
    if (!p.ok) throw new Error(p.findings.map((f) => f.message).join('; '));
    return canonicalRuleBody(p.rule);
  };

  it('offers the IPv6-only extensions as fields, and the IPv4-only ones not', () => {
    expect(matchSpec('icmp6', 'ipv6')?.options.map((o) => o.name)).toContain('icmpv6-type');
    expect(matchSpec('icmp6', 'ipv4')).toBeUndefined();
    expect(matchSpec('icmp', 'ipv6')).toBeUndefined();
    expect(matchSpec('hbh', 'ipv6')).toBeDefined();
  });

  it('reads IPv6 rules into fields and writes the same rules back', () => {
    for (const b of [
      '-s 2001:db8::/32 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
      '-d 2001:db8::1/128 -p tcp -m tcp --dport 443 -m conntrack --ctstate NEW -j ACCEPT',
      '-p tcp -j REJECT --reject-with icmp6-adm-prohibited',
      '-m frag --fragid 5 -j DROP',
    ]) {
      const form = formFromText(b, 'ipv6');
      expect(form.family).toBe('ipv6');
      // every option landed in a field of a known extension: nothing left as raw words
      expect(form.matches.every((m) => m.known && !m.raw)).toBe(true);
      expect(canon6(textFromForm(form))).toBe(canon6(b));
    }
  });
});
