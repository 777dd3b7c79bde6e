// A new user takes their time at the "Unknown host key" dialog (comparing the
// fingerprint with a colleague); the server's LoginGraceTime (3 s on the lab's
// `grace` host, 120 s by default) runs out first. In the real app: the dialog
// says the server stopped waiting, Trust still counts, the key is saved, the
// app connects again by itself, and main is alive and serving throughout.
// A password-only jump host in the app asks for its own password, by name.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { LAB_PASSWORDS } from './lab/lab.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { useLabApp } from './support/lab-app.js';
import { labSshHome } from './support/ssh-home.js';

describe.skipIf(skipLab || skipE2e)('e2e lab: late host-key answer, jump host passwords', () => {
  let app: AppHandle;
  let page: Page;
  let ssh: { key: string; knownHosts: string };
  const L = useLabApp(
    {
      hosts: ['grace', 'pwinner'],
      tmpPrefix: 'pcl-e2e-late-',
      viewport: { width: 1280, height: 800 },
      // the lab key under ~/.ssh before the app starts
      beforeLaunch: (home, lab) => {
        ssh = labSshHome(home, lab.get().keys.plain);
      },
    },
    (h) => ({ app, page } = h),
  );
  const byId = (id: string) => page.getByTestId(id);

  async function addHost(name: string, target: string, jump = '', identity = true): Promise<void> {
    await byId('tab-hosts').click();
    await byId('host-add').click();
    await byId('host-field-name').fill(name);
    await byId('host-field-target').fill(target);
    await byId('host-field-jump').fill(jump);
    if (identity) await byId('host-field-identityFile').fill(ssh.key);
    await byId('host-field-knownHostsFile').fill(ssh.knownHosts);
    await byId('host-save').click();
    await page.locator('[data-testid=host-name]', { hasText: name }).waitFor();
  }

  it('Trust clicked 5 s after the server (LoginGraceTime 3) gave up: the dialog says so, the key is saved, the host connects by itself', async () => {
    const lab = L.get();
    await addHost('grace', `root@${lab.hosts.grace.address}`);
    await byId('host-connect').click();
    await page.locator('[data-testid=prompt-dialog][data-kind=host-key]').waitFor();
    const fp = await byId('prompt-fingerprint').innerText();
    await page.waitForTimeout(5000);
    await byId('prompt-server-gone').waitFor({ timeout: 5000 });
    expect(await byId('prompt-server-gone').innerText()).toMatch(/stopped waiting/);
    await byId('prompt-trust').click();
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
    expect(readFileSync(ssh.knownHosts, 'utf8')).toContain(lab.hosts.grace.hostKeys.find((k) => k.fingerprint === fp)!.publicKey.split(' ')[1]);
    // main is alive and answering
    expect(await byId('fact-os').innerText()).toMatch(/CentOS/);
  });

  it('a password-only jump host and a target behind it: each password asked by name for its own hop', async () => {
    const lab = L.get();
    await addHost('behind', `hank@${lab.hosts.pwinner.address}`, `gina@${lab.hosts.pwgate.address}`, false);
    await byId('host-connect').click();
    const trustKey = async (address: string) => {
      await page.locator('[data-testid=prompt-dialog][data-kind=host-key]').waitFor();
      expect(await byId('prompt-dialog').innerText()).toContain(address);
      await byId('prompt-trust').click();
    };
    // first the jump host's key, then its password; then the target's key and password
    await trustKey(lab.hosts.pwgate.address);
    await page.locator('[data-testid=prompt-dialog][data-kind=password]').waitFor();
    expect(await byId('prompt-dialog').innerText()).toContain(`password for gina@${lab.hosts.pwgate.address}`);
    await byId('prompt-secret').fill(LAB_PASSWORDS.gina);
    await byId('prompt-ok').click();
    await trustKey(lab.hosts.pwinner.address);
    await page.locator('[data-testid=prompt-dialog][data-kind=password]').waitFor();
    expect(await byId('prompt-dialog').innerText()).toContain(`password for hank@${lab.hosts.pwinner.address}`);
    await byId('prompt-secret').fill(LAB_PASSWORDS.hank);
    await byId('prompt-ok').click();
    await page.locator('[data-testid=host-status]', { hasText: /Connected as hank/ }).waitFor({ timeout: 30_000 });
    const log = lab.sshdLog('pwgate');
    expect(log).toMatch(/Accepted password for gina/);
    expect(log).not.toMatch(/Failed \S+ for gina/);
  });
});
