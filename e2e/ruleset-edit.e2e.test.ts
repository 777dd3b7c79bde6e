// The ruleset view as a daily tool: search across all tables (a 100,000-rule
// file included), findings grouped by code, rules edited in place (add, edit,
// disable, move, delete) with undo and a staged-changes bar, the raw editor,
// and pasting a how-to's `iptables …` commands. Screenshots are kept under
// test-results/screenshots (or PORTCULLIS_SHOTS).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildApp, launchApp, skipE2e, REPO, type AppHandle } from './support/app.js';
import { PortcullisPage } from './support/ruleset-page.js';

let app: AppHandle;
let ui: PortcullisPage;
let tmp: string;
const SHOTS = process.env.PORTCULLIS_SHOTS ?? join(REPO, 'test-results', 'screenshots');
const metrics: Record<string, unknown> = {};

async function openFile(path: string): Promise<void> {
  const open = app.page.getByTestId('toolbar-open');
  await app.chooseFile(path, async () => {
    if (await open.isVisible()) await open.click();
    else await app.page.getByTestId('open-file').click();
  });
  await ui.showing(basename(path));
}

const shot = (name: string) => app.page.screenshot({ path: join(SHOTS, `ruleset-${name}.png`) });

beforeAll(async () => {
  if (skipE2e) return;
  buildApp();
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'portcullis-e2e-edit-'));
  app = await launchApp({ viewport: { width: 1440, height: 900 } });
  ui = new PortcullisPage(app.page);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (Object.keys(metrics).length) process.stderr.write(`e2e ruleset metrics: ${JSON.stringify(metrics)}\n`);
});

describe.skipIf(skipE2e)('e2e: search, findings by code', () => {
  it('searches a 100,000-rule file: Ctrl+F, an address by containment, a port, facets, "N of 100,002 rules"', async () => {
    const { generateRuleset } = (await import(join(REPO, 'build', 'gen-ruleset.mjs') as string)) as { generateRuleset: (n: number) => string };
    const big = join(tmp, 'big-search.rules');
    // one rule the search must find by containment, among 100,000 generated ones
    const text = generateRuleset(100_000).replace('COMMIT\n', '-A INPUT -s 198.18.0.0/15 -p tcp -m tcp --dport 2222 -m comment --comment "lab admins" -j ACCEPT\nCOMMIT\n');
    writeFileSync(big, text);
    await openFile(big);
    const page = app.page;
    const input = page.getByTestId('search-input');
    await ui.ruleList.focus();
    await page.keyboard.press('Control+f');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search-input');

    const t0 = Date.now();
    await input.fill('198.18.3.4');
    const summary = page.getByTestId('search-summary');
    await expect.poll(() => summary.innerText(), { timeout: 20_000 }).toBe('1 of 100,003 rules');
    metrics.firstSearchMs = Date.now() - t0; // includes building the index once
    const hit = ui.ruleList.locator('[data-kind=rule]');
    await expect(hit.count()).resolves.toBe(1);
    await expect(hit.innerText()).resolves.toContain('lab admins');
    await expect(hit.innerText()).resolves.toContain('from 198.18.0.0/15');
    // the hit is shown under its table and chain
    await expect(ui.ruleList.locator('[data-kind=chain]').innerText()).resolves.toContain('INPUT');
    await shot('search-100k-address');

    // a port, narrowed by a chain facet; the count says how many of all rules
    const t1 = Date.now();
    await input.fill('5432');
    await page.getByTestId('facet-chain').selectOption('svc-db');
    // the answer to this query, not the last one still shown while it is on its way (aria-busy)
    await expect.poll(async () => (await summary.getAttribute('aria-busy')) !== 'true' && /^[\d,]+ of 100,003 rules$/.test(await summary.innerText())).toBe(true);
    metrics.searchMs = Number(await summary.getAttribute('data-ms'));
    metrics.secondSearchRoundTripMs = Date.now() - t1;
    const n = Number((await summary.innerText()).split(' ')[0].replace(/,/g, ''));
    expect(n).toBeGreaterThan(1000);
    const texts = await ui.ruleTexts('[data-kind=rule]');
    expect(texts.length).toBeGreaterThan(5);
    for (const t of texts) expect(t).toContain('5432');
    await shot('search-100k-port-facet');

    // Enter goes to the first hit; Escape in the box clears it
    await input.press('Enter');
    await expect(ui.detail.innerText()).resolves.toContain('svc-db');
    await page.getByTestId('search-clear').click();
    await expect(summary.innerText()).resolves.toBe('100,003 rules');
    expect(Number(await ui.ruleList.getAttribute('data-count'))).toBeGreaterThan(100_000);
    // `/` focuses the search from the list
    await ui.ruleList.focus();
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search-input');
    await page.keyboard.press('Escape');
  });

  it('groups findings by code with their counts; a big group opens on request', async () => {
    const page = app.page;
    // the lint runs by itself in the analysis worker; settled() waits for it
    await ui.settled();
    const heads = page.getByTestId('finding-group');
    await expect(heads.count()).resolves.toBeGreaterThan(0);
    const groups = await heads.evaluateAll((els) => els.map((e) => ({ code: e.getAttribute('data-code'), count: Number(e.querySelector('[data-testid=finding-group-count]')?.textContent?.replace(/,/g, '')) })));
    // a code is listed once, with how many findings it has
    expect(new Set(groups.map((g) => g.code)).size).toBe(groups.length);
    const big = groups.find((g) => g.count > 25);
    expect(big).toBeTruthy();
    // large groups are closed: no flat list of thousands
    expect(await page.getByTestId('finding').count()).toBeLessThan(300);
    const group = page.locator(`[data-testid=finding-group][data-code="${big!.code}"]`);
    await group.getByTestId('finding-group-head').click();
    await expect(group.getByTestId('finding').count()).resolves.toBe(Math.min(200, big!.count));
    await shot('findings-grouped');
    await group.getByTestId('finding-group-head').click();
  });
});

