// Shared by every *.lab.test.ts: whether the lab can run here, and one lab per test file.
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUnavailableReason, startLab, type Lab, type StartLabOptions } from './lab.js';
import { systemdUnavailableReason } from './systemd-root.js';

const reason = labUnavailableReason();
/**
 * Lab tests skip (with the reason on stderr) where the lab cannot run, except
 * under CI=true: there a missing lab must fail, not pass quietly.
 */
export const skipLab = !!reason && process.env.CI !== 'true';
if (reason) process.stderr.write(`lab tests ${skipLab ? 'skipped' : 'will fail (CI=true)'}: ${reason}\n`);

const systemdReason = reason ? undefined : systemdUnavailableReason();
/** The systemd host (a container) needs more of the machine: its tests skip likewise, except under CI=true. */
export const skipSystemd = skipLab || (!!systemdReason && process.env.CI !== 'true');
if (systemdReason) process.stderr.write(`lab tests on the systemd host ${skipSystemd ? 'skipped' : 'will fail (CI=true)'}: ${systemdReason}\n`);

/** Starts a lab for the calling test file; call from beforeAll, stop it in afterAll. */
export function useLab(opts: StartLabOptions = {}): { get(): Lab; start(): Promise<Lab>; stop(): Promise<void> } {
  let lab: Lab | undefined;
  return {
    get() {
      if (!lab) throw new Error('lab not started');
      return lab;
    },
    async start() {
      lab = await startLab(opts);
      return lab;
    },
    async stop() {
      await lab?.stop();
    },
  };
}

/**
 * The setup of the lab specs that drive the CLI or sessions directly: a scratch
 * directory (`scratch` gets its path), a lab for the describe() it is called in,
 * and the test runner's own ssh-agent hidden (it must not log us in). With
 * `stateDir`, PORTCULLIS_STATE_DIR points into the scratch directory (history,
 * keychain and versions of the run stay there). `startTimeout` is for labs with
 * the systemd host, whose root file system the first run on a machine builds.
 * Registers the describe()'s beforeAll/afterAll hooks; everything is undone after it.
 */
export function useLabScratch(
  opts: StartLabOptions & { tmpPrefix: string; stateDir?: boolean; startTimeout?: number },
  scratch: (dir: string) => void,
): ReturnType<typeof useLab> {
  const { tmpPrefix, stateDir, startTimeout, ...labOpts } = opts;
  const L = useLab(labOpts);
  let tmp = '';
  const savedAgent = process.env.SSH_AUTH_SOCK;
  const savedState = process.env.PORTCULLIS_STATE_DIR;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), tmpPrefix));
    scratch(tmp);
    delete process.env.SSH_AUTH_SOCK;
    if (stateDir) process.env.PORTCULLIS_STATE_DIR = join(tmp, 'state');
    await L.start();
  }, startTimeout);
  afterAll(async () => {
    try {
      await L.stop();
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
      if (stateDir) {
        if (savedState === undefined) delete process.env.PORTCULLIS_STATE_DIR;
        else process.env.PORTCULLIS_STATE_DIR = savedState;
      }
    }
  });
  return L;
}
