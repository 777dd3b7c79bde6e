// A host's two firewalls in the app (browser mode, Chromium, a real lab host):
// the pull brings the IPv4 and the IPv6 rules; the family switch (keyboard
// too) shows the IPv6 ones with their own counts; the finding across the pair
// (a port IPv4 restricts but IPv6 leaves open to everyone) is on the overview
// with its explanation and leads to the IPv6 rule; the rule is edited in the
// IPv6 rule table (staged), and the change goes through the safe apply — checked
// ON THE HOST with ip6tables-save and iptables-save: the IPv6 change runs and
// is saved, the IPv4 rules are untouched.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { STOCK_IP6TABLES } from './lab/fixtures.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, addAndConnectPlain, useLabApp, hostRun, applyChangesText } from './support/lab-app.js';
import { checkAccessibility } from './support/axe.js';

// 8080 is open to the lab's own range over IPv4, to everyone over IPv6: the pair finding
const V4_8080 = '-A INPUT -s 198.18.0.0/15 -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';
const V6_8080 = '-A INPUT -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';
const V6_FIXED = '-A INPUT -s 2001:db8::/32 -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';

/** the stock file with a rule put before its catch-all REJECT of INPUT */
const withRule = (file: string, rule: string) => file.replace(/^(-A INPUT -j REJECT)/m, `${rule}\n$1`);

