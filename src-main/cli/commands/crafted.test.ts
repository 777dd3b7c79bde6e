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

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
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
