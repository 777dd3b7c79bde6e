import { describe, it, expect } from 'vitest';
import { run } from '../testing/capture.js';
import { parseRuleset } from '../../core/index.js';

const HOST = `# web01 — keep these comments
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT   -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport ssh -j ACCEPT

# everything else
-A INPUT -j REJECT --reject-with icmp-host-prohibited
COMMIT
`;

describe('portcullis recipes', () => {
  it('lists the eight recipes with their parameters', async () => {
    const c = await run(['recipes']);
    expect(c.code).toBe(0);
    for (const n of ['load-balance', 'loopback', 'lan-to-wan', 'dns-out', 'dos-limit', 'port-forward', 'log-drops', 'baseline']) expect(c.out).toContain(n);
    expect(c.out).toContain('--backends IP[:PORT],…');
  });

  it('--json gives the schema the wizard renders', async () => {
    const c = await run(['recipes', '--json']);
    expect(c.code).toBe(0);
    const j = JSON.parse(c.out) as { recipes: Array<{ name: string; params: Array<{ name: string; type: string; help: string }> }> };
    expect(j.recipes).toHaveLength(8);
    expect(j.recipes[0].params.find((p) => p.name === 'backends')).toMatchObject({ type: 'ip-port-list', required: true });
  });
});

describe('portcullis recipe', () => {
  it('prints the rules as a restore file with the reasons as comments', async () => {
    const c = await run(['recipe', 'load-balance', '--port', '443', '--backends', '10.0.0.1,10.0.0.2']);
    expect(c.code).toBe(0);
    expect(c.out).toContain('*nat\n');
    expect(c.out).toContain('-A PREROUTING -p tcp -m tcp --dport 443 -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.0.0.1\n');
    expect(c.out).toContain('-A PREROUTING -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.0.0.2\n');
    expect(c.out).toContain('# requires: net.ipv4.ip_forward=1');
    expect(parseRuleset(c.out).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('a bad parameter: exit 2, the parameter named with its fix', async () => {
    const c = await run(['recipe', 'dos-limit', '--port', '80', '--limit', 'lots']);
    expect(c.code).toBe(2);
    expect(c.err).toContain('portcullis recipe dos-limit: --limit "lots" is not a rate: write COUNT/UNIT, e.g. 25/minute');
    const d = await run(['recipe', 'dos-limit']);
    expect(d.code).toBe(2);
    expect(d.err).toContain('--port is required: give --port 80');
    const e = await run(['recipe', 'dos-limit', '--port', '80', '--rate', '3/s']);
    expect(e.code).toBe(2);
    expect(e.err).toContain('dos-limit has no parameter --rate');
    const f = await run(['recipe', 'nope']);
    expect(f.code).toBe(2);
    expect(f.err).toContain('there is no recipe "nope"');
  });

  it('--help shows one recipe\'s parameters with help and defaults', async () => {
    const c = await run(['recipe', 'dos-limit', '--help']);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^usage: portcullis recipe dos-limit --port PORT \[--limit RATE\]/);
    expect(c.out).toContain('(default: "25/minute")');
    expect(c.out).toContain('--burst INT');
  });

  it('the synopsis names --client and --ssh-port (the lockout check with --into), generic and per recipe', async () => {
    const c = await run(['recipe', 'dos-limit', '--help']);
    expect(c.out.split('\n')[0]).toMatch(/\[--into FILE\] \[--client IP\] \[--ssh-port N\] \[--json\]$/);
    const g = await run(['recipe', '--help']);
    expect(g.out.split('\n')[0]).toContain('[--client IP] [--ssh-port N]');
    for (const r of ['loopback', 'baseline', 'port-forward']) {
      const h = await run(['recipe', r, '--help']);
      expect(h.out.split('\n')[0], r).toContain('[--client IP]');
      expect(h.out.split('\n')[0].match(/--ssh-port/g), r).toHaveLength(1);
    }
  });

  it('--into places the rules, keeps the file\'s comments and spelling, and reports what it did', async () => {
    const c = await run(['recipe', 'log-drops', '--into', 'host'], { host: HOST });
    expect(c.code).toBe(0);
    expect(c.out).toBe(`# web01 — keep these comments
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:LOGGING - [0:0]
-A INPUT   -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport ssh -j ACCEPT

# everything else
-A INPUT -j LOGGING
-A LOGGING -m limit --limit 2/min -j LOG --log-prefix "IPTables Packet Dropped: " --log-level 7
-A LOGGING -j REJECT --reject-with icmp-host-prohibited
COMMIT
`);
    expect(c.err).toContain('replaced filter INPUT #3: -A INPUT -j REJECT --reject-with icmp-host-prohibited  →  -A INPUT -j LOGGING');
    // idempotent
    const again = await run(['recipe', 'log-drops', '--into', 'host'], { host: c.out });
    expect(again.code).toBe(0);
    expect(again.out).toBe(c.out);
  });

  it('refuses with the reason and exit 1 where the rules cannot work', async () => {
    const c = await run(['recipe', 'log-drops', '--into', 'host'], { host: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' });
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/refused: this would refuse new SSH connections to port 22/);
    expect(c.out).toBe('');
  });

  it('--json with --into gives the rules, what was placed and the file', async () => {
    const c = await run(['recipe', 'dos-limit', '--port', '80', '--into', 'host', '--json'], { host: HOST });
    expect(c.code).toBe(0);
    const j = JSON.parse(c.out) as { rules: unknown[]; placed: { added: Array<{ index: number; text: string }> }; ruleset: string };
    expect(j.rules).toHaveLength(3);
    expect(j.placed.added.map((a) => a.index)).toEqual([3, 4]);
    expect(j.ruleset).toContain('-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j DROP\n');
  });

  it('an invalid --into file: its errors, exit 2', async () => {
    const c = await run(['recipe', 'loopback', '--into', 'bad'], { bad: '*filter\n-A INPUT -j NOPE\nCOMMIT\n' });
    expect(c.code).toBe(2);
    expect(c.err).toContain('bad:2');
  });
});

const HOST6 = `# web01 IPv6 — keep these comments
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp --dport ssh -j ACCEPT

# everything else
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
COMMIT
`;

describe('portcullis recipe --family', () => {
  it('--family 6 prints ip6tables rules; --family both prints both, each labelled with its restore command', async () => {
    const six = await run(['recipe', 'port-forward', '--from-port', '422', '--to-port', '22', '--to-host6', '2001:db8::5', '--family', '6']);
    expect(six.code).toBe(0);
    expect(six.out).toContain('-A PREROUTING -p tcp -m tcp --dport 422 -j DNAT --to-destination [2001:db8::5]:22\n');
    expect(six.out).toContain('# requires: net.ipv6.conf.all.forwarding=1');
    expect(parseRuleset(six.out, { family: 'ipv6' }).findings.filter((f) => f.severity === 'error')).toEqual([]);
    const both = await run(['recipe', 'loopback', '--family', 'both']);
    expect(both.code).toBe(0);
    const [v4, v6] = both.out.split('# IPv6: load with ip6tables-restore');
    expect(v4).toMatch(/^# IPv4: load with iptables-restore/);
    expect(v4).toContain('-A INPUT -i lo -j ACCEPT');
    expect(v6).toContain('-A INPUT -i lo -j ACCEPT');
    const json = JSON.parse((await run(['recipe', 'dns-out', '--family', 'both', '--servers', '192.0.2.53/32', '--servers6', '2001:db8::53/128', '--json'])).out) as { families: Array<{ family: string; rules: Array<{ rule: string }> }> };
    expect(json.families.map((f) => [f.family, f.rules[0].rule])).toEqual([
      ['4', '-A OUTPUT -d 192.0.2.53/32 -p udp -m udp --dport 53 -j ACCEPT'],
      ['6', '-A OUTPUT -d 2001:db8::53/128 -p udp -m udp --dport 53 -j ACCEPT'],
    ]);
  });

  it('--into an ip6tables file (by its name) places the IPv6 rules, says it read it as IPv6, keeps the comments', async () => {
    const c = await run(['recipe', 'baseline', '--into', 'rules.v6'], { 'rules.v6': HOST6 });
    expect(c.code).toBe(0);
    expect(c.err).toMatch(/read as an IPv6 \(ip6tables\) ruleset/);
    expect(c.out).toContain('# web01 IPv6 — keep these comments');
    expect(c.out).toContain('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -m limit --limit 5/sec --limit-burst 10 -j ACCEPT');
    // the file accepts all ICMPv6 already: neighbour discovery is kept as it is
    expect(c.err).toMatch(/kept +-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT: already handled/);
    expect(c.out.trimEnd().split('\n').filter((l) => l.startsWith('-A INPUT')).at(-1)).toBe('-A INPUT -j REJECT --reject-with icmp6-adm-prohibited');
  });

  it('refuses what cannot be: both with --into, 4 into an IPv6 file, an IPv6 parameter for IPv4 rules', async () => {
    const both = await run(['recipe', 'loopback', '--family', 'both', '--into', 'rules.v6'], { 'rules.v6': HOST6 });
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/one file holds one family/);
    const four = await run(['recipe', 'loopback', '--family', '4', '--into', 'x'], { x: HOST6 });
    expect(four.code).toBe(2);
    const v6param = await run(['recipe', 'dns-out', '--servers6', '2001:db8::53/128']);
    expect(v6param.code).toBe(2);
    expect(v6param.err).toMatch(/--servers6 is for the IPv6 rules, but the rules are made for IPv4 only: give --family 6 or --family both/);
  });
});
