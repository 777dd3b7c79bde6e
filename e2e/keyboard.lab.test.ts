// The main journey by keyboard only, in a small window (1024×700), against a
// real lab host: add the host, connect and trust its key, look at the
// comparison, run a recipe, apply and keep — Tab, arrows, Enter, Escape,
// Ctrl+K and `?`, never a click. After each action the focus is somewhere
// useful (never the page body), and axe-core finds no serious or critical
// violation on any view it passes (G1, G2).
// Screenshots go to test-results/screenshots (or PORTCULLIS_SHOTS).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, useLabApp } from './support/lab-app.js';
import { labSshHome } from './support/ssh-home.js';
import { checkAccessibility } from './support/axe.js';

describe.skipIf(skipLab || skipE2e)('lab: the main journey by keyboard only, at 1024×700', () => {
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-keys-', viewport: { width: 1024, height: 700 } }, (h) => ({ app, page, tmp } = h));

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `keyboard-${name}.png`) });
  const focused = () => page.evaluate(() => ({ testid: document.activeElement?.getAttribute('data-testid') ?? null, body: document.activeElement === document.body, tag: document.activeElement?.tagName }));
  /** Presses Tab until the control with this test id has the focus (at most `max` times). */
  async function tabTo(testid: string, max = 40, back = false): Promise<number> {
    for (let n = 0; n <= max; n++) {
      if ((await focused()).testid === testid) return n;
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`${testid} not reached with ${max} ${back ? 'Shift+Tab' : 'Tab'} presses (focus on ${JSON.stringify(await focused())})`);
  }
  async function notOnBody(after: string): Promise<void> {
    await page.waitForTimeout(150);
    const f = await focused();
    expect(f.body, `after ${after} the focus fell to the page body`).toBe(false);
  }
  const byId = (id: string) => page.getByTestId(id);

  it('every view is free of serious and critical axe violations before anything is open', async () => {
    await checkAccessibility(page, 'the ruleset view (empty)');
    await page.keyboard.press('Control+2');
    await byId('diff-empty').waitFor();
    await checkAccessibility(page, 'the diff view (empty)');
    await page.keyboard.press('Control+3');
    await byId('hosts-empty').waitFor();
    await checkAccessibility(page, 'the hosts view (empty)');
  });

  it('? lists the shortcuts; Escape closes the list and the focus comes back', async () => {
    await tabTo('host-add');
    await page.keyboard.press('?');
    await byId('shortcuts').waitFor();
    expect(await byId('shortcuts').innerText()).toMatch(/F7 or n[\s\S]*Next change/);
    await checkAccessibility(page, 'the shortcut list');
    await page.keyboard.press('Escape');
    await byId('shortcuts').waitFor({ state: 'hidden' });
    expect((await focused()).testid).toBe('host-add');
  });

  it('adds the host from the keyboard', async () => {
    const lab = L.get();
    const ssh = labSshHome(tmp, lab.keys.plain);
    await page.keyboard.press('Enter');
    await byId('host-form').waitFor();
    expect((await focused()).testid).toBe('host-field-name');
    await page.keyboard.type('keyboard host');
    await tabTo('host-field-target');
    await page.keyboard.type(`root@${lab.hosts.plain.address}`);
    await tabTo('host-field-identityFile');
    await page.keyboard.type(ssh.key);
    await tabTo('host-field-knownHostsFile');
    await page.keyboard.type(ssh.knownHosts);
    await checkAccessibility(page, 'the host form');
    await page.keyboard.press('Enter');
    await byId('host-name').waitFor();
    await notOnBody('adding a host');
  });

  it('connects and trusts the key; the focus stays in the host’s bar', async () => {
    await tabTo('host-connect');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=prompt-dialog][data-kind=host-key]').waitFor();
    await checkAccessibility(page, 'the host-key prompt');
    await tabTo('prompt-trust', 10);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=host-status]', { hasText: 'Connected as root' }).waitFor({ timeout: 30_000 });
    await notOnBody('connecting');
    await checkAccessibility(page, 'the host overview');
    await shot('connected');
  });

  it('Ctrl+K goes to the comparison; the rules are readable at 1024×700 (not cut to a few characters)', async () => {
    await page.keyboard.press('Control+k');
    await byId('palette').waitFor();
    await page.keyboard.type('compare keyboard');
    await checkAccessibility(page, 'the command palette');
    await page.keyboard.press('Enter');
    await byId('diff-summary').waitFor();
    await notOnBody('the palette');
    expect((await focused()).testid).toBe('pane-compare');
    // the findings sit under the comparison in a small window: each half is wide
    const half = await page.locator('[data-testid=diff-list]').boundingBox();
    expect(half!.width).toBeGreaterThan(700);
    await checkAccessibility(page, 'the host comparison');
    await shot('compare');
  });

  it('runs a recipe from the keyboard; after Add the focus is on the comparison, not the body', async () => {
    // the host's tabs: arrows move between them
    await tabTo('pane-compare', 60, true);
    await page.keyboard.press('ArrowRight');
    expect((await focused()).testid).toBe('pane-recipes');
    await page.keyboard.press('Enter');
    await tabTo('recipe-dos-limit');
    await page.keyboard.press('Enter');
    await byId('recipe-form').waitFor();
    await tabTo('param-port');
    await page.keyboard.type('8080');
    await checkAccessibility(page, 'the recipe wizard');
    await tabTo('recipe-add', 60);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=diff-summary]', { hasText: /\d+ changes?/ }).waitFor();
    await notOnBody('adding a recipe');
  });

  it('applies and keeps from the keyboard: Revert has the focus, Tab to Keep, Enter', async () => {
    await page.keyboard.press('Control+k');
    await page.keyboard.type('apply to keyboard');
    await page.keyboard.press('Enter');
    await byId('apply-changes').waitFor();
    await notOnBody('the palette');
    await checkAccessibility(page, 'the apply step');
    await tabTo('apply-timeout');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('30');
    await tabTo('apply-start');
    await page.keyboard.press('Enter');
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    expect((await focused()).testid).toBe('apply-revert');
    await checkAccessibility(page, 'the keep-or-revert question');
    await shot('ask');
    await page.waitForTimeout(1100);
    await page.keyboard.press('Tab');
    expect((await focused()).testid).toBe('apply-confirm');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });
    await notOnBody('keeping the rules');
    expect(String((await L.get().hostExec('plain', ['iptables-save'])).stdout)).toMatch(/--dport 8080 .*--limit 25\/min/);
    await checkAccessibility(page, 'the apply outcome');
  });

  it('the history view is free of serious and critical axe violations too', async () => {
    await page.keyboard.press('Control+k');
    await page.keyboard.type('history of keyboard');
    await page.keyboard.press('Enter');
    await byId('versions').waitFor();
    await checkAccessibility(page, 'the host history');
    await shot('history');
  });

  it('left no CSP violations or page errors', async () => {
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
