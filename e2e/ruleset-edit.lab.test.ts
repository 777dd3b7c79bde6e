// Editing a lab host's rules in the rule table and applying them (browser
// mode, Chromium, a real lab host): add a rule, disable one, move one, see
// the lockout finding while staging a change that would cut SSH off (and undo
// it), then "Review & apply" → safe apply → keep — and check ON THE HOST that
// the running rules and /etc/sysconfig/iptables are what was staged, with the
// file's comments kept and the disabled rule kept as `#-A`.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, addAndConnectPlain, useLabApp, applyChangesText } from './support/lab-app.js';


describe.skipIf(skipLab || skipE2e)('lab: rules edited in the table and applied to a host', () => {
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-edit-lab-', viewport: { width: 1440, height: 900 } }, (h) => ({ app, page, tmp } = h));

  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `lab-edit-${name}.png`) });
  const list = () => byId('rule-list');
  const selectRule = (text: string) => list().locator(`[role=option]:has([data-text*="${text}"])`).first().click();
  const rowTexts = () => list().locator('[data-kind=rule], [data-kind=disabled]').evaluateAll((els) => els.map((e) => e.getAttribute('data-text') ?? ''));

  it('connects to the host and opens its proposal in the rule table', async () => {
    const lab = L.get();
    await addAndConnectPlain(page, lab, tmp, 'lab edit');
    await byId('proposed-open-rules').click();
    await page.locator('[data-testid=doc-name]', { hasText: 'proposed for lab edit' }).waitFor();
    expect(await rowTexts()).toContain('-p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT');
  });

  it('raises the lockout finding while staging a disabled SSH rule; Ctrl+Z takes it back', async () => {
    await selectRule('--dport 22');
    await page.keyboard.press('d');
    const lockout = page.locator('[data-testid=finding-group][data-code=ssh-lockout]');
    await lockout.waitFor();
    expect(await lockout.innerText()).toContain(L.get().hosts.plain.peerAddress);
    await shot('lockout-while-staging');
    await list().focus();
    await page.keyboard.press('Control+z');
    await lockout.waitFor({ state: 'detached' });
    await expect(byId('staged-bar').count()).resolves.toBe(0);
  });

  it('stages an added, a disabled and a moved rule, then reviews and applies them with the revert timer', async () => {
    // add after the SSH rule
    await selectRule('--dport 22');
    await page.keyboard.press('n');
    await byId('rule-form').waitFor();
    await byId('rf-protocol').fill('tcp');
    await byId('rf-add-match').selectOption('tcp');
    await byId('rf-m-tcp-dport').fill('8080');
    await byId('rf-target').selectOption('ACCEPT');
    await expect(byId('rf-problems').innerText()).resolves.toContain('iptables would load this rule');
    await byId('rf-save').click();
    // disable the ICMP accept
    await selectRule('-p icmp -j ACCEPT');
    await byId('rule-toggle').click();
    // the loopback rule to the top of INPUT (Move to…)
    await selectRule('-i lo -j ACCEPT');
    await byId('rule-move').click();
    await byId('move-ok').click();
    const texts = await rowTexts();
    expect(texts.slice(0, 6)).toEqual([
      '-i lo -j ACCEPT',
      '-m state --state RELATED,ESTABLISHED -j ACCEPT',
      '-p icmp -j ACCEPT',
      '-p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
      '-p tcp -m tcp --dport 8080 -j ACCEPT',
      '-j REJECT --reject-with icmp-host-prohibited',
    ]);
    await expect(list().locator('[data-kind=disabled]').getAttribute('data-text')).resolves.toContain('-p icmp -j ACCEPT');
    await expect(byId('staged-count').innerText()).resolves.toBe('3 staged changes');
    await shot('staged');

    await byId('staged-review').click();
    await byId('pane-apply').waitFor();
    expect(await byId('pane-apply').getAttribute('aria-selected')).toBe('true');
    expect(await applyChangesText(page)).toMatch(/\d+ changes? to the running rules/);
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    await shot('apply-ask');
    // Revert is the default; keeping is a deliberate click
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });
    await shot('applied');
  });

  it('the host runs and saved what was staged, the file keeping its comments and the disabled rule', async () => {
    const lab = L.get();
    const live = String((await lab.hostExec('plain', ['iptables-save'])).stdout);
    const input = live.split('\n').filter((l) => l.startsWith('-A INPUT'));
    expect(input).toEqual([
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT',
      '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
    ]);
    const saved = (await lab.readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8');
    expect(saved).toContain('# sample configuration for iptables service');
    expect(saved).toContain('\n#-A INPUT -p icmp -j ACCEPT\n');
    expect(saved).toContain('\n-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT\n');
    expect(app.pageErrors).toEqual([]);
    expect(await app.cspViolations()).toEqual([]);
  });
});
