// The apply machine in a real worker thread (its entry bundled by esbuild as
// the app's build does) steps exactly as it does in this thread: the same
// states and commands through a whole apply, with the parsed candidate kept
// in the worker (the main thread's copy is light) — and a worker that cannot
// start leaves the apply to this thread instead of failing it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialState, isAction, transition, type ApplyCommand, type ApplyEvent, type ApplyInput, type ApplyState, type HostSnapshot, type HostView } from '../core/apply/index.js';
import { stockRuleset, stockWith } from '../core/testing/rulesets.js';
import { inThisThread, machineInWorker, type MachineRunner } from './machine-worker.js';

const STOCK = stockRuleset();
const GOOD = stockWith('-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n');
const host: HostView = { name: 'web1', clientAddress: '203.0.113.9', serverAddress: '192.0.2.10', sshPort: 22, inIface: 'eth0', localAddresses: ['192.0.2.10'], firewalld: 'masked' };
const session = { user: 'root', privilege: 'root', hostKeyType: 'ssh-ed25519', hostKeyFingerprint: 'SHA256:abc', route: ['root@192.0.2.10:22'] };
const snapshot: HostSnapshot = { savedPresent: true, savedText: STOCK, savedSha256: 'saved0', liveText: STOCK, liveRulesSha256: 'live0' };
const input: ApplyInput = {
  id: 'abcdef0123456789',
  host: 'web1',
  candidateName: 'new.rules',
  candidateText: GOOD,
  candidateSha256: 'cand',
  confirmTimeoutS: 60,
  confirm: 'auto',
  force: false,
  base: null,
};

/** a well-behaved host's answer to each action */
function answer(a: ApplyCommand, at: number): ApplyEvent {
  switch (a.kind) {
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
    case 'cancel':
      return { kind: 'cancelled', at };
    case 'persist':
      return { kind: 'persisted', at, sha256Sent: 'file1', sha256Host: 'file1', previousBackup: null, restorecon: false };
    case 'verify':
      return { kind: 'verified', at, savedSha256: 'file1', liveRulesSha256: 'live1' };
    default:
      throw new Error(`unexpected action ${a.kind}`);
  }
}

/** Drives a whole apply through a runner, as runApply does (only its state variable and the commands). */
async function drive(m: MachineRunner): Promise<{ kinds: string[]; commands: ApplyCommand[]; states: ApplyState[] }> {
  let state = initialState(input, 1_000_000);
  let event: ApplyEvent = { kind: 'start', at: 1_000_000 };
  const out = { kinds: [] as string[], commands: [] as ApplyCommand[], states: [] as ApplyState[] };
  try {
    for (let n = 0; n < 60; n++) {
      const t = await m.step(state, event);
      state = t.state;
      out.kinds.push(state.kind);
      out.commands.push(...t.commands);
      out.states.push(state);
      if (state.kind === 'done') return out;
      const action = t.commands.find(isAction)!;
      event = answer(action, 1_000_000 + (n + 1) * 10);
    }
    throw new Error('the apply did not finish');
  } finally {
    m.close?.();
  }
}

let dir: string;
let entry: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-machine-'));
  entry = join(dir, 'apply-machine.cjs');
  await build({ entryPoints: [join(__dirname, 'machine-worker-main.ts')], outfile: entry, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the apply machine in a worker thread', () => {
  it('steps a whole apply exactly as in this thread; the parsed candidate stays in the worker', async () => {
    const here = await drive(inThisThread);
    const there = await drive(machineInWorker(entry));
    expect(here.kinds.at(-1)).toBe('done');
    expect(here.states.at(-1)!.result!.outcome).toBe('confirmed');
    expect(there.kinds).toEqual(here.kinds);
    expect(there.commands).toEqual(here.commands);
    expect(there.states.at(-1)!.result).toEqual(here.states.at(-1)!.result);
    // the plan (made in the worker from the candidate it kept) reached the main side
    expect(there.states.some((s) => s.ctx.plan?.applyText)).toBe(true);
    expect(here.states.some((s) => s.ctx.candidate)).toBe(true);
    expect(there.states.some((s) => s.ctx.candidate)).toBe(false);
  });

  it('a worker that cannot start leaves the apply to this thread', async () => {
    const broken = join(dir, 'broken.cjs');
    writeFileSync(broken, 'throw new Error("cannot load")\n');
    const there = await drive(machineInWorker(broken));
    expect(there.states.at(-1)!.result!.outcome).toBe('confirmed');
  });

  it('an event out of place is answered as in this thread (the worker kept its state between steps)', async () => {
    const m = machineInWorker(entry);
    const state = initialState(input, 1);
    await m.step(state, { kind: 'start', at: 1 });
    // an event the machine cannot take in this state: both say so the same way
    const bad: ApplyEvent = { kind: 'locked', at: 2 };
    const viaWorker = await m.step(state, bad);
    m.close?.();
    const local = transition(transition(state, { kind: 'start', at: 1 }).state, bad);
    expect(viaWorker.commands).toEqual(local.commands);
    expect(viaWorker.state.kind).toBe(local.state.kind);
  });
});
