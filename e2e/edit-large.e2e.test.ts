// A staged edit of a 100,000-rule file (a blocklist, a kube-proxy nat table):
// the analysis worker applies it to the model it holds, reads again only the
// line it wrote and lints again only the chains the edit can have changed.
// Asserted strictly: the edited row is shown, staged, and the findings once the
// lint is done are exactly a full lint's of the new text (worked out here with
// the core). Timed (a loaded two-core machine): the time from the key to the
// row and to the findings is reported in the metrics line; an edit of the
// 70,000-rule chain must show its row within twice the time the page took to
// read the whole file (the load changes between the two: at 20 per core the
// row took as long as the read), or within EDIT_ROW_FLOOR_MS, so a fast read
// on a quiet machine fails nothing; its findings likewise against the read
// and the full lint.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildApp, launchApp, REPO, skipE2e, type AppHandle } from './support/app.js';
import { PortcullisPage } from './support/ruleset-page.js';
import { cpuBetweenMarks, longestPageTask } from './support/page-trace.js';
import { applyEdit, lintParsed, parseRuleset, type EditOp } from '../src-main/core/index.js';

let app: AppHandle;
let ui: PortcullisPage;
let tmp: string;
const metrics: Record<string, unknown> = {};
/** generous bounds: a loaded machine; the numbers measured are in the metrics line */
const ROW_MS = 15_000;
const FINDINGS_MS = 60_000;
/**
 * The edit's row is here within twice the time the whole file took to be read
 * (file chosen → every rule on screen, the same page, a minute before) — or
 * within this, whichever is longer. Measured: 0.6–0.75 s at load 5–8 per core,
 * 2.3 s at 14 (read 4.8 s), 4.9 s at 20 (read 4.7 s), with the edit made and
 * parsed in the worker (it was 3.1 s at load ~1 when a cancel had ended the
 * worker and the file was read again).
 */
const EDIT_ROW_FLOOR_MS = 3_000;
/** the most work (thread time in Chromium's trace) one task on the page's thread may do while an edit is made and shown: the window answers input meanwhile */
const TASK_CPU_MS = 100;

/** what the trace of an edit says: the longest page task, and the thread time of the page and the worker from the key to the row (-1: no trace, Electron) */
interface EditTrace {
  taskCpuMaxMs: number;
  /** thread time of the page's tasks and of the analysis worker's between the key and the edited row on screen */
  rowPageCpuMs: number;
  rowWorkerCpuMs: number;
}

/** Chromium's trace of the page's tasks ('toplevel') and its marks (the edit's key and row, see disableTimed) */
async function tracePageTasks<T>(work: () => Promise<T>): Promise<{ value: T } & EditTrace> {
  const browser = app.kind === 'browser' ? app.page.context().browser() : null;
  if (!browser) return { value: await work(), taskCpuMaxMs: -1, rowPageCpuMs: -1, rowWorkerCpuMs: -1 };
  await browser.startTracing(app.page, { categories: ['toplevel', 'blink.user_timing'] });
  let value: T;
  try {
    value = await work();
  } catch (e) {
    await browser.stopTracing().catch(() => {});
    throw e;
  }
  const trace = await browser.stopTracing();
  const row = cpuBetweenMarks(trace, 'pcl-edit-key', 'pcl-edit-row');
  return { value, taskCpuMaxMs: longestPageTask(trace).cpuMaxMs, rowPageCpuMs: row.pageCpuMs, rowWorkerCpuMs: row.workerCpuMs };
}

beforeAll(async () => {
  if (skipE2e) return;
  buildApp();
  tmp = mkdtempSync(join(tmpdir(), 'portcullis-e2e-edit-large-'));
  app = await launchApp({ viewport: { width: 1440, height: 900 } });
  ui = new PortcullisPage(app.page);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (Object.keys(metrics).length) process.stderr.write(`e2e large edit metrics: ${JSON.stringify(metrics)}\n`);
});

