// One change to BOTH firewalls of a host through the app's Apply panel
// (browser mode in Chromium, or the Electron shell with PORTCULLIS_E2E=electron;
// a real lab host): an IPv4 rule and an IPv6 rule edited in the proposal, the
// panel says both go as one change under one timer, and
//  - kept: ON THE HOST iptables-save and ip6tables-save run the edits,
//    /etc/sysconfig/iptables and /etc/sysconfig/ip6tables hold them (comments
//    kept), and /var/log/portcullis.log records ONE apply naming both families;
//  - "Revert now" at the question, and no answer until the time to keep ran out:
//    both families' running rules and both files are back byte for byte, and
//    the host's log says the revert was verified for each family.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { STOCK_IP6TABLES } from './lab/fixtures.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, addAndConnectPlain, useLabApp, hostRun, applyChangesText } from './support/lab-app.js';
import { checkAccessibility } from './support/axe.js';

const V4_OLD = '-A INPUT -s 198.18.0.0/15 -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';
const V4_NEW = '-A INPUT -s 198.18.0.0/15 -p tcp -m state --state NEW -m tcp --dport 8081 -j ACCEPT';
const V6_OLD = '-A INPUT -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';
const V6_NEW = '-A INPUT -s 2001:db8::/32 -p tcp -m state --state NEW -m tcp --dport 8080 -j ACCEPT';

/** the file with a rule put before its catch-all REJECT of INPUT */
const withRule = (file: string, rule: string) => file.replace(/^(-A INPUT -j REJECT)/m, `${rule}\n$1`);
/** iptables-save's text without its dated comments and with chain counters zeroed: the rules, byte for byte */
const rulesOf = (save: string) =>
  save
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1 [0:0]'))
    .join('\n');

