// The lockout check for the family the SSH session does NOT use, on a real lab
// host (sshd, ip6tables-legacy in its namespaces): the profile reaches the host
// over one family, the proposal is for the other.
// - The profile names the host by its IPv4 address and the host's own IPv6
//   address answers from here: an IPv6 proposal that drops SSH is refused
//   (exit 4) naming the route it assumed; forced, the confirmation finds IPv6
//   closed and the change is reverted and verified (exit 3); forced with the
//   client killed once the rules are live, the host's timer reverts them.
// - A dual-stack name: the CLI runs in a private mount namespace whose
//   /etc/hosts maps one name to the host's IPv4 and IPv6 addresses; the
//   session goes over IPv6 (the resolver's preference, as OpenSSH's), and an
//   IPv4 proposal that drops SSH is refused for the name's IPv4 address.
// - IPv6 not reachable from the client (the running IPv6 rules refuse it; or
//   the host has no IPv6 address but link-local): the same proposal is applied
//   (exit 0) and the plan says why IPv6 was not checked.
// Nothing outside the lab's namespaces is changed; the mount namespace dies
// with the CLI process.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run as capture } from '../cli/testing/capture.js';
import { skipLab, useLabScratch } from '../../e2e/lab/testing.js';
import { run, runSync } from '../../e2e/lab/run.js';
import { applyKilledOnceRunning, waitForHostRevert } from './testing/killed-apply.js';
import { repoRoot, STOCK_IP6TABLES } from '../../e2e/lab/fixtures.js';
import { sameRules } from '../core/apply/index.js';
import { lockoutInputsOf, openSession } from '../host/index.js';

const TIMEOUT_S = 4;
/** the admin's IPv6 proposal: a web port, and no SSH over IPv6 any more */
const NO_SSH6 = STOCK_IP6TABLES.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', '-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');
const NAME = 'dual.portcullis.test';

