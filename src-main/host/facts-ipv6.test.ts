// Host facts for IPv6: the host's addresses, ip6tables.service, and an SSH
// session that runs over IPv6. The `ip -o addr show` text is what iproute2
// printed in a scratch namespace with a veth pair (198.18.0.5/24 and
// 2001:db8:5::5/64 on v0).
import { describe, expect, it } from 'vitest';
import { parseAddresses, parseFactsOutput, type FactsContext } from './facts.js';
import { frameForTest } from './remote-script.js';

const IP_ADDR = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever',
  '2: v1    inet6 fe80::a005:a7ff:fe61:ac90/64 scope link tentative \\       valid_lft forever preferred_lft forever',
  '3: v0    inet 198.18.0.5/24 scope global v0\\       valid_lft forever preferred_lft forever',
  '3: v0    inet6 2001:db8:5::5/64 scope global nodad \\       valid_lft forever preferred_lft forever',
  '3: v0    inet6 fe80::8856:9eff:fe83:6bc1/64 scope link tentative \\       valid_lft forever preferred_lft forever',
  '4: eth0@if12    inet 192.0.2.10/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
].join('\n') + '\n';

const N = 'abcdef0123456789';
const ctx = (clientAddress: string): FactsContext => ({
  host: 'web1',
  probe: { uid: 0, user: 'root', clientAddress, clientPort: 50000, serverAddress: '2001:db8:5::5', sudo: 'not-tried' },
  privilege: 'root',
  hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' },
});

describe('IPv6 host facts', () => {
  it('reads the host\'s addresses from ip -o addr, loopback left out', () => {
    expect(parseAddresses(IP_ADDR)).toEqual({
      ipv4: [
        { address: '198.18.0.5', prefix: 24, iface: 'v0', scope: 'global' },
        { address: '192.0.2.10', prefix: 24, iface: 'eth0', scope: 'global' },
      ],
      ipv6: [
        { address: 'fe80::a005:a7ff:fe61:ac90', prefix: 64, iface: 'v1', scope: 'link' },
        { address: '2001:db8:5::5', prefix: 64, iface: 'v0', scope: 'global' },
        { address: 'fe80::8856:9eff:fe83:6bc1', prefix: 64, iface: 'v0', scope: 'link' },
      ],
    });
  });

  it('warns when the host has global IPv6 but ip6tables.service does not run, and when SSH comes over IPv6', () => {
    const raw = frameForTest(N, [
      { key: 'addresses', out: IP_ADDR },
      { key: 'active-iptables', out: 'active\n' },
      { key: 'enabled-iptables', out: 'enabled\n' },
      { key: 'active-ip6tables', out: 'inactive\n', rc: 3 },
      { key: 'enabled-ip6tables', out: 'disabled\n', rc: 1 },
      { key: 'active-firewalld', out: 'inactive\n', rc: 3 },
      { key: 'enabled-firewalld', out: 'masked\n', rc: 1 },
    ]);
    const f = parseFactsOutput(raw, N, ctx('2001:db8:5::99'));
    expect(f.addresses?.ipv6.map((a) => a.address)).toContain('2001:db8:5::5');
    expect(f.iptablesServices.ip6tables).toEqual({ active: 'inactive', enabled: 'disabled' });
    expect(f.clientAddress).toBe('2001:db8:5::99');
    expect(f.warnings).toContain('the host has global IPv6 addresses (2001:db8:5::5) but ip6tables.service is inactive: after a reboot its IPv6 traffic is not filtered at all');
    expect(f.warnings.some((w) => w.startsWith('this SSH session runs over IPv6 (from 2001:db8:5::99)'))).toBe(true);
  });

  it('says nothing of IPv6 when ip6tables.service runs and SSH comes over IPv4', () => {
    const raw = frameForTest(N, [
      { key: 'addresses', out: IP_ADDR },
      { key: 'active-ip6tables', out: 'active\n' },
      { key: 'enabled-ip6tables', out: 'enabled\n' },
    ]);
    const f = parseFactsOutput(raw, N, ctx('203.0.113.9'));
    expect(f.warnings.filter((w) => /IPv6/.test(w))).toEqual([]);
  });

  it('addresses are null where ip is missing', () => {
    const f = parseFactsOutput(frameForTest(N, [{ key: 'addresses', absent: true }]), N, ctx('203.0.113.9'));
    expect(f.addresses).toBeNull();
  });
});
