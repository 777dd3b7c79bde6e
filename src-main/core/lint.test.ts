import { describe, expect, it } from 'vitest';
import { parseRuleset, type Finding } from './index.js';
import { lintParsed, lintRuleset, type LintOptions } from './lint.js';
import { predictLockout } from './apply/lockout.js';

const HEAD = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
function lint(text: string, opts?: LintOptions): Finding[] {
  const p = parseRuleset(text);
  const errors = p.findings.filter((f) => f.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
  return lintRuleset(p.ruleset, opts);
}
const filter = (rules: string, extra = '', policy = 'ACCEPT') => `${HEAD.replace(':INPUT ACCEPT', `:INPUT ${policy}`)}${extra}${rules}\nCOMMIT\n`;
const codes = (fs: Finding[], code: string) => fs.filter((f) => f.code === code).map((f) => `${f.chain}#${f.index}`);

describe('shadowed-rule / redundant-rule', () => {
  it('a catch-all verdict shadows everything after it', () => {
    const fs = lint(filter('-A INPUT -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -j LOG'));
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#2', 'INPUT#3']);
    const f = fs.find((x) => x.code === 'shadowed-rule')!;
    expect(f).toMatchObject({ severity: 'warning', line: 6, table: 'filter' });
    expect(f.message).toContain('rule #1');
  });

  it('is exact over address ranges: a union of two halves covers the whole', () => {
    const fs = lint(filter('-A INPUT -s 10.0.0.0/25 -j DROP\n-A INPUT -s 10.0.0.128/25 -j REJECT\n-A INPUT -s 10.0.0.0/24 -j ACCEPT\n-A INPUT -s 10.0.0.0/23 -j ACCEPT'));
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#3']);
  });

  it('is exact over port ranges, protocols and negations', () => {
    const fs = lint(filter([
      '-A INPUT -p tcp --dport 1:1000 -j DROP',
      '-A INPUT -p tcp ! --dport 1:1000 -j DROP',
      '-A INPUT -p tcp --dport 22 -j ACCEPT', // covered by the two above
      '-A INPUT -p udp --dport 22 -j ACCEPT', // not covered
    ].join('\n')));
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#3']);
  });

  it('understands interface wildcards, multiport, iprange, states and ICMP types', () => {
    const fs = lint(filter([
      '-A INPUT -i eth+ -j DROP',
      '-A INPUT -i eth1 -p tcp -j ACCEPT', // eth1 is in eth+
      '-A INPUT -i wlan0 -j ACCEPT',
      '-A INPUT -p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW,ESTABLISHED -j REJECT',
      '-A INPUT -p tcp --dport 443 -m state --state NEW -j ACCEPT', // covered by #4
      '-A INPUT -p tcp --dport 443 -m state --state RELATED -j ACCEPT', // not covered
      '-A INPUT -m iprange --src-range 192.168.0.10-192.168.0.20 -j DROP',
      '-A INPUT -s 192.168.0.16/30 -j ACCEPT', // 16–19 in 10–20
      '-A INPUT -p icmp --icmp-type echo-request -j DROP',
      '-A INPUT -p icmp --icmp-type 8/0 -j ACCEPT', // covered
      '-A INPUT -p icmp --icmp-type 0 -j ACCEPT',
    ].join('\n')));
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#2', 'INPUT#5', 'INPUT#8', 'INPUT#10']);
  });

  it('never claims a shadow through a match it does not model or a history match', () => {
    const fs = lint(filter('-A INPUT -m ttl --ttl-lt 5 -j DROP\n-A INPUT -m limit --limit 1/s -j DROP\n-A INPUT -m recent --rcheck -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT'));
    expect(codes(fs, 'shadowed-rule')).toEqual([]);
    // but the same unmodelled match on both sides is the same condition
    const same = lint(filter('-A INPUT -m ttl --ttl-lt 5 -j DROP\n-A INPUT -p tcp -m ttl --ttl-lt 5 -j ACCEPT'));
    expect(codes(same, 'shadowed-rule')).toEqual(['INPUT#2']);
  });

  it('a chain of template rules sharing one target ends in its verdict only at a catch-all, and a RETURN among them ends it in none', () => {
    // the verdict walk takes a rule's action from the rule before when they share their target object
    const drops = Array.from({ length: 6 }, (_, i) => `-A bl -s 198.18.0.${i}/32 -j DROP`);
    const run = (tail: string) => lint(filter(`${drops.join('\n')}\n${tail}\n-A INPUT -j bl\n-A INPUT -p tcp --dport 22 -j ACCEPT`, ':bl - [0:0]\n'));
    const p = parseRuleset(filter(drops.join('\n'), ':bl - [0:0]\n'));
    const bl = p.ruleset.tables[0].chains.find((c) => c.name === 'bl')!;
    expect(bl.rules[3].target).toBe(bl.rules[4].target);
    expect(codes(run('-A bl -j DROP'), 'shadowed-rule')).toEqual(['INPUT#2']);
    expect(codes(run('-A bl -s 198.18.1.0/24 -j DROP'), 'shadowed-rule')).toEqual([]);
    expect(codes(run('-A bl -j RETURN\n-A bl -j DROP'), 'shadowed-rule')).toEqual(['bl#8']); // by the RETURN, not INPUT's #2
  });

  it('a jump into a chain that always ends in a verdict shadows what follows (the seed LOGGING chain)', () => {
    const fs = lint(filter('-A INPUT -j LOGGING\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A LOGGING -m limit --limit 2/min -j LOG --log-prefix "dropped: "\n-A LOGGING -j DROP', ':LOGGING - [0:0]\n'));
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#2']);
    expect(fs.find((f) => f.code === 'shadowed-rule')!.message).toContain('always ends in DROP');
  });

  it('a jump into a chain that can RETURN shadows nothing', () => {
    const fs = lint(filter('-A INPUT -j CHK\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A CHK -s 10.0.0.0/8 -j RETURN\n-A CHK -j DROP', ':CHK - [0:0]\n'));
    expect(codes(fs, 'shadowed-rule')).toEqual([]);
  });

  it('a rule covered by rules with the same verdict is redundant, not shadowed', () => {
    const fs = lint(filter('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 22 -s 10.1.2.3 -j ACCEPT\n-A INPUT -j DROP'));
    expect(codes(fs, 'redundant-rule')).toEqual(['INPUT#2']);
    expect(codes(fs, 'shadowed-rule')).toEqual([]);
    expect(fs.find((f) => f.code === 'redundant-rule')!.severity).toBe('info');
  });

  it('a trailing rule that does what the policy does is redundant', () => {
    const fs = lint(filter('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP', '', 'DROP'));
    expect(codes(fs, 'redundant-rule')).toEqual(['INPUT#2']);
  });

  it('stays fast on a 20,000-rule chain', () => {
    const rules: string[] = [];
    for (let k = 0; k < 20000; k++) rules.push(`-A INPUT -s 10.${(k >> 8) & 255}.${k & 255}.0/24 -p tcp --dport ${1 + (k % 5000)} -j ACCEPT`);
    rules.push('-A INPUT -s 10.0.5.7 -p tcp --dport 6 -j DROP'); // covered by rule #6
    rules.push('-A INPUT -j DROP', '-A INPUT -p tcp -j ACCEPT');
    const t0 = performance.now();
    const fs = lint(filter(rules.join('\n')));
    expect(performance.now() - t0).toBeLessThan(20000);
    expect(codes(fs, 'shadowed-rule')).toEqual(['INPUT#20001', 'INPUT#20003']);
  });

  it('a network covered by the earlier networks of its block: found among many that miss it, and the limit on candidates counts those too', () => {
    // /23s of 10.1.0.0/16 (filed under that /16 block, like a country blocklist's networks): the 8 that
    // make 10.1.0.0/20 spread among others of the block that do not meet it (10.1.16.0/23 on, over and
    // over), then the /20 itself
    const block = (extra: number) => {
      const rules: string[] = [];
      let inside = 0;
      let outside = 0;
      for (let k = 0; k < 8 + extra; k++) {
        if (k % 8 === 0 && inside < 8) rules.push(`-A INPUT -s 10.1.${2 * inside++}.0/23 -j DROP`);
        else rules.push(`-A INPUT -s 10.1.${16 + 2 * (outside++ % 120)}.0/23 -j DROP`);
      }
      rules.push('-A INPUT -s 10.1.0.0/20 -j DROP');
      const fs = lint(filter(rules.join('\n')));
      return fs.filter((f) => f.index === rules.length);
    };
    const few = block(1000);
    expect(few.map((f) => f.code)).toEqual(['redundant-rule']);
    // the 8 pieces named (rules 1, 9, 17 … 57), none of the others
    expect(few[0].message.match(/#\d+/g)).toEqual(['#1009', ...Array.from({ length: 8 }, (_, k) => `#${1 + 8 * k}`)]);
    // more than 2,000 earlier rules in the block: the check gives up on the rule (claims nothing), as it
    // always has, even though most of them cannot take anything from it
    expect(block(2100)).toEqual([]);
  });
});

describe('chains', () => {
  it('unused-chain and undefined-chain', () => {
    const p = parseRuleset(filter('-A INPUT -j USED', ':USED - [0:0]\n:SPARE - [0:0]\n'));
    const fs = lintRuleset(p.ruleset);
    expect(fs.filter((f) => f.code === 'unused-chain').map((f) => f.chain)).toEqual(['SPARE']);
    // a ruleset built in the app can point at a chain that is gone
    p.ruleset.tables[0].chains = p.ruleset.tables[0].chains.filter((c) => c.name !== 'USED');
    const gone = lintRuleset(p.ruleset);
    expect(gone.find((f) => f.code === 'undefined-chain')).toMatchObject({ severity: 'error', chain: 'INPUT', index: 1 });
  });

  it('wrong-table: once, whether the parser or the lint finds it', () => {
    const text = filter('-A INPUT -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1');
    const p = parseRuleset(text);
    expect(p.findings.some((f) => f.code === 'wrong-table')).toBe(true);
    expect(lintRuleset(p.ruleset).filter((f) => f.code === 'wrong-table')).toHaveLength(1);
    expect(lintParsed(p).filter((f) => f.code === 'wrong-table')).toHaveLength(1);
  });
});

describe('matches', () => {
  it('deprecated-match: -m state → -m conntrack --ctstate', () => {
    const fs = lint(filter('-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT'));
    expect(fs.find((f) => f.code === 'deprecated-match')).toMatchObject({ severity: 'info', fix: 'write -m conntrack --ctstate RELATED,ESTABLISHED' });
  });

  it('rules of one template (a shared matches array) each get their deprecated-match, also after a clean array', () => {
    // lines alike but for -s share one matches array: each rule is still reported, and a clean array
    // seen before (the skip for arrays with nothing to report) hides nothing of another array
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) lines.push(`-A INPUT -s 198.18.0.${i}/32 -p tcp -m tcp --dport 22 -j ACCEPT`);
    for (let i = 0; i < 6; i++) lines.push(`-A INPUT -s 198.18.1.${i}/32 -m state --state NEW -j ACCEPT`);
    for (let i = 6; i < 9; i++) lines.push(`-A INPUT -s 198.18.0.${i}/32 -p tcp -m tcp --dport 22 -j ACCEPT`);
    lines.push('-A INPUT -s 198.18.2.1/32 -m state --state NEW -j ACCEPT');
    const p = parseRuleset(filter(lines.join('\n')));
    const rules = p.ruleset.tables[0].chains[0].rules;
    expect(rules[4].matches).toBe(rules[5].matches); // a template's rules (else this test proves nothing)
    expect(rules[8].matches).toBe(rules[9].matches);
    expect(codes(lintRuleset(p.ruleset), 'deprecated-match')).toEqual(['INPUT#7', 'INPUT#8', 'INPUT#9', 'INPUT#10', 'INPUT#11', 'INPUT#12', 'INPUT#16']);
  });

  it('obsolete-match: -m nth gets the statistic cascade as its fix', () => {
    const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 443 -m nth --counter 0 --every 3 --packet 0 -j DNAT --to-destination 10.0.0.1
-A PREROUTING -p tcp --dport 443 -m nth --counter 0 --every 3 --packet 1 -j DNAT --to-destination 10.0.0.2
COMMIT
`;
    const fs = lintParsed(parseRuleset(text));
    const f = fs.filter((x) => x.code === 'obsolete-match');
    expect(f).toHaveLength(2);
    expect(f[0].fix).toContain('--every 3 --packet 0');
    expect(f[0].fix).toContain('--every 2 --packet 0');
  });
});

describe('nth-balance', () => {
  const nat = (rules: string) => `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${rules}\nCOMMIT\n`;
  const r = (stat: string, k: number) => `-A PREROUTING -i eth0 -p tcp --dport 443 ${stat} -j DNAT --to-destination 10.0.0.${k}`;
  it('the seed cascade --every 3 --packet 0/1/2 is uneven, and says what falls through', () => {
    const fs = lint(nat([0, 1, 2].map((p) => r(`-m statistic --mode nth --every 3 --packet ${p}`, p + 1)).join('\n')));
    const f = fs.find((x) => x.code === 'nth-balance')!;
    expect(f).toMatchObject({ severity: 'warning', index: 1 });
    expect(f.message).toContain('#1 33.3%, #2 22.2%, #3 14.8%');
    expect(f.message).toContain('29.6%');
  });
  it('the correct cascade --every 3, --every 2, unconditional is clean', () => {
    const fs = lint(nat([r('-m statistic --mode nth --every 3 --packet 0', 1), r('-m statistic --mode nth --every 2 --packet 0', 2), r('', 3)].join('\n')));
    expect(codes(fs, 'nth-balance')).toEqual([]);
  });
  it('random mode counts too', () => {
    const fs = lint(nat([r('-m statistic --mode random --probability 0.5', 1), r('-m statistic --mode random --probability 0.5', 2)].join('\n')));
    expect(fs.find((x) => x.code === 'nth-balance')!.message).toContain('#1 50.0%, #2 25.0%');
    const even = lint(nat([r('-m statistic --mode random --probability 0.5', 1), r('', 2)].join('\n')));
    expect(codes(even, 'nth-balance')).toEqual([]);
  });
});

describe('flow checks', () => {
  it('limit-without-drop: the excess is accepted by the policy', () => {
    const fs = lint(filter('-A INPUT -p tcp --dport 80 -m limit --limit 25/minute --limit-burst 100 -j ACCEPT'));
    expect(fs.find((f) => f.code === 'limit-without-drop')).toMatchObject({ severity: 'warning', index: 1 });
  });
  it('limit-without-drop: every rule of a template run (one matches array), around rules without matches and other arrays', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) lines.push(`-A INPUT -s 198.18.0.${i}/32 -p tcp -m tcp --dport 80 -m limit --limit 25/minute -j ACCEPT`);
    lines.push('-A INPUT -s 198.18.9.9/32 -j DROP', '-A INPUT -s 198.18.9.8/32 -j DROP');
    for (let i = 0; i < 3; i++) lines.push(`-A INPUT -s 198.18.1.${i}/32 -p tcp -m tcp --dport 81 -j ACCEPT`);
    for (let i = 5; i < 8; i++) lines.push(`-A INPUT -s 198.18.0.${i}/32 -p tcp -m tcp --dport 80 -m limit --limit 25/minute -j ACCEPT`);
    const p = parseRuleset(filter(lines.join('\n')));
    const rules = p.ruleset.tables[0].chains[0].rules;
    expect(rules[3].matches).toBe(rules[4].matches); // a template's rules share their matches (else this proves nothing)
    expect(codes(lintRuleset(p.ruleset), 'limit-without-drop')).toEqual(['INPUT#1', 'INPUT#2', 'INPUT#3', 'INPUT#4', 'INPUT#5', 'INPUT#11', 'INPUT#12', 'INPUT#13']);
  });
  it('nth-balance is looked for in a chain whose statistic rules follow a long template run', () => {
    const run = Array.from({ length: 40 }, (_, i) => `-A PREROUTING -s 198.18.0.${i}/32 -j RETURN`).join('\n');
    const nat = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${run}
-A PREROUTING -i eth0 -p tcp --dport 443 -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination 10.0.0.1
-A PREROUTING -i eth0 -p tcp --dport 443 -m statistic --mode nth --every 3 --packet 1 -j DNAT --to-destination 10.0.0.2
COMMIT
`;
    expect(codes(lint(nat), 'nth-balance')).toEqual(['PREROUTING#41']);
  });
  it('limit-without-drop: quiet when a later rule drops the excess', () => {
    const fs = lint(filter('-A INPUT -p tcp --dport 80 -m limit --limit 25/minute -j ACCEPT\n-A INPUT -p tcp --dport 80 -j DROP'));
    expect(codes(fs, 'limit-without-drop')).toEqual([]);
    const byPolicy = lint(filter('-A INPUT -p tcp --dport 80 -m limit --limit 25/minute -j ACCEPT', '', 'DROP'));
    expect(codes(byPolicy, 'limit-without-drop')).toEqual([]);
  });
  it('limit-without-drop: a later ACCEPT lets the excess in', () => {
    const fs = lint(filter('-A INPUT -p tcp --dport 80 -m limit --limit 25/minute -j ACCEPT\n-A INPUT -p tcp -j ACCEPT\n-A INPUT -j DROP'));
    expect(fs.find((f) => f.code === 'limit-without-drop')!.message).toContain('rule #2');
  });

  it('dnat-port-mismatch: the seed 422 → 22 forward', () => {
    const text = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -d 203.0.113.10 --dport 422 -j DNAT --to-destination 203.0.113.10:22
COMMIT
${filter('-A INPUT -i eth0 -p tcp --dport 422 -m state --state NEW,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT')}`;
    const fs = lint(text);
    expect(codes(fs, 'dnat-port-mismatch')).toEqual(['INPUT#1']);
    expect(fs.find((f) => f.code === 'dnat-port-mismatch')!.fix).toContain('--dport 22');
  });

  it('dnat-port-mismatch: a load-balancing cascade whose backends listen on different ports is not a mismatch', () => {
    const nat = (rules: string) => `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${rules}\nCOMMIT\n`;
    const cascade = nat(`-A PREROUTING -p tcp --dport 443 -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.0.0.1:443
-A PREROUTING -p tcp --dport 443 -j DNAT --to-destination 10.0.0.2:8443`);
    // each FORWARD rule names its backend and the port that backend listens on
    const right = lint(cascade + filter('-A FORWARD -d 10.0.0.1/32 -p tcp --dport 443 -j ACCEPT\n-A FORWARD -d 10.0.0.2/32 -p tcp --dport 8443 -j ACCEPT'));
    expect(codes(right, 'dnat-port-mismatch')).toEqual([]);
    // a rule for the second backend on the old port never sees its connections
    const wrong = lint(cascade + filter('-A FORWARD -d 10.0.0.2/32 -p tcp --dport 443 -j ACCEPT'));
    expect(codes(wrong, 'dnat-port-mismatch')).toEqual(['FORWARD#1']);
    // without a cascade keeping 443, a rule on 443 for the rewritten destination is still flagged
    const single = lint(nat('-A PREROUTING -p tcp --dport 443 -j DNAT --to-destination 10.0.0.2:8443') + filter('-A FORWARD -p tcp --dport 443 -j ACCEPT'));
    expect(codes(single, 'dnat-port-mismatch')).toEqual(['FORWARD#1']);
  });

  it('no-established-accept: DROP policy or a catch-all drop without an ESTABLISHED accept before it', () => {
    expect(codes(lint(filter('-A INPUT -p tcp --dport 22 -j ACCEPT', '', 'DROP')), 'no-established-accept')).toEqual(['INPUT#undefined']);
    expect(codes(lint(filter('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT')), 'no-established-accept')).toEqual(['INPUT#2']);
    expect(codes(lint(filter('-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -j REJECT')), 'no-established-accept')).toEqual([]);
    // an ESTABLISHED accept for one port only does not count
    expect(codes(lint(filter('-A INPUT -p tcp --dport 422 -m state --state NEW,ESTABLISHED -j ACCEPT\n-A INPUT -j DROP')), 'no-established-accept')).toEqual(['INPUT#2']);
    // policy ACCEPT and no catch-all: nothing to say
    expect(codes(lint(filter('-A INPUT -p tcp --dport 22 -j DROP')), 'no-established-accept')).toEqual([]);
  });

  it('source-port-trust: the seed --sport 53 rule, but not a state-restricted one', () => {
    expect(codes(lint(filter('-A INPUT -p udp -i eth0 --sport 53 -j ACCEPT')), 'source-port-trust')).toEqual(['INPUT#1']);
    expect(codes(lint(filter('-A INPUT -p udp --sport 53 -m conntrack --ctstate ESTABLISHED -j ACCEPT')), 'source-port-trust')).toEqual([]);
    expect(codes(lint(filter('-A INPUT -p udp --sport 53 --dport 5353 -j ACCEPT')), 'source-port-trust')).toEqual([]);
    expect(codes(lint(filter('-A INPUT -s 10.0.0.53 -p udp --sport 53 -j ACCEPT')), 'source-port-trust')).toEqual([]);
  });

  it('ssh-lockout: error when the client cannot open a new SSH connection', () => {
    const text = filter('-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n-A INPUT -p tcp --dport 80 -j ACCEPT\n-A INPUT -j REJECT');
    const f = lint(text, { client: '198.51.100.7' }).find((x) => x.code === 'ssh-lockout');
    expect(f).toMatchObject({ severity: 'error', chain: 'INPUT', index: 3 });
    expect(f!.message).toContain('REJECT by filter INPUT #3 (line 7)');
    expect(lint(text, { client: '198.51.100.7', sshPort: 80 }).some((x) => x.code === 'ssh-lockout')).toBe(false);
    expect(lint(text).some((x) => x.code === 'ssh-lockout')).toBe(false);
  });

  it('ssh-lockout: a warning with conditions when only some outcomes refuse', () => {
    const text = filter('-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP');
    const f = lint(text, { client: '198.51.100.7' }).find((x) => x.code === 'ssh-lockout')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('not arriving on eth0');
    // loopback is never the way in for a remote client
    const lo = lint(filter('-A INPUT -i lo -j ACCEPT\n-A INPUT -j DROP'), { client: '198.51.100.7' }).find((x) => x.code === 'ssh-lockout')!;
    expect(lo.severity).toBe('error');
  });

  it('ssh-lockout is the apply\'s own predictor: the finding and the refusal agree, DNAT and delivery included', () => {
    const NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
    const cases = [
      filter('-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP'),
      filter('-A INPUT -p tcp --dport 80 -j ACCEPT\n-A INPUT -j REJECT'),
      filter('-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP'),
      filter('-A INPUT -s 198.51.100.0/24 -j DROP'),
      // every chain accepts, but port 22 is sent elsewhere: before, only the apply refused this one
      `${NAT}-A PREROUTING -p tcp -m tcp --dport 22 -j REDIRECT --to-ports 2222\nCOMMIT\n${filter('')}`,
      `${NAT}-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination 10.0.0.5\nCOMMIT\n${filter('')}`,
    ];
    const agree = cases.map((text) => {
      const opts = { client: '198.51.100.7', local: ['192.0.2.1'] };
      const f = lint(text, opts).find((x) => x.code === 'ssh-lockout');
      const v = predictLockout(parseRuleset(text).ruleset, { client: opts.client, server: opts.local[0], sshPort: 22, local: opts.local });
      expect(v.kind === 'open').toBe(f === undefined);
      if (v.kind !== 'open') expect(f).toMatchObject({ severity: v.finding!.severity, message: v.finding!.message, table: v.finding!.table, index: v.finding!.index });
      return v.kind;
    });
    expect(agree).toEqual(['open', 'locked', 'locked', 'locked', 'locked', 'locked']);
    const redirected = lint(cases[4], { client: '198.51.100.7' }).find((x) => x.code === 'ssh-lockout')!;
    expect(redirected).toMatchObject({ severity: 'error', table: 'nat', chain: 'PREROUTING', index: 1 });
    expect(redirected.message).toContain('re-addressed by nat PREROUTING #1 (REDIRECT to the primary address of the incoming interface:2222) instead of reaching sshd on port 22');
  });

  it('ssh-lockout for an IPv6 client on an ip6tables ruleset; an IPv6 client is not filtered by an IPv4 ruleset', () => {
    const v6 = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 2001:db8:9::/48 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
    const parsed = parseRuleset(v6, { family: 'ipv6' });
    expect(lintParsed(parsed, { client: '2001:db8:9::5' }).some((x) => x.code === 'ssh-lockout')).toBe(false);
    const f = lintParsed(parsed, { client: '2001:db8:a::5' }).find((x) => x.code === 'ssh-lockout')!;
    expect(f).toMatchObject({ severity: 'error', table: 'filter', chain: 'INPUT' });
    expect(f.message).toContain('from 2001:db8:a::5 to port 22 would not get in: DROP by the policy of filter INPUT');
    // the apply would not refuse either: an ssh-lockout finding always means what the apply refuses on
    expect(lint(filter('-A INPUT -j DROP'), { client: '2001:db8::5' }).some((x) => x.code === 'ssh-lockout')).toBe(false);
    expect(predictLockout(parseRuleset(filter('-A INPUT -j DROP')).ruleset, { client: '2001:db8::5', sshPort: 22 }).kind).toBe('open');
  });
});
