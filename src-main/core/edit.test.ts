import { describe, it, expect } from 'vitest';
import { applyEdit, parseRuleBody, ruleFormSpec, type EditOp } from './edit.js';
import { parseRuleset } from './parse.js';
import { canonicalRuleset } from './canonical.js';

const file = [
  '# web-01 firewall, kept by hand',
  '*filter',
  ':INPUT DROP [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':web - [0:0]',
  '',
  '# loopback first',
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
  '#-A INPUT -p tcp --dport 23 -j ACCEPT',
  '-A INPUT  -p tcp --dport 22  -j ACCEPT',
  '-A INPUT -p tcp --dport 80 -j web',
  '-A web -s 10.0.0.0/8 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

const edit = (op: EditOp, text = file) => {
  const r = applyEdit(parseRuleset(text), op);
  if (!r.ok) throw new Error(r.message);
  expect(parseRuleset(r.text).findings.filter((f) => f.severity === 'error')).toEqual([]);
  return r.text;
};
const changed = (a: string, b: string) => {
  const al = a.split('\n');
  const bl = b.split('\n');
  return { removed: al.filter((l) => !bl.includes(l)), added: bl.filter((l) => !al.includes(l)) };
};

describe('editing rules in place', () => {
  it('with no real change the file comes back byte for byte', () => {
    // entries of INPUT: 0 lo, 1 state, 2 #telnet, 3 ssh, 4 web
    expect(edit({ kind: 'replace', ref: { table: 'filter', chain: 'INPUT', at: 3 }, body: '--protocol tcp --dport 22 -j ACCEPT' })).toBe(file);
    expect(edit({ kind: 'move', table: 'filter', chain: 'INPUT', from: [1], to: 1 })).toBe(file);
  });

  it('adds a rule where asked, written canonically; comments and layout stay', () => {
    const out = edit({ kind: 'add', table: 'filter', chain: 'INPUT', at: 4, body: '-p tcp --dport 443 -j ACCEPT' });
    expect(changed(file, out)).toEqual({ removed: [], added: ['-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT'] });
    const lines = out.split('\n');
    expect(lines.indexOf('-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT')).toBe(lines.indexOf('-A INPUT  -p tcp --dport 22  -j ACCEPT') + 1);
    // at the top of a chain and at the end of another
    const top = edit({ kind: 'add', table: 'filter', chain: 'INPUT', at: 0, body: '-s 192.0.2.1 -j DROP' });
    expect(top.split('\n').indexOf('-A INPUT -s 192.0.2.1/32 -j DROP')).toBeLessThan(top.split('\n').indexOf('-A INPUT -i lo -j ACCEPT'));
    const end = edit({ kind: 'add', table: 'filter', chain: 'web', at: 1, body: '-j RETURN' });
    expect(end.split('\n').indexOf('-A web -j RETURN')).toBe(end.split('\n').indexOf('-A web -s 10.0.0.0/8 -j ACCEPT') + 1);
  });

  it('refuses a rule iptables would refuse, with the parser\'s message and column', () => {
    const r = applyEdit(parseRuleset(file), { kind: 'add', table: 'filter', chain: 'INPUT', at: 0, body: '-p tcp --dport 99999 -j ACCEPT' });
    expect(r.ok).toBe(false);
    const p = parseRuleBody(parseRuleset(file).ruleset, 'filter', 'INPUT', '-p tcp --dport 99999 -j ACCEPT');
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.findings[0].message).toMatch(/99999/);
      expect(p.findings[0].col).toBe('-p tcp --dport '.length + 1);
    }
    // a jump to a chain of the table loads; to an unknown chain it does not
    expect(parseRuleBody(parseRuleset(file).ruleset, 'filter', 'INPUT', '-j web').ok).toBe(true);
    expect(parseRuleBody(parseRuleset(file).ruleset, 'filter', 'INPUT', '-j nosuch').ok).toBe(false);
  });

  it('changes a rule: only its line changes', () => {
    const out = edit({ kind: 'replace', ref: { table: 'filter', chain: 'INPUT', at: 3 }, body: '-p tcp --dport 2222 -j ACCEPT' });
    expect(changed(file, out)).toEqual({ removed: ['-A INPUT  -p tcp --dport 22  -j ACCEPT'], added: ['-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT'] });
  });

  it('disables and enables rules with #, keeping the text as written', () => {
    const off = edit({ kind: 'set-disabled', refs: [{ table: 'filter', chain: 'INPUT', at: 3 }], disabled: true });
    expect(changed(file, off)).toEqual({ removed: ['-A INPUT  -p tcp --dport 22  -j ACCEPT'], added: ['#-A INPUT  -p tcp --dport 22  -j ACCEPT'] });
    const rs = parseRuleset(off).ruleset;
    expect(rs.tables[0].chains[0].rules).toHaveLength(3);
    expect(rs.tables[0].chains[0].disabled).toHaveLength(2);
    const on = edit({ kind: 'set-disabled', refs: [{ table: 'filter', chain: 'INPUT', at: 2 }], disabled: false });
    expect(changed(file, on)).toEqual({ removed: ['#-A INPUT -p tcp --dport 23 -j ACCEPT'], added: ['-A INPUT -p tcp --dport 23 -j ACCEPT'] });
    // and back: the file is what it was
    expect(edit({ kind: 'set-disabled', refs: [{ table: 'filter', chain: 'INPUT', at: 3 }], disabled: false }, off)).toBe(file);
  });

  it('deletes several rules at once', () => {
    const out = edit({ kind: 'delete', refs: [{ table: 'filter', chain: 'INPUT', at: 2 }, { table: 'filter', chain: 'INPUT', at: 4 }] });
    expect(changed(file, out)).toEqual({ removed: ['#-A INPUT -p tcp --dport 23 -j ACCEPT', '-A INPUT -p tcp --dport 80 -j web'], added: [] });
  });

  it('moves a block of rules, keeping its order; the file keeps each rule\'s text', () => {
    const out = edit({ kind: 'move', table: 'filter', chain: 'INPUT', from: [3, 4], to: 0 });
    const rules = out.split('\n').filter((l) => /^#?-A INPUT/.test(l));
    expect(rules).toEqual([
      '-A INPUT  -p tcp --dport 22  -j ACCEPT',
      '-A INPUT -p tcp --dport 80 -j web',
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
      '#-A INPUT -p tcp --dport 23 -j ACCEPT',
    ]);
    expect(out).toContain('# web-01 firewall, kept by hand\n');
    expect(out).toContain('\n# loopback first\n');
    // down by one (Alt+↓)
    const down = edit({ kind: 'move', table: 'filter', chain: 'INPUT', from: [0], to: 1 });
    expect(canonicalRuleset(parseRuleset(down).ruleset)).toMatch(/-A INPUT -m state[^\n]*\n-A INPUT -i lo -j ACCEPT/);
  });

  it('sets a policy on its declaration line only', () => {
    const out = edit({ kind: 'policy', table: 'filter', chain: 'FORWARD', policy: 'ACCEPT' });
    expect(changed(file, out)).toEqual({ removed: [':FORWARD DROP [0:0]'], added: [':FORWARD ACCEPT [0:0]'] });
    expect(applyEdit(parseRuleset(file), { kind: 'policy', table: 'filter', chain: 'web', policy: 'DROP' }).ok).toBe(false);
  });

  it('says what is wrong instead of throwing for a position that is not there', () => {
    const r = applyEdit(parseRuleset(file), { kind: 'delete', refs: [{ table: 'filter', chain: 'INPUT', at: 9 }] });
    expect(r).toEqual({ ok: false, message: 'INPUT has no rule at position 10' });
    expect(applyEdit(parseRuleset(file), { kind: 'add', table: 'nat', chain: 'PREROUTING', at: 0, body: '-j ACCEPT' }).ok).toBe(false);
  });

  it('offers the options of every registered match and target for the rule form', () => {
    const spec = ruleFormSpec();
    const tcp = spec.matches.find((m) => m.name === 'tcp')!;
    expect(tcp.options.map((o) => o.name)).toEqual(expect.arrayContaining(['sport', 'dport', 'tcp-flags', 'syn']));
    expect(tcp.options.find((o) => o.name === 'tcp-flags')).toMatchObject({ arg: 'required', extraArgs: 1, invert: true });
    const dnat = spec.targets.find((t) => t.name === 'DNAT')!;
    expect(dnat.options.map((o) => o.name)).toContain('to-destination');
    expect(dnat.tables).toEqual(['nat']);
  });
});
