// Journeys on one real lab host where the app must not lose or hide anything:
// a rule someone added by hand on the host (drift) is shown wherever the
// proposal is made or applied, and kept through the apply when the admin
// merges it in — checked inside the host, not through the app.
// Screenshots go to test-results/screenshots (or PORTCULLIS_SHOTS).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, addAndConnectPlain, useLabApp, applyChangesText } from './support/lab-app.js';
import { checkAccessibility } from './support/axe.js';

const LIVE_ONLY = '-A INPUT -s 198.18.200.9/32 -j DROP';

describe.skipIf(skipLab || skipE2e)('lab: drift is never dropped unseen', () => {
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-drift-', viewport: { width: 1280, height: 800 } }, (h) => ({ app, page, tmp } = h));

  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `drift-${name}.png`) });
  const hostRules = async () => String((await L.get().hostExec('plain', ['iptables-save'])).stdout);

  it('connects to a host whose running rules have one the saved file lacks', async () => {
    const lab = L.get();
    // someone ran this by hand on the host: it runs, it is not saved
    await lab.hostExec('plain', ['iptables', '-I', 'INPUT', '1', '-s', '198.18.200.9', '-j', 'DROP']);
    await addAndConnectPlain(page, lab, tmp, 'drifted');
    // the overview says it at once, with the rule
    const notice = page.locator('[data-testid=drift][data-where=overview]');
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/Running has 1 rule the saved file lacks: applying removes it\./);
    expect(await notice.innerText()).toContain('-s 198.18.200.9/32 -j DROP');
    await shot('overview');
  });

  it('the apply step says the apply would remove it, next to the change count', async () => {
    await byId('pane-apply').click();
    const notice = page.locator('[data-testid=drift][data-where=apply]');
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/applying removes it/);
    expect(await applyChangesText(page)).toMatch(/1 change to the running rules: 1 deleted/);
    await checkAccessibility(page, 'host apply with drift');
    await shot('apply-warns');
  });

  it('the admin edits the proposal, merges the live-only rule in and applies: the hand-made rule still runs', async () => {
    await byId('pane-compare').click();
    expect(await page.locator('[data-testid=drift][data-where=compare]').innerText()).toMatch(/applying removes it/);
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    await byId('edit-text').fill(text.replace(/^(-A INPUT -j REJECT)/m, '-A INPUT -p tcp -m tcp --dport 8443 -j ACCEPT\n$1'));
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await byId('drift-merge-compare').click();
    await page.locator('[data-testid=host-note]', { hasText: /Merged 1 running rule/ }).waitFor();
    // the drift note is worked out again from the merged proposal (in the analysis worker): it may follow the merge's
    // note by a moment, so it is waited for, not read at once (read at once, it failed once in CI on a quiet machine)
    await page.locator('[data-testid=drift][data-where=compare]', { hasText: /the proposal keeps it/ }).waitFor();
    // against the running rules only the admin's own rule is a change
    await byId('pair-running-proposed').click();
    await page.locator('[data-testid=diff-summary]', { hasText: '1 change' }).waitFor();
    expect(await byId('diff-summary').innerText()).toMatch(/1 added/);
    await shot('merged');

    await byId('pane-apply').click();
    expect(await applyChangesText(page)).toMatch(/1 change to the running rules: 1 added/);
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });

    const live = await hostRules();
    expect(live).toContain(LIVE_ONLY);
    expect(live).toContain('--dport 8443 -j ACCEPT');
    // the hand-made rule is first, where it ran before
    expect(live.split('\n').find((l) => l.startsWith('-A INPUT'))).toBe(LIVE_ONLY);
    const saved = (await L.get().readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8');
    expect(saved).toContain('-A INPUT -s 198.18.200.9/32 -j DROP');
    // saved = running now: no drift left
    await page.locator('[data-testid=drift]').first().waitFor({ state: 'detached' });
  });

  it('history: every pulled and applied version is kept; two compare; an older one goes back through safe apply', async () => {
    await byId('pane-history').click();
    const versions = page.locator('[data-testid=version]');
    await versions.first().waitFor();
    const kinds = await versions.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['saved', 'running', 'applied']));
    expect(await page.locator('[data-testid=version][data-kind=applied]').first().innerText()).toMatch(/Confirmed/);
    await checkAccessibility(page, 'host history');
    await shot('history');
    // the stock file of the first pull against what the apply put live
    const oldest = page.locator('[data-testid=version][data-kind=saved]').last();
    const oldestId = await oldest.getAttribute('data-id');
    await oldest.getByTestId('version-pick').check();
    await page.locator('[data-testid=version][data-kind=applied]').first().getByTestId('version-pick').check();
    await byId('versions-compare').click();
    const cmp = byId('version-compare');
    await cmp.getByTestId('diff-summary').waitFor();
    expect(await cmp.getByTestId('diff-summary').innerText()).toBe('2 changes: 2 added');
    expect(await cmp.getByTestId('diff-list').innerText()).toContain('-s 198.18.200.9/32 -j DROP');
    await checkAccessibility(page, 'two versions compared');
    await shot('history-compare');
    await byId('version-compare-close').click();

    // restore: the old version becomes the proposal, shown against the running rules, then applied safely
    await page.locator(`[data-testid=version][data-id="${oldestId}"]`).getByTestId('version-use').click();
    await page.locator('[data-testid=host-note]', { hasText: /The proposal is now saved file of/ }).waitFor();
    await page.locator('[data-testid=diff-summary]', { hasText: '2 changes' }).waitFor();
    expect(await byId('diff-summary').innerText()).toMatch(/2 deleted/);
    await byId('pane-apply').click();
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });
    const live = await hostRules();
    expect(live).not.toContain('198.18.200.9');
    expect(live).not.toContain('--dport 8443');
    const saved = (await L.get().readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8');
    expect(saved).toContain('# sample configuration for iptables service');
    expect(saved).not.toContain('8443');
  });

  it('keep-or-revert: Revert has the focus, keys in the first second are ignored, then Escape reverts', async () => {
    await byId('pane-compare').click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    await byId('edit-text').fill(text.replace(/^(-A INPUT -j REJECT)/m, '-A INPUT -p tcp -m tcp --dport 9443 -j ACCEPT\n$1'));
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await byId('pane-apply').click();
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    const ask = byId('apply-ask');
    await ask.waitFor({ timeout: 60_000 });
    expect(await ask.getAttribute('role')).toBe('alertdialog');
    expect(await ask.innerText()).toMatch(/Keep the new firewall rules on drifted\?[\s\S]*drifted will restore its previous rules by itself in \d:\d\d unless you keep them/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('apply-revert');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    expect(await ask.isVisible()).toBe(true);
    await page.waitForTimeout(1000);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=apply-outcome][data-outcome=reverted]').waitFor({ timeout: 60_000 });
    expect(await hostRules()).not.toContain('--dport 9443');
  });

  it('a locked-out wait: the host\'s countdown instead of a spinner, one reason, no CLI words; the rules go back', async () => {
    await byId('pane-compare').click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    // new SSH connections are dropped; the open one (ESTABLISHED) lives on
    const locked = text.replace(/^(-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT)/m, '-A INPUT -p tcp -m tcp --dport 22 -j DROP\n$1');
    expect(locked).not.toBe(text);
    await byId('edit-text').fill(locked);
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await byId('pane-apply').click();
    await byId('apply-lockout').waitFor();
    await byId('apply-force').check();
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    const wait = page.locator('[data-testid=apply-wait][data-phase=probing]');
    await wait.waitFor({ timeout: 60_000 });
    expect(await wait.innerText()).toMatch(/Testing a new SSH connection to drifted…[\s\S]*drifted will restore its previous rules by itself in 0:\d\d \(at \d\d:\d\d:\d\d\) unless you keep them/);
    const first = await byId('apply-countdown').innerText();
    await page.waitForTimeout(2100);
    expect(await byId('apply-countdown').innerText()).not.toBe(first);
    await checkAccessibility(page, 'the locked-out wait');
    await shot('lockout-wait');
    await page.locator('[data-testid=apply-outcome][data-outcome=reverted]').waitFor({ timeout: 90_000 });
    const panel = await byId('apply-panel').innerText();
    await shot('lockout-outcome');
    expect(panel).not.toMatch(/--force/);
    const outcome = await byId('apply-outcome').innerText();
    expect(outcome.match(/no new SSH connection/gi) ?? []).toHaveLength(1);
    // the host runs its previous rules again (checked inside the host)
    expect(await hostRules()).not.toMatch(/--dport 22 -j DROP/);
    expect(await byId('host-status').innerText()).toMatch(/Connected as root/);
  });

  it('left no CSP violations or page errors', async () => {
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
