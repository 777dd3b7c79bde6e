// IPv6 addresses as ip6tables-legacy 1.8.9 reads and prints them (each case
// observed with `ip6tables-legacy -A INPUT -s X` and ip6tables-legacy-save in a
// scratch namespace).
import { describe, it, expect } from 'vitest';
import { formatIPv6, formatNet6, maskToPrefix6, parseAddressItem6, parseIPv6, prefixToMask6 } from './values.js';
import { parseRuleset, canonicalRuleset } from './index.js';

const PRINTED: Array<[string, string]> = [
  ['2001:db8::1', '-s 2001:db8::1/128'],
  ['2001:DB8:0:0:1::1/64', '-s 2001:db8::/64'],
  ['2001:db8::1/ffff:ffff::', '-s 2001:db8::/32'],
  ['2001:db8::1/ffff:0:ffff::', '-s 2001::/ffff:0:ffff::'],
  ['::ffff:1.2.3.4', '-s ::ffff:1.2.3.4/128'],
  ['::1.2.3.4', '-s ::1.2.3.4/128'],
  ['::1', '-s ::1/128'],
  ['1:0:0:1:0:0:0:1', '-s 1:0:0:1::1/128'],
  ['1:0:0:1:0:0:1:1', '-s 1::1:0:0:1:1/128'],
  ['1:0:1:1:1:1:1:1', '-s 1:0:1:1:1:1:1:1/128'],
  ['2001:db8::1/0', ''],
  ['2001:db8::1/064', '-s 2001:db8::/52'],
  ['2001:db8::1/0x40', '-s 2001:db8::/64'],
];

