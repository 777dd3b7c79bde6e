// axe-core (Deque's accessibility engine) run inside the page: every view a
// spec reaches can be checked for serious and critical violations (G2). The
// engine's source is evaluated through the DevTools protocol, so the page's
// strict CSP stays as it is (no script tag, no bypass).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let source: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** The serious and critical violations axe finds on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  source ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!has) await page.evaluate(source);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Fails with each serious or critical violation, its rule, and where (CSS
 * selectors) when axe finds any — in the light and in the dark colour scheme.
 */
export async function checkAccessibility(page: Page, where: string): Promise<void> {
  const v: AxeViolation[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const x of await axeViolations(page)) v.push({ ...x, help: `${x.help} (${scheme} scheme)` });
  }
  await page.emulateMedia({ colorScheme: null });
  if (v.length === 0) return;
  const lines = v.map((x) => `${x.impact} ${x.id}: ${x.help}\n${x.nodes.map((n) => `    at ${n.target.join(' ')}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`).join('\n')}`);
  throw new Error(`axe-core: ${v.length} serious or critical violation${v.length === 1 ? '' : 's'} on ${where}:\n${lines.join('\n')}`);
}
