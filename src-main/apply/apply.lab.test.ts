// The safe apply's fault matrix on lab hosts. Every test checks the HOST
// afterwards, from inside its namespaces (never through the tool under test):
// the running rules (iptables-save), /etc/sysconfig/iptables, the revert timer
// process, the apply lock, the host's log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run as capture, type RunOptions } from '../cli/testing/capture.js';
import { skipLab, skipSystemd, useLabScratch } from '../../e2e/lab/testing.js';
import { LAB_PASSWORDS } from '../../e2e/lab/lab.js';
import { run, runSync } from '../../e2e/lab/run.js';
import { applyInterrupted, applyKilledOnceRunning, waitForHostRevert } from './testing/killed-apply.js';
import { repoRoot } from '../../e2e/lab/fixtures.js';
import { runApply, type InterruptedRecord } from './run.js';
import { sameRules } from '../core/apply/index.js';
import { stockWith } from '../core/testing/rulesets.js';
import { readHistory } from '../services/history.js';

const TIMEOUT_S = 4;

/**
 * The fault matrix runs on both kinds of host: a plain namespace (no systemd:
 * the revert is a detached setsid process) and a container with systemd as
 * PID 1 (the revert is a transient systemd-run timer), as on CentOS 7.
 */
const TARGETS = [
  { host: 'plain', branch: 'setsid' },
  ...(skipSystemd ? [] : [{ host: 'systemd', branch: 'systemd-run' }]),
] as const;

/** CentOS 7's stock file, comments and all, with `rules` added before INPUT's final REJECT */
const stock3 = (rules: string, ssh = true) => stockWith(rules, { comments: 3, ssh });
/** a small good change: open the web port, with a comment of the admin's own */
const GOOD = stock3('# web server (ticket 4711)\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');
/** keeps RELATED,ESTABLISHED (the old session lives on) but refuses every new connection */
const REJECT_NEW = stock3('', false);
const INVALID = stock3('-A INPUT -p tcp --dport 99999 -j ACCEPT\n');
const WITH_NAT = GOOD + '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';
const dnatTo = (addr: string) =>
  // port 2222 is even accepted: only the re-addressing of port 22 locks out here
  stock3('-A INPUT -p tcp -m state --state NEW -m tcp --dport 2222 -j ACCEPT\n') + `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 22 -j DNAT --to-destination ${addr}:2222\nCOMMIT\n`;

/** the command line, its output captured; files from disk, `-` from opts.stdin */
const cli = (argv: string[], opts: RunOptions = {}) => capture(argv, {}, opts);

