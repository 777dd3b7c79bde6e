// Crafted rulesets that once blew up the analysis (issue 11): a jump chain as
// deep as the kernel allows must work without using the call stack, and
// statistic diamonds must end in well under a second with a correct answer or
// an honest "unknown". Run through the command line, as an admin would.
import { describe, expect, it } from 'vitest';
import { run } from '../testing/capture.js';

const HEAD = ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];

/** INPUT → C1 → C2 → … → Cn, and Cn accepts SSH. */
export function deepChain(n: number): string {
  const l = [...HEAD];
  for (let k = 1; k <= n; k++) l.push(`:C${k} - [0:0]`);
  l.push('-A INPUT -j C1');
  for (let k = 1; k < n; k++) l.push(`-A C${k} -j C${k + 1}`);
  l.push(`-A C${n} -p tcp -m tcp --dport 22 -j ACCEPT`, 'COMMIT');
  return l.join('\n') + '\n';
}

/** the CPU time (ms) the command took in this process (user + system): the wall time on a loaded machine is mostly waiting for a core */
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = process.cpuUsage();
  const r = await f();
  const cpu = process.cpuUsage(t0);
  return [r, (cpu.user + cpu.system) / 1000];
};

describe('a 10,000-deep jump chain (the kernel loads it)', () => {
  const text = deepChain(10000);
  it('checks as valid and lints with --client: SSH gets in', async () => {
    expect((await run(['check', 'deep.rules'], { 'deep.rules': text })).code).toBe(0);
    const [r] = await timed(() => run(['lint', 'deep.rules', '--client', '198.18.5.5', '--json'], { 'deep.rules': text }));
    expect(r.err).toBe('');
    const codes = JSON.parse(r.out).findings.map((f: { code: string }) => f.code);
    expect(codes).not.toContain('ssh-lockout');
  });

  it('traces to the accepting rule at the bottom', async () => {
    const r = await run(['trace', 'deep.rules', '--src', '198.18.5.5', '--dst', '198.18.0.1', '--proto', 'tcp', '--dport', '22', '--in', 'eth0', '--json'], { 'deep.rules': text });
    expect(r.err).toBe('');
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe('ACCEPT');
    expect(j.decidedBy).toMatchObject({ table: 'filter', chain: 'C10000', index: 1 });
    // a port nothing accepts falls back through every chain to INPUT's policy
    const d = JSON.parse((await run(['trace', 'deep.rules', '--src', '198.18.5.5', '--dst', '198.18.0.1', '--proto', 'tcp', '--dport', '80', '--in', 'eth0', '--json'], { 'deep.rules': text })).out);
    expect(d).toMatchObject({ verdict: 'DROP', decidedBy: null });
  });

  it('a loop of jumps is still refused, naming the loop', async () => {
    const loop = deepChain(50).replace('-A C50 -p tcp', '-A C50 -j C3\n-A C50 -p tcp');
    const r = await run(['check', 'loop.rules'], { 'loop.rules': loop });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/C3.*C4.*C50.*C3/s);
  });
});

/** Each chain jumps twice to the next under -m statistic: 2^n ways through, one state. */
export function statisticDiamond(n: number, end: string[]): string {
  const l = [...HEAD];
  for (let k = 1; k <= n; k++) l.push(`:C${k} - [0:0]`);
  l.push('-A INPUT -j C1');
  for (let k = 1; k < n; k++) {
    l.push(`-A C${k} -m statistic --mode random --probability 0.50000000000 -j C${k + 1}`);
    l.push(`-A C${k} -m statistic --mode nth --every 2 --packet 0 -j C${k + 1}`);
  }
  l.push(...end.map((r) => r.replace('CN', `C${n}`)), 'COMMIT');
  return l.join('\n') + '\n';
}

const SSH = ['--src', '198.18.5.5', '--dst', '198.18.0.1', '--proto', 'tcp', '--dport', '22', '--in', 'eth0'];

