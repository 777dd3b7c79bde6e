// The app as an admin uses it: open rulesets, read findings, jump to rules,
// compare two files, drive it with the keyboard, and a 100,000-rule file.
// Runs against the browser-mode server in Chromium (PORTCULLIS_E2E=electron
// runs the same steps in Electron where its binary exists).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildApp, launchApp, skipE2e, CORPUS, REPO, type AppHandle } from './support/app.js';
import { PortcullisPage } from './support/ruleset-page.js';

let app: AppHandle;
let ui: PortcullisPage;
let tmp: string;
const SHOTS = process.env.PORTCULLIS_SHOTS ?? tmpdir();
const metrics: Record<string, unknown> = {};

const corpus = (name: string) => join(CORPUS, name);

async function openFile(path: string): Promise<void> {
  const open = app.page.getByTestId('toolbar-open');
  await app.chooseFile(path, async () => {
    if (await open.isVisible()) await open.click();
    else await app.page.getByTestId('open-file').click();
  });
  await ui.showing(basename(path));
}

beforeAll(async () => {
  if (skipE2e) return;
  buildApp();
  tmp = mkdtempSync(join(tmpdir(), 'portcullis-e2e-files-'));
  app = await launchApp({ files: [corpus('001.rules')] });
  ui = new PortcullisPage(app.page);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (Object.keys(metrics).length) process.stderr.write(`e2e metrics: ${JSON.stringify(metrics)}\n`);
});

