// Rulesets of lines that repeat with other -s/-d words, for the texts
// reader's differential test (parse-texts.differential.test.ts): the words
// take every form that is read the long way (leading zeros, host bits, /0,
// masks, names, lists, inversion, both orders, odd spacing, counters).
import { makeRandom } from './random-ruleset.js';

type Family = 'ipv4' | 'ipv6';

export const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

// -s/-d words: plain networks and every form that is read the long way
export const ADDR4 = [
  '198.18.1.7', '198.18.1.7/32', '198.18.1.0/24', '198.18.1.7/24', '198.18.0.0/15', '0.0.0.0/0', '198.18.1.7/0', '10.0.0.0/8',
  '198.18.01.7', '198.18.1.7/032', '198.18.1.7/255.255.255.0', '198.18.1.7/255.0.255.0', '198.18.1.7/33', '256.18.1.7', '198.18.1',
  'localhost', '198.18.1.255/31', '0.0.0.0', '255.255.255.255/32', '198.18.1.7/', '1.2.3.4/00',
];
export const ADDR6 = [
  '2001:db8::1', '2001:db8::1/128', '2001:db8::/32', '2001:DB8::1/64', '2001:db8:0:0::1', '::ffff:198.18.1.7', '::/0', '2001:db8::1/0',
  '2001:db8::1/129', '2001:db8::1/064', '::', '::1', 'localhost', '2001:db8::1/ffff:ffff::', '1.2.3.4',
  'fe80::1/10', '2001:db8:1:2:3:4:5:6', '2001:db8::g', ':::1',
];
// a list makes several rules of one line: the texts reader reads such a file with the model (rare here)
const LISTS = { ipv4: '198.18.1.7,198.18.1.8', ipv6: '2001:db8::1,2001:db8::2' };
const SRC = ['-s', '--source', '--src', '! -s', '-s !'];
const DST = ['-d', '--destination', '--dst', '! -d'];
const BODIES = [
  '-j DROP', '-j ACCEPT', '-p tcp -m tcp --dport 22 -j ACCEPT', '-j REJECT --reject-with icmp-port-unreachable', '-j REJECT --reject-with tcp-reset',
  '-p tcp -j REJECT --reject-with tcp-reset', '-m comment --comment "a b" -j DROP', '-i eth0 -j DROP', '-o eth1 -j ACCEPT', '-j LOG --log-prefix x',
  '-p udp --dport 53 -j ACCEPT', '-m conntrack --ctstate NEW -j ACCEPT', '-j user', '-g user', '-j nosuch', '-p tcp --dport 99999 -j DROP',
  '-m limit --limit 5/min -j ACCEPT', '-j TCPMSS --clamp-mss-to-pmtu', '-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', '-j MASQUERADE',
  '-m addrtype --src-type LOCAL -j DROP', '-m owner --uid-owner 0 -j ACCEPT', '-f -j DROP', '-j RETURN', '',
];
const CHAINS = ['INPUT', 'FORWARD', 'OUTPUT', 'user', 'other'];

function randomLine(rnd: () => number, family: Family): string {
  const addrs = family === 'ipv6' ? ADDR6 : ADDR4;
  const parts: string[] = [];
  const src = rnd() < 0.8 ? `${pick(rnd, SRC)} ${pick(rnd, addrs)}` : '';
  const dst = rnd() < 0.4 ? `${pick(rnd, DST)} ${pick(rnd, addrs)}` : '';
  const body = pick(rnd, BODIES);
  if (rnd() < 0.5) parts.push(src, dst, body);
  else parts.push(dst, body, src);
  const sep = rnd() < 0.1 ? '  ' : ' ';
  const counters = rnd() < 0.05 ? '[3:4] ' : '';
  return counters + `-A ${pick(rnd, CHAINS)}${sep}` + parts.filter((p) => p !== '').join(sep);
}

/** A table whose lines repeat a few shapes with new addresses, chains declared along the way (templates cleared). */
export function randomTemplateRuleset(seed: number, family: Family, lines: number): string {
  const rnd = makeRandom(seed);
  const table = pick(rnd, ['filter', 'filter', 'mangle', 'nat']);
  const out = [`*${table}`, ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':user - [0:0]'];
  if (table === 'nat') out.splice(1, 3, ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  out.push(':other - [0:0]');
  const shapes = Array.from({ length: 6 }, () => randomLine(rnd, family));
  const addrs = family === 'ipv6' ? ADDR6 : ADDR4;
  const addr = () => (rnd() < 0.001 ? LISTS[family] : pick(rnd, addrs));
  for (let k = 0; k < lines; k++) {
    // declared again: an error, and the templates start over
    if (rnd() < 0.01) out.push(':other - [0:0]');
    // a shape again with its address words changed: a template's line
    const shape = rnd() < 0.85 ? pick(rnd, shapes) : randomLine(rnd, family);
    out.push(shape.replace(/(-s !?|--source|--src|-d|--destination|--dst) (\S+)/g, (_, o: string) => `${o} ${addr()}`));
  }
  out.push('COMMIT', '');
  return out.join('\n');
}

