import { describe, expect, it } from 'vitest';
import { clockTime, dateTime, duration, messageString, outcomeHeadline, outcomeLabel, showMessage } from './format.js';
import { messageText, msg, ms, at } from '../../src-main/core/apply/index.js';

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
    const t = Date.UTC(2026, 10, 30, 12, 3, 7);
    expect(clockTime(t, 'Europe/Berlin')).toEqual({ text: '13:03:07', title: '12:03:07 UTC', iso: '2026-11-30T12:03:07.000Z' });
    const d = dateTime(new Date(t).toISOString(), 'Europe/Berlin');
    expect(d.text).toMatch(/2026.*13:03:07/);
    expect(d.title).toBe('2026-11-30 12:03:07 UTC');
  });

  it('messages come as data: wording in sentence case, values formatted here, names as written', () => {
    const confirmed = msg`applied, confirmed through a new SSH connection (${ms(4633)} after the start) and saved to /etc/sysconfig/iptables`;
    // the CLI's text is unchanged …
    expect(messageText(confirmed)).toBe('applied, confirmed through a new SSH connection (4633 ms after the start) and saved to /etc/sysconfig/iptables');
    // … the app's is formatted from the values
    expect(messageString(confirmed)).toBe('Applied, confirmed through a new SSH connection (4.6 s after the start) and saved to /etc/sysconfig/iptables');
    expect(messageString(msg`a new SSH connection got in (${ms(312)}) and read the rules`)).toBe('A new SSH connection got in (312 ms) and read the rules');
    // a message that starts with a name keeps it as written
    expect(messageString(msg`${'iptables-restore --test'} passes on the host`)).toBe('iptables-restore --test passes on the host');
    expect(messageString(msg`${'lab plain'} already runs and saves this ruleset; nothing to do`)).toBe('lab plain already runs and saves this ruleset; nothing to do');
    expect(messageString(msg`${'web'}: valid`)).toBe('web: valid');
    // an instant is a local time whose part carries the UTC time
    const deadline = Date.UTC(2026, 10, 30, 12, 0, 30);
    const live = msg`rules running on ${'web'}; the host reverts them at ${at(deadline)} (in ${30} s) unless a new connection confirms`;
    expect(messageText(live)).toBe('rules running on web; the host reverts them at 12:00:30Z (in 30 s) unless a new connection confirms');
    const parts = showMessage(live, '', 'Asia/Kolkata');
    expect(parts.map((p) => p.text).join('')).toBe('Rules running on web; the host reverts them at 17:30:30 (in 30 s) unless a new connection confirms');
    expect(parts.find((p) => p.time)?.time).toEqual({ text: '17:30:30', title: '12:00:30 UTC', iso: '2026-11-30T12:00:30.000Z' });
    // a message spliced into another keeps its parts
    expect(msg`${msg`no new SSH connection: ${'timed out'}`}; reverting now`).toEqual([{ text: 'no new SSH connection: ' }, { name: 'timed out' }, { text: '; reverting now' }]);
  });

  it('history lines from before messages came as data: their text, as written (nothing parsed)', () => {
    expect(messageString(undefined, 'applied, confirmed through a new SSH connection (4633 ms after the start)')).toBe(
      'applied, confirmed through a new SSH connection (4633 ms after the start)',
    );
    expect(showMessage(undefined)).toEqual([]);
  });

  it('an override is the app’s own control, never a CLI option', () => {
    const m = [{ text: 'predicted lockout (going on: ' }, { option: 'force' as const }, { text: ')' }];
    expect(messageString(m)).toBe('Predicted lockout (going on: “Go on despite…”)');
    expect(messageString(m)).not.toMatch(/--force/);
  });

  it('outcome labels', () => {
    expect((['confirmed', 'reverted', 'refused', 'interrupted'] as const).map(outcomeLabel)).toEqual(['Confirmed', 'Reverted', 'Refused', 'Interrupted']);
  });

  it('outcome headlines: one per outcome, with what the audit entry adds', () => {
    const plain = {};
    expect((['confirmed', 'unchanged', 'reverted', 'refused', 'error', 'interrupted'] as const).map((o) => outcomeHeadline(o, plain))).toEqual([
      'Applied and saved',
      'Nothing to do',
      'Reverted',
      'Refused — nothing was changed',
      'Failed',
      'Interrupted',
    ]);
    expect(outcomeHeadline('reverted', { revertVerified: true })).toBe('Reverted and verified');
    expect(outcomeHeadline('confirmed', { revertVerified: true })).toBe('Applied and saved');
    expect(outcomeHeadline('error', { rebooted: true })).toBe('Not confirmed — the host rebooted and runs its saved rules');
  });
});