describe.skipIf(skipLab || skipE2e)('lab: a host\'s IPv4 and IPv6 firewalls in the app', () => {
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-ipv6-', viewport: { width: 1440, height: 900 } }, (h) => ({ app, page, tmp } = h));

  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `ipv6-${name}.png`) });
  const exec = (argv: string[], input?: string) => hostRun(L, 'plain', argv, input);
  const inputRules = (save: string) => save.split('\n').filter((l) => l.startsWith('-A INPUT'));
  let v4Before = '';

  it('pulls a host with both families: the overview shows them side by side, and the finding across the pair', async () => {
    const lab = L.get();
    // both files saved and loaded, as iptables.service and ip6tables.service would at boot
    const v4 = withRule((await lab.readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8'), V4_8080);
    const v6 = withRule(STOCK_IP6TABLES, V6_8080);
    await exec(['sh', '-c', 'cat > /etc/sysconfig/iptables'], v4);
    await exec(['sh', '-c', 'cat > /etc/sysconfig/ip6tables'], v6);
    await exec(['iptables-restore'], v4);
    await exec(['ip6tables-restore'], v6);
    v4Before = await exec(['iptables-save']);

    await addAndConnectPlain(page, lab, tmp, 'dual');
    const table = byId('rulesets-table');
    await table.waitFor();
    expect(await byId('saved-ipv4').innerText()).toMatch(/^7 rules in \/etc\/sysconfig\/iptables/);
    expect(await byId('saved-ipv6').innerText()).toMatch(/^8 rules in \/etc\/sysconfig\/ip6tables/);
    expect(await byId('running-ipv6').innerText()).toMatch(/^8 rules/);

    const pair = page.locator('[data-testid=pair-finding][data-code=pair-port-open]');
    await pair.waitFor();
    expect(await pair.getAttribute('data-family')).toBe('ipv6');
    const text = await pair.innerText();
    expect(text).toMatch(/8080/);
    // what it means, not only what it is
    expect(text).toMatch(/skip the restriction/);
    // the switch counts it on the IPv6 side
    expect(await byId('family-ipv6').innerText()).toMatch(/IPv6\s*8 rules/);
    await byId('family-ipv6-warnings').waitFor();
    await checkAccessibility(page, 'host overview with both families');
    await shot('overview');
  });

  it('the family switch works from the keyboard and shows the IPv6 rules in every pane', async () => {
    await byId('family-ipv4').focus();
    expect(await byId('family-ipv4').getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('ArrowRight');
    expect(await byId('family-ipv6').getAttribute('aria-checked')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('family-ipv6');
    // one tab stop for the group: the chosen one
    expect(await byId('family-ipv4').getAttribute('tabindex')).toBe('-1');

    await byId('pane-compare').click();
    await page.locator('#pf-title', { hasText: 'Findings of the IPv6 proposal' }).waitFor();
    await byId('pair-saved-running').click();
    await page.locator('[data-testid=diff-left] [data-testid=diff-left-family]', { hasText: 'IPv6' }).waitFor();
    // the IPv6 saved file and running rules are the same rules
    await page.locator('[data-testid=diff-summary]', { hasText: 'No differences' }).waitFor();
    await page.locator('[data-testid=pair-findings-compact] [data-testid=pair-finding][data-code=pair-port-open]').waitFor();
    await checkAccessibility(page, 'IPv6 comparison');
    await shot('compare-ipv6');

    // remembered for this host: back on the overview, the IPv6 side is still the one shown
    await byId('pane-overview').click();
    expect(await byId('family-ipv6').getAttribute('aria-checked')).toBe('true');
  });

  it('the pair finding leads to the IPv6 rule; the rule is edited there as a staged change', async () => {
    await page.locator('[data-testid=pair-finding][data-code=pair-port-open]').getByTestId('pair-finding-show').click();
    await page.locator('[data-testid=doc-family][data-family=ipv6]').waitFor();
    await page.locator('[data-testid=doc-name]', { hasText: 'proposed for dual (IPv6)' }).waitFor();
    const selected = byId('rule-list').locator('[role=option][aria-selected=true]');
    expect(await selected.locator('[data-kind=rule]').getAttribute('data-text')).toBe(V6_8080.replace('-A INPUT ', ''));

    // edit it in the rule form: the IPv6 form takes an IPv6 source
    await byId('rule-edit').click();
    await byId('rule-form').waitFor();
    await byId('rf-source').fill('2001:db8::/32');
    await expect(byId('rf-problems').innerText()).resolves.toContain('ip6tables would load this rule');
    await checkAccessibility(page, 'IPv6 rule form');
    await byId('rf-save').click();
    await expect(byId('staged-count').innerText()).resolves.toBe('1 staged change');
    expect(await byId('rule-list').locator('[data-kind=rule]').evaluateAll((els) => els.map((e) => e.getAttribute('data-text')))).toContain(
      V6_FIXED.replace('-A INPUT ', ''),
    );
    await shot('staged-ipv6');
    await byId('staged-review').click();
    await byId('pane-apply').waitFor();
    expect(await byId('family-ipv6').getAttribute('aria-checked')).toBe('true');
    expect(await applyChangesText(page, 'ipv6')).toMatch(/IPv6: 1 change to the running rules: 1 replaced/);
    expect(await applyChangesText(page)).toMatch(/IPv4: The running rules already are the proposed ruleset/);
    // the pair finding is gone once IPv6 restricts the port too
    await page.locator('[data-testid=family-ipv6-warnings]').waitFor({ state: 'detached' });
    await checkAccessibility(page, 'apply with an IPv6 change');
  });

  it('applies the IPv6 change through the safe apply: ip6tables runs and saved it, the IPv4 rules are untouched', async () => {
    await byId('apply-timeout').fill('30');
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
    await shot('apply-ask');
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });

    const v6Live = await exec(['ip6tables-save']);
    expect(inputRules(v6Live)).toContain(V6_FIXED);
    expect(inputRules(v6Live)).not.toContain(V6_8080);
    const v6Saved = (await L.get().readHostFile('plain', '/etc/sysconfig/ip6tables'))!.toString('utf8');
    expect(v6Saved).toContain(V6_FIXED);
    // the admin's file kept its comments
    expect(v6Saved).toContain('# sample configuration for ip6tables service');
    // IPv4: the same rules as before the apply
    expect(inputRules(await exec(['iptables-save']))).toEqual(inputRules(v4Before));
    expect((await L.get().readHostFile('plain', '/etc/sysconfig/iptables'))!.toString('utf8')).toContain(V4_8080);
    await shot('applied');
  });
});
