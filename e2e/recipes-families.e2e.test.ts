// The recipe wizard and the two firewalls (real Chromium, browser mode): on an
// IPv4 file the family starts as IPv4; choosing both (by keyboard, the radio
// group's arrows) shows the IPv6 rules in their own section, said to be not
// added since the file holds IPv4 only, and Add adds the IPv4 rules alone; an
// ip6tables file (rules.v6) gets its IPv6 rules placed and added.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildApp, launchApp, skipE2e, type AppHandle } from './support/app.js';
import { PortcullisPage } from './support/ruleset-page.js';
import { checkAccessibility } from './support/axe.js';

let app: AppHandle;
let ui: PortcullisPage;
let tmp = '';

beforeAll(async () => {
  if (skipE2e) return;
  buildApp();
  tmp = mkdtempSync(join(tmpdir(), 'portcullis-e2e-recipes6-'));
  app = await launchApp({ viewport: { width: 1440, height: 900 } });
  ui = new PortcullisPage(app.page);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(skipE2e)('e2e: the recipe wizard with both families', () => {
  it('an IPv4 file: IPv4 by default; both shows the IPv6 rules apart (ICMPv6 essentials), not added; Add adds the IPv4 ones', async () => {
    const page = app.page;
    const byId = (id: string) => page.getByTestId(id);
    const file = join(tmp, 'web.rules');
    writeFileSync(file, '# web\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    await app.chooseFile(file, async () => {
      const open = byId('toolbar-open');
      if (await open.isVisible()) await open.click();
      else await byId('open-file').click();
    });
    await ui.showing(basename(file));
    await byId('rule-recipes').click();
    await byId('recipes-dialog').waitFor();
    await byId('recipe-baseline').click();
    await byId('recipe-form').waitFor();
    // one family here: the file's
    expect(await byId('family-4').isChecked()).toBe(true);
    await page.locator('[data-testid=preview-rule][data-family=ipv4]').first().waitFor();
    expect(await byId('recipe-preview-ipv6').count()).toBe(0);

    // the family by keyboard: Tab to the group, arrows choose
    await byId('family-4').focus();
    await page.keyboard.press('ArrowRight');
    expect(await byId('family-6').isChecked()).toBe(true);
    await page.keyboard.press('ArrowRight');
    expect(await byId('family-both').isChecked()).toBe(true);
    await byId('recipe-preview-ipv6').waitFor();
    // choosing a family places the rules again: read the previews once both are placed (CI read one mid-way)
    await expect.poll(() => byId('preview-computing').count()).toBe(0);
    await page.locator('[data-testid=preview-rule][data-family=ipv4]').first().waitFor();
    const v4 = await byId('recipe-preview-ipv4').innerText();
    const v6 = await byId('recipe-preview-ipv6').innerText();
    expect(v4).toMatch(/IPv4 rules\s*\(iptables\)/);
    expect(v4).toContain('-A INPUT -p icmp -j ACCEPT');
    expect(v6).toMatch(/IPv6 rules\s*\(ip6tables\)/);
    expect(v6).toContain('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT');
    expect(v6).toContain('-A INPUT -j REJECT --reject-with icmp6-adm-prohibited');
    expect(v6).toMatch(/These rules are not added: this view holds the IPv4 \(iptables\) rules only/);
    expect(v6).not.toContain('-p icmp -j');
    // the IPv6 part of the form: what the recipe does for IPv6, and its own fields
    expect(await byId('recipe-ipv6-text').innerText()).toMatch(/neighbour solicitations/);
    await byId('param-trusted6').waitFor();
    await byId('param-dhcpv6').waitFor();
    await checkAccessibility(page, 'the recipe wizard with both families');

    // an IPv6 network in the IPv4 field is explained beside it
    await byId('param-trusted6').fill('192.168.1.0/24');
    await byId('param-trusted6').press('Tab');
    expect(await byId('param-error-trusted6').innerText()).toMatch(/not an IPv6 network/);
    await byId('param-trusted6').fill('2001:db8:1::/64');
    await page.locator('[data-testid=unplaced-rule][data-family=ipv6]', { hasText: '-A INPUT -s 2001:db8:1::/64 -j ACCEPT' }).waitFor();

    await byId('recipe-add').click();
    await expect.poll(() => byId('recipes-dialog').isVisible()).toBe(false);
    await expect.poll(() => byId('staged-count').innerText()).toBe('1 staged change');
    const texts = await ui.ruleTexts('[data-kind=rule]');
    expect(texts.some((t) => t.includes('REJECT --reject-with icmp-host-prohibited'))).toBe(true);
    expect(texts.some((t) => t.includes('icmp6'))).toBe(false);
  });

  it('an ip6tables file (rules.v6) that drops neighbour discovery: IPv6 by default, the rules that fix it placed before its REJECT and added', async () => {
    const page = app.page;
    const byId = (id: string) => page.getByTestId(id);
    const file = join(tmp, 'rules.v6');
    writeFileSync(file, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n');
    await app.chooseFile(file, async () => {
      const open = byId('toolbar-open');
      if (await open.isVisible()) await open.click();
      else await byId('open-file').click();
    });
    await ui.showing(basename(file));
    // read as ip6tables reads it: its REJECT drops neighbour discovery, an error
    await page.locator('[data-testid=finding-group][data-code=ipv6-nd-dropped]').waitFor();
    await byId('rule-recipes').click();
    await byId('recipes-dialog').waitFor();
    await byId('recipe-baseline').click();
    await byId('recipe-form').waitFor();
    expect(await byId('family-6').isChecked()).toBe(true);
    const nd = page.locator('[data-testid=preview-rule][data-family=ipv6]', { hasText: '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT' });
    await nd.waitFor();
    // placed before the file's own REJECT, which the recipe keeps
    expect(await nd.innerText()).toMatch(/filter · INPUT · rule [2-9]/);
    expect(await byId('recipe-preview-ipv6').innerText()).toMatch(/Not added: -A INPUT -j REJECT --reject-with icmp6-adm-prohibited — already there: INPUT #16/);
    expect(await byId('recipe-preview-ipv4').count()).toBe(0);
    await byId('recipe-add').click();
    await expect.poll(() => byId('recipes-dialog').isVisible()).toBe(false);
    await expect.poll(() => byId('staged-count').innerText()).toBe('1 staged change');
    // the file's ipv6-nd-dropped error is gone with the recipe's rules
    await expect.poll(async () => page.locator('[data-testid=finding-group][data-code=ipv6-nd-dropped]').count()).toBe(0);
    const texts = await ui.ruleTexts('[data-kind=rule]');
    const nsAt = texts.findIndex((t) => t.includes('--icmpv6-type 135'));
    const rejectAt = texts.findIndex((t) => t.includes('REJECT --reject-with icmp6-adm-prohibited'));
    expect(nsAt).toBeGreaterThanOrEqual(0);
    expect(nsAt).toBeLessThan(rejectAt);
  });
});