describe.skipIf(skipLab)('lab: the lockout check for the other family (session over IPv4, an IPv6 proposal)', () => {
  let tmp = '';
  const L = useLabScratch({ hosts: ['plain', 'bastion', 'inner'], tmpPrefix: 'pcl-other-family-', stateDir: true, startTimeout: 300_000 }, (dir) => (tmp = dir));
  const timings: string[] = [];
  afterAll(() => {
    if (timings.length) process.stderr.write(`other-family lab timings:\n  ${timings.join('\n  ')}\n`);
  });
  const h = () => L.get().hosts.plain;
  const file = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const sh = async (script: string, input?: string) => {
    const r = await L.get().hostExec('plain', ['sh', '-c', script], input);
    if (r.code !== 0) throw new Error(`plain: ${script}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const live6 = () => sh('ip6tables-save');
  const saved6 = async () => (await L.get().readHostFile('plain', '/etc/sysconfig/ip6tables'))?.toString() ?? null;
  /** what an apply may leave: the lock, a work directory, a revert process, a kept file (the lock script's .guard file stays by design) */
  const leftovers = async () => {
    const files = (await sh("ls -A /run/portcullis 2>/dev/null | grep -vx '.guard'; ls /etc/sysconfig | grep portcullis; true")).split('\n').filter(Boolean);
    // revert processes in the host's network namespace (not other tests' hosts: the PID namespace is shared)
    const pids = runSync(['ip', 'netns', 'pids', h().namespace], { allowFail: true }).stdout.toString().split(/\s+/).filter(Boolean);
    const reverts = pids.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('portcullis-revert');
      } catch {
        return false;
      }
    });
    return [...files, ...reverts.map((p) => `revert process ${p}`)];
  };

  beforeEach(async () => {
    await sh('iptables-restore', readFileSync(L.get().stockRuleset, 'utf8'));
    await sh('cat > /etc/sysconfig/iptables && chmod 600 /etc/sysconfig/iptables', readFileSync(L.get().stockRuleset, 'utf8'));
    await sh('ip6tables-restore', STOCK_IP6TABLES);
    await sh('cat > /etc/sysconfig/ip6tables && chmod 600 /etc/sysconfig/ip6tables && rm -f /etc/sysconfig/ip*tables.portcullis-* && rm -rf /run/portcullis', STOCK_IP6TABLES);
  });

  /**
   * The CLI as its own process in a private mount namespace where /etc/hosts maps NAME to both of
   * the host's addresses (IPv4 first), with an ssh_config whose `dual` names the host by NAME.
   */
  async function cliDual(args: string[]) {
    const hosts = file('hosts', `127.0.0.1 localhost\n${h().address} ${NAME}\n${h().address6} ${NAME}\n`);
    const labConfig = readFileSync(L.get().sshConfigPath, 'utf8');
    // the known_hosts entries are under the addresses: the alias looks the key up there
    const cfg = file('ssh_config', `Host dual\n  HostName ${NAME}\n  HostKeyAlias ${h().address}\n\n${labConfig}`);
    const argv = ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, '--import', 'tsx', resolve(repoRoot, 'src-main/cli/main.ts'), ...args, '--ssh-config', cfg];
    const t0 = Date.now();
    const r = await run(['unshare', ...argv], { allowFail: true, timeoutMs: 120_000 });
    return { code: r.code, out: r.stdout.toString(), err: r.stderr.toString(), ms: Date.now() - t0 };
  }

  const cli = (args: string[]) => capture([...args, '--ssh-config', L.get().sshConfigPath], {}, {});

  it('the profile names the host by its IPv4 address, the host\'s IPv6 address answers too: an IPv6 proposal that drops SSH is refused for that route; forced, the confirmation over IPv6 fails and the change is reverted, verified', async () => {
    const { address6, peerAddress6 } = h();
    const before6 = await live6();
    const proposal = file('rules.v6', NO_SSH6);
    let t0 = Date.now();
    const refused = await cli(['apply', 'plain', proposal, '--confirm-timeout', String(TIMEOUT_S)]);
    const refusedMs = Date.now() - t0;
    expect(refused.code, refused.err + refused.out).toBe(4);
    const all = refused.err + refused.out;
    expect(all).toMatch(/seen from 198\.18\.\d+\.\d+ on eth0/);
    expect(all).toContain(
      `predicted lockout over IPv6, assuming the host's own address ${address6}, which answers on port 22 with the same host key from ${peerAddress6} here: a new SSH connection from ${peerAddress6} to port 22 would not get in: REJECT by filter INPUT #`,
    );
    expect(all).toMatch(/nothing was changed/);
    expect(sameRules(await live6(), before6)).toBe(true);
    expect(await saved6()).toBe(STOCK_IP6TABLES);
    expect(await leftovers()).toEqual([]);
    timings.push(`refused (IPv6 route from the host's own address): ${refusedMs} ms`);

    t0 = Date.now();
    const forced = await cli(['apply', 'plain', proposal, '--force', '--confirm-timeout', String(TIMEOUT_S), '--json']);
    const forcedMs = Date.now() - t0;
    expect(forced.code, forced.err).toBe(3);
    expect(forced.err).toMatch(/predicted lockout over IPv6, assuming .* \(going on: --force; the host reverts unless a new connection gets in\)/);
    expect(forced.err).toContain(`a new connection over IPv6 to [${address6}]:22 (the route the lockout check assumed) did not get in: refused by a firewall on the way (ICMP administratively prohibited)`);
    const rec = JSON.parse(forced.out);
    expect(rec).toMatchObject({ outcome: 'reverted', families: ['ipv6'] });
    expect(rec.message).toMatch(/reverted and verified/);
    expect(sameRules(await live6(), STOCK_IP6TABLES)).toBe(true);
    expect(await saved6()).toBe(STOCK_IP6TABLES);
    expect(await leftovers()).toEqual([]);
    // OpenSSH over IPv6 gets in again
    expect((await run(['ssh', '-F', L.get().sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', 'plain-v6', 'true'], { allowFail: true })).code).toBe(0);
    timings.push(`forced: exit 3 in ${forcedMs} ms: ${rec.message}`);
  });

  it('forced, and the client killed once the IPv6 rules are live: the host timer reverts them (nobody could have confirmed over IPv6)', async () => {
    const before6 = await live6();
    const { stderr: err, killedAt } = await applyKilledOnceRunning(['plain', file('rules.v6', NO_SSH6), '--force', '--confirm-timeout', String(TIMEOUT_S), '--ssh-config', L.get().sshConfigPath]);
    expect(err).toMatch(/predicted lockout over IPv6, assuming the host's own address .* \(going on: --force/);
    expect(await live6()).not.toMatch(/--dport 22 -j ACCEPT/);
    // the lockout is real: OpenSSH over IPv6 does not get in while the new rules run
    expect((await run(['ssh', '-F', L.get().sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=2', 'plain-v6', 'true'], { allowFail: true })).code).not.toBe(0);
    // done: the lock and the revert process gone, only the work directory with the timer's outcome left
    await waitForHostRevert(killedAt, TIMEOUT_S, async () => (await leftovers()).length <= 1);
    expect(sameRules(await live6(), before6)).toBe(true);
    expect(await saved6()).toBe(STOCK_IP6TABLES);
    // the lock and the revert process are gone; the work directory stays with the timer's outcome (for a later look; /run goes at boot)
    const left = await leftovers();
    expect(left.filter((x) => !/^[0-9a-f]{16}$/.test(x))).toEqual([]);
    expect(left).toHaveLength(1);
    expect(await sh(`cat /run/portcullis/${left[0]}/outcome`)).toBe('reverted\n');
    const log = ((await L.get().readHostFile('plain', '/var/log/portcullis.log'))?.toString() ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.filter((l) => l.event === 'revert').pop()).toMatchObject({ result: 'reverted', verify: 'verified', by: 'timer' });
    timings.push(`forced, client killed: the host timer reverted IPv6 ${Date.now() - killedAt} ms after the kill`);
  });

  it('a dual-stack name (a private /etc/hosts): the session goes over IPv6 as the resolver prefers, and an IPv4 proposal that drops SSH is refused for the IPv4 address the name gives', async () => {
    const { address, peerAddress } = h();
    const stock4 = readFileSync(L.get().stockRuleset, 'utf8');
    const noSsh4 = stock4.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', '-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');
    expect(noSsh4).not.toBe(stock4);
    const before4 = await sh('iptables-save');
    const r = await cliDual(['apply', 'dual', file('rules.v4', noSsh4), '--family', '4', '--confirm-timeout', String(TIMEOUT_S)]);
    expect(r.code, r.err + r.out).toBe(4);
    const all = r.err + r.out;
    expect(all).toMatch(/seen from 2001:db8:[0-9a-f:]+ on eth0/);
    expect(all).toContain(`predicted lockout over IPv4, assuming ${NAME} resolves to ${address}, which answers on port 22 with the same host key from ${peerAddress} here: a new SSH connection from ${peerAddress} to port 22 would not get in`);
    expect(sameRules(await sh('iptables-save'), before4)).toBe(true);
    expect(await leftovers()).toEqual([]);
    timings.push(`refused (dual-stack name, IPv4 proposal over an IPv6 session): ${r.ms} ms wall, CLI process start included`);
  });

  it("what main finds on connect, for the app's lint (lockoutInputsOf) on real sessions: the client's interface and the other family's route — directly over IPv4, over IPv6, and through a jump host (cannot be used, said why)", async () => {
    const lab = L.get();
    const opts = { sshConfigPath: lab.sshConfigPath, agent: false as const };
    const inputs = async (alias: string) => {
      const s = await openSession(alias, opts);
      try {
        const facts = await s.facts();
        const own = [...(facts.addresses?.ipv4 ?? []), ...(facts.addresses?.ipv6 ?? [])].map((a) => a.address);
        return await lockoutInputsOf(s, s.target.port, own);
      } finally {
        await s.close();
      }
    };
    const p = lab.hosts.plain;
    const t0 = Date.now();
    expect(await inputs('plain')).toEqual({
      clientIface: 'eth0',
      other: { kind: 'reachable', family: 'ipv6', client: p.peerAddress6, server: p.address6, inIface: 'eth0', via: `the host's own address ${p.address6}, which answers on port 22 with the same host key from ${p.peerAddress6} here` },
    });
    const directMs = Date.now() - t0;
    expect(await inputs('plain-v6')).toMatchObject({ clientIface: 'eth0', other: { kind: 'reachable', family: 'ipv4', client: p.peerAddress, server: p.address, inIface: 'eth0' } });
    const inner = lab.hosts.inner;
    expect(await inputs('inner')).toEqual({
      clientIface: 'eth0',
      other: { kind: 'unreachable', family: 'ipv6', why: `the profile reaches the host through bastion by its IPv4 address ${inner.address}, so the host sees bastion over IPv4 only` },
    });
    // an IPv6 proposal through the jump host: applied, the plan says why IPv6 was not checked
    const before6 = (await lab.hostExec('inner', ['ip6tables-save'])).stdout.toString();
    try {
      const r = await cli(['apply', 'inner', file('inner.v6', NO_SSH6), '--confirm-timeout', String(TIMEOUT_S), '--json']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`IPv6 not checked: the profile reaches the host through bastion by its IPv4 address ${inner.address}, so the host sees bastion over IPv4 only`);
    } finally {
      await lab.hostExec('inner', ['ip6tables-restore'], before6);
      await lab.hostExec('inner', ['sh', '-c', 'cat > /etc/sysconfig/ip6tables; rm -f /etc/sysconfig/ip6tables.portcullis-*'], STOCK_IP6TABLES);
    }
    timings.push(`lockout inputs on connect (facts + route + the IPv6 probe) for plain: ${directMs} ms`);
  });

  it('IPv6 not reachable from the client (its running IPv6 rules refuse us): the IPv6 proposal is applied, the plan says why IPv6 was not checked', async () => {
    const { address6, peerAddress6 } = h();
    await sh(`ip6tables -I INPUT -s ${peerAddress6} -p tcp --dport 22 -j REJECT --reject-with tcp-reset`);
    const t0 = Date.now();
    const r = await cli(['apply', 'plain', file('rules.v6', NO_SSH6), '--confirm-timeout', String(TIMEOUT_S), '--json']);
    const ms = Date.now() - t0;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`IPv6 not checked: no SSH connection to the host over IPv6 from here — [${address6}]:22 (the host's own): connection refused`);
    expect(r.err).toMatch(/lockout check: IPv6 not checked \(the reason above\)/);
    expect(JSON.parse(r.out)).toMatchObject({ outcome: 'confirmed', families: ['ipv6'] });
    expect(sameRules(await live6(), NO_SSH6)).toBe(true);
    expect(await saved6()).toBe(NO_SSH6);
    timings.push(`not reachable (refused by the running IPv6 rules): applied in ${ms} ms`);
  });

  it('the host has no IPv6 address but link-local: the IPv6 proposal is applied, the plan says so', async () => {
    const { address6, namespace } = h();
    await run(['ip', '-n', namespace, '-6', 'addr', 'del', `${address6}/64`, 'dev', 'eth0']);
    try {
      const t0 = Date.now();
      const r = await cli(['apply', 'plain', file('rules.v6', NO_SSH6), '--confirm-timeout', String(TIMEOUT_S), '--json']);
      const ms = Date.now() - t0;
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`IPv6 not checked: the profile names it by its IPv4 address ${h().address}, and the host has no IPv6 address another machine could reach (only loopback or link-local)`);
      expect(sameRules(await live6(), NO_SSH6)).toBe(true);
      timings.push(`not reachable (no IPv6 address but link-local): applied in ${ms} ms`);
    } finally {
      await run(['ip', '-n', namespace, '-6', 'addr', 'add', `${address6}/64`, 'dev', 'eth0', 'nodad']);
    }
  });
});