const REJECTED: Array<[string, RegExp]> = [
  ['1.2.3.4', /host\/network `1.2.3.4' not found/],
  ['2001:db8::1/129', /invalid mask `129' specified/],
  ['[2001:db8::1]', /not found/],
  ['2001:db8::1/64x', /invalid mask `64x' specified/],
  ['2001:db8::1/-1', /invalid mask `-1' specified/],
];

function load(rule: string) {
  return parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`, { family: 'ipv6' });
}

describe('IPv6 addresses (-s/-d) as ip6tables reads and prints them', () => {
  for (const [given, printed] of PRINTED) {
    it(`-s ${given} → ${printed || 'no -s'}`, () => {
      const res = load(`-s ${given}`);
      expect(res.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(canonicalRuleset(res.ruleset).split('\n').find((l) => l.startsWith('-A '))).toBe(`-A INPUT${printed ? ' ' + printed : ''}`);
    });
  }
  for (const [given, message] of REJECTED) {
    it(`-s ${given} is refused`, () => {
      const errors = load(`-s ${given}`).findings.filter((f) => f.severity === 'error');
      expect(errors.length).toBe(1);
      expect(errors[0].message).toMatch(message);
    });
  }
  it('a comma list makes one rule per address, as ip6tables does', () => {
    const res = load('-s 2001:db8::1,2001:db8::2 -j ACCEPT');
    expect(canonicalRuleset(res.ruleset).split('\n').filter((l) => l.startsWith('-A '))).toEqual([
      '-A INPUT -s 2001:db8::1/128 -j ACCEPT',
      '-A INPUT -s 2001:db8::2/128 -j ACCEPT',
    ]);
  });
  it('an IPv4 address is refused with a fix that names the other family', () => {
    const f = load('-s 192.0.2.1 -j ACCEPT').findings.find((x) => x.severity === 'error');
    expect(f?.fix).toMatch(/IPv4 \(iptables\) ruleset/);
  });
  it('a host name is kept for the host to resolve, with a warning', () => {
    const res = load('-s host.example -j ACCEPT');
    expect(res.findings.some((f) => f.code === 'host-dependent')).toBe(true);
    expect(canonicalRuleset(res.ruleset)).toContain('-A INPUT -s host.example -j ACCEPT');
  });
});

describe('inet_pton / inet_ntop (glibc)', () => {
  it('rejects what inet_pton rejects', () => {
    for (const s of [':::', '1:2:3:4:5:6:7:8::', ':1::', '1::2::3', '12345::', '1:2:3:4:5:6:7', '::1.2.3', '::01.2.3.4', 'g::1']) expect(parseIPv6(s), s).toBeNull();
  });
  it('prints the first longest zero run as ::, never a single zero group', () => {
    expect(formatIPv6(parseIPv6('1:0:0:2:0:0:3:4')!)).toBe('1::2:0:0:3:4');
    expect(formatIPv6(parseIPv6('1:0:2:3:4:5:6:7')!)).toBe('1:0:2:3:4:5:6:7');
    expect(formatIPv6(parseIPv6('::')!)).toBe('::');
    expect(formatIPv6(parseIPv6('1::')!)).toBe('1::');
    expect(formatNet6(parseIPv6('2001:db8::ff')!, parseAddressItem6('::/120').kind === 'net6' ? (parseAddressItem6('::/120') as { mask: bigint }).mask : 0n)).toBe('2001:db8::/120');
  });
});

describe('what ip6tables refuses', () => {
  it('-f: fragments are matched with -m frag', () => {
    const e = load('-f -j DROP').findings.find((x) => x.severity === 'error');
    expect(e?.message).toBe("`-f' is not supported in IPv6, use -m frag instead");
  });
  it('-m icmp and --icmp-type do not exist; -p icmp loads but never matches IPv6 traffic', () => {
    expect(load('-p icmp -m icmp --icmp-type 8 -j ACCEPT').findings.find((x) => x.severity === 'error')?.message).toMatch(/Couldn't load match `icmp'/);
    expect(load('-p icmp --icmp-type 8 -j ACCEPT').findings.find((x) => x.severity === 'error')?.message).toBe('unknown option "--icmp-type"');
    expect(load('-p icmp -j ACCEPT').findings.filter((x) => x.severity === 'error')).toEqual([]);
  });
  it('IPv4 reject types are unknown', () => {
    expect(load('-j REJECT --reject-with icmp-port-unreachable').findings.find((x) => x.severity === 'error')?.message).toBe('unknown reject type "icmp-port-unreachable"');
  });
  it('REJECT defaults to icmp6-port-unreachable, and --icmpv6-type names become numbers', () => {
    const res = load('-p ipv6-icmp --icmpv6-type neighbour-solicitation -j REJECT');
    expect(canonicalRuleset(res.ruleset)).toContain('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j REJECT --reject-with icmp6-port-unreachable');
  });
  it('-p of an extension header loads with the warning ip6tables prints', () => {
    const res = load('-p 44 -j DROP');
    expect(res.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(res.findings.some((x) => x.severity === 'warning' && /never matched protocol/.test(x.message))).toBe(true);
    expect(canonicalRuleset(res.ruleset)).toContain('-A INPUT -p ipv6-frag -j DROP');
  });
});

