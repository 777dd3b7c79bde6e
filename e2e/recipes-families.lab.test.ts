// The recipe wizard on a real lab host with both firewalls (browser mode,
// Chromium): the host has IPv6 addresses, so the wizard starts with both
// families; each family's rules are placed into its own proposal (IPv4 into
// the iptables one, IPv6 — hashlimit per /64 — into the ip6tables one) and
// shown in its own section; Add changes both proposals, each compared with its
// own running rules.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { STOCK_IP6TABLES } from './lab/fixtures.js';
import { skipE2e } from './support/app.js';
import { SHOTS, addAndConnectPlain, useLabApp, hostRun } from './support/lab-app.js';
import { checkAccessibility } from './support/axe.js';

describe.skipIf(skipLab || skipE2e)('lab: a recipe for both of a host\'s firewalls', () => {
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-recipes6-', viewport: { width: 1440, height: 900 } }, (h) => ({ page, tmp } = h));
  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `recipes6-${name}.png`) });
  const exec = (argv: string[], input?: string) => hostRun(L, 'plain', argv, input);

  it('starts with both families where the host has IPv6, and places each family\'s rules into its own proposal', async () => {
    // the stock ip6tables file saved and loaded, as ip6tables.service would at boot
    await exec(['sh', '-c', 'cat > /etc/sysconfig/ip6tables'], STOCK_IP6TABLES);
    await exec(['ip6tables-restore'], STOCK_IP6TABLES);
    await addAndConnectPlain(page, L.get(), tmp, 'both');
    await byId('saved-ipv6').waitFor();

    await byId('pane-recipes').click();
    await byId('recipe-dos-limit').click();
    await byId('recipe-form').waitFor();
    expect(await byId('family-both').isChecked()).toBe(true);
    await byId('param-port').fill('8080');
    await byId('param-per-client').check();
    const v4 = page.locator('[data-testid=preview-rule][data-family=ipv4]');
    const v6 = page.locator('[data-testid=preview-rule][data-family=ipv6]');
    await v6.first().waitFor();
    await v4.first().waitFor();
    const v4Text = await byId('recipe-preview-ipv4').innerText();
    const v6Text = await byId('recipe-preview-ipv6').innerText();
    expect(v4Text).toContain('-A INPUT -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m hashlimit --hashlimit-upto 25/min --hashlimit-burst 100 --hashlimit-mode srcip --hashlimit-name dos-tcp8080 -j ACCEPT');
    expect(v6Text).toContain('--hashlimit-mode srcip --hashlimit-name dos-tcp8080 --hashlimit-srcmask 64 -j ACCEPT');
    // placed where they work in each family's own ruleset: before its REJECT
    expect(v4Text).toMatch(/filter · INPUT · rule \d+/);
    expect(v6Text).toMatch(/filter · INPUT · rule \d+/);
    expect(v6Text).toMatch(/per client network: all addresses in one \/64 share one allowance/);
    expect(await byId('recipe-ipv6-text').innerText()).toMatch(/\/64/);
    await byId('param-srcmask6').waitFor();
    await checkAccessibility(page, 'the recipe wizard for both families on a host');
    await shot('wizard-both');

    await byId('recipe-add').click();
    await page.locator('[data-testid=diff-summary]', { hasText: /\d+ changes?/ }).waitFor();
    expect(await byId('host-note').innerText()).toMatch(/to the proposed (IPv4|IPv6) ruleset/);
  });

  it('both proposals changed: each family\'s comparison with its running rules has the recipe\'s rules', async () => {
    const diffText = async () => {
      await page.locator('[data-testid=diff-summary]', { hasText: /\d+ changes?/ }).waitFor();
      return page.getByTestId('diff-list').innerText();
    };
    await byId('pane-compare').click();
    await byId('pair-running-proposed').click();
    await byId('family-ipv4').click();
    expect(await diffText()).toMatch(/--hashlimit-name dos-tcp8080 -j ACCEPT/);
    await byId('family-ipv6').click();
    await page.locator('#pf-title', { hasText: 'Findings of the IPv6 proposal' }).waitFor();
    expect(await diffText()).toMatch(/--hashlimit-srcmask 64 -j ACCEPT/);
    expect(await byId('proposed-findings').innerText()).not.toMatch(/ipv6-nd-dropped|ssh-lockout/);
    await shot('compare-ipv6');
  });
});
