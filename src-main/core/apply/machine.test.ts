import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  confirmMargin,
  initialState,
  isAction,
  transition,
  type ApplyCommand,
  type ApplyEvent,
  type ApplyInput,
  type ApplyState,
  type StateKind,
} from './machine.js';
import { messageText } from './message.js';
import { stockWith } from '../testing/rulesets.js';
import { STOCK, GOOD, host, session, snapshot, applyInput as input, happyAnswer } from '../testing/apply-fixtures.js';

const LOCKOUT = stockWith('', { ssh: false });

const T0 = 1_000_000;

interface Trace {
  states: StateKind[];
  actions: string[];
  commands: ApplyCommand[];
  final: ApplyState;
}

/** Runs the machine; `override` may answer an action differently (by action kind, first time only unless repeat). */
function drive(inp: ApplyInput, override: (action: ApplyCommand, at: number, n: number) => ApplyEvent | undefined = () => undefined): Trace {
  let s = initialState(inp, T0);
  let at = T0;
  let ev: ApplyEvent = { kind: 'start', at };
  const trace: Trace = { states: [], actions: [], commands: [], final: s };
  for (let n = 0; n < 100; n++) {
    const t = transition(s, ev);
    s = t.state;
    trace.states.push(s.kind);
    trace.commands.push(...t.commands);
    const actions = t.commands.filter(isAction);
    expect(actions.length).toBeLessThanOrEqual(1);
    if (s.kind === 'done') {
      trace.final = s;
      return trace;
    }
    expect(actions).toHaveLength(1);
    const a = actions[0];
    trace.actions.push(a.kind);
    at += 10;
    ev = override(a, at, n) ?? happyAnswer(a, at);
  }
  throw new Error('the machine did not finish');
}

const failOn = (kind: string, message = 'boom', extra: Partial<Extract<ApplyEvent, { kind: 'failed' }>> = {}) => (a: ApplyCommand, at: number) =>
  a.kind === kind ? ({ kind: 'failed', at, message, ...extra } as ApplyEvent) : undefined;

