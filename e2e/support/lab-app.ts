// The setup every lab e2e spec shares: start the lab's hosts, then the app in
// browser mode with its own HOME and state directory (no ssh-agent), and take
// all of it down afterwards. Registers the beforeAll/afterAll hooks of the
// describe() it is called in; `ready` gets the running app.
import { afterAll, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { useLab } from '../lab/testing.js';
import type { Lab } from '../lab/lab.js';
import { labSshHome } from './ssh-home.js';
import { buildApp, launchApp, REPO, type AppHandle } from './app.js';

/** where lab specs put their screenshots */
export const SHOTS = process.env.PORTCULLIS_SHOTS ?? join(REPO, 'test-results', 'screenshots');

export interface LabAppOptions {
  /** the lab hosts to start */
  hosts: string[];
  /** prefix of the temporary HOME (names the spec in /tmp) */
  tmpPrefix: string;
  viewport: { width: number; height: number };
  /** runs once HOME exists, before the app starts (to put files the app reads at start) */
  beforeLaunch?: (tmp: string, lab: ReturnType<typeof useLab>) => void;
}

export interface LabApp {
  app: AppHandle;
  page: Page;
  /** the app's HOME (its state directory is tmp/state) */
  tmp: string;
}

export function useLabApp(opts: LabAppOptions, ready: (h: LabApp) => void): ReturnType<typeof useLab> {
  const L = useLab({ hosts: opts.hosts });
  let app: AppHandle | undefined;
  let tmp = '';

  beforeAll(async () => {
    buildApp();
    await L.start();
    mkdirSync(SHOTS, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
    opts.beforeLaunch?.(tmp, L);
    app = await launchApp({ env: { SSH_AUTH_SOCK: '', PORTCULLIS_STATE_DIR: join(tmp, 'state'), HOME: tmp }, viewport: opts.viewport });
    ready({ app, page: app.page, tmp });
  });

  afterAll(async () => {
    await app?.close();
    await L.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  return L;
}

/** Runs argv on a lab host (with `input` on stdin): its stdout, or an error naming the command and its stderr. */
export async function hostRun(L: ReturnType<typeof useLab>, host: string, argv: string[], input?: string): Promise<string> {
  const r = await L.get().hostExec(host, argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return String(r.stdout);
}

/**
 * Adds the lab's `plain` host in the Hosts tab (the lab key under HOME's ~/.ssh),
 * connects, trusts its key when asked, and waits until it is connected as root.
 */
export async function addAndConnectPlain(page: Page, lab: Lab, home: string, name: string): Promise<void> {
  const byId = (id: string) => page.getByTestId(id);
  await byId('tab-hosts').click();
  await byId('host-add').click();
  await byId('host-field-name').fill(name);
  await byId('host-field-target').fill(`root@${lab.hosts.plain.address}`);
  const ssh = labSshHome(home, lab.keys.plain);
  await byId('host-field-identityFile').fill(ssh.key);
  await byId('host-field-knownHostsFile').fill(ssh.knownHosts);
  await byId('host-save').click();
  await byId('host-connect').click();
  await page.locator('[data-testid=prompt-dialog][data-kind=host-key]').waitFor();
  await byId('prompt-trust').click();
  await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
}

/**
 * The apply pane's line on what applying changes for one family, once the
 * worker's comparison with the running rules is done (until then it says
 * "Comparing…": reading it at once raced the comparison on a loaded machine).
 */
export async function applyChangesText(page: Page, family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<string> {
  const id = family === 'ipv4' ? 'apply-changes' : 'apply-changes-ipv6';
  const settled = page.locator(`[data-testid=${id}]:not(:has([data-comparing]))`);
  await settled.waitFor({ timeout: 60_000 });
  return settled.innerText();
}
