// Sample values for each recipe's IPv6 rules, shared by the unit and lab tests.
import type { RawParams } from '../recipes/index.js';

/** Sample values per recipe for IPv6 (the twins of the IPv4 samples in recipes.test.ts). */
export const SAMPLES6: Record<string, RawParams> = {
  'load-balance': { family: '6', port: '443', backends6: '2001:db8:10::11,2001:db8:10::12,2001:db8:10::13', in: 'eth0' },
  loopback: { family: '6' },
  'lan-to-wan': { family: '6', 'lan-if': 'eth0', 'wan-if': 'eth1', lan6: '2001:db8:20::/64' },
  'dns-out': { family: '6', servers6: '2001:db8::53/128' },
  'dos-limit': { family: '6', port: '80', limit: '25/minute', burst: '100', 'per-client': true },
  'port-forward': { family: '6', 'from-port': '422', 'to-port': '22', 'to-host6': '2001:db8:10::5' },
  'log-drops': { family: '6' },
  baseline: { family: '6', trusted6: '2001:db8:1::/64' },
};
