// Each slot reader of slot-values.ts against the full parser: for plain,
// random and edge values in lines of every option it reads, a value it reads
// is one the parser takes without a finding, printed exactly as the reader
// says where the option's value goes; every other value the reader leaves to
// the parser. The readers must also read the plain values (not a test that
// passes by reading nothing).
import { describe, expect, it } from 'vitest';
import { canonicalRuleset, parseRuleset } from './index.js';
import { kindOf, limitRefused, Slot, slotNumber, slotText, slotValue, slotVerbatim } from './slot-values.js';
import { makeRandom, valueFor } from './testing/value-words.js';

interface Case {
  table: string;
  chain: string;
  /** the line with V for the value; `option` is the word before it */
  line: string;
  option: string;
  /** the parser's extension:option for it */
  key: string;
  /** a value the reader reads, and values it must read */
  ref: string;
  plain: string[];
}

const CASES: Case[] = [
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -p tcp -m tcp --dport V -j ACCEPT', option: '--dport', key: 'tcp:dport', ref: '80', plain: ['0', '1', '65535', '1:2', '1024:65535', '0:1'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -p udp -m udp ! --sport V -j ACCEPT', option: '--sport', key: 'udp:sport', ref: '80', plain: ['53', '0:65534'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -s 198.18.0.1/32 -p tcp --dport V -j DROP', option: '--dport', key: 'tcp:dport', ref: '80', plain: ['22'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -m limit --limit V -j ACCEPT', option: '--limit', key: 'limit:limit', ref: '5/sec', plain: ['5/s', '3/hour', '60/min', '5', '10000/s', '1/d', '5/SEC', '3/Hour', '2/MINUTE', '7/secon', '1/dA', '4/m', '9/H'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -p tcp -m limit --limit V --limit-burst 7 -j ACCEPT', option: '--limit', key: 'limit:limit', ref: '5/sec', plain: ['31/sec'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -m limit --limit 5/min --limit-burst V -j LOG', option: '--limit-burst', key: 'limit:limit-burst', ref: '7', plain: ['1', '10000', '4', '6'] },
  { table: 'nat', chain: 'PREROUTING', line: '-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination V', option: '--to-destination', key: 'DNAT:to-destination', ref: '198.18.0.1:8080', plain: ['198.18.0.2:1', '0.0.0.0:8080', '255.255.255.255:65535'] },
  { table: 'nat', chain: 'PREROUTING', line: '-A PREROUTING -i eth0 -j DNAT --to-destination V', option: '--to-destination', key: 'DNAT:to-destination', ref: '198.18.0.1', plain: ['0.0.0.0', '10.1.2.3'] },
  { table: 'nat', chain: 'POSTROUTING', line: '-A POSTROUTING -o eth0 -p udp -j SNAT --to-source V', option: '--to-source', key: 'SNAT:to-source', ref: '198.18.0.1:53', plain: ['198.18.0.9:1'] },
  { table: 'filter', chain: 'INPUT', line: '-A INPUT -m iprange ! --src-range V -j DROP', option: '--src-range', key: 'iprange:src-range', ref: '198.18.0.1-198.18.0.9', plain: ['198.18.0.9-198.18.0.1', '1.2.3.4-1.2.3.4'] },
  { table: 'filter', chain: 'OUTPUT', line: '-A OUTPUT -m iprange --dst-range V -j DROP', option: '--dst-range', key: 'iprange:dst-range', ref: '0.0.0.0-255.255.255.255', plain: ['10.0.0.1-10.0.0.2'] },
];

/** The canonical rule line and the findings of the line in a file of its own. */
function canon(c: Case, value: string): { line: string | undefined; findings: number } {
  const text = [`*${c.table}`, `:${c.chain} ACCEPT [0:0]`, c.line.replace(' V', ` ${value}`), 'COMMIT', ''].join('\n');
  const r = parseRuleset(text);
  return { line: canonicalRuleset(r.ruleset).split('\n').find((l) => l.startsWith('-A ')), findings: r.findings.length };
}

/** What the reader makes of a value: its canonical text, or null. */
function read(kind: number, v: string): string | null {
  return slotValue(kind, v, 0, v.length) ? (slotVerbatim ? v : slotText) : null;
}

describe('slot readers print what the full parser prints', () => {
  for (const c of CASES) {
    it(`${c.key} in ${c.line}`, () => {
      const kind = kindOf(c.key, c.ref, false);
      expect(kind).not.toBe(0);
      const refText = read(kind, c.ref)!;
      const ref = canon(c, c.ref);
      expect(ref.findings).toBe(0);
      // the value's place in the canonical line: after the option's canonical name
      const at = ref.line!.indexOf(` ${refText}`, ref.line!.indexOf(' --' + c.key.split(':')[1]));
      expect(at).toBeGreaterThan(0);
      const rnd = makeRandom(c.line.length * 31 + c.option.length);
      const values = [...c.plain, ...Array.from({ length: 400 }, () => valueFor(rnd, c.option, 3))];
      let readCount = 0;
      for (const v of values) {
        // the reader sees a value of the same shape as the learnt one (a NAT target with or without a port)
        const got = kindOf(c.key, v, false) === kind ? read(kind, v) : null;
        if (c.plain.includes(v)) expect(got, v).not.toBeNull();
        if (got === null) continue;
        readCount++;
        const full = canon(c, v);
        // the kernel's check of a limit is the template's (limitRefused), not the reader's
        if (kind === Slot.LIMIT || kind === Slot.BURST) {
          const own = slotNumber;
          const fixedRate = /--limit (\S+)/.exec(c.line)![1];
          const fixedBurst = /--limit-burst (\S+)/.exec(c.line)?.[1] ?? '5';
          const avg = kind === Slot.LIMIT ? own : (slotValue(Slot.LIMIT, fixedRate, 0, fixedRate.length), slotNumber);
          const burst = kind === Slot.BURST ? own : Number(fixedBurst);
          if (limitRefused(avg, burst)) {
            expect(full.findings, v).toBeGreaterThan(0);
            continue;
          }
        }
        expect(full.findings, v).toBe(0);
        expect(full.line, v).toBe(ref.line!.slice(0, at + 1) + got + ref.line!.slice(at + 1 + refText.length));
      }
      expect(readCount).toBeGreaterThan(values.length / 3);
    });
  }

  it('the limit check (limitRefused) is the kernel check the full parse reports', () => {
    const rnd = makeRandom(5);
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const rate = k % 3 === 0 ? `1/${['day', 'hour', 'min'][k % 9 === 0 ? 0 : 1]}` : valueFor(rnd, '--limit', 1000);
      const burst = k % 2 === 0 ? String(1000 + Math.floor(rnd() * 9000)) : valueFor(rnd, '--limit-burst', 1000);
      if (!slotValue(Slot.LIMIT, rate, 0, rate.length)) continue;
      const avg = slotNumber;
      if (!slotValue(Slot.BURST, burst, 0, burst.length)) continue;
      const text = ['*filter', ':INPUT ACCEPT [0:0]', `-A INPUT -m limit --limit ${rate} --limit-burst ${burst} -j ACCEPT`, 'COMMIT', ''].join('\n');
      const found = parseRuleset(text).findings.length > 0;
      expect(limitRefused(avg, slotNumber), `${rate} ${burst}`).toBe(found);
      if (found) refused++;
    }
    expect(refused).toBeGreaterThan(10);
  });
});
