// The host, session and proposal the apply machine's tests drive it with, and
// a well-behaved host's answer to each action: shared by the machine's own
// tests (core/apply/machine.test.ts) and the worker-thread runner's
// (apply/machine-worker.test.ts), which must step the same apply.
import type { ApplyCommand, ApplyEvent, ApplyInput } from '../apply/machine.js';
import type { HostSnapshot, HostView } from '../apply/plan.js';
import { stockRuleset, stockWith } from './rulesets.js';

export const STOCK = stockRuleset();
export const GOOD = stockWith('-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');

export const host: HostView = { name: 'web1', clientAddress: '203.0.113.9', serverAddress: '192.0.2.10', sshPort: 22, inIface: 'eth0', localAddresses: ['192.0.2.10'], firewalld: 'masked' };
export const session = { user: 'root', privilege: 'root', hostKeyType: 'ssh-ed25519', hostKeyFingerprint: 'SHA256:abc', route: ['root@192.0.2.10:22'] };
export const snapshot: HostSnapshot = { savedPresent: true, savedText: STOCK, savedSha256: 'saved0', liveText: STOCK, liveRulesSha256: 'live0' };

/** An apply of GOOD to web1 with automatic confirmation; `over` changes any field. */
export function applyInput(over: Partial<ApplyInput> = {}): ApplyInput {
  return {
    id: 'abcdef0123456789',
    host: 'web1',
    proposalName: 'new.rules',
    proposalText: GOOD,
    proposalSha256: 'cand',
    confirmTimeoutS: 60,
    confirm: 'auto',
    force: false,
    base: null,
    ...over,
  };
}

/** The answer a well-behaved host gives to each action. */
export function happyAnswer(action: ApplyCommand, at: number): ApplyEvent {
  switch (action.kind) {
    case 'connect':
      return { kind: 'connected', at, host, session };
    case 'lock':
      return { kind: 'locked', at };
    case 'read-state':
      return { kind: 'state-read', at, snapshot };
    case 'upload':
      return { kind: 'uploaded', at };
    case 'test':
      return { kind: 'tested', at, ok: true, message: '' };
    case 'arm':
      return { kind: 'armed', at, timer: { method: 'setsid', pid: 4242 } };
    case 'restore':
      return { kind: 'restored', at, liveText: GOOD, liveRulesSha256: 'live1' };
    case 'probe':
      return { kind: 'probed', at, liveRulesSha256: 'live1', clientAddress: '203.0.113.9', ms: 120 };
    case 'ask':
      return { kind: 'answered', at, keep: true, how: 'user' };
    case 'cancel':
      return { kind: 'cancelled', at };
    case 'persist':
      return { kind: 'persisted', at, sha256Sent: 'file1', sha256Host: 'file1', previousBackup: '/etc/sysconfig/iptables.portcullis-20260101-000000', restorecon: false };
    case 'verify':
      return { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live1' };
    case 'revert-now':
      return { kind: 'reverted', at, outcome: 'reverted', liveText: STOCK, by: 'client' };
    case 'await-timer':
      return { kind: 'timer-checked', at, reverted: true, message: '' };
    case 'disarm':
      return { kind: 'disarmed', at };
    default:
      throw new Error(`not an action: ${action.kind}`);
  }
}