describe.skipIf(skipLab)('lab: portcullis apply fault matrix', () => {
  let tmp = '';
  // the first run on a machine builds the systemd host's root (minutes)
  const L = useLabScratch(
    { hosts: ['plain', 'inner', 'users', 'fwd', ...(skipSystemd ? [] : ['systemd'])], tmpPrefix: 'pcl-apply-test-', stateDir: true, startTimeout: 600_000 },
    (dir) => (tmp = dir),
  );
  const stock = () => readFileSync(L.get().stockRuleset, 'utf8');
  const timings: string[] = [];

  afterAll(() => {
    if (timings.length) process.stderr.write(`apply timings:\n  ${timings.join('\n  ')}\n`);
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
  const live = (host: string) => sh(host, 'iptables-save');
  const saved = async (host: string) => (await L.get().readHostFile(host, '/etc/sysconfig/iptables'))?.toString() ?? null;
  /** processes of the revert timer still around in the host's network namespace, and (systemd) its timer units still loaded */
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
    const guards = (await sh(host, 'ls /run/systemd/system/iptables.service.d 2>/dev/null || true')).split('\n').filter(Boolean);
    return [...procs, ...units, ...guards];
  };
  const lockHeld = async (host: string) => (await L.get().hostExec(host, ['test', '-e', '/run/portcullis/lock'])).code === 0;
  const hostLog = async (host: string) =>
    ((await L.get().readHostFile(host, '/var/log/portcullis.log'))?.toString() ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** the revert lines the host's timer wrote to its log so far */
  const timerReverts = async (host: string) => (await hostLog(host)).filter((l) => l.event === 'revert' && l.by === 'timer').length;

  /** every host back to its stock state: rules, file, no nat, no lock, no backups */
  async function reset(host: string) {
    await sh(host, 'iptables-restore', stock());
    // empty nat only where it is loaded: a table never loaded stays out of iptables-save, as on a fresh host
    await sh(host, 'if grep -qx nat /proc/net/ip_tables_names; then iptables -t nat -F && iptables -t nat -X; fi');
    await sh(host, 'cat > /etc/sysconfig/iptables && chmod 600 /etc/sysconfig/iptables && rm -f /etc/sysconfig/iptables.portcullis-* && rm -rf /run/portcullis', stock());
  }
  beforeEach(async () => {
    for (const h of ['plain', 'inner', 'users', ...TARGETS.map((t) => t.host).filter((h) => h === 'systemd')]) await reset(h);
    await sh('fwd', 'rm -rf /run/portcullis');
  });

  /** each warning is printed once: none repeats (whole or in part) one printed before, as progress or summary */
  function expectWarningsOnce(err: string) {
    const warns = err.split('\n').filter((l) => l.startsWith('portcullis apply: warning: ')).map((l) => l.slice('portcullis apply: warning: '.length));
    expect(warns.length).toBeGreaterThan(0);
    for (const [i, w] of warns.entries()) for (const [j, v] of warns.entries()) if (i !== j) expect(v.includes(w), `printed twice: ${w}\n${err}`).toBe(false);
  }

  async function expectUntouched(host: string, before: string) {
    expect(sameRules(await live(host), before)).toBe(true);
    expect(await saved(host)).toBe(stock());
    expect(await revertLeft(host)).toEqual([]);
    expect(await lockHeld(host)).toBe(false);
  }

  describe.each(TARGETS)('on $host (revert timer: $branch)', ({ host, branch }) => {
    it('arms its revert timer through ' + branch, async () => {
      const r = await cli(['apply', host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      expect(r.code, r.err).toBe(0);
      const rec = JSON.parse(r.out);
      expect(rec.timer.method).toBe(branch);
      // proven before the rules were loaded: there, and due at the deadline
      expect(rec.timerProof).toMatchObject({ ok: true, detail: expect.stringMatching(/is due in \d+\.\d s$/) });
      expect(Math.abs(rec.timerProof.dueInMs - TIMEOUT_S * 1000)).toBeLessThan(3000);
      expect(r.err).toMatch(/iptables-restore --test passes on the host, for the proposal and for the backup/);
    });

    it('good change: confirmed through a new connection, persisted with the comment, timer gone, audit written locally and on the host', async () => {
      const t0 = Date.now();
      const r = await cli(['apply', host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      const wall = Date.now() - t0;
      expect(r.code, r.err).toBe(0);
      const rec = JSON.parse(r.out);
      expect(rec.outcome).toBe('confirmed');
      expect(rec.probe.ok).toBe(true);
      expect(rec.changes).toMatchObject({ add: 1, total: 1 });
      timings.push(`good change on ${host} (${branch}): start → confirmed ${rec.confirmedAfterMs} ms, whole apply ${rec.totalMs} ms (CLI wall ${wall} ms); steps ${JSON.stringify(rec.timings)}`);
      // progress: one line per step
      for (const w of ['valid', `connected to ${host}`, 'apply lock taken', 'iptables-restore --test passes', 'revert timer armed', 'rules running', 'new SSH connection got in', 'revert timer cancelled', 'saved /etc/sysconfig/iptables'])
        expect(r.err).toContain(w);

      // the host
      expect(await live(host)).toContain('-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT');
      expect(await saved(host)).toBe(GOOD); // the admin's file, comments and all
      expect(await sh(host, 'stat -c "%a %U" /etc/sysconfig/iptables')).toBe('600 root\n');
      const backups = (await sh(host, 'ls /etc/sysconfig')).split('\n').filter((f) => /^iptables\.portcullis-\d{8}-\d{6}$/.test(f));
      expect(backups).toHaveLength(1);
      expect(await sh(host, `cat /etc/sysconfig/${backups[0]}`)).toBe(stock());
      expect(await sh(host, 'ls /etc/sysconfig | grep -c portcullis-new || true')).toBe('0\n');
      expect(await revertLeft(host)).toEqual([]);
      expect(await lockHeld(host)).toBe(false);

      // audit: local history and host log, same record
      const hist = readHistory<Record<string, unknown>>().filter((h) => h.id === rec.id);
      expect(hist).toHaveLength(1);
      expect(hist[0]).toMatchObject({ outcome: 'confirmed', exitCode: 0, hostLog: 'written', host: { name: host, user: 'root', hostKey: expect.stringMatching(/^SHA256:/) } });
      expect(hist[0].before).toMatchObject({ savedSha256: expect.any(String), liveRulesSha256: expect.any(String) });
      expect((hist[0].after as { savedSha256: string }).savedSha256).not.toBe((hist[0].before as { savedSha256: string }).savedSha256);
      const log = await hostLog(host);
      expect(log.find((l) => l.id === rec.id)).toMatchObject({ event: 'apply', outcome: 'confirmed', host: { hostKey: rec.host.hostKey } });
    });

    it('lockout that keeps the old session but refuses new SSH connections: predicted and refused; forced, then reverted through the old session; file untouched', async () => {
      const before = await live(host);
      const f = file('reject-new.rules', REJECT_NEW);
      const refused = await cli(['apply', host, f, '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
      expect(refused.code, refused.err).toBe(4);
      expect(refused.out).toMatch(/predicted lockout/);
      await expectUntouched(host, before);

      const r = await cli(['apply', host, f, '--confirm-timeout', String(TIMEOUT_S), '--force', '--json', ...cfg()]);
      expect(r.code, r.err).toBe(3);
      const rec = JSON.parse(r.out);
      expect(rec).toMatchObject({ outcome: 'reverted', revertedBy: 'client', probe: { ok: false } });
      await expectUntouched(host, before);
      // and a new connection gets in again
      const again = await run(['ssh', '-F', L.get().sshConfigPath, '-o', 'BatchMode=yes', host, 'true'], { allowFail: true });
      expect(again.code).toBe(0);
    });

    it('lockout through a DNAT of port 22 (a new nat table): predicted; forced, then reverted, and the nat table is empty again', async () => {
      const lab = L.get();
      const natLoaded = (await sh(host, 'cat /proc/net/ip_tables_names')).split('\n').includes('nat');
      const before = await live(host);
      const f = file('dnat.rules', dnatTo(lab.hosts[host].address));
      const refused = await cli(['apply', host, f, '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
      expect(refused.code, refused.err).toBe(4);
      expect(refused.out).toMatch(/re-addressed by nat PREROUTING #1 \(DNAT to /);
      const r = await cli(['apply', host, f, '--confirm-timeout', String(TIMEOUT_S), '--force', ...cfg()]);
      expect(r.code, r.err).toBe(3);
      expectWarningsOnce(r.err);
      // a nat table that was not loaded is not in iptables-save: the backup carries an empty one
      if (!natLoaded) expect(r.err).toMatch(/nat not loaded now: the revert empties it/);
      const after = await live(host);
      expect(after).not.toMatch(/^-A PREROUTING/m);
      await expectUntouched(host, before);
    });

    it('proposal that adds a nat table, not kept: reverted, nat rules gone again', async () => {
      // a host that never loaded nat: iptables-save has no *nat section at all (fresh namespace would be needed
      // for "not loaded"; the backup adds the empty section either way, which is what matters)
      const before = await live(host);
      const res = await runApply({
        host: host,
        session: { sshConfigPath: L.get().sshConfigPath, agent: false },
        proposalName: 'with-nat.rules',
        proposalText: WITH_NAT,
        confirmTimeoutS: TIMEOUT_S,
        confirm: 'prompt',
        force: false,
        base: null,
        ask: async () => {
          // while we are asked, the new rules run on the host
          expect(await live(host)).toMatch(/^-A POSTROUTING -o eth0 -j MASQUERADE$/m);
          return false;
        },
      });
      expect(res.exitCode, res.message).toBe(3);
      expect(await live(host)).not.toMatch(/MASQUERADE/);
      await expectUntouched(host, before);
    });

    it('invalid proposal: refused before any change (exit 4), nothing on the host', async () => {
      const before = await live(host);
      const r = await cli(['apply', host, file('invalid.rules', INVALID), ...cfg()]);
      expect(r.code).toBe(4);
      expect(r.err).toMatch(/invalid\.rules:\d+(:\d+)?: error:/);
      await expectUntouched(host, before);
      expect(await L.get().hostExec(host, ['test', '-d', '/run/portcullis'])).toMatchObject({ code: 1 }); // never even connected
    });

    it('host changed since pull: refused (exit 4) with the pull --json hashes and with the pulled file', async () => {
      const pulled = await cli(['pull', host, '--json', ...cfg()]);
      expect(pulled.code).toBe(0);
      const baseJson = file('base.json', pulled.out);
      const baseText = file('base.rules', stock());
      // someone changes the running rules
      await sh(host, 'iptables -I INPUT -s 192.0.2.66/32 -j DROP');
      const changedLive = await live(host);
      const r1 = await cli(['apply', host, file('good.rules', GOOD), '--base', baseJson, ...cfg()]);
      expect(r1.code, r1.err).toBe(4);
      expect(r1.out).toMatch(new RegExp(`running rules on ${host} changed since`));
      expect(sameRules(await live(host), changedLive)).toBe(true);
      expect(await saved(host)).toBe(stock());
      // someone edits the saved file
      await sh(host, 'echo "# edited by hand" >> /etc/sysconfig/iptables');
      const r2 = await cli(['apply', host, file('good.rules', GOOD), '--base', baseText, ...cfg()]);
      expect(r2.code, r2.err).toBe(4);
      expect(r2.out).toMatch(/is not .*base\.rules any more/);
      expect(await saved(host)).toBe(stock() + '# edited by hand\n');
      expect(await lockHeld(host)).toBe(false);
    });

    it('concurrent apply: the second is refused (exit 4) while the first holds the lock; the first still confirms', async () => {
      let release!: () => void;
      const secondDone = new Promise<void>((r) => (release = r));
      let liveSeen!: () => void;
      const firstLive = new Promise<void>((r) => (liveSeen = r));
      const first = runApply({
        host: host,
        session: { sshConfigPath: L.get().sshConfigPath, agent: false },
        proposalName: 'good.rules',
        proposalText: GOOD,
        confirmTimeoutS: 8,
        confirm: 'prompt',
        force: false,
        base: null,
        onProgress: (p) => p.message.startsWith('rules running') && liveSeen(),
        ask: async () => {
          await secondDone;
          return true;
        },
      });
      await firstLive;
      try {
        const second = await cli(['apply', host, file('good2.rules', GOOD.replace('--dport 80', '--dport 443')), ...cfg()]);
        expect(second.code, second.err).toBe(4);
        expect(second.out).toMatch(/another apply holds the lock/);
      } finally {
        release();
      }
      const res = await first;
      expect(res.exitCode, res.message).toBe(0);
      expect(await live(host)).toMatch(/--dport 80 -j ACCEPT/);
      expect(await live(host)).not.toMatch(/--dport 443/);
      expect(await lockHeld(host)).toBe(false);
    });

    it('a live fail2ban chain with a ban survives a confirmed apply, keeps its place, and is not written to the file', async () => {
      await sh(
        host,
        'iptables -N f2b-sshd && iptables -A f2b-sshd -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable && iptables -A f2b-sshd -j RETURN && iptables -I INPUT 1 -p tcp -m multiport --dports 22 -j f2b-sshd',
      );
      const r = await cli(['apply', host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/keeping fail2ban chain filter f2b-sshd \(2 rules\) and its jump from INPUT #1/);
      const rec = JSON.parse(r.out);
      expect(rec.kept.chains).toEqual([{ table: 'filter', chain: 'f2b-sshd', tool: 'fail2ban', rules: 2 }]);
      const l = await live(host);
      expect(l).toMatch(/^-A f2b-sshd -s 203\.0\.113\.7\/32 -j REJECT --reject-with icmp-port-unreachable$/m);
      const input = l.split('\n').filter((x) => x.startsWith('-A INPUT'));
      expect(input[0]).toBe('-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd');
      expect(input).toContain('-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT');
      const s = await saved(host);
      expect(s).toBe(GOOD);
      expect(s).not.toMatch(/f2b/);
    });

    it('client process killed right after the rules went live: the host reverts by itself', async () => {
      const before = await live(host);
      const reverts = await timerReverts(host);
      const { killedAt } = await applyKilledOnceRunning([host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
      // the new rules run, nobody confirms
      expect(await live(host)).toMatch(/--dport 80 -j ACCEPT/);
      expect((await revertLeft(host)).length).toBe(1);
      await waitForHostRevert(killedAt, TIMEOUT_S, async () => (await timerReverts(host)) > reverts && (await revertLeft(host)).length === 0);
      await expectUntouched(host, before);
      expect((await hostLog(host)).some((l) => l.event === 'revert' && l.result === 'reverted' && l.verify === 'verified' && l.by === 'timer' && /^[0-9a-f]{16}$/.test(String(l.id)))).toBe(true);
    });

    it('client killed outright before the timer is armed: the lock dies with its SSH session; a second apply takes it at once', async () => {
      const before = await live(host);
      // a long confirm timeout: the lock must not wait for it (nor for confirm-timeout + 300 s)
      const { signal, err } = await applyInterrupted([host, file('good.rules', GOOD), '--confirm-timeout', '600', ...cfg()], 'apply lock taken', 'SIGKILL');
      expect(signal, err).toBe('SIGKILL');
      expect(err).not.toMatch(/revert timer armed/);
      // killed holding the lock, before anything was armed or loaded
      expect(await lockHeld(host)).toBe(true);
      expect(await revertLeft(host)).toEqual([]);
      expect(sameRules(await live(host), before)).toBe(true);
      const killedAt = Date.now();
      let second = await cli(['apply', host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      // sshd may take a moment to see the connection gone
      for (let i = 0; i < 10 && second.code === 4; i++) {
        await new Promise((r) => setTimeout(r, 500));
        second = await cli(['apply', host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
      }
      expect(second.code, second.out + second.err).toBe(0);
      expect(Date.now() - killedAt).toBeLessThan(20_000);
      expect(JSON.parse(second.out).warnings).toEqual([expect.stringMatching(/^took over a stale apply lock \(id=[0-9a-f]+ \(its SSH session is gone\)\)$/)]);
      expect(await lockHeld(host)).toBe(false);
      // the killed apply's work directory went with its lock
      expect((await sh(host, 'ls -A /run/portcullis')).split('\n').filter((f) => /^[0-9a-f]+$/.test(f))).toEqual([]);
    });

    /** the CLI with the small good change, sent `signal` once stderr shows `when` */
    async function interruptedApply(when: string, signal: NodeJS.Signals) {
      const r = await applyInterrupted([host, file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()], when, signal);
      return { ...r, exitedAfterMs: r.exitedAt - r.sentAt };
    }

    it('Ctrl-C after the rules went live: says the host reverts by itself and when, exits 3 at once; the host does', async () => {
      const before = await live(host);
      const reverts = await timerReverts(host);
      const r = await interruptedApply('rules running', 'SIGINT');
      expect(r.code, r.err).toBe(3);
      expect(r.exitedAfterMs).toBeLessThan(3000);
      expect(r.err).toMatch(/SIGINT: stopping; the host is left to its revert timer/);
      expect(r.out).toMatch(new RegExp(`^interrupted: the new rules may be running on ${host}; the host reverts them by itself at \\d\\d:\\d\\d:\\d\\dZ \\(in \\d+ s\\)`));
      // the client did not revert: the timer does
      expect(await live(host)).toMatch(/--dport 80 -j ACCEPT/);
      // and the local history says so: rules running, reverting at T
      const rec = readHistory<InterruptedRecord>().at(-1)!;
      expect(rec).toMatchObject({ outcome: 'interrupted', exitCode: 3, host: { name: host, user: 'root' }, candidate: { name: expect.stringMatching(/good\.rules$/) } });
      expect(rec.interrupted).toMatchObject({ phase: 'live', hostLeft: 'reverting', revertAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(rec.message).toMatch(/reverts them by itself at/);
      expect(rec.timer).toMatchObject({ seconds: TIMEOUT_S });
      expect(rec.before).toMatchObject({ savedSha256: expect.any(String), liveRulesSha256: expect.any(String) });
      await waitForHostRevert(r.sentAt, TIMEOUT_S, async () => (await timerReverts(host)) > reverts && (await revertLeft(host)).length === 0);
      await expectUntouched(host, before);
      expect((await hostLog(host)).some((l) => l.event === 'revert' && l.result === 'reverted' && l.verify === 'verified' && l.by === 'timer' && /^[0-9a-f]{16}$/.test(String(l.id)))).toBe(true);
    });

    it('Ctrl-C before anything was loaded: nothing changed, the apply lock is released at once (exit 2)', async () => {
      const before = await live(host);
      const r = await interruptedApply('apply lock taken', 'SIGINT');
      expect(r.code, r.err).toBe(2);
      expect(r.out).toMatch(new RegExp(`^interrupted before any change: nothing was loaded on ${host}`));
      await expectUntouched(host, before);
      const rec = readHistory<InterruptedRecord>().at(-1)!;
      expect(rec).toMatchObject({ outcome: 'interrupted', exitCode: 2, interrupted: { phase: 'before-change', hostLeft: 'unchanged', revertAt: null } });
    });

    it('--confirm prompt on the terminal: the question comes after the new connection got in; "y" keeps the rules', async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', resolve(repoRoot, 'src-main/cli/main.ts'), 'apply', host, file('good.rules', GOOD), '--confirm-timeout', '8', '--confirm', 'prompt', ...cfg()],
        { stdio: ['pipe', 'pipe', 'pipe'], cwd: repoRoot, env: { ...process.env } },
      );
      try {
        let err = '';
        let out = '';
        child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        const code = await new Promise<number | null>((res) => {
          child.stderr!.on('data', (b: Buffer) => {
            err += b.toString();
            if (err.includes('Keep the new rules? [y/N]')) {
              expect(err).toContain('a new SSH connection got in');
              child.stdin!.end('y\n');
            }
          });
          child.on('exit', (c) => res(c));
        });
        expect(code, err).toBe(0);
        expect(out).toMatch(/^confirmed: /);
        expect(await saved(host)).toBe(GOOD);
        expect(await revertLeft(host)).toEqual([]);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });

  // plain only: on the systemd host, ssh.service (Restart=on-failure) brings a killed sshd back at once
  it('sshd killed right after the rules went live: no confirmation, the host reverts by itself', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    const before = await live('plain');
    // something to enter the host's namespaces with while its sshd is gone
    const anchor = spawn('nsenter', ['-t', String(h.sshdPid), '-m', '-n', '-u', '--', 'sleep', '600'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const killSshd = () => {
        const pids = runSync(['ip', 'netns', 'pids', h.namespace], { allowFail: true }).stdout.toString().split(/\s+/).filter(Boolean);
        for (const p of pids) {
          try {
            if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd') process.kill(Number(p), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      };
      let killed = false;
      const r = await cli(['apply', 'plain', file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()], {
        onErr: (t) => {
          if (!killed && t.includes('rules running')) {
            killed = true;
            killSshd();
          }
        },
      });
      expect(killed).toBe(true);
      expect(r.code, r.err).toBe(3);
      h.sshdPid = anchor.pid!; // ground truth through the anchor from here on
      expect(sameRules(await live('plain'), before)).toBe(true);
      expect(await saved('plain')).toBe(stock());
      expect(await revertLeft('plain')).toEqual([]);
      expect(await lockHeld('plain')).toBe(false);
    } finally {
      // sshd back, in the same namespaces
      const dir = join(lab.dir, 'hosts', 'plain');
      rmSync(join(dir, 'sshd.pid'), { force: true });
      await run(['nsenter', '-t', String(anchor.pid), '-m', '-n', '-u', '--', '/usr/sbin/sshd', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], { allowFail: true });
      // the pid file exists a moment before sshd has written its pid into it
      const pidOf = () => (existsSync(join(dir, 'sshd.pid')) ? Number(readFileSync(join(dir, 'sshd.pid'), 'utf8').trim()) : 0);
      for (let i = 0; i < 100 && !pidOf(); i++) await new Promise((r) => setTimeout(r, 20));
      if (pidOf()) h.sshdPid = pidOf();
      anchor.kill('SIGKILL');
    }
  });

  it('firewalld active: refused before any change (exit 4) unless --force', async () => {
    const before = await live('fwd');
    const r = await cli(['apply', 'fwd', file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), ...cfg()]);
    expect(r.code, r.err).toBe(4);
    expect(r.out).toMatch(/firewalld is active/);
    expect(sameRules(await live('fwd'), before)).toBe(true);
    expect(await saved('fwd')).toBeNull();
    expect(await lockHeld('fwd')).toBe(false);
  });

  it('through a jump host: the new connection takes the same route; confirmed and persisted on the inner host', async () => {
    const lab = L.get();
    const r = await cli(['apply', 'inner', file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--json', ...cfg()]);
    expect(r.code, r.err).toBe(0);
    const rec = JSON.parse(r.out);
    expect(rec.host.route).toHaveLength(2);
    expect(rec.host.clientAddress).toBe(lab.hosts.inner.peerAddress);
    expect(rec.probe.clientAddress).toBe(lab.hosts.inner.peerAddress);
    timings.push(`good change on inner (via bastion): start → confirmed ${rec.confirmedAfterMs} ms, whole apply ${rec.totalMs} ms`);
    expect(await live('inner')).toMatch(/--dport 80 -j ACCEPT/);
    expect(await saved('inner')).toBe(GOOD);
    expect(await revertLeft('inner')).toEqual([]);
    expect(await saved('bastion')).toBe(stock()); // the jump host is not touched
  });

  it('as a sudo user with a password: confirmed and persisted root-owned 0600', async () => {
    const r = await cli(['apply', 'bob@users', file('good.rules', GOOD), '--confirm-timeout', String(TIMEOUT_S), '--sudo', '--password-stdin', '--json', ...cfg()], {
      stdin: `${LAB_PASSWORDS.bob}\n`,
    });
    expect(r.code, r.err).toBe(0);
    const rec = JSON.parse(r.out);
    expect(rec.host).toMatchObject({ user: 'bob', privilege: 'sudo-password' });
    timings.push(`good change on users as bob (sudo with password): start → confirmed ${rec.confirmedAfterMs} ms, whole apply ${rec.totalMs} ms`);
    expect(await live('users')).toMatch(/--dport 80 -j ACCEPT/);
    expect(await saved('users')).toBe(GOOD);
    expect(await sh('users', 'stat -c "%a %U" /etc/sysconfig/iptables')).toBe('600 root\n');
    expect(await revertLeft('users')).toEqual([]);
    expect((await hostLog('users')).find((l) => l.id === rec.id)).toMatchObject({ outcome: 'confirmed', host: { user: 'bob' } });
  });
});
