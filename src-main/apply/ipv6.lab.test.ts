// The safe apply's fault matrix for IPv6, on both kinds of lab host (a plain
// namespace: the revert is a setsid process; systemd as PID 1: a systemd-run
// timer). SSH runs over IPv6 where the case is about IPv6 (the `HOST-v6`
// aliases of the lab's ssh_config). Every test checks the HOST afterwards from
// inside its namespaces: ip6tables-save and iptables-save with counters (a
// family that was reloaded has its counters reset, so a family that was "left
// alone" must still carry the counters planted before), both saved files byte
// for byte, the timer, the lock, the host's log.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run as capture, type RunOptions } from '../cli/testing/capture.js';
import { skipLab, skipSystemd, useLabScratch } from '../../e2e/lab/testing.js';
import { run, runSync } from '../../e2e/lab/run.js';
import { applyKilledOnceRunning, waitForHostRevert } from './testing/killed-apply.js';
import { repoRoot, STOCK_IP6TABLES } from '../../e2e/lab/fixtures.js';
import { runApply } from './run.js';
import { sameRules } from '../core/apply/index.js';

const TIMEOUT_S = 4;
const TARGETS = [
  { host: 'plain', branch: 'setsid' },
  ...(skipSystemd ? [] : [{ host: 'systemd', branch: 'systemd-run' }]),
] as const;

const before6 = (rules: string) => STOCK_IP6TABLES.replace('-A INPUT -j REJECT', `${rules}-A INPUT -j REJECT`);
/** an IPv6 change of the admin's own: the web port, with a comment */
const GOOD6 = before6('# web server over IPv6 (ticket 4712)\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');
/** keeps RELATED,ESTABLISHED but refuses every new IPv6 SSH connection */
const REJECT_NEW6 = STOCK_IP6TABLES.replace('-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n', '');
/** a sentinel counter planted on a rule of the family that must be left alone: a reload resets it to 0 */
const SENTINEL = 7777777;

const cli = (argv: string[], opts: RunOptions = {}) => capture(argv, {}, opts);

