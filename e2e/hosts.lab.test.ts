// The product's main workflow in the app (browser mode, Chromium) against a
// real lab host: add a host profile, trust its host key after seeing the
// fingerprint, read the facts, pull, add rules with a recipe wizard, see the
// diff and the findings, apply and confirm — then check ON THE HOST (inside its
// namespaces, not through the app) that the rules run and are saved. A changed
// host key is refused with both fingerprints and no way around it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab, useLab } from './lab/testing.js';
import { buildApp, launchApp, skipE2e, type AppHandle } from './support/app.js';
import { applyChangesText } from './support/lab-app.js';
import { labSshHome } from './support/ssh-home.js';

const SHOTS = process.env.PORTCULLIS_SHOTS ?? tmpdir();

describe.skipIf(skipLab || skipE2e)('lab: the host workflow in the app', () => {
  const L = useLab({ hosts: ['plain'] });
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  let knownHosts = '';
  let stateDir = '';

  beforeAll(async () => {
    buildApp();
    await L.start();
    tmp = mkdtempSync(join(tmpdir(), 'pcl-e2e-hosts-'));
    knownHosts = join(tmp, '.ssh', 'known_hosts');
    stateDir = join(tmp, 'state');
    // no agent of the test runner's, no ~/.ssh/config: only what the profile says
    app = await launchApp({ env: { SSH_AUTH_SOCK: '', PORTCULLIS_STATE_DIR: stateDir, HOME: tmp }, viewport: { width: 1360, height: 860 } });
    page = app.page;
  });

  afterAll(async () => {
    await app?.close();
    await L.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `portcullis-hosts-${name}.png`) });
  const byId = (id: string) => page.getByTestId(id);

  it('starts with an empty host list that says what to do', async () => {
    await byId('tab-hosts').click();
    await byId('hosts-empty').waitFor();
    expect(await byId('hosts-empty').innerText()).toMatch(/Add a CentOS 7 host/);
    await shot('empty');
  });

  it('adds a host profile; a bad address is explained beside its field', async () => {
    const lab = L.get();
    await byId('host-add').click();
    await byId('host-form').waitFor();
    await byId('host-field-name').fill('lab plain');
    await byId('host-field-target').fill('root@bad host');
    await byId('host-field-identityFile').fill(labSshHome(tmp, lab.keys.plain).key);
    await byId('host-field-knownHostsFile').fill(knownHosts);
    await byId('host-save').click();
    await byId('host-error-target').waitFor();
    expect(await byId('host-error-target').innerText()).toMatch(/not a host name/);
    await shot('form-error');
    await byId('host-field-target').fill(`root@${lab.hosts.plain.address}`);
    await byId('host-save').click();
    await byId('host-name').waitFor();
    expect(await byId('host-name').innerText()).toBe('lab plain');
    expect(await byId('host-status').innerText()).toBe('Not connected');
  });

  it('shows the unknown host key with its SHA256 fingerprint; trusting it writes known_hosts', async () => {
    const lab = L.get();
    await byId('host-connect').click();
    const dialog = byId('prompt-dialog');
    await page.locator('[data-testid=prompt-dialog][data-kind=host-key]').waitFor();
    const fp = await byId('prompt-fingerprint').innerText();
    expect(lab.hosts.plain.hostKeys.map((k) => k.fingerprint)).toContain(fp);
    // how to check it on the server names the one key file that holds this key
    expect(await dialog.innerText()).toMatch(/ssh-keygen -lf \/etc\/ssh\/ssh_host_(ed25519|ecdsa|rsa)_key\.pub/);
    await shot('hostkey');
    // keyboard: the trust button is reachable and activates with Enter
    await byId('prompt-trust').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
    expect(await dialog.isVisible()).toBe(false);
    expect(readFileSync(knownHosts, 'utf8')).toContain(lab.hosts.plain.hostKeys.find((k) => k.fingerprint === fp)!.publicKey.split(' ')[1]);
  });

  it('shows the facts: OS, iptables, firewalld, privilege and the address the server sees', async () => {
    const lab = L.get();
    await byId('facts').waitFor();
    expect(await byId('fact-os').innerText()).toMatch(/CentOS/);
    expect(await byId('fact-iptables').innerText()).toMatch(/legacy/);
    expect(await byId('fact-firewalld').innerText()).toBe('masked');
    expect(await byId('fact-privilege').innerText()).toMatch(/^root/);
    expect(await byId('fact-client').innerText()).toBe(lab.hosts.plain.peerAddress);
    await shot('facts');
  });

  it('pulls: saved and running rules are the same; the proposal starts as the saved file', async () => {
    await byId('pane-compare').click();
    await byId('pair-saved-running').click();
    expect(await byId('diff-summary').innerText()).toMatch(/No differences/);
    await byId('pair-running-proposed').click();
    expect(await byId('diff-summary').innerText()).toMatch(/No differences/);
    expect(await byId('lint-client').innerText()).toContain(L.get().hosts.plain.peerAddress);
  });

  it('runs the dos-limit wizard: a bad port is explained inline, the preview explains each rule and where it goes', async () => {
    await byId('pane-recipes').click();
    await byId('recipe-dos-limit').click();
    await byId('recipe-form').waitFor();
    // this workflow is about the IPv4 firewall: the lab host has IPv6 too, so the wizard starts with both
    expect(await byId('family-both').isChecked()).toBe(true);
    await byId('family-4').check();
    // the defaults of the schema are filled in
    expect(await byId('param-limit').inputValue()).toBe('25/minute');
    expect(await byId('param-burst').inputValue()).toBe('100');
    await byId('param-port').fill('http-ish');
    await byId('param-port').press('Tab');
    await byId('param-error-port').waitFor();
    expect(await byId('param-error-port').innerText()).toMatch(/not a port/);
    expect(await byId('param-port').getAttribute('aria-invalid')).toBe('true');
    expect(await byId('preview-waiting').innerText()).toMatch(/Correct the values marked above/);
    // submitting takes the keyboard to the field to correct
    await byId('recipe-add').focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('param-port');
    await byId('param-port').fill('80');
    await byId('preview-rule').first().waitFor();
    const preview = await byId('recipe-preview').innerText();
    expect(preview).toMatch(/filter · INPUT · rule \d+/i);
    expect(preview).toContain('--limit 25/min --limit-burst 100 -j ACCEPT');
    expect(preview).toMatch(/drops the new connections to port 80 over the limit/);
    await shot('wizard');
    await byId('recipe-add').click();
    // back on the comparison, with the new rules against the running ones
    await page.locator('[data-testid=diff-summary]', { hasText: /\d+ changes?/ }).waitFor();
    expect(await byId('diff-summary').innerText()).toMatch(/added/);
    expect(await byId('host-note').innerText()).toMatch(/Added \d rules of the recipe/);
    expect(await byId('proposed-findings').innerText()).not.toMatch(/ssh-lockout/);
    await shot('diff');
  });

  it('applies: progress per step, a countdown to confirm, then the outcome and its audit entry', async () => {
    await byId('pane-apply').click();
    expect(await applyChangesText(page)).toMatch(/\d+ changes? to the running rules/);
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    // the apply's state machine ran in main's worker thread, not in main's event loop
    expect(app.output()).not.toContain('its state machine runs in the main thread');
    const steps = await byId('apply-steps').innerText();
    // one family or both (the wizard adds the recipe's IPv6 rules too where the host has IPv6): each restore --test passed
    expect(steps).toMatch(/iptables-restore --test (passes|and ip6tables-restore --test pass)/);
    expect(steps).toMatch(/Revert timer armed on the host/);
    expect(steps).toMatch(/A new SSH connection got in \((\d+ ms|\d+\.\d s)\)/);
    // the host's deadline is a local time, the UTC time in its tooltip; no raw UTC clock
    expect(steps).not.toMatch(/\d\d:\d\d:\d\dZ/);
    expect(await page.locator('[data-testid=apply-steps] [data-step=restore] .msg time').getAttribute('title')).toMatch(/^\d\d:\d\d:\d\d UTC$/);
    expect(await page.locator('[data-testid=apply-steps] li time.at').first().getAttribute('title')).toMatch(/^\d\d:\d\d:\d\d UTC$/);
    // the host's own deadline as m:ss
    const [, m, sec] = /^(\d+):(\d\d)$/.exec(await byId('apply-countdown').innerText())!;
    const left = Number(m) * 60 + Number(sec);
    expect(left).toBeGreaterThan(5);
    expect(left).toBeLessThanOrEqual(30);
    expect(await byId('apply-probe').innerText()).toMatch(/New SSH connection succeeded at \d\d:\d\d/);
    await shot('countdown');
    // Revert is the default (it has the focus); keeping is a deliberate click
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('apply-revert');
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });
    const outcome = await byId('apply-outcome').innerText();
    expect(outcome).toMatch(/saved to \/etc\/sysconfig\/iptables/);
    // sentence case, a human duration, no raw milliseconds
    expect(outcome).toMatch(/Applied, confirmed through a new SSH connection \((\d{1,3} ms|\d+\.\d s|\d+ s) after the start\)/);
    expect(outcome).not.toMatch(/\d{4,} ms/);
    const audit = await byId('audit-entry').innerText();
    expect(audit).toMatch(/Got in after (\d+ ms|\d+\.\d s)/);
    expect(audit).toMatch(/took (\d{1,3} ms|\d+(\.\d)? s), confirmed after (\d{1,3} ms|\d+(\.\d)? s)/);
    expect(await byId('audit-when').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot('outcome');
    await page.screenshot({ path: '/tmp/polish-apply-outcome.png' });
  });

  it('the rules run on the host and are saved (checked inside the host, not through the app)', async () => {
    const lab = L.get();
    const live = String((await lab.hostExec('plain', ['iptables-save'])).stdout);
    expect(live).toMatch(/-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -m limit --limit 25\/min --limit-burst 100 -j ACCEPT/);
    expect(live).toMatch(/-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j DROP/);
    const saved = (await lab.readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8');
    expect(saved).toContain('--limit 25/min --limit-burst 100 -j ACCEPT');
    // the admin's file keeps its comments
    expect(saved).toContain('# sample configuration for iptables service');
    // and the pull after the apply shows saved = running = proposed
    await byId('pane-compare').click();
    await byId('pair-running-proposed').click();
    await page.locator('[data-testid=diff-summary]', { hasText: 'No differences' }).waitFor();
  });

  it('lists the apply in the host history', async () => {
    await byId('pane-history').click();
    await page.locator('[data-testid=history-row][data-outcome=confirmed]').first().waitFor();
    const row = byId('history-row').first();
    expect(await row.innerText()).toMatch(/^Confirmed\s[\s\S]*Applied, confirmed/);
    expect(await row.locator('time').getAttribute('title')).toMatch(/UTC$/);
    await byId('history-row').first().click();
    expect(await byId('audit-entry').innerText()).toMatch(/Changes/);
    await shot('history');
    await page.screenshot({ path: '/tmp/polish-history.png' });
  });

  it('a proposal that would lock you out: the new apply comes first, blocked until forced', async () => {
    await byId('pane-compare').click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    await byId('edit-text').fill(text.replace(/^(-A INPUT )/m, '-A INPUT -p tcp -m tcp --dport 22 -j DROP\n$1'));
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await byId('pane-apply').click();
    await byId('apply-lockout').waitFor();
    // the proposal to apply is above the record of the last apply
    const order = await page.evaluate(() => {
      const prepare = document.querySelector('#apply-title')!;
      const last = document.querySelector('#progress-title')!;
      return prepare.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING ? 'prepare first' : 'last first';
    });
    expect(order).toBe('prepare first');
    expect(await byId('apply-start').isDisabled()).toBe(true);
    expect(await byId('apply-blocked').innerText()).toMatch(/Go on despite/);
    await byId('apply-force').check();
    expect(await byId('apply-start').isDisabled()).toBe(false);
    await shot('lockout');
    await byId('apply-force').uncheck();
    await byId('pane-compare').click();
    // Reset asks before it discards the edits: Keep has the focus, Escape keeps them
    await page.getByRole('button', { name: 'Reset proposal' }).click();
    await byId('discard-dialog').waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('discard-cancel');
    await page.keyboard.press('Escape');
    await byId('discard-dialog').waitFor({ state: 'hidden' });
    expect(await byId('diff-summary').innerText()).not.toMatch(/No differences/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('proposal-reset');
    await page.getByRole('button', { name: 'Reset proposal' }).click();
    await byId('discard-confirm').click();
    await page.locator('[data-testid=diff-summary]', { hasText: 'No differences' }).waitFor();
  });

  it('"Edit as text" never throws typed text away silently: Escape with changes asks first', async () => {
    await byId('pane-compare').click();
    const dialog = byId('edit-dialog');
    // nothing changed: Escape closes at once
    await byId('proposed-edit').click();
    await dialog.waitFor();
    const original = await byId('edit-text').inputValue();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // changed: Escape asks, with Keep editing focused; Escape again keeps editing
    await byId('proposed-edit').click();
    await byId('edit-text').fill(original + '# my note\n');
    await byId('edit-text').press('Escape');
    await byId('edit-discard-ask').waitFor();
    expect(await dialog.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('edit-keep');
    await page.screenshot({ path: '/tmp/polish-edit-discard.png' });
    await page.keyboard.press('Escape');
    await byId('edit-discard-ask').waitFor({ state: 'hidden' });
    expect(await dialog.isVisible()).toBe(true);
    expect(await byId('edit-text').inputValue()).toContain('# my note');
    // pressed again and again, Escape still never loses the text
    await byId('edit-text').press('Escape');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    // (Chromium closes a dialog on a repeated Escape whatever it says; it opens again, asking)
    await page.waitForTimeout(200);
    await dialog.waitFor();
    expect(await byId('edit-text').inputValue()).toContain('# my note');
    // Cancel asks too; Discard closes and the next edit starts from the proposal
    if (!(await byId('edit-discard-ask').isVisible())) await byId('edit-cancel').click();
    await byId('edit-discard').click();
    await dialog.waitFor({ state: 'hidden' });
    await byId('proposed-edit').click();
    expect(await byId('edit-text').inputValue()).toBe(original);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('keeps an edited proposal across a disconnect and a new connection', async () => {
    await byId('pane-compare').click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    await byId('edit-text').fill(text.replace(/^(-A INPUT -j REJECT)/m, '-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n$1'));
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await page.locator('[data-testid=diff-summary]', { hasText: '1 change' }).waitFor();
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.locator('[data-testid=host-status]', { hasText: 'Not connected' }).waitFor();
    await byId('host-connect').click();
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
    await byId('pane-compare').click();
    await page.locator('[data-testid=diff-summary]', { hasText: '1 change' }).waitFor();
    expect(await byId('host-note').innerText()).toMatch(/proposed ruleset was kept/);
    await page.getByRole('button', { name: 'Reset proposal' }).click();
    await byId('discard-confirm').click();
    await page.locator('[data-testid=diff-summary]', { hasText: 'No differences' }).waitFor();
  });

  it('browser mode: an edited proposal survives a page reload (kept per host in sessionStorage) and says so', async () => {
    await byId('pane-compare').click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    await byId('edit-text').fill(text.replace(/^(-A INPUT -j REJECT)/m, '-A INPUT -p tcp -m tcp --dport 8443 -j ACCEPT\n$1'));
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await page.locator('[data-testid=diff-summary]', { hasText: '1 change' }).waitFor();
    await page.reload();
    await byId('tab-hosts').click();
    await page.locator('[data-testid=host-note]', { hasText: /restored after the page reloaded/ }).waitFor();
    await page.screenshot({ path: '/tmp/polish-draft-restored.png' });
    // only the ruleset text (and the page's token) is in the tab's storage
    const stored = await page.evaluate(() => Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)!] as const));
    const drafts = stored.filter(([k]) => k.startsWith('portcullis.proposal.'));
    expect(drafts).toHaveLength(1);
    expect(Object.keys(JSON.parse(drafts[0][1])).sort()).toEqual(['savedAt', 'text']);
    expect(JSON.parse(drafts[0][1]).text).toContain('--dport 8443 -j ACCEPT');
    if (await byId('host-connect').isVisible()) await byId('host-connect').click();
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
    await byId('pane-compare').click();
    await page.locator('[data-testid=diff-summary]', { hasText: '1 change' }).waitFor();
    expect(await byId('host-note').innerText()).toMatch(/restored/);
    await page.screenshot({ path: '/tmp/polish-draft-connected.png' });
    // Reset forgets the draft: the next reload starts from the host
    await page.getByRole('button', { name: 'Reset proposal' }).click();
    await byId('discard-confirm').click();
    await page.locator('[data-testid=diff-summary]', { hasText: 'No differences' }).waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('portcullis.proposal.')))).toEqual([]);
    await page.reload();
    await byId('tab-hosts').click();
    await byId('host-name').waitFor();
    expect(await byId('host-note').count()).toBe(0);
    if (await byId('host-connect').isVisible()) await byId('host-connect').click();
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
  });

  it('refuses a CHANGED host key, showing both fingerprints, with no override', async () => {
    const lab = L.get();
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.locator('[data-testid=host-status]', { hasText: 'Not connected' }).waitFor();
    // known_hosts now says the host has another ed25519 key
    const other = readFileSync(`${lab.keys.stranger}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(knownHosts, `${lab.hosts.plain.address} ${other}\n`);
    await byId('host-connect').click();
    await page.locator('[data-testid=host-error][data-kind=host-key-changed]').waitFor({ timeout: 30_000 });
    const offered = await byId('key-offered').innerText();
    const expected = await byId('key-expected').innerText();
    expect(offered).toMatch(/SHA256:/);
    expect(expected).toMatch(/SHA256:/);
    expect(offered).not.toBe(expected);
    expect(lab.hosts.plain.hostKeys.map((k) => k.fingerprint)).toContain(offered.split(' ')[1]);
    expect(await byId('prompt-dialog').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: /trust/i }).count()).toBe(0);
    expect(await byId('host-status').innerText()).toBe('Not connected');
    await shot('hostkey-changed');
  });

  it('left no CSP violations or page errors', async () => {
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
