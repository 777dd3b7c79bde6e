// The lint and the tracer on real-world rulesets (they never throw and every
// finding points at a real rule), and the law behind shadowed-rule: no packet
// the tracer walks ever matches a rule the lint calls unreachable.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRuleset, findTable, findChain } from './index.js';
import { lintParsed, lintRuleset } from './lint.js';
import { tracePacket } from './trace.js';
import { corpusFiles, readCorpus, sharedAvailable } from './testing/shared-data.js';
import { makeRandom, randomProbe, randomRuleset } from './testing/random-ruleset.js';

const available = sharedAvailable();

describe.skipIf(!available)('lint and trace on the real-world corpus', () => {
  const files = available ? corpusFiles() : [];
  it(`never throw, and every finding points at a real rule (${files.length} files)`, () => {
    let findings = 0;
    for (const f of files) {
      const parsed = parseRuleset(readCorpus(f));
      const fs = lintParsed(parsed, { client: '198.51.100.7', sshPort: 22 });
      findings += fs.length;
      for (const x of fs) {
        expect(x.line, `${f}: ${x.code}`).toBeGreaterThanOrEqual(0);
        if (x.index !== undefined && x.table && x.chain) {
          const t = findTable(parsed.ruleset, x.table);
          const c = t && findChain(t, x.chain);
          expect(c && x.index >= 1 && x.index <= c.rules.length, `${f}: ${x.code} ${x.chain} #${x.index}`).toBe(true);
        }
      }
      for (const [proto, dport] of [['tcp', 22], ['udp', 53], ['icmp', undefined], ['tcp', 443]] as const) {
        const r = tracePacket(parsed.ruleset, { src: '198.51.100.7', dst: '203.0.113.1', proto, dport, sport: dport ? 40000 : undefined, inIface: 'eth0' });
        expect(['ACCEPT', 'DROP', 'REJECT', 'QUEUE', 'CONDITIONAL']).toContain(r.verdict);
      }
    }
    expect(findings).toBeGreaterThan(0);
  });
});

describe('shadowed rules are unreachable (property)', () => {
  it('no traced packet ever matches a rule the lint calls unreachable', () => {
    let claims = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const text = randomRuleset(seed, { iface: 'eth0', rules: 14 });
        const parsed = parseRuleset(text);
        const unreachable = new Set(
          lintRuleset(parsed.ruleset)
            .filter((f) => f.code === 'shadowed-rule' || (f.code === 'redundant-rule' && f.message.includes('already gets')))
            .map((f) => `${f.table} ${f.chain} #${f.index}`),
        );
        if (unreachable.size === 0) return;
        claims += unreachable.size;
        const rnd = makeRandom(seed);
        for (let k = 0; k < 40; k++) {
          const p = randomProbe(rnd, k);
          const iface = ['eth0', 'lo', 'pcl1', 'wlan0'][k % 4];
          const state = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'][Math.floor(rnd() * 5)];
          const src = rnd() < 0.2 ? '10.1.2.3' : p.src;
          const r = tracePacket(parsed.ruleset, { ...p, src, inIface: iface, state }, { hook: 'INPUT' });
          for (const o of r.outcomes ?? [{ path: r.path }]) {
            for (const s of o.path) {
              if (s.index !== null) expect(unreachable.has(`${s.table} ${s.chain} #${s.index}`), `${text}\n${JSON.stringify(p)} ${iface} ${state} matched ${s.chain} #${s.index}`).toBe(false);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
    // the generator must give the lint something to claim
    expect(claims).toBeGreaterThan(20);
  });
});