describe.skipIf(skipLab)('lab: the apply fault matrix over IPv6, and both families as one change', () => {
  let tmp = '';
  const L = useLabScratch({ hosts: ['plain', ...(skipSystemd ? [] : ['systemd'])], tmpPrefix: 'pcl-apply6-test-', stateDir: true, startTimeout: 600_000 }, (dir) => (tmp = dir));
  const stock = () => readFileSync(L.get().stockRuleset, 'utf8');
  const timings: string[] = [];
  afterAll(() => {
    if (timings.length) process.stderr.write(`IPv6 apply timings:\n  ${timings.join('\n  ')}\n`);
  });
  const cfg = () => ['--ssh-config', L.get().sshConfigPath];
  const file = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const sh = async (host: string, script: string, input?: string) => {
    const r = await L.get().hostExec(host, ['sh', '-c', script], input);
    if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const live = (host: string, fam: 4 | 6) => sh(host, fam === 6 ? 'ip6tables-save' : 'iptables-save');
  /** the rules with their counters, without the save's date lines: equal only when the table was not reloaded */
  const counted = async (host: string, fam: 4 | 6) => (await sh(host, `${fam === 6 ? 'ip6tables' : 'iptables'}-save -c`)).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const saved = async (host: string, fam: 4 | 6) => (await L.get().readHostFile(host, fam === 6 ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables'))?.toString() ?? null;
  const lockHeld = async (host: string) => (await L.get().hostExec(host, ['test', '-e', '/run/portcullis/lock'])).code === 0;
  const revertLeft = async (host: string) => {
    const pids = runSync(['ip', 'netns', 'pids', L.get().hosts[host].namespace], { allowFail: true }).stdout.toString().split(/\s+/).filter(Boolean);
    const procs = pids.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('portcullis-revert');
      } catch {
        return false;
      }
    });
    if (L.get().hosts[host].kind !== 'systemd') return procs;
    const units = (await sh(host, "systemctl list-units --all --plain --no-legend 'portcullis-revert-*.timer' | awk '{print $1}'")).split('\n').filter(Boolean);
    const guards = (await sh(host, 'ls /run/systemd/system/iptables.service.d /run/systemd/system/ip6tables.service.d 2>/dev/null || true')).split('\n').filter(Boolean);
    return [...procs, ...units, ...guards];
  };
  const hostLog = async (host: string) =>
    ((await L.get().readHostFile(host, '/var/log/portcullis.log'))?.toString() ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** a new SSH connection over IPv6 gets in (OpenSSH, not the tool under test) */
  const sshOver6 = async (host: string) => (await run(['ssh', '-F', L.get().sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `${host}-v6`, 'true'], { allowFail: true })).code;

  /** both families back to stock, both files stock, a sentinel counter on each family's first rule */
  async function reset(host: string) {
    const withCounter = (text: string) => text.replace('-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT', `[${SENTINEL}:${SENTINEL * 60}] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT`);
    await sh(host, 'iptables-restore -c', withCounter(stock()));
    await sh(host, 'ip6tables-restore -c', withCounter(STOCK_IP6TABLES));
    await sh(host, 'cat > /etc/sysconfig/iptables && chmod 600 /etc/sysconfig/iptables', stock());
    await sh(host, 'cat > /etc/sysconfig/ip6tables && chmod 600 /etc/sysconfig/ip6tables && rm -f /etc/sysconfig/ip*tables.portcullis-* && rm -rf /run/portcullis', STOCK_IP6TABLES);
  }
  beforeEach(async () => {
    for (const t of TARGETS) await reset(t.host);
  });

  const uncounted = (text: string) => text.replace(/\[\d+:\d+\]/g, '[-]');
  /** the sentinel rule's packet counter: at least SENTINEL unless the table was reloaded (SSH traffic may add to it) */
  const sentinel = (text: string) => Number(/^\[(\d+):\d+\] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT$/m.exec(text)?.[1] ?? -1);
  /** the family must be as reset left it: the same rules byte for byte, never reloaded (the sentinel counter kept), the stock file */
  async function expectLeftAlone(host: string, fam: 4 | 6, countersBefore: string) {
    const now = await counted(host, fam);
    expect(uncounted(now)).toBe(uncounted(countersBefore));
    expect(sentinel(countersBefore)).toBeGreaterThanOrEqual(SENTINEL);
    expect(sentinel(now)).toBeGreaterThanOrEqual(sentinel(countersBefore));
    expect(await saved(host, fam)).toBe(fam === 6 ? STOCK_IP6TABLES : stock());
    expect((await sh(host, 'ls /etc/sysconfig')).split('\n').filter((f) => f.startsWith(`${fam === 6 ? 'ip6tables' : 'iptables'}.portcullis-`))).toEqual([]);
  }

  it('the command line over IPv6: facts and pull --json of [2001:db8:…] see the IPv6 client; an IPv6 apply whose base (pull --json) no longer matches the running IPv6 rules is refused', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    const target = `root@[${h.address6}]`;
    const facts = await cli(['facts', target, '--json', ...cfg()]);
    expect(facts.code, facts.err).toBe(0);
    expect(JSON.parse(facts.out)).toMatchObject({ clientAddress: h.peerAddress6, iptablesServices: { ip6tables: { active: 'active' } } });
    const pulled = await cli(['pull', target, '--json', ...cfg()]);
    expect(pulled.code, pulled.err).toBe(0);
    const base = file('base.json', pulled.out);
    expect(JSON.parse(pulled.out).saved6.text).toBe(STOCK_IP6TABLES);
    // someone bans an IPv6 address by hand after the pull
    await sh('plain', 'ip6tables -I INPUT -s 2001:db8:dead::/48 -j DROP');
    const changed = await live('plain', 6);
    const r = await cli(['apply', target, file('rules.v6', GOOD6), '--base', base, '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    expect(r.code, r.err).toBe(4);
    expect(r.err).toMatch(/rules\.v6: note: read as an IPv6 \(ip6tables\) ruleset: the file is named rules\.v6/);
    expect(r.out).toMatch(/the running IPv6 rules on 2001:db8:[0-9a-f:]+ changed since .*base\.json/);
    expect(sameRules(await live('plain', 6), changed)).toBe(true);
    expect(await live('plain', 6)).toContain('-A INPUT -s 2001:db8:dead::/48 -j DROP');
    expect(await saved('plain', 6)).toBe(STOCK_IP6TABLES);
    expect(await lockHeld('plain')).toBe(false);
  });

  it.skipIf(skipSystemd)('systemd host, IP6TABLES_SAVE_ON_STOP=yes: `systemctl stop ip6tables` during the countdown cannot make the unconfirmed IPv6 rules the saved file (ip6tables.service guarded); iptables.service untouched', async () => {
    const host = 'systemd';
    const config = '/etc/sysconfig/ip6tables-config';
    const before = await sh(host, `cat ${config}`);
    await sh(host, `sed -i 's/^IP6TABLES_SAVE_ON_STOP=.*/IP6TABLES_SAVE_ON_STOP="yes"/' ${config}`);
    try {
      const v4 = await counted(host, 4);
      const progress: string[] = [];
      const res = await runApply({
        host,
        session: { sshConfigPath: L.get().sshConfigPath, agent: false },
        proposalName: 'good.v6',
        proposalText: GOOD6,
        family: 'ipv6',
        confirmTimeoutS: 8,
        confirm: 'prompt',
        force: false,
        base: null,
        onProgress: (p) => progress.push(p.message),
        ask: async () => {
          // the stop's save wrote the unconfirmed rules; the guard put the file back right after it
          await sh(host, 'systemctl stop ip6tables.service');
          expect(await saved(host, 6)).toBe(STOCK_IP6TABLES);
          expect(await sh(host, 'systemctl is-active iptables.service')).toBe('active\n');
          return false;
        },
      });
      expect(progress.join('\n')).toMatch(/IP6TABLES_SAVE_ON_STOP is on: until this apply is decided, a stop, restart or shutdown of ip6tables\.service cannot make the unconfirmed rules the saved ones/);
      expect(res.exitCode, res.message).toBe(3);
      expect(res.message).toMatch(/reverted and verified/);
      expect(await saved(host, 6)).toBe(STOCK_IP6TABLES);
      const kept = (await sh(host, 'ls /etc/sysconfig')).split('\n').filter((f) => f.startsWith('ip6tables.portcullis-unconfirmed-'));
      expect(kept).toHaveLength(1);
      expect(await sh(host, `cat /etc/sysconfig/${kept[0]}`)).toMatch(/--dport 80 -j ACCEPT/);
      // the stop flushed IPv6; the revert put the backup back
      expect(sameRules(await live(host, 6), STOCK_IP6TABLES)).toBe(true);
      await expectLeftAlone(host, 4, v4);
      expect(await revertLeft(host)).toEqual([]);
      timings.push(`systemctl stop ip6tables during the countdown (IP6TABLES_SAVE_ON_STOP=yes): exit ${res.exitCode}: ${res.message}`);
    } finally {
      await sh(host, `cat > ${config}`, before);
      await sh(host, 'systemctl start ip6tables.service');
    }
  });

  describe.each(TARGETS)('on $host (revert timer: $branch)', ({ host, branch }) => {
    it('IPv6 change over an IPv4 session (--family 6): confirmed, /etc/sysconfig/ip6tables saved the CentOS way, IPv4 not even reloaded', async () => {
      const v4 = await counted(host, 4);
      const t0 = Date.now();
      const r = await cli(['apply', host, file('rules.v6', GOOD6), '--family', '6', '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      expect(r.code, r.err).toBe(0);
      const rec = JSON.parse(r.out);
      timings.push(`IPv6 change confirmed on ${host} (${branch}): ${rec.confirmedAfterMs} ms to confirmation, ${rec.totalMs} ms in all (wall ${Date.now() - t0} ms)`);
      expect(rec).toMatchObject({ outcome: 'confirmed', families: ['ipv6'], changes: { add: 1, total: 1 }, timer: { method: branch } });
      expect(rec.message).toMatch(/saved to \/etc\/sysconfig\/ip6tables$/);
      expect(r.err).toMatch(/ip6tables-restore --test passes on the host/);
      // the session runs over IPv4; the profile reaches the host's IPv6 address too, so the IPv6 rules were checked for that client
      const h = L.get().hosts[host];
      expect(r.err).toContain(`lockout check: a new SSH connection gets in (also over IPv6, assuming the host's own address ${h.address6}, which answers on port 22 with the same host key from ${h.peerAddress6} here)`);
      expect(await live(host, 6)).toContain('-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT');
      expect(await saved(host, 6)).toBe(GOOD6);
      expect(await sh(host, 'stat -c "%a %U" /etc/sysconfig/ip6tables')).toBe('600 root\n');
      const kept = (await sh(host, 'ls /etc/sysconfig')).split('\n').filter((f) => /^ip6tables\.portcullis-\d{8}-\d{6}$/.test(f));
      expect(kept).toHaveLength(1);
      expect(await sh(host, `cat /etc/sysconfig/${kept[0]}`)).toBe(STOCK_IP6TABLES);
      await expectLeftAlone(host, 4, v4);
      expect(await revertLeft(host)).toEqual([]);
      expect(await lockHeld(host)).toBe(false);
      if (host === 'systemd') {
        // survives a reboot: ip6tables.service loads the saved file at boot, iptables.service the untouched IPv4 one
        await L.get().rebootHost(host);
        expect(sameRules(await live(host, 6), GOOD6)).toBe(true);
        expect(sameRules(await live(host, 4), stock())).toBe(true);
      }
    });

    it('lockout over IPv6 (SSH over IPv6, an IPv6 change that refuses new port-22 connections): refused; forced, the new IPv6 connection is refused and the change reverted, verified; IPv4 untouched', async () => {
      const v4 = await counted(host, 4);
      const v6before = await live(host, 6);
      const f = file('reject-new.v6', REJECT_NEW6);
      const refused = await cli(['apply', `${host}-v6`, f, '--family', '6', '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
      expect(refused.code, refused.err).toBe(4);
      expect(refused.out).toMatch(/predicted lockout: a new SSH connection from 2001:db8:[0-9a-f:]+ to port 22 would not get in: REJECT by filter INPUT/);
      expect(sameRules(await live(host, 6), v6before)).toBe(true);
      const t0 = Date.now();
      const r = await cli(['apply', `${host}-v6`, f, '--family', '6', '--confirm-timeout', String(TIMEOUT_S), '--force', '--json', ...cfg()]);
      expect(r.code, r.err).toBe(3);
      const rec = JSON.parse(r.out);
      timings.push(`IPv6 lockout over IPv6 on ${host} (${branch}): reverted by the ${rec.revertedBy} after ${Date.now() - t0} ms; probe: ${rec.probe?.message}`);
      expect(rec).toMatchObject({ outcome: 'reverted', families: ['ipv6'], probe: { ok: false }, revertCheck: { verified: true } });
      expect(rec.host.clientAddress).toBe(L.get().hosts[host].peerAddress6);
      expect(rec.message).toMatch(/reverted and verified .*\/etc\/sysconfig\/ip6tables untouched/);
      expect(sameRules(await live(host, 6), v6before)).toBe(true);
      expect(await saved(host, 6)).toBe(STOCK_IP6TABLES);
      await expectLeftAlone(host, 4, v4);
      expect(await revertLeft(host)).toEqual([]);
      expect(await lockHeld(host)).toBe(false);
      expect(await sshOver6(host)).toBe(0);
    });

    it('both families as one change, the client killed once they are live: ONE host timer reverts both, each verified against its own backup', async () => {
      const v4before = await live(host, 4);
      const v6before = await live(host, 6);
      const good4 = stock().replace('-A INPUT -j REJECT', '-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n-A INPUT -j REJECT');
      const reverts = (await hostLog(host)).filter((l) => l.event === 'revert').length;
      const { killedAt } = await applyKilledOnceRunning([`${host}-v6`, file('good.rules', good4), '--rules6', file('reject.v6', REJECT_NEW6), '--force', '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
      // both new rulesets run, nobody confirms; one timer (one process or one timer unit) guards both
      expect(await live(host, 4)).toMatch(/--dport 80 -j ACCEPT/);
      expect(await live(host, 6)).not.toMatch(/--dport 22 -j ACCEPT/);
      expect(await revertLeft(host)).toHaveLength(1);
      await waitForHostRevert(killedAt, TIMEOUT_S, async () => (await revertLeft(host)).length === 0 && (await hostLog(host)).filter((l) => l.event === 'revert').length > reverts);
      expect(sameRules(await live(host, 4), v4before)).toBe(true);
      expect(sameRules(await live(host, 6), v6before)).toBe(true);
      expect(await saved(host, 4)).toBe(stock());
      expect(await saved(host, 6)).toBe(STOCK_IP6TABLES);
      expect(await revertLeft(host)).toEqual([]);
      expect(await lockHeld(host)).toBe(false);
      const line = (await hostLog(host)).filter((l) => l.event === 'revert').pop();
      expect(line).toMatchObject({ result: 'reverted', verify: 'verified', verify4: 'verified', verify6: 'verified', by: 'timer', families: '4 6' });
      timings.push(`both families reverted by the host timer on ${host} (${branch}) ${Date.now() - killedAt} ms after the client was killed`);
      expect(await sshOver6(host)).toBe(0);
    });

    it('both families confirmed as one change (--rules6): both live, both files saved; then an IPv4-only change leaves IPv6 not even reloaded', async () => {
      const good4 = stock().replace('-A INPUT -j REJECT', '-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n-A INPUT -j REJECT');
      const r = await cli(['apply', `${host}-v6`, file('good.rules', good4), '--rules6', file('good.v6', GOOD6), '--confirm-timeout', String(TIMEOUT_S), '--force', '--json', ...cfg()]);
      expect(r.code, r.err).toBe(0);
      const rec = JSON.parse(r.out);
      expect(rec).toMatchObject({ outcome: 'confirmed', families: ['ipv4', 'ipv6'], changes: { add: 1 }, other: { family: 'ipv6', changes: { add: 1 } } });
      expect(rec.message).toMatch(/saved to \/etc\/sysconfig\/iptables and \/etc\/sysconfig\/ip6tables$/);
      expect(await saved(host, 4)).toBe(good4);
      expect(await saved(host, 6)).toBe(GOOD6);
      expect(await live(host, 6)).toContain('--dport 80 -j ACCEPT');
      expect(await revertLeft(host)).toEqual([]);

      // the same two files again, the IPv4 one changed: only IPv4 is in the apply
      await sh(host, 'ip6tables-restore -c', GOOD6.replace('-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT', `[${SENTINEL}:1] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT`));
      const v6 = await counted(host, 6);
      const r2 = await cli(['apply', host, file('good2.rules', good4.replace('--dport 80', '--dport 443')), '--rules6', file('good.v6', GOOD6), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      expect(r2.code, r2.err).toBe(0);
      expect(r2.err).toMatch(/IPv6: .* already runs and saves this ruleset; left alone/);
      expect(JSON.parse(r2.out)).toMatchObject({ outcome: 'confirmed', changes: { replace: 1 } });
      expect(JSON.parse(r2.out).families).toBeUndefined();
      // IPv6 not reloaded: its rules as they were, the planted counter kept
      const after6 = await counted(host, 6);
      expect(uncounted(after6)).toBe(uncounted(v6));
      expect(sentinel(after6)).toBeGreaterThanOrEqual(SENTINEL);
      expect(await saved(host, 6)).toBe(GOOD6);
    });

    it('a two-family change not kept: both reverted through the session at once, each verified; both files untouched', async () => {
      const v4before = await live(host, 4);
      const v6before = await live(host, 6);
      const res = await runApply({
        host: `${host}-v6`,
        session: { sshConfigPath: L.get().sshConfigPath, agent: false },
        proposalName: 'good.rules',
        proposalText: stock().replace('-A INPUT -j REJECT', '-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n-A INPUT -j REJECT'),
        proposal6: { name: 'good.v6', text: GOOD6 },
        confirmTimeoutS: TIMEOUT_S,
        confirm: 'prompt',
        force: true,
        base: null,
        ask: async () => {
          expect(await live(host, 6)).toContain('--dport 80 -j ACCEPT');
          expect(await live(host, 4)).toContain('--dport 53 -j ACCEPT');
          return false;
        },
      });
      expect(res.exitCode, res.message).toBe(3);
      expect(res.record).toMatchObject({ revertedBy: 'client', revertCheck: { verified: true }, other: { family: 'ipv6', revertCheck: { verified: true } } });
      expect(sameRules(await live(host, 4), v4before)).toBe(true);
      expect(sameRules(await live(host, 6), v6before)).toBe(true);
      expect(await saved(host, 4)).toBe(stock());
      expect(await saved(host, 6)).toBe(STOCK_IP6TABLES);
      expect(await lockHeld(host)).toBe(false);
    });
  });
});
