import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../core/apply/index.js';
import { auditEntry } from './host-workbench.js';

// history lines as the file holds them: older lines have no messageParts / warningParts
const base = {
  id: 'a1',
  startedAt: '2026-11-30T06:06:02.000Z',
  finishedAt: '2026-11-30T06:06:07.000Z',
  host: { name: 'web' },
  candidate: { name: 'proposed', sha256: '' },
  confirm: 'auto',
  force: false,
  outcome: 'confirmed',
  exitCode: 0,
  message: 'applied, confirmed through a new SSH connection (4633 ms after the start) and saved to /etc/sysconfig/iptables',
  warnings: ['took over a stale apply lock (x)'],
  timings: {},
  totalMs: 5000,
  confirmedAfterMs: 4633,
} as const;

describe('audit entries from the history file', () => {
  it('an old line (no message parts) still reads: its text, its numbers', () => {
    const e = auditEntry(base as unknown as AuditRecord);
    expect(e).toMatchObject({ message: base.message, totalMs: 5000, confirmedAfterMs: 4633, warnings: base.warnings });
    expect(e.messageParts).toBeUndefined();
    expect(e.warningParts).toBeUndefined();
  });

  it('a new line carries the message and warnings as data', () => {
    const messageParts = [{ text: 'applied, confirmed through a new SSH connection (' }, { ms: 4633 }, { text: ' after the start) and saved to /etc/sysconfig/iptables' }];
    const warningParts = [[{ text: 'took over a stale apply lock (' }, { name: 'x' }, { text: ')' }]];
    const e = auditEntry({ ...base, messageParts, warningParts } as unknown as AuditRecord);
    expect(e.messageParts).toEqual(messageParts);
    expect(e.warningParts).toEqual(warningParts);
  });

  it('parts that are not a message (a damaged or foreign line) are left out, the text stays', () => {
    const e = auditEntry({ ...base, messageParts: [{ ms: 'soon' }], warningParts: 'x' } as unknown as AuditRecord);
    expect(e.messageParts).toBeUndefined();
    expect(e.warningParts).toBeUndefined();
    expect(e.message).toBe(base.message);
  });
});