describe('statistic diamonds (2^20 and 2^60 ways through) end fast with the right answer', () => {
  const d20 = statisticDiamond(20, ['-A CN -p tcp -m tcp --dport 22 -j ACCEPT']);
  const d60 = statisticDiamond(60, ['-A CN -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);

  it('20 levels: SSH gets in by C20 #1 or, when chance skips the jumps, falls to the DROP policy', async () => {
    const [r, ms] = await timed(() => run(['trace', 'd.rules', ...SSH, '--json'], { 'd.rules': d20 }));
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe('CONDITIONAL');
    expect(j.outcomes.map((o: { verdict: string; decidedBy: { chain: string } | null }) => `${o.verdict} ${o.decidedBy?.chain ?? 'policy'}`)).toEqual(['DROP policy', 'ACCEPT C20']);
    // the same answer within a budget of 2,000 steps: the work grows with the rules, not with the ways through
    const small = JSON.parse((await run(['trace', 'd.rules', ...SSH, '--json', '--max-steps', '2000'], { 'd.rules': d20 })).out);
    expect(small.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['DROP', 'ACCEPT']);
    expect(ms).toBeLessThan(2000);
    const lint = JSON.parse((await run(['lint', 'd.rules', '--client', '198.18.5.5', '--json'], { 'd.rules': d20 })).out);
    const lockout = lint.findings.filter((f: { code: string }) => f.code === 'ssh-lockout');
    expect(lockout).toHaveLength(1);
    expect(lockout[0]).toMatchObject({ severity: 'warning' });
    expect(lockout[0].message).toMatch(/may not get in.*DROP by the policy of filter INPUT/);
  });

  it('60 levels: every way ends in ACCEPT; lint --client finds no lockout', async () => {
    const j = JSON.parse((await run(['trace', 'd.rules', ...SSH, '--json', '--max-steps', '5000'], { 'd.rules': d60 })).out);
    expect(j.verdict).toBe('ACCEPT');
    expect(j.outcomes.map((o: { decidedBy: { chain: string; index: number } }) => `${o.decidedBy.chain} #${o.decidedBy.index}`).sort()).toEqual(['C60 #1', 'INPUT #2']);
    const [r, ms] = await timed(() => run(['lint', 'd.rules', '--client', '198.18.5.5', '--json'], { 'd.rules': d60 }));
    expect(JSON.parse(r.out).findings.map((f: { code: string }) => f.code)).not.toContain('ssh-lockout');
    expect(ms).toBeLessThan(2000);
  });
});

describe('when the budget runs out the answer is UNKNOWN, with the reason and the rule', () => {
  // 24 marks each set or not by chance: 2^24 distinct states, nothing to merge
  const marks = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ...Array.from({ length: 24 }, (_, k) => `-A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --or-mark 0x${(1 << k).toString(16)}`),
    'COMMIT', '*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -m mark --mark 0xffffff -j DROP', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'COMMIT'].join('\n') + '\n';

  it('trace says UNKNOWN and where it gave up', async () => {
    const [r, ms] = await timed(() => run(['trace', 'm.rules', ...SSH, '--json'], { 'm.rules': marks }));
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ verdict: 'UNKNOWN', decidedBy: null, truncated: true, unknown: { table: 'mangle', chain: 'PREROUTING' } });
    expect(j.unknown.reason).toMatch(/budget of \d+ steps/);
    expect(j.unknown.line).toBe(j.unknown.index + 6);
    expect(ms).toBeLessThan(5000);
    const human = await run(['trace', 'm.rules', ...SSH], { 'm.rules': marks });
    expect(human.out).toMatch(/verdict: UNKNOWN: gave up at mangle PREROUTING #\d+ \(line \d+\): the walk went past its budget/);
  });

  it('a recipe refuses rather than place its rules on a guess', async () => {
    const r = await run(['recipe', 'baseline', '--into', 'm.rules'], { 'm.rules': marks });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refused: cannot check where the recipe's rules would go: the packet tracer gave up at mangle PREROUTING #\d+/);
  });

  it('lint --client warns that it cannot tell, at that rule (not an error, not silence)', async () => {
    const j = JSON.parse((await run(['lint', 'm.rules', '--client', '198.18.5.5', '--json'], { 'm.rules': marks })).out);
    const f = j.findings.find((x: { code: string }) => x.code === 'ssh-lockout');
    expect(f).toMatchObject({ severity: 'warning', table: 'mangle', chain: 'PREROUTING' });
    expect(f.message).toMatch(/cannot tell whether a new SSH connection from 198\.18\.5\.5 to port 22 gets in: the check gave up at mangle PREROUTING #/);
  });
});
