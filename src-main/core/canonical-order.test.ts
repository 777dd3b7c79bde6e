// The order iptables-save prints a table's chains in: builtin chains as the
// table has them, then user chains by name (strcmp's order for ASCII names).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { savedOrder } from './canonical.js';

type C = { name: string; builtin: boolean };
const byComparator = (chains: C[]) => [
  ...chains.filter((c) => c.builtin),
  ...chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
];

describe('savedOrder', () => {
  it('puts builtin chains first as they are, then user chains by name, as a comparator of names would', () => {
    const name = fc.string({ unit: fc.constantFrom('A', 'B', 'a', '-', '_', '1', 'é', 'Z'), minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (names, builtin) => {
        const chains = names.map((n, k) => ({ name: n, builtin: builtin[k] }));
        const got = savedOrder(chains);
        expect(got).toEqual(byComparator(chains));
        // the very objects, each once
        expect(new Set(got).size).toBe(chains.length);
        for (const c of got) expect(chains).toContain(c);
      }),
      { numRuns: 500 },
    );
  });
  it('keeps every chain when two user chains share a name (a model being edited)', () => {
    const chains = [{ name: 'b', builtin: false }, { name: 'INPUT', builtin: true }, { name: 'a', builtin: false }, { name: 'b', builtin: false }];
    const got = savedOrder(chains);
    expect(got.map((c) => c.name)).toEqual(['INPUT', 'a', 'b', 'b']);
    expect(new Set(got).size).toBe(4);
  });
  it('orders a kube-proxy table of 37,000 chains by name', () => {
    const chains: C[] = [{ name: 'PREROUTING', builtin: true }, { name: 'OUTPUT', builtin: true }];
    let x = 12345;
    for (let k = 0; k < 37_000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      chains.push({ name: `KUBE-${k % 2 ? 'SEP' : 'SVC'}-${x.toString(36).toUpperCase().padStart(16, '0')}`, builtin: false });
    }
    expect(savedOrder(chains)).toEqual(byComparator(chains));
  });
});
