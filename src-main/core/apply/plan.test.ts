import { messageText } from './message.js';
import { describe, expect, it } from 'vitest';
import { parseRuleset } from '../parse.js';
import { applyBlock, checkProposal, planApply, type HostSnapshot, type HostView, type PlanInput } from './plan.js';
import { stockRuleset, stockWith } from '../testing/rulesets.js';

const STOCK = stockRuleset(2);
const LIVE = STOCK.replace(/^#.*\n/gm, '').replace(':OUTPUT ACCEPT [0:0]\n', ':OUTPUT ACCEPT [0:0]\n:f2b-sshd - [0:0]\n').replace('-A INPUT -m state', '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n-A INPUT -m state').replace('COMMIT', '-A f2b-sshd -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable\n-A f2b-sshd -j RETURN\nCOMMIT');
const host: HostView = { name: 'web1', clientAddress: '198.51.100.4', serverAddress: '192.0.2.10', sshPort: 22, inIface: 'eth0', localAddresses: ['192.0.2.10'], firewalld: 'masked' };
const snap: HostSnapshot = { savedPresent: true, savedText: STOCK, savedSha256: 's0', liveText: LIVE, liveRulesSha256: 'l0' };

function plan(proposalText: string, over: Partial<PlanInput> = {}) {
  const c = checkProposal(proposalText);
  if (!c.ok) throw new Error(c.message);
  return planApply({ proposal: c.parsed, proposalText, findings: c.findings, host, snapshot: snap, base: null, force: false, ...over });
}

// a generated proposal: canonical, no comments, one rule more
const GENERATED = stockWith('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n');

describe('apply plan', () => {
  it('checks the proposal alone first: errors refuse, warnings do not', () => {
    expect(checkProposal('*filter\n-A INPUT -j NOSUCHCHAIN\nCOMMIT\n').ok).toBe(false);
    expect(checkProposal('# nothing\n')).toMatchObject({ ok: false, message: expect.stringMatching(/no table/) });
    expect(checkProposal(GENERATED).ok).toBe(true);
  });

  it('goes: fail2ban kept in what is applied, left out of what is saved; the backup is the running filter table', () => {
    const p = plan(GENERATED);
    expect(p.kind).toBe('go');
    if (p.kind !== 'go') return;
    expect(p.applyText).toContain('-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd');
    expect(p.applyText).toContain('-A f2b-sshd -s 203.0.113.7/32');
    expect(p.persistText).not.toMatch(/f2b/);
    expect(p.kept.chains).toHaveLength(1);
    expect(p.backup.text).toContain(':f2b-sshd - [0:0]');
    expect(p.expectedText).toBe(LIVE);
    expect(p.summary).toMatchObject({ add: 1, total: 1 });
    expect(p.lockout.kind).toBe('open');
  });

  it('a generated proposal is saved in the layout of the saved file, comments kept around unchanged rules', () => {
    const p = plan(GENERATED);
    if (p.kind !== 'go') throw new Error(p.kind);
    expect(p.persistText.startsWith('# sample configuration for iptables service\n# you can edit this manually')).toBe(true);
    expect(p.persistText).toContain('-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT');
    expect(parseRuleset(p.persistText).findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it("an admin's own file (with comments) is saved as written", () => {
    const mine = STOCK.replace('-A INPUT -j REJECT', '# web (ticket 4711)\n-A INPUT -p tcp --dport 80 -j ACCEPT\n-A INPUT -j REJECT');
    const p = plan(mine);
    if (p.kind !== 'go') throw new Error(p.kind);
    expect(p.persistText).toBe(mine);
  });

  it('nothing to do when the rules run and the file is already this', () => {
    expect(plan(STOCK).kind).toBe('noop');
  });

  it('refuses when the host changed since the base (hashes or the saved text)', () => {
    expect(plan(GENERATED, { base: { kind: 'hashes', source: 'pull.json', savedSha256: 'other' } })).toMatchObject({ kind: 'refuse', reason: 'host-changed' });
    const live = plan(GENERATED, { base: { kind: 'hashes', source: 'pull.json', savedSha256: 's0', liveRulesSha256: 'other' } });
    expect(live).toMatchObject({ kind: 'refuse', reason: 'host-changed' });
    expect(live.kind === 'refuse' && messageText(live.message)).toMatch(/running rules/);
    // the names in it are names: the app can show them as such
    expect(live.kind === 'refuse' && live.message).toContainEqual({ name: 'pull.json' });
    expect(plan(GENERATED, { base: { kind: 'hashes', source: 'pull.json', savedSha256: 's0', liveRulesSha256: 'l0' } }).kind).toBe('go');
    expect(plan(GENERATED, { base: { kind: 'saved-text', source: 'web1.rules', text: STOCK, sha256: 'zz' } })).toMatchObject({ kind: 'refuse', reason: 'host-changed' });
    const ok = plan(GENERATED, { base: { kind: 'saved-text', source: 'web1.rules', text: STOCK, sha256: 's0' } });
    expect(ok.kind).toBe('go');
  });

  it('firewalld active: refused unless forced, then a warning', () => {
    expect(plan(GENERATED, { host: { ...host, firewalld: 'active' } })).toMatchObject({ kind: 'refuse', reason: 'firewalld' });
    const forced = plan(GENERATED, { host: { ...host, firewalld: 'active' }, force: true });
    expect(forced.kind).toBe('go');
    const text = forced.warnings.map((w) => (typeof w === 'string' ? w : messageText(w))).join();
    expect(text).toMatch(/firewalld is active/);
    // the CLI says --force; the app names its own control for the override (no CLI words in a GUI)
    expect(text).toMatch(/going on: --force/);
    const parts = forced.warnings.find((w) => typeof w !== 'string');
    expect(parts).toContainEqual({ option: 'force' });
  });

  it("applyBlock (the app's Apply button) waits on the refusals planApply makes without force, in planApply's order", () => {
    const ready = { connected: true, pulled: true, errors: 0, noRoot: false, firewalld: 'masked' as const, lockoutPredicted: false, force: false };
    expect(applyBlock(ready)).toBeNull();
    expect(applyBlock({ ...ready, connected: false, pulled: false })).toBe('not-connected');
    expect(applyBlock({ ...ready, pulled: false })).toBe('not-pulled');
    expect(applyBlock({ ...ready, errors: 2, noRoot: true })).toBe('invalid');
    expect(applyBlock({ ...ready, noRoot: true, force: true })).toBe('no-root');
    // a host with firewalld active whose client is banned: both refusals hold; the runner names firewalld first
    const both = { host: { ...host, firewalld: 'active' as const, clientAddress: '203.0.113.7' } };
    const p = plan(GENERATED, both);
    expect(p).toMatchObject({ kind: 'refuse', reason: 'firewalld' });
    expect(applyBlock({ ...ready, firewalld: 'active', lockoutPredicted: true })).toBe(p.kind === 'refuse' ? p.reason : 'go');
    expect(plan(GENERATED, { host: { ...host, clientAddress: '203.0.113.7' } })).toMatchObject({ kind: 'refuse', reason: 'lockout' });
    expect(applyBlock({ ...ready, lockoutPredicted: true })).toBe('lockout');
    // force overrides both, in the runner and on the button
    expect(plan(GENERATED, { ...both, force: true }).kind).toBe('go');
    expect(applyBlock({ ...ready, firewalld: 'active', lockoutPredicted: true, force: true })).toBeNull();
  });

  it('a lockout is predicted on what would run (other tools\' chains included): a ban of the client locks out', () => {
    const p = plan(GENERATED, { host: { ...host, clientAddress: '203.0.113.7' } });
    expect(p).toMatchObject({ kind: 'refuse', reason: 'lockout' });
    expect(p.kind === 'refuse' && messageText(p.message)).toMatch(/f2b-sshd/);
    expect(plan(GENERATED, { host: { ...host, clientAddress: '203.0.113.7' }, force: true }).kind).toBe('go');
    expect(plan(GENERATED, { host: { ...host, clientAddress: undefined } })).toMatchObject({ kind: 'refuse', reason: 'lockout' });
  });

  it('an IPv6 proposal over an IPv4 session: refused for the IPv6 client the profile would have, with the route it assumed; not reachable: applied, saying why it was not checked', () => {
    const stock6 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n';
    const drop6 = stock6.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n');
    const snap6: HostSnapshot = { savedPresent: true, savedText: stock6, savedSha256: 's6', liveText: stock6, liveRulesSha256: 'l6' };
    const plan6 = (text: string, h: Partial<HostView>, force = false) => {
      const c = checkProposal(text, 'ipv6');
      if (!c.ok) throw new Error(c.message);
      return planApply({ family: 'ipv6', proposal: c.parsed, proposalText: text, findings: c.findings, host: { ...host, localAddresses: ['192.0.2.10', '2001:db8:1::2'], ...h }, snapshot: snap6, base: null, force });
    };
    const via = "the host's address 2001:db8:1::2 answers on port 22 from 2001:db8:9::5";
    const reach = { other: { kind: 'reachable' as const, family: 'ipv6' as const, client: '2001:db8:9::5', server: '2001:db8:1::2', inIface: 'eth0', via } };
    const refused = plan6(drop6, reach);
    expect(refused).toMatchObject({ kind: 'refuse', reason: 'lockout', lockout: { kind: 'locked', over: `over IPv6, assuming ${via}` } });
    expect(refused.kind === 'refuse' && messageText(refused.message)).toMatch(/^predicted lockout over IPv6, assuming the host's address 2001:db8:1::2 answers on port 22 from 2001:db8:9::5: a new SSH connection from 2001:db8:9::5 to port 22 would not get in: REJECT by filter INPUT #4/);
    const forced = plan6(drop6, reach, true);
    expect(forced.kind).toBe('go');
    expect(forced.warnings.map((w) => (typeof w === 'string' ? w : messageText(w))).join('\n')).toMatch(/^predicted lockout over IPv6, assuming .* \(going on: --force; the host reverts unless a new connection gets in\)/m);
    // the stock IPv6 rules let the profile in over IPv6
    const fine = plan6(stock6.replace('-A INPUT -j REJECT', '-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n-A INPUT -j REJECT'), reach);
    expect(fine).toMatchObject({ kind: 'go', lockout: { kind: 'open', over: expect.stringContaining('over IPv6') } });
    // not reachable: applied, the plan says why IPv6 was not checked (never "open")
    const unreachable = plan6(drop6, { other: { kind: 'unreachable', family: 'ipv6', why: 'no TCP connection to [2001:db8:1::2]:22 from here (connection refused)' } });
    expect(unreachable).toMatchObject({ kind: 'go', lockout: { kind: 'unchecked' } });
    expect(unreachable.warnings).toContain('IPv6 not checked: no TCP connection to [2001:db8:1::2]:22 from here (connection refused)');
    expect(plan6(drop6, {})).toMatchObject({ kind: 'go', lockout: { kind: 'unchecked', reason: expect.stringMatching(/was not looked into/) } });
  });
});
