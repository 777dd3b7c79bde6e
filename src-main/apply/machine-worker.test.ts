// The apply machine in a real worker thread (its entry bundled by esbuild as
// the app's build does) steps exactly as it does in this thread: the same
// states and commands through a whole apply, with the parsed proposal kept
// in the worker (the main thread's copy is light) — and a worker that cannot
// start leaves the apply to this thread instead of failing it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialState, isAction, transition, type ApplyCommand, type ApplyEvent, type ApplyState } from '../core/apply/index.js';
import { applyInput, happyAnswer } from '../core/testing/apply-fixtures.js';
import { inThisThread, machineInWorker, type MachineRunner } from './machine-worker.js';

const input = applyInput();

/** a well-behaved host's answer to each action an automatically confirmed apply takes (any other is a failure here) */
const AUTO_CONFIRMED = new Set(['connect', 'lock', 'read-state', 'upload', 'test', 'arm', 'restore', 'probe', 'cancel', 'persist', 'verify']);
function answer(a: ApplyCommand, at: number): ApplyEvent {
  if (!AUTO_CONFIRMED.has(a.kind)) throw new Error(`unexpected action ${a.kind}`);
  return happyAnswer(a, at);
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
  it('steps a whole apply exactly as in this thread; the parsed proposal stays in the worker', async () => {
    const here = await drive(inThisThread);
    const there = await drive(machineInWorker(entry));
    expect(here.kinds.at(-1)).toBe('done');
    expect(here.states.at(-1)!.result!.outcome).toBe('confirmed');
    expect(there.kinds).toEqual(here.kinds);
    expect(there.commands).toEqual(here.commands);
    expect(there.states.at(-1)!.result).toEqual(here.states.at(-1)!.result);
    // the plan (made in the worker from the proposal it kept) reached the main side
    expect(there.states.some((s) => s.ctx.plan?.applyText)).toBe(true);
    expect(here.states.some((s) => s.ctx.proposal)).toBe(true);
    expect(there.states.some((s) => s.ctx.proposal)).toBe(false);
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