describe.skipIf(skipLab || skipE2e)('lab: one change to both families through the Apply panel', () => {
  let app: AppHandle;
  let page: Page;
  let tmp = '';
  const L = useLabApp({ hosts: ['plain'], tmpPrefix: 'pcl-e2e-both-', viewport: { width: 1440, height: 900 } }, (h) => ({ app, page, tmp } = h));

  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `both-${name}.png`) });
  const exec = (argv: string[], input?: string) => hostRun(L, 'plain', argv, input);
  const file = async (path: string) => (await L.get().readHostFile('plain', path))!.toString('utf8');
  const hostLog = async () =>
    ((await L.get().readHostFile('plain', '/var/log/portcullis.log'))?.toString() ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** everything the host runs and saved, for both families */
  const hostState = async () => ({
    v4: rulesOf(await exec(['iptables-save'])),
    v6: rulesOf(await exec(['ip6tables-save'])),
    file4: await file('/etc/sysconfig/iptables'),
    file6: await file('/etc/sysconfig/ip6tables'),
  });

  /** edits the proposal of one family as text in the Compare pane */
  async function editProposal(family: 'ipv4' | 'ipv6', edit: (text: string) => string): Promise<void> {
    await byId('pane-compare').click();
    await byId(`family-${family}`).click();
    await byId('proposed-edit').click();
    const text = await byId('edit-text').inputValue();
    const next = edit(text);
    expect(next).not.toBe(text);
    await byId('edit-text').fill(next);
    await byId('edit-dialog').getByRole('button', { name: 'Use this text' }).click();
    await byId('edit-dialog').waitFor({ state: 'hidden' });
  }

  /** to the Apply panel, which must send both families as one change; starts the apply and waits for the question */
  async function applyBoth(timeoutS: number): Promise<void> {
    await byId('pane-apply').click();
    await byId('apply-both').waitFor();
    expect(await applyChangesText(page)).toMatch(/IPv4: 1 change to the running rules/);
    expect(await applyChangesText(page, 'ipv6')).toMatch(/IPv6: 1 change to the running rules/);
    expect(await byId('apply-start').innerText()).toBe('Apply IPv4 and IPv6 to both…');
    await byId('apply-timeout').fill(String(timeoutS));
    await byId('apply-start').click();
    await byId('apply-ask').waitFor({ timeout: 60_000 });
  }

  it('pulls a host with both firewalls', async () => {
    const lab = L.get();
    const v4 = withRule(await file('/etc/sysconfig/iptables'), V4_OLD);
    const v6 = withRule(STOCK_IP6TABLES, V6_OLD);
    await exec(['sh', '-c', 'cat > /etc/sysconfig/iptables'], v4);
    await exec(['sh', '-c', 'cat > /etc/sysconfig/ip6tables'], v6);
    await exec(['iptables-restore'], v4);
    await exec(['ip6tables-restore'], v6);
    await exec(['sh', '-c', ': > /var/log/portcullis.log']);
    await addAndConnectPlain(page, lab, tmp, 'both');
    await byId('rulesets-table').waitFor();
    expect(await byId('saved-ipv6').innerText()).toMatch(/^8 rules in \/etc\/sysconfig\/ip6tables/);
  });

  it('an IPv4 rule and an IPv6 rule edited, applied as one change and kept: both run, both files saved, one log record with both families', async () => {
    await editProposal('ipv4', (t) => t.replace(V4_OLD, V4_NEW));
    await editProposal('ipv6', (t) => t.replace(V6_OLD, V6_NEW));
    await applyBoth(30);
    await checkAccessibility(page, 'apply question for both families');
    await shot('ask');
    await byId('apply-confirm').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=confirmed]').waitFor({ timeout: 60_000 });
    await shot('kept');

    const s = await hostState();
    expect(s.v4).toContain(V4_NEW);
    expect(s.v4).not.toContain(V4_OLD);
    expect(s.v6).toContain(V6_NEW);
    expect(s.v6).not.toContain(V6_OLD);
    expect(s.file4).toContain(`\n${V4_NEW}\n`);
    expect(s.file4).not.toContain(V4_OLD);
    expect(s.file4).toContain('# sample configuration for iptables service');
    expect(s.file6).toContain(`\n${V6_NEW}\n`);
    expect(s.file6).not.toContain(V6_OLD);
    expect(s.file6).toContain('# sample configuration for ip6tables service');

    const applies = (await hostLog()).filter((l) => l.event === 'apply');
    expect(applies).toHaveLength(1);
    expect(applies[0]).toMatchObject({ outcome: 'confirmed', families: ['ipv4', 'ipv6'], other: { family: 'ipv6' } });
    expect((applies[0].changes as { replace: number }).replace).toBe(1);
    expect((applies[0].other as { changes: { replace: number } }).changes.replace).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });

  it('"Revert now" at the question puts both families back, running rules and files byte for byte', async () => {
    const before = await hostState();
    await editProposal('ipv4', (t) => withRule(t, '-A INPUT -p tcp -m tcp --dport 9090 -j ACCEPT'));
    await editProposal('ipv6', (t) => withRule(t, '-A INPUT -p tcp -m tcp --dport 9090 -j ACCEPT'));
    await applyBoth(60);
    // the new rules are live on both families while the question is open
    expect(await exec(['iptables-save'])).toContain('--dport 9090 -j ACCEPT');
    expect(await exec(['ip6tables-save'])).toContain('--dport 9090 -j ACCEPT');
    await byId('apply-revert').click();
    await page.locator('[data-testid=apply-outcome][data-outcome=reverted]').waitFor({ timeout: 60_000 });
    await shot('reverted-now');
    expect(await hostState()).toEqual(before);
    const log = await hostLog();
    expect(log.filter((l) => l.event === 'revert')).toEqual([expect.objectContaining({ result: 'reverted', by: 'client', families: '4 6', verify4: 'verified', verify6: 'verified' })]);
    expect(log.filter((l) => l.event === 'apply').pop()).toMatchObject({ outcome: 'reverted', families: ['ipv4', 'ipv6'] });
  });

  it('no answer: at the confirmation deadline both families are put back byte for byte', async () => {
    const before = await hostState();
    // a reverted proposal stays the proposal (the admin's work is not lost): its rule is edited once more
    const again = (t: string) => t.replace('-A INPUT -p tcp -m tcp --dport 9090 -j ACCEPT', '-A INPUT -p udp -m udp --dport 9091 -j ACCEPT');
    await editProposal('ipv4', again);
    await editProposal('ipv6', again);
    await applyBoth(10);
    expect(await exec(['ip6tables-save'])).toContain('--dport 9091 -j ACCEPT');
    await page.locator('[data-testid=apply-outcome][data-outcome=reverted]').waitFor({ timeout: 90_000 });
    await shot('reverted-timer');
    expect(await hostState()).toEqual(before);
    const log = await hostLog();
    expect(log.filter((l) => l.event === 'revert')).toHaveLength(2);
    expect(log.filter((l) => l.event === 'apply').map((l) => l.outcome)).toEqual(['confirmed', 'reverted', 'reverted']);
    const revert = log.filter((l) => l.event === 'revert').pop();
    // the app reverts when its time to keep ran out (before the host's own timer would)
    expect(revert).toMatchObject({ result: 'reverted', by: 'client', families: '4 6', verify4: 'verified', verify6: 'verified' });
    expect(app.pageErrors).toEqual([]);
    expect(await app.cspViolations()).toEqual([]);
  }, 150_000);
});
