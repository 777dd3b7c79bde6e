// What differs between a recipe's IPv4 (iptables) and IPv6 (ip6tables) rules,
// in one place: the ICMP protocol, host masks, loopback, the probe addresses
// (documentation ranges, never a real host), REJECT's ICMP types, the address
// syntax of DNAT, and the forwarding sysctl. Generators ask `fam(family)` and
// write the same rule text for both families.
import type { Family } from '../model.js';
import { formatIPv6, parseIPv6, prefixToMask6 } from '../values.js';
import type { Precondition } from './types.js';

/** The recipe parameter `family`: which firewalls the rules are for. */
export type FamilyChoice = '4' | '6' | 'both';

interface ProbeAddresses {
  client: string;
  host: string;
  remote: string;
  lanClient: string;
  loopback: string;
  clientPort: number;
}

interface FamilyWords {
  family: Family;
  /** IPv4 / IPv6, for messages */
  label: 'IPv4' | 'IPv6';
  /** the iptables command of the family, for messages */
  tool: 'iptables' | 'ip6tables';
  /** `-p` of ICMP */
  icmpProto: 'icmp' | 'ipv6-icmp';
  /** one host as a network: /32 or /128 */
  hostMask: '/32' | '/128';
  probe: ProbeAddresses;
  /** REJECT --reject-with for "port unreachable" */
  portUnreachable: string;
  /** the sysctl forwarding needs */
  forward: Precondition;
  /** `IP` or `IP:PORT` of DNAT --to-destination (IPv6 with a port in brackets) */
  dnatTo(ip: string, port: number | null): string;
  /** a host inside the network (probes): the first one after the network address */
  hostIn(cidr: string): string;
}

const IPV4_FORWARD: Precondition = {
  kind: 'sysctl',
  what: 'net.ipv4.ip_forward=1',
  why: 'the kernel routes packets between interfaces only when forwarding is on; without it the FORWARD rules never see a packet',
  check: 'sysctl -n net.ipv4.ip_forward',
  fix: "sysctl -w net.ipv4.ip_forward=1, and to keep it after a reboot: echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-portcullis.conf",
};

const IPV6_FORWARD: Precondition = {
  kind: 'sysctl',
  what: 'net.ipv6.conf.all.forwarding=1',
  why: 'the kernel routes IPv6 packets between interfaces only when IPv6 forwarding is on (net.ipv4.ip_forward does not cover IPv6); with it on, an interface stops taking router advertisements unless its accept_ra is 2, so a host that gets its own IPv6 address or default route by SLAAC needs that too',
  check: 'sysctl -n net.ipv6.conf.all.forwarding net.ipv6.conf.default.accept_ra',
  fix: "sysctl -w net.ipv6.conf.all.forwarding=1, and to keep it after a reboot: echo 'net.ipv6.conf.all.forwarding = 1' > /etc/sysctl.d/90-portcullis-ipv6.conf (add net.ipv6.conf.IFACE.accept_ra = 2 for an interface configured by SLAAC)",
};

function hostIn4(cidr: string): string {
  const [a, bits] = cidr.split('/');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (prefix >= 31) return a;
  const n = (a.split('.').reduce((x, p) => ((x << 8) | Number(p)) >>> 0, 0) + 1) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function hostIn6(cidr: string): string {
  const [a, bits] = cidr.split('/');
  const prefix = bits === undefined ? 128 : Number(bits);
  const addr = parseIPv6(a);
  if (addr === null || prefix >= 127) return a;
  return formatIPv6((addr & prefixToMask6(prefix)) + 1n);
}

const V4: FamilyWords = {
  family: 'ipv4',
  label: 'IPv4',
  tool: 'iptables',
  icmpProto: 'icmp',
  hostMask: '/32',
  // TEST-NET-3 and TEST-NET-1
  probe: { client: '203.0.113.7', host: '203.0.113.1', remote: '203.0.113.53', lanClient: '192.0.2.20', loopback: '127.0.0.1', clientPort: 40123 },
  portUnreachable: 'icmp-port-unreachable',
  forward: IPV4_FORWARD,
  dnatTo: (ip, port) => `${ip}${port !== null ? `:${port}` : ''}`,
  hostIn: hostIn4,
};

const V6: FamilyWords = {
  family: 'ipv6',
  label: 'IPv6',
  tool: 'ip6tables',
  icmpProto: 'ipv6-icmp',
  hostMask: '/128',
  // the documentation prefix 2001:db8::/32
  probe: { client: '2001:db8:7::7', host: '2001:db8:1::1', remote: '2001:db8:53::53', lanClient: '2001:db8:20::20', loopback: '::1', clientPort: 40123 },
  portUnreachable: 'icmp6-port-unreachable',
  forward: IPV6_FORWARD,
  // ip6tables reads `ADDR` alone, or `[ADDR]:PORT` (the colon would be part of the address otherwise)
  dnatTo: (ip, port) => (port !== null ? `[${ip}]:${port}` : ip),
  hostIn: hostIn6,
};

export function fam(family: Family): FamilyWords {
  return family === 'ipv6' ? V6 : V4;
}

/** The families a choice stands for, IPv4 first. */
export function familiesOf(choice: FamilyChoice | undefined, fallback: Family = 'ipv4'): Family[] {
  if (choice === '4') return ['ipv4'];
  if (choice === '6') return ['ipv6'];
  if (choice === 'both') return ['ipv4', 'ipv6'];
  return [fallback];
}

/**
 * REJECT's ICMP type in IPv6 for one of IPv4's (the recipes offer IPv4's names):
 * the same meaning in ICMPv6 — "prohibited" is administratively prohibited,
 * "net unreachable" is no route, "host unreachable" is address unreachable.
 */
export function rejectWith(family: Family, v4type: string): string {
  if (family === 'ipv4' || v4type === 'tcp-reset') return v4type;
  switch (v4type) {
    case 'icmp-port-unreachable': return 'icmp6-port-unreachable';
    case 'icmp-host-prohibited':
    case 'icmp-admin-prohibited':
    case 'icmp-net-prohibited': return 'icmp6-adm-prohibited';
    case 'icmp-net-unreachable': return 'icmp6-no-route';
    case 'icmp-host-unreachable': return 'icmp6-addr-unreachable';
    default: return 'icmp6-port-unreachable';
  }
}
