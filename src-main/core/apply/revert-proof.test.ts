import { describe, expect, it } from 'vitest';
import { checkRevert, parseTimespanMs, proveTimer } from './revert-proof.js';

describe('revert proof', () => {
  it('reads systemd time spans as systemctl show prints them', () => {
    expect(parseTimespanMs('5min 50.716990s')).toBeCloseTo(350_716.99, 2);
    expect(parseTimespanMs('1d 2h 3min')).toBe(93_780_000);
    expect(parseTimespanMs('350716990')).toBeCloseTo(350_716.99, 2);
    expect(parseTimespanMs('250ms')).toBe(250);
    expect(parseTimespanMs('')).toBeUndefined();
    expect(parseTimespanMs('n/a')).toBeUndefined();
    expect(parseTimespanMs('5 parsecs')).toBeUndefined();
  });

  it('proves a systemd timer only when it is active and due at the deadline', () => {
    const unit = { method: 'systemd-run', unit: 'portcullis-revert-ab' } as const;
    expect(proveTimer(unit, { timerState: 'active', timerNext: '5min 54.6s', uptime: '350.72' }, 4)).toMatchObject({ ok: true, detail: 'portcullis-revert-ab.timer is due in 3.9 s' });
    expect(proveTimer(unit, { timerState: 'inactive', timerNext: '', uptime: '1' }, 4)).toMatchObject({ ok: false, detail: expect.stringMatching(/is inactive, not active/) });
    expect(proveTimer(unit, { timerState: 'active', timerNext: '6min 30.7s', uptime: '350.7' }, 4)).toMatchObject({ ok: false, detail: expect.stringMatching(/fires in 40\.0 s, not at the deadline in 4\.0 s/) });
    expect(proveTimer(unit, { timerState: 'active', timerNext: '0', uptime: '350.7' }, 4).ok).toBe(false);
    expect(proveTimer(unit, { timerState: 'active', timerNext: 'soon', uptime: '350.7' }, 4)).toMatchObject({ ok: false, detail: expect.stringMatching(/could not read when/) });
    // the activation time is in the timer's own clock: preferred over /proc/uptime (which counts suspended time)
    expect(proveTimer(unit, { timerState: 'active', timerNext: '5min 54.7s', timerEntered: '350700000', uptime: '9999' }, 4)).toMatchObject({ ok: true, dueInMs: 4000 });
  });

  it('proves a setsid revert only when the process lives and sleeps for the timeout', () => {
    const p = { method: 'setsid', pid: 77 } as const;
    expect(proveTimer(p, { revertAlive: 'yes', revertSleep: 'sleep 30 ' }, 30)).toMatchObject({ ok: true, dueInMs: 30_000 });
    expect(proveTimer(p, { revertAlive: 'no', revertSleep: 'sleep 30 ' }, 30).ok).toBe(false);
    expect(proveTimer(p, { revertAlive: 'yes', revertSleep: '' }, 30).ok).toBe(false);
    expect(proveTimer(p, { revertAlive: 'yes', revertSleep: 'sleep 300 ' }, 30).ok).toBe(false);
  });

  it('verifies a revert table by table, with the hashes of what was compared', () => {
    const backup = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
    const same = '# Generated\n*filter\n:INPUT ACCEPT [12:345]\n[3:4] -A INPUT -i lo -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [1:2]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';
    const h = (s: string) => `h(${s.length})`;
    expect(checkRevert(same, backup, ['filter', 'nat'], h)).toMatchObject({ verified: true, differ: [] });
    const ok = checkRevert(same, backup, ['filter', 'nat'], h);
    expect(ok.liveSha256).toBe(ok.backupSha256);
    const bad = checkRevert(same.replace('-i lo', '-i eth0'), backup, ['filter', 'nat'], h);
    expect(bad).toMatchObject({ verified: false, differ: ['filter'] });
    expect(bad.liveSha256).not.toBe(bad.backupSha256);
  });
});
