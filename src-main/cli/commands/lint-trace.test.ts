// `portcullis lint` and `portcullis trace`: exit codes and output shapes scripts rely on.
import { describe, expect, it } from 'vitest';
import { run } from '../testing/capture.js';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:LOGGING - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp -i eth0 --sport 53 -j ACCEPT
-A INPUT -p tcp --dport 80 -m limit --limit 25/minute --limit-burst 100 -j ACCEPT
-A INPUT -j LOGGING
-A INPUT -p tcp --dport 22 -j ACCEPT
-A LOGGING -j DROP
COMMIT
`;

describe('portcullis lint', () => {
  it('prints findings and exits 0 when none is an error', async () => {
    const r = await run(['lint', 'a.rules'], { 'a.rules': RULES });
    expect(r.code).toBe(0);
    expect(r.out).toContain('a.rules:7: warning: [source-port-trust] filter/INPUT #2');
    expect(r.out).toContain('a.rules:10: warning: [shadowed-rule] filter/INPUT #5');
  });
  it('exits 1 on a predicted SSH lockout, with JSON as DESIGN.md says', async () => {
    const r = await run(['lint', 'a.rules', '--client', '198.51.100.7', '--ssh-port', '22', '--json'], { 'a.rules': RULES });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { findings: Array<Record<string, unknown>> };
    const f = j.findings.find((x) => x.code === 'ssh-lockout')!;
    expect(f).toMatchObject({ severity: 'error', line: 11, table: 'filter', chain: 'LOGGING', index: 1 });
    expect(Object.keys(f)).toEqual(expect.arrayContaining(['code', 'severity', 'line', 'table', 'chain', 'index', 'message']));
  });
  it('parse errors are findings and make it exit 1; bad options exit 2', async () => {
    const r = await run(['lint', 'b.rules'], { 'b.rules': '*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('error');
    expect((await run(['lint', 'a.rules', '--client', 'nope'], { 'a.rules': RULES })).code).toBe(2);
  });
});

describe('portcullis trace', () => {
  it('shows the path and the verdict', async () => {
    const r = await run(['trace', 'a.rules', '--src', '198.51.100.7', '--dst', '203.0.113.1', '--proto', 'tcp', '--dport', '22', '--in', 'eth0'], { 'a.rules': RULES });
    expect(r.code).toBe(0);
    expect(r.out).toContain('filter INPUT #4 (line 9): -A INPUT -j LOGGING → jump LOGGING');
    expect(r.out).toContain('verdict: DROP by LOGGING #1');
  });
  it('reports every outcome of a limit match in JSON', async () => {
    const r = await run(['trace', 'a.rules', '--src', '198.51.100.7', '--dst', '203.0.113.1', '--proto', 'tcp', '--dport', '80', '--in', 'eth0', '--json'], { 'a.rules': RULES });
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe('CONDITIONAL');
    expect(j.outcomes.map((o: { verdict: string; condition: string }) => `${o.verdict} ${o.condition}`)).toEqual(['DROP over 25/min', 'ACCEPT under 25/min']);
    expect(j.outcomes[1].decidedBy).toEqual({ table: 'filter', chain: 'INPUT', index: 3, line: 8 });
  });
  it('--local IF=IP and --route place a REDIRECT and a MASQUERADE; the packet after NAT is shown', async () => {
    const nat = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n';
    const args = ['trace', 'n.rules', '--src', '10.0.0.7', '--proto', 'tcp', '--sport', '40000', '--in', 'eth0', '--local', 'eth0=10.0.0.1,eth1=192.0.2.1', '--route', '0.0.0.0/0=eth1'];
    const r = await run([...args, '--dst', '203.0.113.9', '--dport', '80', '--json'], { 'n.rules': nat });
    expect(JSON.parse(r.out)).toMatchObject({ verdict: 'ACCEPT', hooks: ['PREROUTING', 'INPUT'], packet: { src: '10.0.0.7', dst: '10.0.0.1', sport: 40000, dport: 3128 } });
    const f = await run([...args, '--dst', '203.0.113.9', '--dport', '443'], { 'n.rules': nat });
    expect(f.out).toContain('after NAT: 192.0.2.1:40000 → 203.0.113.9:443');
    expect((await run([...args, '--dst', '203.0.113.9', '--dport', '443', '--route', 'nowhere'], { 'n.rules': nat })).code).toBe(2);
  });
  it('bad packet descriptions are usage errors (exit 2)', async () => {
    expect((await run(['trace', 'a.rules', '--src', '1.2.3.4', '--dst', '5.6.7.8'], { 'a.rules': RULES })).code).toBe(2);
    expect((await run(['trace', 'a.rules', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--proto', 'tcp', '--state', 'OPEN'], { 'a.rules': RULES })).code).toBe(2);
  });
});
