// Page object: what a user sees and does, by role and test id, so specs read
// like the steps an admin takes.
import type { Locator, Page } from 'playwright-core';

export class PortcullisPage {
  constructor(readonly page: Page) {}

  get ruleList(): Locator {
    return this.page.getByTestId('rule-list');
  }
  get findings(): Locator {
    return this.page.getByTestId('finding');
  }
  /** the (first) finding on a line */
  finding(line: number): Locator {
    return this.page.locator(`[data-testid=finding][data-line="${line}"]`).first();
  }
  get docName(): Locator {
    return this.page.getByTestId('doc-name');
  }
  get detail(): Locator {
    return this.page.getByTestId('rule-detail');
  }
  /** rendered (not all!) rows of a virtualized list */
  rows(list: Locator): Locator {
    return list.locator('[role=option]');
  }
  ruleRows(): Locator {
    return this.ruleList.locator('[data-kind=rule]');
  }
  /** each rendered rule row's text as written (rows show the rule in words; the text is on data-text) */
  async ruleTexts(kinds = '[data-kind=rule], [data-kind=disabled]'): Promise<string[]> {
    return this.ruleList.locator(kinds).evaluateAll((els) => els.map((e) => e.getAttribute('data-text') ?? ''));
  }
  async view(name: 'rules' | 'source' | 'canonical'): Promise<void> {
    await this.page.getByTestId(`view-${name}`).click();
  }
  async tab(name: 'ruleset' | 'diff' | 'hosts'): Promise<void> {
    await this.page.getByTestId(`tab-${name}`).click();
  }
  /** the text of the rendered rows of a TextLines list, in order */
  async visibleLines(testid: string): Promise<string[]> {
    return this.page.getByTestId(testid).locator('[role=option] code').allInnerTexts();
  }
  /** waits until the ruleset view shows the named document, fully parsed */
  async showing(name: string): Promise<void> {
    await this.page.locator('[data-testid=doc-name]', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({ timeout: 60_000 });
    await this.settled();
  }
  /** waits for the busy note to go and the view to settle (the parse and the lint in the worker included) */
  async settled(): Promise<void> {
    await this.page.getByTestId('busy').waitFor({ state: 'detached', timeout: 60_000 });
    await this.page.getByTestId('parse-running').waitFor({ state: 'detached', timeout: 60_000 });
    await this.page.getByTestId('lint-running').waitFor({ state: 'detached', timeout: 120_000 });
  }
}

/** Collects CSP violations (and page errors) from the first script on. */
export async function watchPage(page: Page): Promise<{ violations(): Promise<string[]>; errors: string[] }> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  return {
    errors,
    violations: () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations ?? []),
  };
}