describe.skipIf(skipE2e)(`e2e: Portcullis app (${process.env.PORTCULLIS_E2E ?? 'browser'} shell)`, () => {
  it('starts on an empty state that offers files named on the command line', async () => {
    await expect(app.page.getByTestId('empty-state').isVisible()).resolves.toBe(true);
    await expect(app.page.getByTestId('recent-files').innerText()).resolves.toContain('001.rules');
    await app.page.screenshot({ path: join(SHOTS, 'portcullis-empty.png') });
  });

  it('opens a recent file through main: tables, chains and rules appear, with the lint\'s findings', async () => {
    await app.page.getByTestId('recent-files').getByRole('button', { name: /^001\.rules/ }).click();
    await ui.showing('001.rules');
    await expect(app.page.getByTestId('doc-stats').innerText()).resolves.toMatch(/1 table · 3 chains · \d+ rules\s+2 warnings\s+valid/);
    const firstRules = await ui.ruleTexts('[data-kind=rule]');
    expect(firstRules.slice(0, 2)).toEqual(['-p icmp -j ACCEPT', '-i lo -j ACCEPT']);
    // valid for iptables, but the lint sees two rules that can never match
    const findings = await app.page.getByTestId('finding').allInnerTexts();
    expect(findings.filter((t) => t.includes('shadowed-rule'))).toHaveLength(2);
    expect(findings.some((t) => t.includes('can never match'))).toBe(true);
  });

  it('shows the canonical form exactly as iptables-save prints it', async () => {
    await ui.view('canonical');
    const shown = await ui.visibleLines('canonical-list');
    const expected = readFileSync(corpus('001.canonical'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(shown.length).toBeGreaterThan(10);
    expect(shown).toEqual(expected.slice(0, shown.length));
    await ui.view('rules');
  });

  it('opens a file from the file chooser; clicking a finding selects and scrolls to its rule', async () => {
    await openFile(corpus('054.rules'));
    await expect(ui.docName.innerText()).resolves.toBe('054.rules');
    const finding = ui.finding(170);
    await expect(finding.isVisible()).resolves.toBe(true);
    await finding.click();
    const selected = ui.ruleList.locator('[aria-selected=true] [data-line]');
    await expect(selected.getAttribute('data-line')).resolves.toBe('170');
    await expect(selected.isVisible()).resolves.toBe(true);
    await expect(ui.detail.innerText()).resolves.toContain('line 170');
    await expect(ui.detail.innerText()).resolves.toContain('fail2ban-sshd');
    await app.page.screenshot({ path: join(SHOTS, 'portcullis-findings.png') });
  });

  it('a file that fails to parse shows its error line, and nothing crashes', async () => {
    await openFile(corpus('123.rules'));
    await expect(app.page.getByTestId('error-count').innerText()).resolves.toBe('2 errors');
    const err = ui.finding(76);
    await expect(err.innerText()).resolves.toContain("Couldn't load match `multiports'");
    await err.click();
    // the rule could not be read: it is shown where it sits in its chain, marked, with its error
    const row = ui.ruleList.locator('[aria-selected=true] [data-kind=unreadable]');
    await expect(row.getAttribute('data-line')).resolves.toBe('76');
    await expect(row.innerText()).resolves.toContain('-m multiports --dports 22,80,443');
    await expect(ui.detail.innerText()).resolves.toContain('not loaded');
    await expect(ui.detail.innerText()).resolves.toContain("Couldn't load match `multiports'");
    // a line that is in no chain (an ignored -6 rule) is shown in the source
    await ui.finding(12).click();
    // (the text editor, with the cursor on the finding's line)
    await expect(app.page.getByTestId('source-list').locator('.cm-activeLine').innerText()).resolves.toContain('-6 -A INPUT -m rt --rt-type 0 -j DROP');
    await ui.view('rules');
    await err.click();
    await app.page.screenshot({ path: join(SHOTS, 'portcullis-error.png') });
    expect(app.pageErrors).toEqual([]);
  });

  it('is usable from the keyboard: Ctrl+O, arrows, Enter, Tab order, Ctrl+1/2', async () => {
    const page = app.page;
    await app.chooseFile(corpus('001.rules'), () => page.keyboard.press('Control+o'));
    await ui.showing('001.rules');
    await ui.ruleList.focus();
    for (let k = 0; k < 4; k++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    // rows: *filter, INPUT, rule 1, rule 2 → the fourth ArrowDown lands on rule 2
    await expect(ui.ruleList.locator('[aria-selected=true] [data-kind=rule] .idx').innerText()).resolves.toBe('2');
    await expect(ui.detail.innerText()).resolves.toContain('rule 2');
    await page.keyboard.press('End');
    const last = await ui.ruleList.locator('[aria-selected=true]').innerText();
    expect(last).toMatch(/ACCEPT|DROP|REJECT|rules/);
    await page.keyboard.press('Home');
    await expect(ui.ruleList.locator('[aria-selected=true]').innerText()).resolves.toContain('filter');
    // table names read as iptables writes them (*filter), not in capitals (innerText follows text-transform)
    await expect(ui.detail.locator('.tag').innerText()).resolves.toBe('filter');
    await expect(page.getByTestId('chain-nav').locator('.table .name').first().innerText()).resolves.toBe('filter');
    // Tab from the view tabs reaches the rule list without a trap
    await page.getByTestId('view-rules').focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('view-source').getAttribute('aria-selected')).resolves.toBe('true');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Control+2');
    await expect(page.getByTestId('diff-empty').isVisible()).resolves.toBe(true);
    await page.keyboard.press('Control+1');
    await expect(ui.docName.isVisible()).resolves.toBe(true);
  });

  it('has one tab stop per control: the rule list is a single stop, its rows are not', async () => {
    const page = app.page;
    await page.getByTestId('toolbar-open').focus();
    const stops: string[] = [];
    // the side panel (chains, findings by code) and the search bar come first
    for (let k = 0; k < 80; k++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el?.dataset.testid ?? el?.getAttribute('role') ?? el?.tagName.toLowerCase() ?? '';
        }),
      );
    }
    expect(stops).toContain('view-rules');
    expect(stops).toContain('rule-list');
    expect(stops).not.toContain('option');
    // each stop once before the cycle repeats
    const firstCycle = stops.slice(0, stops.indexOf('rule-list') + 1);
    expect(firstCycle.filter((s) => s === 'rule-list')).toHaveLength(1);
  });

  it('opens a file dropped on the window', async () => {
    await app.page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.1/32 -j DROP\nCOMMIT\n'], 'dropped.rules'));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    });
    await ui.showing('dropped.rules');
    await expect(ui.ruleRows().first().getAttribute('data-text')).resolves.toContain('-s 192.0.2.1/32 -j DROP');
  });

  it('pasted text opens like a file', async () => {
    await app.page.getByRole('button', { name: 'Paste…' }).click();
    await app.page.getByLabel('Ruleset text').fill('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    await app.page.getByRole('button', { name: 'Open', exact: true }).click();
    await ui.showing('pasted ruleset');
    await expect(ui.ruleRows().first().getAttribute('data-text')).resolves.toContain('-p tcp --dport 22 -j ACCEPT');
  });

  it('diffs two rulesets side by side', async () => {
    const original = readFileSync(corpus('001.rules'), 'utf8');
    const changed = original.replace('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT').replace(':FORWARD ACCEPT', ':FORWARD DROP');
    expect(changed).not.toBe(original);
    writeFileSync(join(tmp, 'new.rules'), changed);
    await ui.tab('diff');
    await app.chooseFile(corpus('001.rules'), () => app.page.getByTestId('diff-open-left').click());
    await app.page.getByTestId('diff-left').getByText('001.rules').waitFor();
    await app.chooseFile(join(tmp, 'new.rules'), () => app.page.getByTestId('diff-open-right').click());
    await app.page.getByTestId('diff-right').getByText('new.rules').waitFor();
    await expect(app.page.getByTestId('diff-summary').innerText()).resolves.toBe('2 changes: 1 replaced, 1 policy');
    const list = app.page.getByTestId('diff-list');
    const replaced = list.locator('[data-kind=replace]');
    await expect(replaced.innerText()).resolves.toMatch(/--dport 22 -j ACCEPT[\s\S]*--dport 2222 -j ACCEPT/);
    await expect(list.locator('[data-kind=chain]').filter({ hasText: 'FORWARD' }).innerText()).resolves.toContain('policy ACCEPT → DROP');
    await expect(list.locator('[data-kind=chain]').filter({ hasText: 'FORWARD' }).innerText()).resolves.toMatch(/^filter\s+FORWARD/);
    // only the changed word is marked on each side
    await expect(replaced.locator('mark').allInnerTexts()).resolves.toEqual(['22', '2222']);
    await app.page.screenshot({ path: join(SHOTS, 'portcullis-diff.png') });
    // all rows, not only changes
    await app.page.getByTestId('only-changes').uncheck();
    await expect(list.locator('[data-kind=same]').count()).resolves.toBeGreaterThan(5);
    await ui.tab('ruleset');
  });

  it('renders and scrolls a 100,000-rule ruleset (virtualized; frame times reported)', async () => {
    const { generateRuleset } = (await import(join(REPO, 'build', 'gen-ruleset.mjs') as string)) as { generateRuleset: (n: number) => string };
    const big = join(tmp, 'big.rules');
    writeFileSync(big, generateRuleset(100_000));
    const page = app.page;
    const t0 = Date.now();
    await openFile(big);
    await ui.ruleRows().first().waitFor();
    metrics.load100kMs = Date.now() - t0;
    metrics.parse100kMs = Number(await app.page.getByTestId('doc-stats').getAttribute('data-parse-ms'));
    await expect(app.page.getByTestId('doc-stats').innerText()).resolves.toContain('100,002 rules');
    const count = Number(await ui.ruleList.getAttribute('data-count'));
    expect(count).toBeGreaterThan(100_000);
    // only a window of rows is in the DOM
    expect(await ui.rows(ui.ruleList).count()).toBeLessThan(120);
    // the lint runs in the analysis worker while the list is shown (and scrolled below)
    await expect(app.page.getByTestId('run-lint').count()).resolves.toBe(0);

    const frames = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid=rule-list]') as HTMLElement;
      const deltas: number[] = [];
      let last = performance.now();
      for (let k = 0; k < 240; k++) {
        await new Promise<void>((r) =>
          requestAnimationFrame(() => {
            const now = performance.now();
            deltas.push(now - last);
            last = now;
            // a fast wheel/scrollbar drag: ~1,000 rows per frame, then a jump
            el.scrollTop = k === 120 ? el.scrollHeight / 2 : el.scrollTop + 26_000;
            r();
          }),
        );
      }
      deltas.shift();
      const sorted = [...deltas].sort((a, b) => a - b);
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
      return {
        frames: deltas.length,
        meanMs: deltas.reduce((a, b) => a + b, 0) / deltas.length,
        p50Ms: pct(50),
        p95Ms: pct(95),
        maxMs: sorted[sorted.length - 1],
        rowsInDom: el.querySelectorAll('[role=option]').length,
        scrollTop: el.scrollTop,
      };
    });
    metrics.scroll100k = frames;
    expect(frames.rowsInDom).toBeLessThan(120);
    expect(frames.scrollTop).toBeGreaterThan(1_000_000);
    // the rows shown follow the scroll position
    const idx = Number(await ui.rows(ui.ruleList).first().getAttribute('data-index'));
    expect(Math.abs(idx * 26 - frames.scrollTop)).toBeLessThan(26 * 20);
    await page.screenshot({ path: join(SHOTS, 'portcullis-100k.png') });
    await page.keyboard.press('Control+End');
  });

  it('lints a 100,000-rule ruleset in the background: its findings arrive', async () => {
    await ui.settled();
    await expect(app.page.getByTestId('run-lint').count()).resolves.toBe(0);
    // findings come grouped by code, each group with its count
    await expect(app.page.getByTestId('finding-group').count()).resolves.toBeGreaterThan(0);
  });

  it('shows the control characters of a CRLF file instead of blanks', async () => {
    await openFile(corpus('099.rules'));
    const texts = await ui.findings.allInnerTexts();
    // the line under the CRLF finding ends in a visible \r
    expect(texts.some((t) => t.includes('crlf') && t.includes('*filter\\r'))).toBe(true);
    expect(texts.join('\n')).not.toContain('\r');
    await ui.view('source');
    expect(await app.page.getByTestId('source-list').locator('.cm-line').first().innerText()).toBe('*filter\\r');
    await ui.view('rules');
  });

  it('removing a host asks in the app\'s own dialog: Cancel has the focus, Escape keeps the host', async () => {
    const page = app.page;
    await ui.tab('hosts');
    await page.getByTestId('host-add').click();
    await page.getByTestId('host-field-name').fill('web 1');
    await page.getByTestId('host-field-target').fill('root@192.0.2.10');
    await page.getByTestId('host-save').click();
    await page.getByTestId('host-name').waitFor();
    let nativeDialogs = 0;
    page.on('dialog', (d) => {
      nativeDialogs++;
      void d.dismiss();
    });
    const dialog = page.getByTestId('remove-dialog');
    await page.getByRole('button', { name: 'Remove web 1 from the list' }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/Remove “web 1” from the list\?[\s\S]*Nothing changes on the host itself/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('remove-cancel');
    await page.screenshot({ path: join(SHOTS, 'polish-remove-host.png') });
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('host-item').count()).resolves.toBe(1);
    // Enter on the focused Cancel keeps it too
    await page.getByRole('button', { name: 'Remove web 1 from the list' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('host-item').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Remove web 1 from the list' }).click();
    await page.getByTestId('remove-confirm').click();
    await page.getByTestId('hosts-empty').waitFor();
    await expect(page.getByTestId('host-item').count()).resolves.toBe(0);
    expect(nativeDialogs).toBe(0);
    await ui.tab('ruleset');
  });

  it('broke no Content-Security-Policy rule and threw no errors', async () => {
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});

describe.skipIf(skipE2e)('e2e: browser mode security', () => {
  it('serves the page with a CSP header and meta tag', async () => {
    if (!app.url) return;
    const res = await fetch(new URL('/', app.url));
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(await res.text()).toMatch(/<meta\s+http-equiv="Content-Security-Policy"/);
  });

  it('a page without the token cannot connect and says so', async () => {
    if (!app.url) return;
    const page = await app.page.context().newPage();
    try {
      await page.goto(new URL('/', app.url).toString());
      await expect(page.getByTestId('connect-error').innerText()).resolves.toContain('#token=');
      await page.goto(new URL('/#token=wrong', app.url).toString());
      await page.reload();
      await expect(page.getByTestId('connect-error').innerText()).resolves.toContain('refused');
    } finally {
      await page.close();
    }
  });
});