const SMALL = [
  '# web-01: hand-kept firewall',
  '*filter',
  ':INPUT DROP [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '',
  '# loopback and replies first',
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
  '-A INPUT -p tcp --dport 22 -j ACCEPT',
  '-A INPUT -p tcp --dport 80 -j ACCEPT',
  '-A INPUT -p tcp --dport 8080 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

describe.skipIf(skipE2e)('e2e: rules edited in place (a local file)', () => {
  const rowTexts = () => ui.ruleTexts();
  const selectRule = async (text: string) => {
    // rows show rules in words; the text as written is on data-text
    await ui.ruleList.locator(`[role=option]:has([data-text*="${text}"])`).first().click();
  };

  it('disables, moves, edits (form with live validation), adds, deletes; each staged with undo', async () => {
    const page = app.page;
    const file = join(tmp, 'web-01.rules');
    writeFileSync(file, SMALL);
    await openFile(file);
    // disable the port 80 rule with the keyboard
    await selectRule('--dport 80');
    await page.keyboard.press('d');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    await expect(ui.ruleList.locator('[data-kind=disabled]').getAttribute('data-text')).resolves.toContain('--dport 80');
    // move 8080 up with Alt+↑ (past the disabled rule, then above ssh)
    await selectRule('--dport 8080');
    await page.keyboard.press('Alt+ArrowUp');
    await page.keyboard.press('Alt+ArrowUp');
    expect(await rowTexts()).toEqual(['-i lo -j ACCEPT', '-m state --state RELATED,ESTABLISHED -j ACCEPT', '-p tcp --dport 8080 -j ACCEPT', '-p tcp --dport 22 -j ACCEPT', '-p tcp --dport 80 -j ACCEPT']);
    await expect(page.getByTestId('edit-announce').innerText()).resolves.toBe('Rule 4 moved to position 3 of 5 in INPUT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('3 staged changes');

    // edit ssh: the form, generated from the registry; an invalid port is refused live
    await selectRule('--dport 22');
    await page.getByTestId('rule-edit').click();
    const form = page.getByTestId('rule-form');
    await form.waitFor();
    await expect(page.getByTestId('rf-protocol').inputValue()).resolves.toBe('tcp');
    const dport = page.getByTestId('rf-m-tcp-dport');
    await expect(dport.inputValue()).resolves.toBe('22');
    await dport.fill('99999');
    await expect(page.getByTestId('rf-problems').innerText()).resolves.toContain('99999');
    await expect(page.getByTestId('rf-save').isDisabled()).resolves.toBe(true);
    await dport.fill('2222');
    await page.getByTestId('rf-source').fill('198.18.0.0/15');
    await expect(page.getByTestId('rf-problems').innerText()).resolves.toContain('iptables would load this rule');
    await expect(page.getByTestId('rf-text').inputValue()).resolves.toBe('-p tcp -s 198.18.0.0/15 -m tcp --dport 2222 -j ACCEPT');
    await shot('edit-form');
    await page.getByTestId('rf-save').click();
    expect(await rowTexts()).toContain('-s 198.18.0.0/15 -p tcp -m tcp --dport 2222 -j ACCEPT');
    await expect(ui.ruleList.locator('[data-staged=changed]').count()).resolves.toBeGreaterThan(0);

    // add a rule at the end of INPUT through the text field
    await page.getByTestId('rule-add-end').click();
    await page.getByTestId('rf-text').fill('-p udp --dport 53 -j ACCEPT');
    await expect(page.getByTestId('rf-match-udp').isVisible()).resolves.toBe(true);
    await page.getByTestId('rf-save').click();
    expect((await rowTexts()).at(-1)).toBe('-p udp -m udp --dport 53 -j ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('5 staged changes');

    // delete it again, then undo the delete
    await selectRule('--dport 53');
    await page.keyboard.press('Delete');
    expect((await rowTexts()).some((t) => t.includes('--dport 53'))).toBe(false);
    await ui.ruleList.focus();
    await page.keyboard.press('Control+z');
    expect((await rowTexts()).at(-1)).toBe('-p udp -m udp --dport 53 -j ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('5 staged changes');
    await page.getByTestId('staged-show').click();
    await expect(page.getByTestId('staged-list').innerText()).resolves.toContain('Disabled INPUT rule 4');
    await shot('edit-staged');

    // the file as it would be saved keeps its comments and the untouched lines as written
    const download = page.waitForEvent('download');
    await page.getByTestId('staged-download').click();
    const saved = await (await download).path();
    const text = (await import('node:fs')).readFileSync(saved, 'utf8');
    expect(text).toContain('# web-01: hand-kept firewall\n');
    expect(text).toContain('\n# loopback and replies first\n');
    expect(text).toContain('\n#-A INPUT -p tcp --dport 80 -j ACCEPT\n');
    expect(text).toContain('\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n');
    expect(text.indexOf('--dport 8080')).toBeLessThan(text.indexOf('--dport 2222'));

    // Review: the Diff view, the file as opened on the left
    await page.getByTestId('staged-review').click();
    await expect(page.getByTestId('tab-diff').getAttribute('aria-current')).resolves.toBe('page');
    await shot('edit-review-diff');
    await ui.tab('ruleset');
  });

  it('marks several rules (Ctrl-click) and disables them as one staged change; a finding\'s Fix applies', async () => {
    const page = app.page;
    await page.getByTestId('staged-discard').click();
    await page.getByTestId('staged-discard-yes').click();
    await expect(page.getByTestId('staged-bar').count()).resolves.toBe(0);
    await selectRule('--dport 22');
    await ui.ruleList.locator('[role=option]:has([data-text*="--dport 80"])').first().click({ modifiers: ['Control'] });
    await expect(page.getByTestId('marked-count').innerText()).resolves.toContain('2 marked');
    await page.getByTestId('rule-toggle').click();
    await expect(ui.ruleList.locator('[data-kind=disabled]').count()).resolves.toBe(2);
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    // -m state has a Fix: written as -m conntrack
    const group = page.locator('[data-testid=finding-group][data-code=deprecated-match]');
    await group.getByTestId('finding-fix').first().click();
    expect(await rowTexts()).toContain('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('2 staged changes');
    await shot('edit-bulk-fix');
    // drag: the 8080 rule dropped on the first rule goes before it
    const row = (t: string) => ui.ruleList.locator(`[data-text*="${t}"]`).first();
    await row('--dport 8080').dragTo(row('-i lo -j ACCEPT'));
    expect((await rowTexts())[0]).toBe('-p tcp --dport 8080 -j ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('3 staged changes');
    expect(app.pageErrors).toEqual([]);
  });
});

describe.skipIf(skipE2e)('e2e: the raw editor (CodeMirror) in sync with the table', () => {
  it('edits as text with line numbers, highlighting and live findings in the gutter; stays open with errors; the table follows', async () => {
    const page = app.page;
    const file = join(tmp, 'text-edit.rules');
    writeFileSync(file, SMALL);
    await openFile(file);
    await ui.view('source');
    const ed = page.getByTestId('source-list');
    await ed.locator('.cm-content').waitFor();
    // line numbers and highlighting
    await expect(ed.locator('.cm-lineNumbers .cm-gutterElement', { hasText: /^14$/ }).count()).resolves.toBe(1);
    await expect(ed.locator('.cm-line').nth(7).locator('span').count()).resolves.toBeGreaterThan(2);
    // type a broken rule at the end of INPUT (line 12 is the 8080 rule)
    await ed.locator('.cm-line').nth(11).click();
    await page.keyboard.press('End');
    await page.keyboard.type('\n-A INPUT -p tcp --dport 99999 -j ACCEPT');
    // the finding appears in the gutter on the new line; the editor stays open
    const marker = ed.locator('.cm-gutter-lint .cm-lint-marker-error');
    await marker.waitFor({ timeout: 10_000 });
    await expect(ed.locator('.cm-lintRange-error').count()).resolves.toBeGreaterThan(0);
    await expect(page.getByTestId('error-count').innerText()).resolves.toBe('1 error');
    await expect(page.getByTestId('view-source').getAttribute('aria-selected')).resolves.toBe('true');
    await shot('text-editor-error');
    // the finding in the side panel jumps to its line in the editor
    await page.locator('[data-testid=finding][data-line="13"]').click();
    await expect(ed.locator('.cm-activeLine').innerText()).resolves.toContain('99999');
    // fix it: the table shows the new rule, staged
    await page.keyboard.press('End');
    for (let k = 0; k < '99999 -j ACCEPT'.length; k++) await page.keyboard.press('Backspace');
    await page.keyboard.type('8443 -j ACCEPT');
    await expect.poll(() => page.getByTestId('error-count').count(), { timeout: 10_000 }).toBe(0);
    await ui.view('rules');
    expect((await ui.ruleTexts('[data-kind=rule]')).at(-1)).toBe('-p tcp --dport 8443 -j ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    // an edit in the table shows in the text at once
    await ui.ruleList.locator('[role=option]:has([data-text*="--dport 80 "])').first().click();
    await page.keyboard.press('d');
    await ui.view('source');
    await expect(ed.locator('.cm-line', { hasText: '#-A INPUT -p tcp --dport 80 -j ACCEPT' }).count()).resolves.toBe(1);
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
    await ui.view('rules');
  });
});

describe.skipIf(skipE2e)('e2e: pasting the seed\'s iptables commands', () => {
  it('marks each pasted command ✓/⚠/✗ with the rule it became and its finding, then adds them to the open file as a staged change', async () => {
    const page = app.page;
    const { readFileSync } = await import('node:fs');
    const seed = readFileSync(join(REPO, '..', 'shared', 'seed', 'iptables-recipes.txt'), 'utf8');
    const stock = join(tmp, 'stock.rules');
    writeFileSync(
      stock,
      '# sample configuration for iptables service\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-host-prohibited\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n',
    );
    await openFile(stock);
    await page.getByRole('button', { name: 'Paste…' }).click();
    await page.getByTestId('paste-text').fill(seed);
    await page.getByTestId('paste-commands').waitFor();
    const cmd = (line: number) => page.locator(`[data-testid=paste-command][data-line="${line}"]`);
    // the nth load balancing: left out, with why
    await expect(cmd(18).getAttribute('data-mark')).resolves.toBe('error');
    await expect(cmd(18).innerText()).resolves.toMatch(/✗[\s\S]*-m nth was removed/);
    // loopback: imported as iptables-save writes it
    await expect(cmd(26).getAttribute('data-mark')).resolves.toBe('ok');
    await expect(cmd(26).getByTestId('paste-converted').innerText()).resolves.toBe('→ -A INPUT -i lo -j ACCEPT');
    // the typo'd command is read, with a finding
    await expect(cmd(92).innerText()).resolves.toMatch(/iptabels/);
    await expect(page.getByTestId('paste-summary').innerText()).resolves.toMatch(/\d+ iptables commands: \d+ ✓ · \d+ ⚠ · \d+ ✗ left out/);
    await shot('paste-seed');
    await page.getByTestId('paste-add').click();
    await expect(page.getByTestId('paste-dialog').isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    const texts = await ui.ruleTexts('[data-kind=rule]');
    expect(texts).toContain('-i lo -j ACCEPT');
    // the DoS limit went above the chain's REJECT, not after it
    const limit = texts.findIndex((t) => t.includes('--limit 25/min'));
    const reject = texts.findIndex((t) => t.includes('icmp-host-prohibited'));
    expect(limit).toBeGreaterThanOrEqual(0);
    expect(limit).toBeLessThan(reject);
    await expect(page.getByTestId('chain-nav').innerText()).resolves.toContain('LOGGING');
    await shot('paste-added');
    // and Ctrl+Z takes the whole paste back
    await ui.ruleList.focus();
    await page.keyboard.press('Control+z');
    await expect(page.getByTestId('staged-bar').count()).resolves.toBe(0);
    expect(app.pageErrors).toEqual([]);
  });
});

describe.skipIf(skipE2e)('e2e: the rule table as columns', () => {
  it('shows each rule in words with its action word and glyph, comment, findings glyph; the policy pinned last; an empty chain says what it means', async () => {
    const page = app.page;
    const file = join(tmp, 'columns.rules');
    writeFileSync(
      file,
      '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [12:3400]\n:OUTPUT ACCEPT [0:0]\n[120:9000] -A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "office ssh" -j ACCEPT\n[5:300] -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n',
    );
    await openFile(file);
    const first = ui.ruleRows().first();
    await expect(first.locator('.words').innerText()).resolves.toBe('TCP · from 10.0.0.0/8 · to port 22 · new connections');
    await expect(first.locator('.target').innerText()).resolves.toBe('✓ ACCEPT');
    await expect(first.locator('.comment').innerText()).resolves.toBe('office ssh');
    await expect(first.locator('.counters').innerText()).resolves.toBe('120 · 9.0 kB');
    // counters are a column, never a [x:y] prefix
    expect(await ui.ruleList.innerText()).not.toMatch(/\[\d+:\d+\]/);
    // the deprecated -m state rule carries a findings glyph
    await expect(ui.ruleRows().nth(1).locator('.mark').innerText()).resolves.toBe('i');
    // chains titled with their meaning; the policy pinned under the rules; an empty chain's consequence
    await expect(ui.ruleList.locator('[data-kind=chain]').first().innerText()).resolves.toContain('packets addressed to this host');
    await expect(ui.ruleList.locator('[data-kind=policy]').first().innerText()).resolves.toContain('Default: DROP');
    await expect(ui.ruleList.locator('[data-kind=empty]').first().innerText()).resolves.toBe('No rules in FORWARD. Policy DROP: every routed packet is dropped.');
    await shot('columns');
    // the text as written is one click away: the toggle, and the detail of the selected rule
    await page.getByTestId('rules-as-text').click();
    await expect(first.locator('code').innerText()).resolves.toBe('-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment "office ssh" -j ACCEPT');
    await page.getByTestId('rules-as-words').click();
    await first.click();
    await expect(page.getByTestId('rule-canonical').innerText()).resolves.toContain('-A INPUT -s 10.0.0.0/8');
    // the policy can be changed in place (staged)
    await page.getByTestId('policy-filter-FORWARD').selectOption('ACCEPT');
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    await expect(ui.ruleList.locator('[data-kind=empty]').first().innerText()).resolves.toBe('No rules in FORWARD. Policy ACCEPT: every routed packet is let through.');
  });
});

describe.skipIf(skipE2e)('e2e: recipes on a local file', () => {
  it('runs a recipe wizard on an open file (no host): its rules are a staged change, placed where they work', async () => {
    const page = app.page;
    const file = join(tmp, 'recipe-local.rules');
    writeFileSync(file, '# local file\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n');
    await openFile(file);
    await page.getByTestId('rule-recipes').click();
    await page.getByTestId('recipes-dialog').waitFor();
    await page.getByTestId('recipe-dns-out').click();
    await page.getByTestId('preview-rule').first().waitFor();
    await shot('recipe-local');
    await page.getByTestId('recipe-add').click();
    await expect(page.getByTestId('recipes-dialog').isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
    const texts = await ui.ruleTexts('[data-kind=rule]');
    expect(texts.some((t) => /--dport 53/.test(t) || /--sport 53/.test(t))).toBe(true);
    // the file keeps its comment: the Text view shows it
    await ui.view('source');
    await expect(page.getByTestId('source-list').locator('.cm-line').first().innerText()).resolves.toBe('# local file');
    await ui.view('rules');
  });
});