/**
 * A bench shape with a guard chain in its filter table: INPUT jumps to GUARD,
 * which drops everything, so INPUT's rule for port 8022 after the jump is shadowed —
 * until GUARD's rule is disabled. The finding that goes is in INPUT, a chain
 * the edit did not touch: the incremental lint must check INPUT again.
 */
async function shapeWithGuard(shape: 'blocklist' | 'kube'): Promise<string> {
  const { generateShape } = (await import(join(REPO, 'build', 'gen-shapes.mjs') as string)) as { generateShape: (s: string, n: number, seed: number) => string };
  const text = generateShape(shape, 100_000, 1);
  const end = text.indexOf('\nCOMMIT\n', text.indexOf('*filter'));
  const guard = ['-A INPUT -p tcp -j GUARD', '-A INPUT -p tcp -m tcp --dport 8022 -j ACCEPT', '-A GUARD -m comment --comment "guard-all" -j DROP'];
  const decl = text.indexOf('\n:', text.indexOf('*filter'));
  return `${text.slice(0, decl)}\n:GUARD - [0:0]${text.slice(decl, end)}\n${guard.join('\n')}${text.slice(end)}`;
}

/** the findings the page lists: code and line, in order */
async function pageFindings(): Promise<string[]> {
  return app.page.getByTestId('finding').evaluateAll((els) => els.map((e) => `${e.querySelector('.code')?.textContent} ${e.getAttribute('data-line')}`).sort());
}

const findingKeys = (fs: { code: string; line: number }[]) => fs.map((f) => `${f.code} ${f.line}`).sort();

/** the lint of the document on screen is done (the findings pane no longer busy) */
function lintDone(): Promise<unknown> {
  return app.page.waitForFunction(() => {
    const pane = document.querySelector('[data-testid=findings-pane]');
    return pane && pane.getAttribute('aria-busy') !== 'true' && pane.getAttribute('data-lint') === 'done';
  }, null, { timeout: FINDINGS_MS, polling: 50 });
}

/**
 * Opens the file and waits for its lint; the findings shown are a full lint's.
 * readMs: from the file chosen to its whole model on screen; openMs: to its lint done.
 */
async function openLinted(file: string, text: string): Promise<{ readMs: number; openMs: number }> {
  const page = app.page;
  const open = page.getByTestId('toolbar-open');
  let t0 = 0;
  await app.chooseFile(file, async () => {
    t0 = Date.now();
    if (await open.isVisible()) await open.click();
    else await page.getByTestId('open-file').click();
  });
  await page.locator('[data-testid=doc-name]', { hasText: basename(file) }).waitFor({ timeout: 60_000 });
  await page.getByTestId('parse-running').waitFor({ state: 'detached', timeout: 60_000 });
  const readMs = Date.now() - t0;
  await ui.showing(basename(file));
  await lintDone();
  const openMs = Date.now() - t0;
  expect(await pageFindings()).toEqual(findingKeys(lintParsed(parseRuleset(text))));
  return { readMs, openMs };
}

/**
 * Disables the rule whose text contains `marker` (first of its chain, found
 * through the chain list) with the `d` key; times the row and the findings;
 * checks them against the core's edit and full lint of the same file; undoes it.
 */
