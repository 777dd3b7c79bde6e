import { describe, expect, it } from 'vitest';
import { clockTime, dateTime, duration, humanText, humanize, outcomeLabel } from './format.js';

describe('format', () => {
  it('durations read as people say them', () => {
    expect([duration(0), duration(850), duration(4633), duration(9960), duration(12_400), duration(125_000), duration(120_000), duration(3_780_000)]).toEqual([
      '0 ms',
      '850 ms',
      '4.6 s',
      '10.0 s',
      '12 s',
      '2 min 5 s',
      '2 min',
      '1 h 3 min',
    ]);
  });

  it('times are local, with the UTC time for the tooltip', () => {
    const at = Date.UTC(2026, 10, 30, 12, 3, 7);
    expect(clockTime(at, 'Europe/Berlin')).toEqual({ text: '13:03:07', title: '12:03:07 UTC', iso: '2026-11-30T12:03:07.000Z' });
    const d = dateTime(new Date(at).toISOString(), 'Europe/Berlin');
    expect(d.text).toMatch(/2026.*13:03:07/);
    expect(d.title).toBe('2026-11-30 12:03:07 UTC');
  });

  it('messages from main: sentence case, human durations, local clocks', () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0);
    expect(humanText('applied, confirmed through a new SSH connection (4633 ms after the start) and saved to /etc/sysconfig/iptables', at)).toBe(
      'Applied, confirmed through a new SSH connection (4.6 s after the start) and saved to /etc/sysconfig/iptables',
    );
    expect(humanText('a new SSH connection got in (312 ms) and read the rules', at)).toBe('A new SSH connection got in (312 ms) and read the rules');
    // commands, paths and names stay as written
    expect(humanText('iptables-restore --test passes on the host', at)).toBe('iptables-restore --test passes on the host');
    expect(humanText('/etc/sysconfig/iptables read back', at)).toBe('/etc/sysconfig/iptables read back');
    expect(humanText('lab plain already runs and saves this ruleset; nothing to do', at, ['lab plain'])).toBe('lab plain already runs and saves this ruleset; nothing to do');
    const parts = humanize('rules live on web; the host reverts them at 12:00:30Z (in 30 s) unless a new connection confirms', at, [], 'Asia/Kolkata');
    expect(parts.map((p) => p.text).join('')).toBe('Rules live on web; the host reverts them at 17:30:30 (in 30 s) unless a new connection confirms');
    expect(parts.find((p) => p.time)?.time).toEqual({ text: '17:30:30', title: '12:00:30 UTC', iso: '2026-11-30T12:00:30.000Z' });
    // a deadline past midnight UTC is on the next day
    const late = Date.UTC(2026, 10, 30, 23, 59, 50);
    expect(humanize('reverts at 00:00:20Z', late).find((p) => p.time)?.time?.iso).toBe('2026-12-01T00:00:20.000Z');
    expect(humanText('no change', at)).toBe('No change');
    expect(humanText('', at)).toBe('');
  });

  it('outcome labels', () => {
    expect(['confirmed', 'reverted', 'refused'].map(outcomeLabel)).toEqual(['Confirmed', 'Reverted', 'Refused']);
  });
});
