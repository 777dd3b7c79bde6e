// The IPv6 corpus: ip6tables files written as admins write them (CentOS 7's
// stock /etc/sysconfig/ip6tables, Debian rules.v6 with counters, ufw's before6
// chains, Docker's IPv6 nat, fail2ban, an edge router with NPT) and ones with the
// mistakes people make (an IPv4 address, -f, --icmp-type, an IPv4 reject type).
// Truth is real ip6tables-legacy 1.8.9 (build/corpus6-truth.sh): every
// .canonical reproduced byte for byte, every .error rejected on its line.
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, canonicalRuleset } from './index.js';
import { REPO_ROOT } from './testing/shared-data.js';

const DIR = join(REPO_ROOT, 'src-main', 'core', 'testing', 'corpus6');
const files = readdirSync(DIR).filter((f) => f.endsWith('.rules')).sort();
const tally = { canonical: [0, 0], error: [0, 0] };

describe('IPv6 corpus (truth from real ip6tables-legacy-save)', () => {
  it('has files of both kinds', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const f of files) {
    const base = join(DIR, f.replace(/\.rules$/, ''));
    const text = readFileSync(join(DIR, f), 'utf8');
    if (existsSync(`${base}.canonical`)) {
      it(`${f} is reproduced exactly as ip6tables-save printed it`, () => {
        tally.canonical[1]++;
        const res = parseRuleset(text, { family: 'ipv6' });
        expect(res.findings.filter((x) => x.severity === 'error')).toEqual([]);
        expect(canonicalRuleset(res.ruleset)).toBe(readFileSync(`${base}.canonical`, 'utf8'));
        tally.canonical[0]++;
      });
    } else {
      const error = readFileSync(`${base}.error`, 'utf8');
      const line = Number(/Error occurred at line: (\d+)/.exec(error)![1]);
      it(`${f} is rejected on line ${line}, as ip6tables-restore rejects it`, () => {
        tally.error[1]++;
        const errors = parseRuleset(text, { family: 'ipv6' }).findings.filter((x) => x.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0].line).toBe(line);
        // the message is ip6tables' own (its first line, without the program name)
        expect(error).toContain(errors[0].message);
        tally.error[0]++;
      });
    }
  }
  afterAll(() => {
    console.log(`corpus (IPv6): canonical reproduced ${tally.canonical[0]}/${tally.canonical[1]}; errors on the right line ${tally.error[0]}/${tally.error[1]}`);
  });
});