async function disableTimed(text: string, chain: string, marker: string): Promise<{ rowMs: number; findingsMs: number; findings: number }> {
  const page = app.page;
  const op: EditOp = { kind: 'set-disabled', refs: [{ table: 'filter', chain, at: 0 }], disabled: true };
  const edited = applyEdit(parseRuleset(text), op);
  expect(edited.ok).toBe(true);
  const want = findingKeys(lintParsed(parseRuleset(edited.ok ? edited.text : '')));
  await page.getByTestId('chain-nav').locator(`button.chain[title="${chain}"]`).click();
  const row = ui.ruleList.locator(`[role=option]:has([data-text*="${marker}"])`).first();
  await row.click();
  await expect(ui.ruleList.locator(`[data-text*="${marker}"]`).first().getAttribute('data-kind')).resolves.toBe('rule');
  // marks in the trace: the page's and the worker's work from the key to the row is read between them
  await page.evaluate(() => performance.mark('pcl-edit-key'));
  const t0 = Date.now();
  await page.keyboard.press('d');
  await page.waitForFunction(
    (m) => {
      const shown = !!document.querySelector(`[data-testid=rule-list] [data-kind=disabled][data-text*="${m}"]`);
      if (shown) performance.mark('pcl-edit-row');
      return shown;
    },
    marker,
    { timeout: ROW_MS, polling: 'raf' },
  );
  const rowMs = Date.now() - t0;
  await lintDone();
  const findingsMs = Date.now() - t0;
  await expect(page.getByTestId('staged-count').innerText()).resolves.toBe('1 staged change');
  // exactly a full lint's findings of the new text
  expect(await pageFindings()).toEqual(want);
  expect(rowMs).toBeLessThan(ROW_MS);
  expect(findingsMs).toBeLessThan(FINDINGS_MS);
  expect(app.pageErrors).toEqual([]);
  // back to the file as opened
  await ui.ruleList.focus();
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('staged-bar').count()).resolves.toBe(0);
  return { rowMs, findingsMs, findings: want.length };
}

async function shapeCase(shape: 'blocklist' | 'kube'): Promise<void> {
  const text = await shapeWithGuard(shape);
  const file = join(tmp, `${shape}-100k.rules`);
  writeFileSync(file, text);
  const before = lintParsed(parseRuleset(text));
  expect(before.filter((f) => f.code === 'shadowed-rule' && f.chain === 'INPUT')).toHaveLength(1);
  const opened = await openLinted(file, text);
  // the page may share memory with its worker (a cancel, e.g. of the marks an undo drops, stops the job, not the worker)
  if (app.kind === 'browser') await expect(app.page.evaluate(() => crossOriginIsolated)).resolves.toBe(true);
  // GUARD's rule: INPUT's shadowed 8022 rule is no longer shadowed (a chain the edit did not touch)
  const { value: guardValue, ...guardTrace } = await tracePageTasks(() => disableTimed(text, 'GUARD', 'guard-all'));
  const guard = { ...guardValue, ...guardTrace };
  expect(guard.findings).toBe(before.length - 1);
  metrics[shape] = { ...opened, guard };
  // the page patches its model and rows with the chains the edit changed (20,000 nat chains are not made again): no task holds it
  expect(guard.taskCpuMaxMs).toBeLessThan(TASK_CPU_MS);
  if (shape === 'blocklist') {
    // the first of the 70,000 rules of the blocklist chain: the edit is made, read and shown without the file read again
    const first = /^-A blocklist (-s \S+ )/m.exec(text)![1];
    const { value: bigValue, ...bigTrace } = await tracePageTasks(() => disableTimed(text, 'blocklist', first));
    const bigChain = { ...bigValue, ...bigTrace };
    (metrics[shape] as Record<string, unknown>).bigChain = bigChain;
    expect(bigChain.taskCpuMaxMs).toBeLessThan(TASK_CPU_MS);
    expect(bigChain.rowMs).toBeLessThan(Math.max(2 * opened.readMs, EDIT_ROW_FLOOR_MS));
    expect(bigChain.findingsMs).toBeLessThan(Math.max(2 * opened.openMs, EDIT_ROW_FLOOR_MS));
  }
}

describe.skipIf(skipE2e)('e2e: a staged edit of a 100,000-rule file', () => {
  it('blocklist: disabling a guard rule, then a rule of the 70,000-rule chain, shows the row and the findings of a full lint', async () => {
    await shapeCase('blocklist');
  }, 300_000);

  it('kube-proxy: the same edit in the filter table beside 20,000 nat chains', async () => {
    await shapeCase('kube');
  }, 300_000);
});
