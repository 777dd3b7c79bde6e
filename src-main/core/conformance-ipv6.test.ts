// Conformance with ip6tables itself: every line of ip6tables' extension test
// vectors (libip6t_*.t) and of the family-independent ones (libxt_*.t), as real
// ip6tables-legacy 1.8.9 treated it (testing/ip6tables-observed.tsv, made by
// build/observe-ip6tables.mjs in a scratch namespace), for every extension
// Portcullis models in IPv6; plus the two ip6tables-save dumps of iptables'
// own test suite, reproduced byte for byte. The runner is shared with the IPv4 suite.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleset, canonicalRuleset } from './index.js';
import { CONFORMANCE6, readObserved6 } from './testing/shared-data.js';
import { describeVectors } from './testing/conformance-vectors.js';

const available = existsSync(CONFORMANCE6);

describeVectors({
  family: 'ipv6',
  tool: 'ip6tables',
  title: 'ip6tables extension test vectors (ip6tables-observed.tsv)',
  label: 'conformance (IPv6)',
  available,
  rows: readObserved6,
  prefix: 'ip6t',
  // the generic options, and our own probes (ip6tables-probes.t) of everything modelled
  genericFile: 'ip6tables-probes.t',
  // one vector may canonicalise to several rules (an ip6tables-observed row joins them with ' || ')
  expected: (canonical) => canonical.split(' || '),
  listExcluded: false,
});

describe.skipIf(!available)('ip6tables-save dumps of the iptables test suite', () => {
  for (const name of ['ip6tables.dump', 'fedora27-ip6tables']) {
    it(`${name} is reproduced exactly as ip6tables-legacy-save printed it`, () => {
      const res = parseRuleset(readFileSync(join(CONFORMANCE6, 'dumps', name), 'utf8'), { family: 'ipv6' });
      expect(res.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(canonicalRuleset(res.ruleset)).toBe(readFileSync(join(CONFORMANCE6, 'dumps', `${name}.canonical`), 'utf8'));
    });
  }
});
