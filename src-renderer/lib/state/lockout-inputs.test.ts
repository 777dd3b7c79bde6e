// The app's lockout check and the apply's agree: the lint options the app
// builds from a connection (facts + lockout inputs) give the same ssh-lockout
// finding as planApply's refusal for the HostView the runner builds, for the
// session's family and for the other one — also where only the extra inputs
// (interface, host addresses) decide.
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src-main/contract/facts.js';
import type { HostConnectionInfo } from '../../../src-main/contract/hosts.js';
import { checkProposal, messageText, planApply, type HostView } from '../../../src-main/core/apply/index.js';
import { lintRuleset, parseRuleset, type Family } from '../../../src-main/core/index.js';
import { lockoutLintOptions, lockoutNote } from './lockout-inputs.js';

const via = "the host's own address 2001:db8:1::2, which answers on port 22 with the same host key from 2001:db8:9::5 here";
const facts = {
  clientAddress: '198.51.100.4',
  serverAddress: '192.0.2.10',
  addresses: {
    ipv4: [{ address: '192.0.2.10', prefix: 24, iface: 'eth0', scope: 'global' }, { address: '10.8.0.1', prefix: 24, iface: 'tun0', scope: 'global' }],
    ipv6: [{ address: '2001:db8:1::2', prefix: 64, iface: 'eth1', scope: 'global' }],
  },
} as unknown as HostFacts;
const info: Pick<HostConnectionInfo, 'facts' | 'lockout'> = {
  facts,
  lockout: { clientIface: 'eth0', other: { kind: 'reachable', family: 'ipv6', client: '2001:db8:9::5', server: '2001:db8:1::2', inIface: 'eth1', via } },
};
/** what the runner knows for the same connection (apply/steps.ts connect) */
const hostView: HostView = {
  name: 'web1',
  clientAddress: '198.51.100.4',
  serverAddress: '192.0.2.10',
  sshPort: 22,
  inIface: 'eth0',
  localAddresses: ['127.0.0.1', '192.0.2.10', '10.8.0.1', '::1', '2001:db8:1::2'],
  other: info.lockout!.other,
  firewalld: 'masked',
};

const filter = (family: Family, body: string) =>
  `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n${family === 'ipv6' ? '-A INPUT -p ipv6-icmp -j ACCEPT\n' : '-A INPUT -p icmp -j ACCEPT\n'}${body}COMMIT\n`;

/** the lint's ssh-lockout message and planApply's lockout refusal (or null) for one proposal */
function both(family: Family, text: string) {
  const lint = lintRuleset(parseRuleset(text, { family }).ruleset, lockoutLintOptions(info, family, 22)).find((f) => f.code === 'ssh-lockout');
  const c = checkProposal(text, family);
  if (!c.ok) throw new Error(c.message);
  const snapshot = { savedPresent: true, savedText: text, savedSha256: 's', liveText: filter(family, ''), liveRulesSha256: 'l' };
  const plan = planApply({ family, proposal: c.parsed, proposalText: text, findings: c.findings, host: hostView, snapshot, base: null, force: false });
  return { lint: lint?.message ?? null, refusal: plan.kind === 'refuse' && plan.reason === 'lockout' ? messageText(plan.message) : null };
}

describe("the app's lockout check has the apply's inputs", () => {
  it('the session family: client, server, interface and every host address; the other family: the route main found', () => {
    expect(lockoutLintOptions(info, 'ipv4', 22)).toEqual({ client: '198.51.100.4', server: '192.0.2.10', inIface: 'eth0', sshPort: 22, local: ['192.0.2.10', '10.8.0.1', '2001:db8:1::2'] });
    expect(lockoutLintOptions(info, 'ipv6', 22)).toEqual({ client: '2001:db8:9::5', server: '2001:db8:1::2', inIface: 'eth1', sshPort: 22, local: ['192.0.2.10', '10.8.0.1', '2001:db8:1::2'] });
    // not reachable over IPv6, or no route known: the IPv6 proposal has no client, and the note says why
    const unreachable = { ...info, lockout: { other: { kind: 'unreachable' as const, family: 'ipv6' as const, why: 'no SSH connection to the host over IPv6 from here' } } };
    expect(lockoutLintOptions(unreachable, 'ipv6', 22)).toEqual({});
    expect(lockoutNote(unreachable, 'ipv6', 22)).toBe('You connect over IPv4 (198.51.100.4): the SSH lockout check runs on the IPv4 rules. IPv6 not checked: no SSH connection to the host over IPv6 from here.');
    expect(lockoutNote(info, 'ipv6', 22)).toBe(`Checked for a new SSH connection from 2001:db8:9::5 to port 22 over IPv6, assuming ${via}.`);
    expect(lockoutNote(info, 'ipv4', 22)).toBe('Checked for a new SSH connection from 198.51.100.4 to port 22.');
    expect(lockoutLintOptions({ facts: { ...facts, clientAddress: undefined } }, 'ipv4', 22)).toEqual({});
  });

  it('the lint finding and the apply refusal agree, on both families', () => {
    // no SSH rule: both refuse, with the same message, on each family
    for (const family of ['ipv4', 'ipv6'] as const) {
      const r = both(family, filter(family, '-A INPUT -p tcp --dport 80 -j ACCEPT\n'));
      expect(r.lint).not.toBeNull();
      expect(r.refusal).toContain(r.lint!);
    }
    expect(both('ipv6', filter('ipv6', '')).refusal).toMatch(/^predicted lockout over IPv6, assuming the host's own address 2001:db8:1::2/);
    // SSH accepted on the interface the client comes in on: neither complains (without the interface the lint said "may not get in")
    const byIface4 = filter('ipv4', '-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n');
    const byIface6 = filter('ipv6', '-A INPUT -i eth1 -p tcp --dport 22 -j ACCEPT\n');
    expect(both('ipv4', byIface4)).toEqual({ lint: null, refusal: null });
    expect(both('ipv6', byIface6)).toEqual({ lint: null, refusal: null });
    const before = lintRuleset(parseRuleset(byIface4).ruleset, { client: '198.51.100.4', sshPort: 22, local: ['192.0.2.10'] }).find((f) => f.code === 'ssh-lockout');
    expect(before?.message).toMatch(/may not get in/);
    // SSH accepted on another interface only: both refuse
    const wrong = both('ipv6', filter('ipv6', '-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT\n'));
    expect(wrong.lint).toMatch(/would not get in/);
    expect(wrong.refusal).toContain(wrong.lint!);
  });
});
