// The side-by-side diff as an admin reads it (D2–D5, D7): a moved, a changed
// and an added rule each show as what they are (not "3 replaced"), only the
// changed words are marked, long rules wrap, unchanged runs fold, and F7 /
// Shift+F7 step through the changes — at 1024×700, checked by axe-core.
// Screenshots go to test-results/screenshots (or PORTCULLIS_SHOTS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, launchApp, REPO, skipE2e, type AppHandle } from './support/app.js';
import { checkAccessibility } from './support/axe.js';

const SHOTS = process.env.PORTCULLIS_SHOTS ?? join(REPO, 'test-results', 'screenshots');
const LONG = 'a very long comment that an admin wrote to explain why this office range may reach the database port at night';
const filler = (n: number) => Array.from({ length: n }, (_, k) => `-A INPUT -s 198.18.${10 + k}.0/24 -p tcp -m tcp --dport 5432 -j ACCEPT`);
const ruleset = (rules: string[]) => `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n`;
const OLD = ruleset([
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
  '-A INPUT -s 198.18.66.0/24 -j DROP',
  ...filler(12),
  `-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "${LONG}" -j ACCEPT`,
  ...filler(30).slice(12),
  '-A INPUT -j REJECT',
]);
// the DROP moved to the top, port 80 became 8080 (same comment), port 53/udp added
const NEW = ruleset([
  '-A INPUT -s 198.18.66.0/24 -j DROP',
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
  ...filler(12),
  `-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment "${LONG}" -j ACCEPT`,
  ...filler(30).slice(12),
  '-A INPUT -p udp -m udp --dport 53 -j ACCEPT',
  '-A INPUT -j REJECT',
]);

describe.skipIf(skipE2e)('e2e: the diff pairs rows right', () => {
  let app: AppHandle;
  let tmp = '';
  beforeAll(async () => {
    buildApp();
    mkdirSync(SHOTS, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), 'pcl-e2e-diff-'));
    writeFileSync(join(tmp, 'old.rules'), OLD);
    writeFileSync(join(tmp, 'new.rules'), NEW);
    app = await launchApp({ viewport: { width: 1024, height: 700 } });
  });
  afterAll(async () => {
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a move, a change and an add come out as one of each, with only the changed word marked', async () => {
    const page = app.page;
    await page.getByTestId('tab-diff').click();
    await app.chooseFile(join(tmp, 'old.rules'), () => page.getByTestId('diff-open-left').click());
    await page.getByTestId('diff-left').getByText('old.rules').waitFor();
    await app.chooseFile(join(tmp, 'new.rules'), () => page.getByTestId('diff-open-right').click());
    await page.getByTestId('diff-right').getByText('new.rules').waitFor();
    expect(await page.getByTestId('diff-summary').innerText()).toBe('3 changes: 1 added, 1 replaced, 1 moved');
    const list = page.getByTestId('diff-list');
    const changed = list.locator('[data-kind=replace]');
    expect(await changed.count()).toBe(1);
    expect(await changed.locator('mark').allInnerTexts()).toEqual(['80', '8080']);
    expect(await list.locator('[data-kind=add]').innerText()).toContain('-p udp -m udp --dport 53 -j ACCEPT');
    expect(await list.locator('[data-kind=move-to]').innerText()).toMatch(/-s 198\.18\.66\.0\/24 -j DROP[\s\S]*↕ from #3/);
    // the long rule wraps inside its half: its whole comment is on screen, nothing cut
    const box = await changed.locator('.right code').boundingBox();
    expect(box!.height).toBeGreaterThan(30);
    expect(await changed.locator('.right code').innerText()).toContain(LONG);
    // unchanged runs are folded with 3 rules of context
    const folds = await list.getByTestId('diff-fold').allInnerTexts();
    expect(folds.length).toBeGreaterThan(0);
    expect(folds[0]).toMatch(/⋯ \d+ unchanged rules/);
    await page.screenshot({ path: join(SHOTS, 'diff-paired-1024.png') });
    await checkAccessibility(page, 'the diff view');
  });

  it('F7 and Shift+F7 step through the changes, saying where they are', async () => {
    const page = app.page;
    await page.getByTestId('diff-list').locator('[data-kind=chain]').first().click();
    await page.keyboard.press('F7');
    expect(await page.getByTestId('diff-position').innerText()).toMatch(/change 1 of 4/);
    await page.keyboard.press('F7');
    await page.keyboard.press('F7');
    expect(await page.getByTestId('diff-position').innerText()).toMatch(/change 3 of 4/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-kind'))).toBe('replace');
    await page.keyboard.press('Shift+F7');
    expect(await page.getByTestId('diff-position').innerText()).toMatch(/change 2 of 4/);
    // a fold opens 20 rules at a time
    const before = await page.getByTestId('diff-list').locator('[data-kind=same]').count();
    await page.getByTestId('diff-fold').first().click();
    expect(await page.getByTestId('diff-list').locator('[data-kind=same]').count()).toBeGreaterThan(before);
  });

  it('the ruleset view with a file open is free of serious and critical axe violations too', async () => {
    const page = app.page;
    await page.getByTestId('tab-ruleset').click();
    await app.chooseFile(join(tmp, 'new.rules'), async () => {
      const open = page.getByTestId('toolbar-open');
      if (await open.isVisible()) await open.click();
      else await page.getByTestId('open-file').click();
    });
    await page.getByTestId('rule-list').waitFor();
    await checkAccessibility(page, 'the ruleset view with a file');
    await page.screenshot({ path: join(SHOTS, 'ruleset-1024.png') });
  });

  it('left no CSP violations or page errors', async () => {
    expect(await app.cspViolations()).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });
});
