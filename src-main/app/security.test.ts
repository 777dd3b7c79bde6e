// Static checks of the Electron security checklist and DESIGN.md's "untrusted
// text" rule, on the sources themselves so a regression fails the suite.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const renderer = join(repo, 'src-renderer');

function files(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p, re));
    else if (re.test(e)) out.push(p);
  }
  return out;
}

const grep = (list: string[], re: RegExp) =>
  list.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((l, k) => (re.test(l) ? [`${relative(repo, f)}:${k + 1}: ${l.trim()}`] : [])),
  );

describe('renderer never treats ruleset text as HTML', () => {
  const sources = files(renderer, /\.(svelte|ts|html)$/);
  it('finds the renderer sources', () => expect(sources.length).toBeGreaterThan(10));
  it('has no {@html} anywhere', () => expect(grep(sources, /\{@html/)).toEqual([]));
  it('sets no innerHTML/outerHTML, no insertAdjacentHTML, no document.write, no eval', () =>
    expect(grep(sources, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/)).toEqual([]));
});

describe('Content-Security-Policy', () => {
  const html = readFileSync(join(renderer, 'index.html'), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
  it('index.html carries a strict CSP meta tag', () => {
    expect(meta).toContain("default-src 'self'");
    expect(meta).toContain("script-src 'self'");
    expect(meta).toContain("object-src 'none'");
    expect(meta).not.toMatch(/unsafe-inline|unsafe-eval|\s\*(\s|;|$)|https?:/);
    expect(meta).toMatch(/connect-src [^;]*ws:\/\/127\.0\.0\.1:\*/);
  });
  it('no inline scripts or static style attributes (style-src has no unsafe-inline)', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // a static style="" in a template would be parsed as an inline style and blocked; style: directives use CSSOM
    expect(grep(files(renderer, /\.svelte$/), /\sstyle="/)).toEqual([]);
  });
  it('Electron sends a header policy without WebSocket access', async () => {
    const src = readFileSync(join(repo, 'src-main', 'app', 'protocol.ts'), 'utf8');
    expect(src).toMatch(/"connect-src 'self'"/);
    expect(src).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});

describe('Electron window hardening', () => {
  const main = readFileSync(join(repo, 'src-main', 'app', 'main.ts'), 'utf8');
  it('isolates and sandboxes the renderer', () => {
    expect(main).toMatch(/contextIsolation:\s*true/);
    expect(main).toMatch(/sandbox:\s*true/);
    expect(main).toMatch(/nodeIntegration:\s*false/);
    expect(main).toMatch(/webviewTag:\s*false/);
    expect(main).toMatch(/app\.enableSandbox\(\)/);
    expect(main).not.toMatch(/webSecurity:\s*false|allowRunningInsecureContent|experimentalFeatures/);
  });
  it('denies navigation, new windows and permission requests', () => {
    expect(main).toMatch(/setWindowOpenHandler\([\s\S]*?action: 'deny'/);
    expect(main).toMatch(/'will-navigate', \(e\) => e\.preventDefault\(\)/);
    expect(main).toMatch(/setPermissionRequestHandler\(\(_wc, _perm, cb\) => cb\(false\)\)/);
  });
  it('checks every IPC sender', () => {
    const ipc = readFileSync(join(repo, 'src-main', 'ipc', 'electron-ipc.ts'), 'utf8');
    expect(ipc).toMatch(/isTrustedSenderUrl\(event\.senderFrame\.url\)/);
  });
});