describe('apply state machine: paths', () => {
  it('the happy path: every step in order, then unlock and finish with exit 0', () => {
    const t = drive(input());
    expect(t.actions).toEqual(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'restore', 'probe', 'cancel', 'persist', 'verify']);
    const r = t.final.result!;
    expect(r).toMatchObject({ outcome: 'confirmed', exitCode: 0 });
    expect(r.record).toMatchObject({ outcome: 'confirmed', exitCode: 0, timer: { method: 'setsid', pid: 4242, seconds: 60 }, probe: { ok: true, ms: 120 } });
    expect(r.record.changes).toMatchObject({ add: 1, total: 1 });
    expect(r.record.confirmedAfterMs).toBeGreaterThan(0);
    expect(Object.keys(r.record.timings)).toEqual(expect.arrayContaining(['connect', 'lock', 'read', 'upload', 'test', 'arm', 'restore', 'probe', 'cancel', 'persist', 'verify']));
    const tail = t.commands.slice(-2).map((c) => c.kind);
    expect(tail).toEqual(['unlock', 'finish']);
    expect(t.commands.find((c) => c.kind === 'upload')).toMatchObject({ files: [{ name: 'candidate', text: GOOD }, { name: 'backup' }, { name: 'expected', text: STOCK }] });
    expect(t.commands.find((c) => c.kind === 'persist')).toMatchObject({ text: GOOD });
  });

  it('messages come as data too: durations in ms, instants in epoch ms, names as written; the text is theirs', () => {
    const t = drive(input());
    const progress = t.commands.filter((c): c is Extract<ApplyCommand, { kind: 'progress' }> => c.kind === 'progress');
    for (const p of progress) expect(messageText(p.parts)).toBe(p.message);
    expect(progress.find((p) => p.step === 'probe' && /got in/.test(p.message))!.parts).toContainEqual({ ms: 120 });
    const live = progress.find((p) => p.step === 'restore')!;
    const deadline = live.parts.find((p): p is { at: number } => 'at' in p)!.at;
    expect(live.message).toContain(new Date(deadline).toISOString().slice(11, 19) + 'Z');
    const r = t.final.result!;
    expect(messageText(r.messageParts)).toBe(r.message);
    expect(r.messageParts).toContainEqual({ ms: r.record.confirmedAfterMs });
    expect(r.record.messageParts).toEqual(r.messageParts);
    expect(r.record.warningParts!.map(messageText)).toEqual(r.record.warnings);
  });

  it('an invalid proposal is refused before connecting (exit 4)', () => {
    const t = drive(input({ proposalText: STOCK.replace('--dport 22', '--dport 99999') }));
    expect(t.actions).toEqual([]);
    expect(t.final.result).toMatchObject({ outcome: 'refused', exitCode: 4, refuseReason: 'invalid' });
    expect(t.final.result!.findings.some((f) => f.severity === 'error')).toBe(true);
  });

  it('a predicted lockout is refused after the read, the lock let go (exit 4); --force goes on', () => {
    const t = drive(input({ proposalText: LOCKOUT }));
    expect(t.actions).toEqual(['connect', 'lock', 'read-state']);
    expect(t.final.result).toMatchObject({ exitCode: 4, refuseReason: 'lockout' });
    expect(t.commands.some((c) => c.kind === 'unlock')).toBe(true);
    const forced = drive(input({ proposalText: LOCKOUT, force: true }), (a, at) => (a.kind === 'probe' ? { kind: 'probe-failed', at, message: 'connection refused' } : undefined));
    expect(forced.actions).toEqual(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'restore', 'probe', 'revert-now']);
    expect(forced.final.result).toMatchObject({ outcome: 'reverted', exitCode: 3 });
    expect(forced.final.result!.record.revertedBy).toBe('client');
  });

  it('host key problems at connect exit 5, other connect failures 2, and nothing is unlocked (never locked)', () => {
    const k = drive(input(), failOn('connect', 'HOST KEY CHANGED', { hostKey: true }));
    expect(k.final.result).toMatchObject({ outcome: 'error', exitCode: 5 });
    const c = drive(input(), failOn('connect', 'connection refused'));
    expect(c.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
    expect([...k.commands, ...c.commands].some((x) => x.kind === 'unlock')).toBe(false);
  });

  it('a busy lock refuses (exit 4) without touching the other apply\'s lock', () => {
    const t = drive(input(), (a, at) => (a.kind === 'lock' ? { kind: 'lock-busy', at, holder: 'busy id=1234abcd' } : undefined));
    expect(t.final.result).toMatchObject({ exitCode: 4, refuseReason: 'busy' });
    expect(t.commands.some((c) => c.kind === 'unlock')).toBe(false);
  });

  it('host changed since the base: refused (exit 4) after the read', () => {
    const t = drive(input({ base: { kind: 'hashes', source: 'pull.json', savedSha256: 'saved0', liveRulesSha256: 'other' } }));
    expect(t.final.result).toMatchObject({ exitCode: 4, refuseReason: 'host-changed' });
    expect(t.actions).not.toContain('upload');
  });

  it('iptables-restore --test failing on the host: refused (exit 4), lock let go, nothing armed', () => {
    const t = drive(input(), (a, at) => (a.kind === 'test' ? { kind: 'tested', at, ok: false, message: 'line 3 failed' } : undefined));
    expect(t.final.result).toMatchObject({ exitCode: 4, refuseReason: 'invalid' });
    expect(t.actions).not.toContain('arm');
    expect(t.commands.some((c) => c.kind === 'unlock')).toBe(true);
  });

  it('rules changed between read and restore: the timer is taken back, refused (exit 4)', () => {
    const t = drive(input(), (a, at) => (a.kind === 'restore' ? { kind: 'restore-refused', at, message: 'changed' } : undefined));
    expect(t.actions.slice(-2)).toEqual(['restore', 'disarm']);
    expect(t.final.result).toMatchObject({ exitCode: 4, refuseReason: 'host-changed' });
  });

  it('arming fails: the timer is taken back before the lock goes (exit 2)', () => {
    const t = drive(input(), failOn('arm'));
    expect(t.actions.slice(-2)).toEqual(['arm', 'disarm']);
    expect(t.final.result).toMatchObject({ exitCode: 2 });
    expect(t.commands.some((c) => c.kind === 'unlock')).toBe(true);
  });

  it('iptables-restore failing (tables may be half live): revert now (exit 3)', () => {
    const t = drive(input(), (a, at) => (a.kind === 'restore' ? { kind: 'restore-failed', at, message: 'line 9 failed' } : undefined));
    expect(t.actions.slice(-1)).toEqual(['revert-now']);
    expect(t.final.result).toMatchObject({ outcome: 'reverted', exitCode: 3 });
  });

  it('the old session gone too: the host timer reverts; the machine waits past the deadline and checks (exit 3)', () => {
    const t = drive(input({ confirmTimeoutS: 5 }), (a, at) =>
      a.kind === 'probe' ? { kind: 'probe-failed', at, message: 'timed out' } : a.kind === 'revert-now' ? { kind: 'failed', at, message: 'connection lost' } : undefined,
    );
    expect(t.actions.slice(-3)).toEqual(['probe', 'revert-now', 'await-timer']);
    const wait = t.commands.find((c) => c.kind === 'await-timer') as Extract<ApplyCommand, { kind: 'await-timer' }>;
    const armIssued = T0 + 10 * t.actions.indexOf('arm');
    expect(wait.until).toBeGreaterThanOrEqual(armIssued + 5000);
    expect(t.final.result).toMatchObject({ outcome: 'reverted', exitCode: 3 });
    expect(t.final.result!.record.revertedBy).toBe('timer');
  });

  it('the timer check cannot reach the host: still exit 3 (the host reverts by itself); a timer that did not revert is an error', () => {
    const unreached = drive(input(), (a, at) =>
      a.kind === 'probe'
        ? { kind: 'probe-failed', at, message: 'x' }
        : a.kind === 'revert-now'
          ? { kind: 'failed', at, message: 'gone' }
          : a.kind === 'await-timer'
            ? { kind: 'timer-checked', at, reverted: null, message: 'unreachable' }
            : undefined,
    );
    expect(unreached.final.result).toMatchObject({ exitCode: 3 });
    const notReverted = drive(input(), (a, at) =>
      a.kind === 'probe'
        ? { kind: 'probe-failed', at, message: 'x' }
        : a.kind === 'revert-now'
          ? { kind: 'failed', at, message: 'gone' }
          : a.kind === 'await-timer'
            ? { kind: 'timer-checked', at, reverted: false, message: 'still the proposal' }
            : undefined,
    );
    expect(notReverted.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
  });

  it('a revert that fails on the host is a loud error (exit 2), not a quiet 3', () => {
    const t = drive(input(), (a, at) =>
      a.kind === 'probe' ? { kind: 'probe-failed', at, message: 'x' } : a.kind === 'revert-now' ? { kind: 'reverted', at, outcome: 'revert-failed', liveText: GOOD, by: 'client' } : undefined,
    );
    expect(t.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
    expect(t.final.result!.message).toMatch(/REVERT FAILED/);
  });

  it('the timer won the race against the cancel: no persist, exit 3', () => {
    const t = drive(input(), (a, at) => (a.kind === 'cancel' ? { kind: 'cancel-too-late', at, outcome: 'reverted' } : undefined));
    expect(t.actions).not.toContain('persist');
    expect(t.actions.slice(-1)).toEqual(['await-timer']);
    expect(t.final.result).toMatchObject({ exitCode: 3 });
  });

  it('--confirm prompt: yes confirms, no and no answer revert; the question is due before the host deadline', () => {
    const yes = drive(input({ confirm: 'prompt' }));
    expect(yes.actions).toEqual(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'restore', 'probe', 'ask', 'cancel', 'persist', 'verify']);
    const ask = yes.commands.find((c) => c.kind === 'ask') as Extract<ApplyCommand, { kind: 'ask' }>;
    const armIssued = T0 + 10 * yes.actions.indexOf('arm');
    expect(ask.deadlineAt).toBe(armIssued + 60_000 - confirmMargin(60));
    for (const how of ['user', 'timeout'] as const) {
      const no = drive(input({ confirm: 'prompt' }), (a, at) => (a.kind === 'ask' ? { kind: 'answered', at, keep: false, how } : undefined));
      expect(no.actions.slice(-2)).toEqual(['ask', 'revert-now']);
      expect(no.final.result).toMatchObject({ exitCode: 3 });
    }
  });

  it('the probe must be done before the host deadline minus a margin', () => {
    const t = drive(input({ confirmTimeoutS: 4 }));
    const probe = t.commands.find((c) => c.kind === 'probe') as Extract<ApplyCommand, { kind: 'probe' }>;
    const armIssued = T0 + 10 * t.actions.indexOf('arm');
    expect(probe.deadlineAt).toBe(armIssued + 4000 - 1000);
    expect(confirmMargin(60)).toBe(15_000);
    expect(confirmMargin(3600)).toBe(15_000);
    expect(confirmMargin(3)).toBe(1000);
  });

  it('saving fails: the file is checked; new file → confirmed (0); old file → the rules go back (3); neither → error (2)', () => {
    const base = (savedSha256: string, savedText: string) =>
      drive(input(), (a, at) => (a.kind === 'persist' ? { kind: 'failed', at, message: 'connection lost' } : a.kind === 'verify' ? { kind: 'verified', at, savedSha256, savedText, liveRulesSha256: 'live1' } : undefined));
    // the answer of the persist step was lost: the file read back tells what happened
    const fresh = base('file1', GOOD);
    expect(fresh.final.result).toMatchObject({ outcome: 'confirmed', exitCode: 0 });
    const old = base('saved0', STOCK);
    expect(old.actions.slice(-2)).toEqual(['verify', 'revert-now']);
    expect(old.final.result).toMatchObject({ exitCode: 3 });
    const weird = base('zzz', '*filter\nCOMMIT\n');
    expect(weird.final.result).toMatchObject({ exitCode: 2 });
    // persisted, but the host's hash is not what was sent
    const mismatch = drive(input(), (a, at) =>
      a.kind === 'persist' ? { kind: 'persisted', at, sha256Sent: 'file1', sha256Host: 'other', previousBackup: null, restorecon: false } : a.kind === 'verify' ? { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live1' } : undefined,
    );
    expect(mismatch.final.result).toMatchObject({ outcome: 'confirmed', exitCode: 0 });
    expect(mismatch.final.result!.warnings.join(' ')).toMatch(/saving reported a problem/);
  });

  it('a re-read file that is not what was written: exit 2', () => {
    const t = drive(input(), (a, at) => (a.kind === 'verify' ? { kind: 'verified', at, savedSha256: 'elsewhere', liveRulesSha256: 'live1' } : undefined));
    expect(t.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
  });

  it('nothing to do: exit 0 without arming anything', () => {
    const t = drive(input({ proposalText: STOCK }));
    expect(t.actions).toEqual(['connect', 'lock', 'read-state']);
    expect(t.final.result).toMatchObject({ outcome: 'unchanged', exitCode: 0 });
  });
});

// ---- exhaustive: every reachable state × every kind of event ------------------------------

const SAMPLE_EVENTS = (at: number): ApplyEvent[] => [
  { kind: 'start', at },
  { kind: 'connected', at, host, session },
  { kind: 'locked', at },
  { kind: 'lock-busy', at, holder: 'x' },
  { kind: 'state-read', at, snapshot },
  { kind: 'uploaded', at },
  { kind: 'tested', at, ok: true, message: '' },
  { kind: 'tested', at, ok: false, message: 'bad' },
  { kind: 'armed', at, timer: { method: 'systemd-run', unit: 'portcullis-revert-x' } },
  { kind: 'restored', at, liveText: GOOD, liveRulesSha256: 'live1' },
  { kind: 'restore-refused', at, message: 'changed' },
  { kind: 'restore-failed', at, message: 'failed' },
  { kind: 'probed', at, liveRulesSha256: 'live1', ms: 1 },
  { kind: 'probe-failed', at, message: 'refused' },
  { kind: 'answered', at, keep: true, how: 'user' },
  { kind: 'answered', at, keep: false, how: 'timeout' },
  { kind: 'cancelled', at },
  { kind: 'cancel-too-late', at, outcome: 'reverted' },
  { kind: 'persisted', at, sha256Sent: 'file1', sha256Host: 'file1', previousBackup: null, restorecon: true },
  { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live1' },
  { kind: 'reverted', at, outcome: 'reverted', liveText: STOCK, by: 'client' },
  { kind: 'reverted', at, outcome: 'revert-failed', liveText: GOOD, by: 'timer' },
  { kind: 'timer-checked', at, reverted: true, message: '' },
  { kind: 'timer-checked', at, reverted: null, message: '' },
  { kind: 'host-rebooted', at, liveText: STOCK, savedSha256: 'saved0', liveIsSaved: true },
  { kind: 'tested', at, ok: true, message: '', backupOk: false, backupMessage: 'x' },
  { kind: 'armed', at, timer: { method: 'setsid', pid: 1 }, proof: { ok: false, detail: 'x' } },
  { kind: 'disarmed', at },
  { kind: 'failed', at, message: 'boom' },
  { kind: 'failed', at, message: 'key', hostKey: true },
];

/** Every state the machine can be in, reached by real paths (auto and prompt mode, revert and disarm branches). */
function reachableStates(): ApplyState[] {
  const seen = new Map<string, ApplyState>();
  const record = (inp: ApplyInput, override?: Parameters<typeof drive>[1]) => {
    let s = initialState(inp, T0);
    if (!seen.has(`idle/${inp.confirm}`)) seen.set(`idle/${inp.confirm}`, s);
    let at = T0;
    let ev: ApplyEvent = { kind: 'start', at };
    for (let n = 0; n < 100; n++) {
      const t = transition(s, ev);
      s = t.state;
      const key = `${s.kind}/${inp.confirm}`;
      if (!seen.has(key)) seen.set(key, s);
      if (s.kind === 'done') return;
      const a = t.commands.filter(isAction)[0];
      at += 10;
      ev = override?.(a, at, n) ?? happyAnswer(a, at);
    }
  };
  for (const confirm of ['auto', 'prompt'] as const) {
    record(input({ confirm }));
    record(input({ confirm }), (a, at) => (a.kind === 'probe' ? { kind: 'probe-failed', at, message: 'x' } : a.kind === 'revert-now' ? { kind: 'failed', at, message: 'y' } : undefined));
    record(input({ confirm }), failOn('arm'));
  }
  return [...seen.values()];
}

const NON_TERMINAL: StateKind[] = [
  'idle',
  'connecting',
  'locking',
  'reading',
  'uploading',
  'testing',
  'arming',
  'restoring',
  'probing',
  'asking',
  'cancelling',
  'persisting',
  'verifying',
  'reverting',
  'awaiting-timer',
  'disarming',
];
const AFTER_ARM: StateKind[] = ['restoring', 'probing', 'asking', 'cancelling'];

describe('apply state machine: every state × every event', () => {
  const states = reachableStates();

  it('reaches every state', () => {
    expect(new Set(states.map((s) => s.kind))).toEqual(new Set([...NON_TERMINAL, 'done']));
  });

  it('every transition asks for at most one action, exactly one unless done, and finishes exactly once when done', () => {
    let n = 0;
    for (const s of states) {
      for (const e of SAMPLE_EVENTS(T0 + 5000)) {
        const t = transition(s, e);
        n++;
        const actions = t.commands.filter(isAction);
        const finishes = t.commands.filter((c) => c.kind === 'finish');
        if (s.kind === 'done') {
          expect(t.commands, `done absorbs ${e.kind}`).toEqual([]);
          expect(t.state).toBe(s);
          continue;
        }
        if (t.state.kind === 'done') {
          expect(actions, `${s.kind} + ${e.kind}`).toEqual([]);
          expect(finishes).toHaveLength(1);
          expect([0, 2, 3, 4, 5]).toContain(t.state.result!.exitCode);
          expect(t.commands[t.commands.length - 1].kind).toBe('finish');
        } else {
          expect(actions, `${s.kind} + ${e.kind}`).toHaveLength(1);
          expect(finishes).toHaveLength(0);
          expect(ACTIONS as readonly string[]).toContain(actions[0].kind);
        }
      }
    }
    expect(n).toBe(states.length * SAMPLE_EVENTS(0).length);
  });

  it('persists only after a cancelled timer, and exits 0 only after the file re-read matches (or when nothing was armed)', () => {
    for (const s of states) {
      for (const e of SAMPLE_EVENTS(T0 + 5000)) {
        const t = transition(s, e);
        if (t.commands.some((c) => c.kind === 'persist')) expect([s.kind, e.kind]).toEqual(['cancelling', 'cancelled']);
        if (t.state.kind === 'done' && t.state.result!.exitCode === 0 && s.kind !== 'done') {
          const armed = !!s.ctx.timer || !!s.ctx.armIssuedAt;
          if (armed) expect(['verifying']).toContain(s.kind);
          else expect(s.kind).toBe('reading');
        }
      }
    }
  });

  it('after the rules may have gone live, no failure ends without a revert (now, or by waiting for the timer)', () => {
    for (const s of states.filter((x) => AFTER_ARM.includes(x.kind))) {
      for (const e of SAMPLE_EVENTS(T0 + 5000)) {
        const t = transition(s, e);
        // a reboot took the new rules (and the timer) away: the host runs what it booted with
        if (e.kind === 'host-rebooted' && t.state.kind === 'done') {
          expect(t.state.result!.message).toMatch(/rebooted before confirmation/);
          continue;
        }
        const ok = t.state.kind === 'done' ? false : true;
        expect(ok, `${s.kind} + ${e.kind} ended the apply with rules possibly live`).toBe(true);
        const next = t.state.kind;
        // the only ways forward: the next step of the protocol, or a revert
        expect(['probing', 'asking', 'cancelling', 'persisting', 'reverting', 'awaiting-timer', 'disarming']).toContain(next);
        if (next === 'disarming') expect([s.kind, e.kind]).toEqual(['restoring', 'restore-refused']);
        if (e.kind === 'failed') expect(next).toBe('reverting');
      }
    }
  });

  it('refusals (exit 4) only ever happen before anything went live; host-key exits (5) only while connecting', () => {
    for (const s of states) {
      for (const e of SAMPLE_EVENTS(T0 + 5000)) {
        const t = transition(s, e);
        if (t.state.kind !== 'done' || s.kind === 'done') continue;
        const code = t.state.result!.exitCode;
        if (code === 4) expect(t.state.ctx.live).toBe(false);
        if (code === 5) expect(['idle', 'connecting']).toContain(s.kind);
        // whoever holds the lock lets it go, unless the revert script on the host does it — or a
        // timer that could not be taken back may still fire: then the lock stays until it does
        if (s.ctx.locked && code !== 3) {
          const unlocks = t.commands.filter((c) => c.kind === 'unlock').length;
          if (s.kind === 'disarming') expect(unlocks).toBe(e.kind === 'disarmed' ? 1 : 0);
          else if (!['verifying', 'reverting', 'awaiting-timer'].includes(s.kind)) expect(unlocks, `${s.kind} + ${e.kind}`).toBe(1);
        }
      }
    }
  });

  it('every finished apply carries a complete audit record', () => {
    for (const s of states) {
      for (const e of SAMPLE_EVENTS(T0 + 5000)) {
        const t = transition(s, e);
        const fin = t.commands.find((c) => c.kind === 'finish') as Extract<ApplyCommand, { kind: 'finish' }> | undefined;
        if (!fin) continue;
        const r = fin.result.record;
        expect(r).toMatchObject({ id: 'abcdef0123456789', candidate: { name: 'new.rules', sha256: 'cand' }, outcome: fin.result.outcome, exitCode: fin.result.exitCode });
        expect(r.message).toBe(fin.result.message);
        expect(Date.parse(r.startedAt)).toBe(T0);
        if (s.ctx.session) expect(r.host.hostKey).toBe('SHA256:abc');
        if (s.ctx.snapshot) expect(r.before).toEqual({ savedSha256: 'saved0', liveRulesSha256: 'live0' });
      }
    }
  });
});

describe('apply state machine: a revert proven before, verified after, and reboots', () => {
  it('refuses before arming when the backup does not pass iptables-restore --test', () => {
    const t = drive(input(), (a, at) => (a.kind === 'test' ? { kind: 'tested', at, ok: true, message: '', backupOk: false, backupMessage: 'line 7 failed' } : undefined));
    expect(t.actions).not.toContain('arm');
    expect(t.final.result).toMatchObject({ outcome: 'refused', exitCode: 4, refuseReason: 'revert-unproven' });
    expect(t.final.result!.message).toMatch(/the backup of the running rules does not pass iptables-restore --test on the host, so a revert could not restore them: line 7 failed; nothing was changed/);
  });

  it('takes the timer back and refuses before loading anything when the timer is not proven due', () => {
    const t = drive(input(), (a, at) =>
      a.kind === 'arm' ? { kind: 'armed', at, timer: { method: 'systemd-run', unit: 'u' }, proof: { ok: false, detail: 'u.timer fires in 600.0 s, not at the deadline in 60.0 s' } } : undefined,
    );
    expect(t.actions).toEqual(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'disarm']);
    expect(t.final.result).toMatchObject({ outcome: 'refused', exitCode: 4, refuseReason: 'revert-unproven' });
    expect(t.final.result!.message).toMatch(/the revert timer could not be proven \(u\.timer fires in 600\.0 s/);
  });

  it('says "reverted and verified" with the backup hash, and names the tables of a mismatch', () => {
    const probeFails = (a: ApplyCommand, at: number) => (a.kind === 'probe' ? ({ kind: 'probe-failed', at, message: 'timed out' } as ApplyEvent) : undefined);
    const ok = drive(input(), (a, at) =>
      probeFails(a, at) ?? (a.kind === 'revert-now' ? { kind: 'reverted', at, outcome: 'reverted', liveText: STOCK, by: 'client', check: { verified: true, differ: [], liveSha256: 'a'.repeat(64), backupSha256: 'a'.repeat(64) } } : undefined),
    );
    expect(ok.final.result).toMatchObject({ outcome: 'reverted', exitCode: 3 });
    expect(ok.final.result!.message).toMatch(/reverted and verified \(the running rules read back match the backup, sha256 aaaaaaaaaaaa…\)/);
    expect(ok.final.result!.record.revertCheck).toMatchObject({ verified: true });
    const bad = drive(input(), (a, at) => probeFails(a, at) ?? (a.kind === 'revert-now' ? { kind: 'reverted', at, outcome: 'reverted', liveText: GOOD, by: 'client' } : undefined));
    expect(bad.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
    expect(bad.final.result!.message).toMatch(/do NOT match the backup: the filter table differs/);
  });

  it('a file put back during the countdown is reported with where the written one is kept', () => {
    const t = drive(input(), (a, at) =>
      a.kind === 'probe'
        ? { kind: 'probe-failed', at, message: 'x' }
        : a.kind === 'revert-now'
          ? { kind: 'reverted', at, outcome: 'reverted', liveText: STOCK, by: 'client', fileRestored: ['guard /etc/sysconfig/iptables.portcullis-unconfirmed-20261204-213000'] }
          : undefined,
    );
    expect(t.final.result!.warnings.join('\n')).toMatch(/was overwritten during the countdown .* and put back; what was written is kept as \/etc\/sysconfig\/iptables\.portcullis-unconfirmed-20261204-213000/);
  });

  it('a reboot before confirmation: reverted (exit 3), said plainly; an unexpected boot file is an error', () => {
    const rebooted = (savedSha256: string) => (a: ApplyCommand, at: number) =>
      a.kind === 'cancel' ? ({ kind: 'host-rebooted', at, liveText: STOCK, savedSha256, liveIsSaved: true } as ApplyEvent) : undefined;
    const t = drive(input(), rebooted('saved0'));
    expect(t.actions).not.toContain('persist');
    expect(t.final.result).toMatchObject({ outcome: 'reverted', exitCode: 3 });
    expect(t.final.result!.message).toMatch(/the host rebooted before confirmation and runs its saved rules/);
    expect(t.final.result!.record.rebooted).toBe(true);
    expect(t.commands.some((c) => c.kind === 'unlock')).toBe(false); // the lock lived in /run: gone with the reboot
    const changed = drive(input(), rebooted('f00d'));
    expect(changed.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
    expect(changed.final.result!.message).toMatch(/is not the file it had before this apply/);
  });
});

describe('apply state machine: confirmed while the old rules came back', () => {
  it('says the host runs the old rules again while the file holds the new ones', () => {
    const t = drive(input(), (a, at) => (a.kind === 'verify' ? { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live0' } : undefined));
    expect(t.final.result).toMatchObject({ outcome: 'confirmed', exitCode: 0 });
    expect(t.final.result!.warnings.join('\n')).toMatch(/runs the rules from before this apply again .* now holds the new ones/);
  });
});

describe('apply state machine: both families as one change', () => {
  const STOCK6 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n';
  const GOOD6 = STOCK6.replace('-A INPUT -j REJECT', '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n-A INPUT -j REJECT');
  const snap6 = { savedPresent: true, savedText: STOCK6, savedSha256: 'saved6', liveText: STOCK6, liveRulesSha256: 'live6' };
  const two = (text6 = GOOD6) => input({ other: { family: 'ipv6', name: 'rules.v6', text: text6, sha256: 'cand6' } });
  /** a host that answers for both families */
  const both = (a: ApplyCommand, at: number): ApplyEvent | undefined => {
    if (a.kind === 'read-state') return { kind: 'state-read', at, snapshot, other: snap6 };
    if (a.kind === 'restore') return { kind: 'restored', at, liveText: GOOD, liveRulesSha256: 'live1', other: { liveText: GOOD6, liveRulesSha256: 'live6b' } };
    if (a.kind === 'persist') return a.family === 'ipv6' ? { kind: 'persisted', at, family: 'ipv6', sha256Sent: 'file6', sha256Host: 'file6', previousBackup: null, restorecon: false } : undefined;
    if (a.kind === 'verify') return { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live1', other: { savedSha256: 'file6', liveRulesSha256: 'live6b' } };
    return undefined;
  };

  it('one upload of both families\' files, one timer, both files persisted, then one read-back of both', () => {
    const t = drive(two(), both);
    expect(t.actions).toEqual(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'restore', 'probe', 'cancel', 'persist', 'persist', 'verify']);
    expect(t.actions.filter((a) => a === 'arm')).toHaveLength(1);
    const upload = t.commands.find((c) => c.kind === 'upload') as Extract<ApplyCommand, { kind: 'upload' }>;
    expect(upload.files.map((f) => f.name)).toEqual(['candidate', 'backup', 'expected', 'candidate6', 'backup6', 'expected6']);
    expect(upload.files.find((f) => f.name === 'candidate6')!.text).toBe(GOOD6);
    expect(t.commands.filter((c) => c.kind === 'persist')).toMatchObject([{ text: GOOD }, { text: GOOD6, family: 'ipv6' }]);
    const r = t.final.result!;
    expect(r).toMatchObject({ outcome: 'confirmed', exitCode: 0 });
    expect(r.message).toMatch(/saved to \/etc\/sysconfig\/iptables and \/etc\/sysconfig\/ip6tables$/);
    expect(r.record).toMatchObject({ families: ['ipv4', 'ipv6'], other: { family: 'ipv6', candidate: { name: 'rules.v6' }, changes: { add: 1 }, after: { savedSha256: 'file6' } } });
  });

  it('a family that changes nothing drops out: not uploaded, not restored, not persisted', () => {
    // IPv6 unchanged (its file is the saved one): only IPv4 goes
    const t = drive(two(STOCK6), both);
    const upload = t.commands.find((c) => c.kind === 'upload') as Extract<ApplyCommand, { kind: 'upload' }>;
    expect(upload.files.map((f) => f.name)).toEqual(['candidate', 'backup', 'expected']);
    expect(t.commands.filter((c) => c.kind === 'persist')).toHaveLength(1);
    expect(t.commands.some((c) => c.kind === 'progress' && /IPv6: web1 already runs and saves this ruleset; left alone/.test(c.message))).toBe(true);
    expect(t.final.result!.record.families).toBeUndefined();
    // IPv4 unchanged: the IPv6 proposal becomes the apply
    const six = drive(input({ proposalText: STOCK, other: { family: 'ipv6', name: 'rules.v6', text: GOOD6, sha256: 'cand6' } }), (a, at) =>
      a.kind === 'restore' ? { kind: 'restored', at, liveText: GOOD6, liveRulesSha256: 'live6b' } : a.kind === 'persist' ? { kind: 'persisted', at, family: 'ipv6', sha256Sent: 'file6', sha256Host: 'file6', previousBackup: null, restorecon: false } : a.kind === 'verify' ? { kind: 'verified', at, savedSha256: 'file6', liveRulesSha256: 'live6b' } : both(a, at),
    );
    const up6 = six.commands.find((c) => c.kind === 'upload') as Extract<ApplyCommand, { kind: 'upload' }>;
    expect(up6.files.map((f) => f.name)).toEqual(['candidate6', 'backup6', 'expected6']);
    expect(six.commands.filter((c) => c.kind === 'persist')).toMatchObject([{ text: GOOD6, family: 'ipv6' }]);
    expect(six.final.result).toMatchObject({ outcome: 'confirmed', record: { families: ['ipv6'], candidate: { name: 'rules.v6' } } });
    expect(six.final.result!.message).toMatch(/saved to \/etc\/sysconfig\/ip6tables$/);
  });

  it('an invalid IPv6 proposal is refused before connecting; a revert whose IPv6 read-back differs is an error naming IPv6', () => {
    const bad = drive(two(GOOD6.replace('--dport 443', '--dport 99999')));
    expect(bad.actions).toEqual([]);
    expect(bad.final.result).toMatchObject({ outcome: 'refused', exitCode: 4, refuseReason: 'invalid' });
    expect(bad.final.result!.message).toMatch(/^rules\.v6: /);
    const mismatch = drive(two(), (a, at) =>
      a.kind === 'probe'
        ? { kind: 'probe-failed', at, message: 'refused' }
        : a.kind === 'revert-now'
          ? { kind: 'reverted', at, outcome: 'reverted', liveText: STOCK, by: 'client', otherCheck: { verified: false, differ: ['filter'] } }
          : both(a, at),
    );
    expect(mismatch.final.result).toMatchObject({ outcome: 'error', exitCode: 2 });
    expect(mismatch.final.result!.message).toMatch(/the running IPv6 rules read back do NOT match the backup: the filter table differs/);
  });
});