describe('IPv6 values against BigInt arithmetic', () => {
  it('parseIPv6 of random addresses in every notation is the number their groups make; prefixToMask6 of every length', () => {
    let seed = 7;
    const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    for (let n = 0; n < 3000; n++) {
      // groups with runs of zeros (for ::), all ones, and random values
      const g = Array.from({ length: 8 }, () => [0, 0, 0xffff, 1, rnd(0x10000)][rnd(5)]);
      let want = 0n;
      for (const x of g) want = want * 65536n + BigInt(x);
      const full = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
      const tail = `${g.slice(0, 6).map((x) => x.toString(16)).join(':')}:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
      for (const text of [full, full.toUpperCase(), tail, formatIPv6(want)]) expect(parseIPv6(text), text).toBe(want);
    }
    for (let len = 0; len <= 128; len++) {
      const want = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(128 - len);
      expect(prefixToMask6(len)).toBe(want);
      expect(prefixToMask6(len)).toBe(want); // asked again (made once)
      expect(maskToPrefix6(want)).toBe(len);
    }
  });
});

// formatIPv6 / formatNet6 / parseIPv6 work on 16-bit groups (no BigInt per group): each must say
// exactly what the BigInt arithmetic they replaced says, on addresses of every shape of zero runs
describe('IPv6 groups without BigInt arithmetic, against the BigInt reference', () => {
  function refFormat(v: bigint): string {
    const words: number[] = [];
    for (let k = 7; k >= 0; k--) words.push(Number((v >> BigInt(16 * k)) & 0xffffn));
    let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
    for (let i = 0; i < 8; i++) {
      if (words[i] === 0) {
        if (curBase === -1) { curBase = i; curLen = 1; } else curLen++;
      } else if (curBase !== -1) {
        if (bestBase === -1 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
        curBase = -1;
      }
    }
    if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
    if (bestBase !== -1 && bestLen < 2) bestBase = -1;
    let out = '';
    for (let i = 0; i < 8; i++) {
      if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
        if (i === bestBase) out += ':';
        continue;
      }
      if (i !== 0) out += ':';
      if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
        const x = Number(v & 0xffffffffn);
        return out + `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
      }
      out += words[i].toString(16);
    }
    if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
    return out;
  }
  function refPrefix(mask: bigint): number {
    const inv = ~mask & ((1n << 128n) - 1n);
    if ((inv & (inv + 1n)) !== 0n) return -1;
    if (inv === 0n) return 128;
    return 128 - inv.toString(2).length;
  }
  // a random address whose groups are each zero, 0xffff, small or random: runs of zeros of every length and place
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  function randomAddr(): bigint {
    let v = 0n;
    for (let k = 0; k < 8; k++) {
      const r = rnd();
      const g = r < 0.45 ? 0 : r < 0.55 ? 0xffff : r < 0.75 ? Math.floor(rnd() * 16) : Math.floor(rnd() * 0x10000);
      v = (v << 16n) | BigInt(g);
    }
    return v;
  }
  const all = (1n << 128n) - 1n;

  it('formatIPv6 and formatNet6 print what the BigInt arithmetic printed', () => {
    const masks: bigint[] = [];
    for (let b = 0; b <= 128; b++) masks.push(prefixToMask6(b));
    for (let k = 0; k < 200; k++) masks.push(randomAddr());
    masks.push(0xffff0000ffffn << 80n, (all >> 1n) << 1n, 1n, all ^ (1n << 64n));
    for (let k = 0; k < 20_000; k++) {
      const v = randomAddr();
      expect(formatIPv6(v)).toBe(refFormat(v));
      const m = masks[k % masks.length];
      const bits = refPrefix(m);
      expect(maskToPrefix6(m)).toBe(bits);
      expect(formatNet6(v, m)).toBe(`${refFormat(v & m)}/${bits >= 0 ? bits : refFormat(m)}`);
    }
    // IPv4-mapped and -compatible tails, and the ends of the range
    for (const v of [0n, 1n, all, 0xffff01020304n, 0x01020304n, 0x10000n, 0xffffn << 32n, 1n << 127n]) {
      expect(formatIPv6(v)).toBe(refFormat(v));
      expect(formatNet6(v, all)).toBe(`${refFormat(v)}/128`);
    }
  });

  it('parseIPv6 reads every printed form back, and refuses what it refused', () => {
    for (let k = 0; k < 20_000; k++) {
      const v = randomAddr();
      const text = refFormat(v);
      expect(parseIPv6(text)).toBe(v);
      // the full eight groups, upper case
      const full = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn).toString(16).toUpperCase()).join(':');
      expect(parseIPv6(full)).toBe(v);
    }
    for (const bad of ['', ':', ':1', '1:', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', 'g::', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4']) {
      expect(parseIPv6(bad)).toBe(null);
    }
    expect(parseIPv6('::')).toBe(0n);
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).toBe(0x0001000200030004000500060102_0304n);
    expect(parseIPv6('::ffff:1.2.3.4')).toBe(0xffff01020304n);
  });
});
