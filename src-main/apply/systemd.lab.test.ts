// Apply on a host with systemd as PID 1 (as every CentOS 7 server): reboots,
// someone else's `systemctl stop|restart iptables` with IPTABLES_SAVE_ON_STOP,
// and a revert that is proven before and verified after. One container boot
// is shared by the file; each test checks the host afterwards from inside it.
// The fault matrix itself runs on this host too (apply.lab.test.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run as capture } from '../cli/testing/capture.js';
import { skipSystemd, useLabScratch } from '../../e2e/lab/testing.js';
import { iptablesConfig, repoRoot } from '../../e2e/lab/fixtures.js';
import { runApply } from './run.js';
import { applyKilledOnceRunning, waitForHostRevert } from './testing/killed-apply.js';
import { sameRules } from '../core/apply/index.js';
import { stockWith } from '../core/testing/rulesets.js';

const TIMEOUT_S = 5;
const GOOD = stockWith('# web server (ticket 4711)\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n', { comments: 3, ssh: true });
const H = 'systemd';

describe.skipIf(skipSystemd)('lab: apply on a systemd host (reboots, save-on-stop, verified revert)', () => {
  let tmp = '';
  // the first run on a machine builds the root file system (minutes)
  const L = useLabScratch({ hosts: [H], tmpPrefix: 'pcl-systemd-test-', stateDir: true, startTimeout: 600_000 }, (dir) => (tmp = dir));
  const report: string[] = [];
  let t0 = 0;

  afterAll(() => {
    if (report.length) process.stderr.write(`systemd host cases:\n  ${report.join('\n  ')}\n`);
  });

  const stock = () => readFileSync(L.get().stockRuleset, 'utf8');
  const cfg = () => ['--ssh-config', L.get().sshConfigPath];
  const cli = (argv: string[]) => capture(argv, {}, {});
  const file = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const sh = async (script: string, input?: string) => {
    const r = await L.get().hostExec(H, ['sh', '-c', script], input);
    if (r.code !== 0) throw new Error(`${H}: ${script}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const live = () => sh('iptables-save');
  const saved = async () => (await L.get().readHostFile(H, '/etc/sysconfig/iptables'))?.toString() ?? null;
  const kept = async () => (await sh('ls /etc/sysconfig')).split('\n').filter((f) => f.startsWith('iptables.portcullis-unconfirmed-'));
  const setConfig = (values: Record<string, string>) => sh('cat > /etc/sysconfig/iptables-config && chmod 600 /etc/sysconfig/iptables-config', iptablesConfig(values));
  const hostLog = async () =>
    ((await L.get().readHostFile(H, '/var/log/portcullis.log'))?.toString() ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** everything an apply may leave: timer units, a guard on iptables.service, the lock, work directories */
  const leftovers = async () =>
    (
      await sh(
        // a decided apply's work directory (its outcome, for the client to read) cannot act any more
        "systemctl list-units --all --plain --no-legend 'portcullis-*' | awk '{print $1}'; ls /run/systemd/system/iptables.service.d 2>/dev/null; ls -d /run/portcullis/lock 2>/dev/null; for d in /run/portcullis/*/; do [ -d \"$d\" ] && [ ! -d \"$d/decided\" ] && echo \"$d\"; done; true",
      )
    )
      .split('\n')
      .filter(Boolean);

  beforeEach(async () => {
    t0 = Date.now();
    await sh('systemctl stop firewalld.service; systemctl start iptables.service');
    await setConfig({});
    await sh('cat > /etc/sysconfig/iptables && chmod 600 /etc/sysconfig/iptables && rm -f /etc/sysconfig/iptables.portcullis-* /etc/sysconfig/iptables.save /usr/local/sbin/iptables-restore /usr/local/sbin/systemd-run && rm -rf /run/portcullis', stock());
    await sh('iptables-restore', stock());
  });
  const done = (what: string, outcome: string) => report.push(`${what}: ${outcome} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  it('is a CentOS-7-like host with systemd as PID 1: legacy iptables, iptables.service enabled, firewalld startable; facts report the save flags', async () => {
    expect((await sh('cat /proc/1/comm')).trim()).toBe('systemd');
    expect(await sh('iptables --version')).toMatch(/legacy/);
    expect((await sh('systemctl is-enabled iptables.service; systemctl is-active iptables.service')).split('\n')).toEqual(['enabled', 'active', '']);
    await setConfig({ SAVE_ON_STOP: 'yes', SAVE_ON_RESTART: 'yes' });
    const r = await cli(['facts', H, '--json', ...cfg()]);
    expect(r.code, r.err).toBe(0);
    const f = JSON.parse(r.out);
    expect(f.tools.systemdRun).toBe(true);
    expect(f.firewalld).toBe('inactive');
    expect(f.iptablesServices.iptables).toEqual({ active: 'active', enabled: 'enabled' });
    expect(f.iptablesConfig).toMatchObject({ saveOnStop: true, saveOnRestart: true });
    expect(f.warnings.join('\n')).toMatch(/IPTABLES_SAVE_ON_STOP="yes"/);
    done('host and facts', `saveOnStop=${f.iptablesConfig.saveOnStop} saveOnRestart=${f.iptablesConfig.saveOnRestart}`);
  });

  it('one-rule change through systemd-run: confirmed; after a reboot the host runs the confirmed rules, loaded from the file', async () => {
    const r = await cli(['apply', H, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
    expect(r.code, r.err).toBe(0);
    const rec = JSON.parse(r.out);
    expect(rec.timer.method).toBe('systemd-run');
    report.push(`one-rule change via systemd-run: start → confirmed ${rec.confirmedAfterMs} ms, whole apply ${rec.totalMs} ms; steps ${JSON.stringify(rec.timings)}`);
    expect(await saved()).toBe(GOOD);
    expect(await sh('stat -c "%a %U" /etc/sysconfig/iptables')).toBe('600 root\n');
    expect((await sh('ls /etc/sysconfig')).split('\n').filter((f) => /^iptables\.portcullis-\d{8}-\d{6}$/.test(f))).toHaveLength(1);
    expect(await leftovers()).toEqual([]);

    await L.get().rebootHost(H);
    const after = await live();
    expect(after).toMatch(/--dport 80 -j ACCEPT/);
    expect(sameRules(after, GOOD)).toBe(true);
    expect(await leftovers()).toEqual([]);
    done('confirmed, then reboot', 'boots the confirmed rules');
  });

  /** runApply with --confirm prompt; `during` runs on the host while the new rules are live and unconfirmed */
  async function applyWith(during: () => Promise<void>, keep: boolean) {
    const progress: string[] = [];
    const res = await runApply({
      host: H,
      session: { sshConfigPath: L.get().sshConfigPath, agent: false },
      proposalName: 'good.rules',
      proposalText: GOOD,
      confirmTimeoutS: TIMEOUT_S,
      confirm: 'prompt',
      force: false,
      base: null,
      onProgress: (p) => progress.push(p.message),
      ask: async () => {
        expect(await live()).toMatch(/--dport 80 -j ACCEPT/);
        await during();
        return keep;
      },
    });
    return { res, progress };
  }

  it('reboot during the countdown with IPTABLES_SAVE_ON_STOP=yes: boots the old saved rules, the CLI says so, nothing is left to revert later', async () => {
    await setConfig({ SAVE_ON_STOP: 'yes' });
    // the CLI with --confirm prompt: the host reboots while it asks, then the admin says "y"
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src-main/cli/main.ts'), 'apply', H, file('good.rules', GOOD), '--confirm-timeout', '20', '--confirm', 'prompt', ...cfg()], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: repoRoot,
      env: { ...process.env },
    });
    let err = '';
    let out = '';
    let asked = false;
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((res) => {
      child.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        if (!asked && err.includes('Keep the new rules? [y/N]')) {
          asked = true;
          // a clean shutdown: iptables.service stops and saves the running (unconfirmed) rules
          L.get()
            .rebootHost(H)
            .then(() => child.stdin!.end('y\n'), (e) => {
              err += String(e);
              child.kill('SIGKILL');
            });
        }
      });
      child.on('exit', (c) => res(c));
    });
    expect(code, err + out).toBe(3);
    expect(out).toMatch(/the host rebooted before confirmation and runs its saved rules/);
    expect(err).toMatch(/IPTABLES_SAVE_ON_STOP is on/);
    // the shutdown's save was undone by the guard: the host booted the file from before
    expect(await saved()).toBe(stock());
    expect(sameRules(await live(), stock())).toBe(true);
    const k = await kept();
    expect(k).toHaveLength(1);
    expect(await sh(`cat /etc/sysconfig/${k[0]}`)).toMatch(/--dport 80 -j ACCEPT/);
    expect(await leftovers()).toEqual([]);
    // and past the old deadline nothing reverts anything
    await new Promise((r) => setTimeout(r, 1500));
    expect(sameRules(await live(), stock())).toBe(true);
    done('reboot during countdown (clean shutdown, SAVE_ON_STOP=yes)', `exit ${code}: ${out.trim().split('\n')[0]}`);
  });

  it('power cut during the countdown: boots the old saved rules and reports it', async () => {
    const { res } = await applyWith(() => L.get().rebootHost(H, 'power-cut'), true);
    expect(res.exitCode, res.message).toBe(3);
    expect(res.message).toMatch(/the host rebooted before confirmation and runs its saved rules/);
    expect(res.record.rebooted).toBe(true);
    expect(await saved()).toBe(stock());
    expect(sameRules(await live(), stock())).toBe(true);
    expect(await leftovers()).toEqual([]);
    done('power cut during countdown', `exit ${res.exitCode}: ${res.message}`);
  });

  it('`systemctl stop iptables` during the countdown with IPTABLES_SAVE_ON_STOP=yes: the unconfirmed rules never become the saved file', async () => {
    await setConfig({ SAVE_ON_STOP: 'yes' });
    const { res, progress } = await applyWith(async () => {
      await sh('systemctl stop iptables.service');
      // the guard ran right after the stop's save
      expect(await saved()).toBe(stock());
    }, false);
    expect(progress.join('\n')).toMatch(/guarded/);
    expect(res.exitCode, res.message).toBe(3);
    expect(await saved()).toBe(stock());
    expect(await kept()).toHaveLength(1);
    expect(await leftovers()).toEqual([]);
    // what the stop left (flushed, ACCEPT) is what the revert found: it restores the backup
    expect(sameRules(await live(), stock())).toBe(true);
    expect(res.message).toMatch(/reverted and verified/);
    done('systemctl stop iptables during countdown (SAVE_ON_STOP=yes)', `exit ${res.exitCode}: ${res.message}`);
  });

  it('`systemctl restart iptables` during the countdown with IPTABLES_SAVE_ON_STOP=yes: the restart loads the old file, which stays the old file', async () => {
    await setConfig({ SAVE_ON_STOP: 'yes' });
    const { res } = await applyWith(async () => {
      await sh('systemctl restart iptables.service');
      expect(await saved()).toBe(stock());
      expect(sameRules(await live(), stock())).toBe(true);
    }, false);
    expect(res.exitCode, res.message).toBe(3);
    expect(await saved()).toBe(stock());
    expect(await leftovers()).toEqual([]);
    done('systemctl restart iptables during countdown (SAVE_ON_STOP=yes)', `exit ${res.exitCode}: ${res.message}`);
  });

  it('`systemctl restart iptables` during the countdown, then kept: confirmed, and told that the old rules run again until the next restart', async () => {
    const { res } = await applyWith(async () => {
      await sh('systemctl restart iptables.service');
    }, true);
    expect(res.exitCode, res.message).toBe(0);
    expect(res.warnings.join('\n')).toMatch(/the host runs the rules from before this apply again \(iptables\.service stopped or restarted during the countdown\?\)/);
    expect(await saved()).toBe(GOOD);
    expect(sameRules(await live(), stock())).toBe(true);
    expect(await leftovers()).toEqual([]);
    done('systemctl restart iptables during countdown, then kept', `exit ${res.exitCode}: ${res.warnings.at(-1)}`);
  });

  it('IPTABLES_SAVE_ON_RESTART=yes and the init script restarted by hand: the save is undone when the revert runs', async () => {
    await setConfig({ SAVE_ON_RESTART: 'yes' });
    const { res } = await applyWith(async () => {
      await sh('/usr/libexec/iptables/iptables.init restart >/dev/null');
      // not through systemd: nothing ran after it, the file holds the unconfirmed rules for now
      expect(await saved()).toMatch(/--dport 80 -j ACCEPT/);
    }, false);
    expect(res.exitCode, res.message).toBe(3);
    expect(res.message + res.warnings.join('\n')).toMatch(/was overwritten during the countdown .* and put back/);
    expect(await saved()).toBe(stock());
    expect(sameRules(await live(), stock())).toBe(true);
    expect(await leftovers()).toEqual([]);
    done('iptables.init restart during countdown (SAVE_ON_RESTART=yes)', `exit ${res.exitCode}: ${res.warnings.at(-1)}`);
  });

  it('the timer reverts by itself (client gone): reverted and verified on the host, its log line complete', async () => {
    const { res } = await applyWith(async () => {}, false);
    expect(res.message).toMatch(/reverted and verified \(the running rules read back match the backup, sha256 [0-9a-f]{12}…\)/);
    // the timer's own revert, no client: kill a CLI once the rules are live
    const { killedAt } = await applyKilledOnceRunning([H, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    await waitForHostRevert(killedAt, TIMEOUT_S, async () => (await leftovers()).length === 0);
    expect(sameRules(await live(), stock())).toBe(true);
    const line = (await hostLog()).filter((l) => l.event === 'revert').at(-1)!;
    // the revert runs from a file: systemd would have emptied ${d##*/} and ${4:-timer} on its command line
    expect(line).toMatchObject({ result: 'reverted', verify: 'verified', by: 'timer', id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(await leftovers()).toEqual([]);
    done('timer revert, client killed', `host log: ${JSON.stringify(line)}`);
  });

  it('a backup that iptables-restore --test rejects: refused before any change (a revert could not work)', async () => {
    // an iptables-restore on the host that rejects whatever holds the chain pcl-poison (the live rules do)
    await sh(
      "cat > /usr/local/sbin/iptables-restore && chmod 755 /usr/local/sbin/iptables-restore && iptables -N pcl-poison",
      '#!/bin/sh\nt=$(mktemp); cat > "$t"\nfor a; do [ "$a" = --test ] && grep -q pcl-poison "$t" && { echo "iptables-restore: line 7 failed" >&2; rm -f "$t"; exit 2; }; done\n/usr/sbin/iptables-restore "$@" < "$t"; rc=$?; rm -f "$t"; exit $rc\n',
    );
    const before = await live();
    const r = await cli(['apply', H, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    expect(r.code, r.err).toBe(4);
    expect(r.out).toMatch(/the backup of the running rules does not pass iptables-restore --test on the host, so a revert could not restore them: iptables-restore: line 7 failed/);
    expect(sameRules(await live(), before)).toBe(true);
    expect(await saved()).toBe(stock());
    expect(await leftovers()).toEqual([]);
    await sh('rm -f /usr/local/sbin/iptables-restore; iptables -X pcl-poison');
    done('backup rejected by iptables-restore --test', `exit ${r.code}: ${r.out.trim()}`);
  });

  it('a timer that is not due at the deadline: refused before the rules are loaded, the timer taken back', async () => {
    // a systemd-run on the host that arms ten times later than asked
    await sh(
      'cat > /usr/local/sbin/systemd-run && chmod 755 /usr/local/sbin/systemd-run',
      '#!/bin/sh\nfor a; do shift; case $a in --on-active=*) a="--on-active=$(( ${a#--on-active=} * 10 ))";; esac; set -- "$@" "$a"; done\nexec /usr/bin/systemd-run "$@"\n',
    );
    const before = await live();
    const r = await cli(['apply', H, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    expect(r.code, r.err).toBe(4);
    expect(r.out).toMatch(/the revert timer could not be proven \(portcullis-revert-[0-9a-f]+\.timer fires in \d+\.\d s, not at the deadline in 5\.0 s\); nothing was changed/);
    expect(sameRules(await live(), before)).toBe(true);
    expect(await leftovers()).toEqual([]);
    await sh('rm -f /usr/local/sbin/systemd-run');
    done('timer not due at the deadline', `exit ${r.code}: ${r.out.trim()}`);
  });

  it('firewalld made active: refused before any change', async () => {
    // its Conflicts= stops iptables.service (flushing the rules) in a job of its own: wait for that too
    await sh('systemctl start firewalld.service; while [ "$(systemctl show -p ActiveState iptables.service)" != ActiveState=inactive ]; do sleep 0.1; done');
    const before = await live();
    const r = await cli(['apply', H, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    expect(r.code, r.err).toBe(4);
    expect(r.out).toMatch(/firewalld is active/);
    expect(sameRules(await live(), before)).toBe(true);
    expect(await leftovers()).toEqual([]);
    done('firewalld active', `exit ${r.code}`);
  });
});
