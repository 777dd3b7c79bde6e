// One handle on the running app for every e2e spec, whichever shell runs it:
// the browser-mode server in Debian's Chromium (always available, CI included)
// or the real Electron app where its binary exists (PORTCULLIS_E2E=electron).
// Specs talk to the page only through this handle and the page object.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, _electron, type Browser, type ElectronApplication, type Page } from 'playwright-core';
import { watchPage } from './ruleset-page.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared next to the repository (corpus, conformance data) */
export const SHARED = resolve(REPO, '..', 'shared');
export const CORPUS = join(SHARED, 'corpus', 'realworld');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Without Chromium (a laptop without Debian's package; point CHROMIUM_PATH at
 * a Chrome or Chromium binary instead) the e2e specs skip with a message —
 * except under CI=true, where a skipped test is a failure.
 */
export const skipE2e = (process.env.PORTCULLIS_E2E ?? 'browser') === 'browser' && !existsSync(CHROMIUM) && process.env.CI !== 'true';

export type ShellKind = 'browser' | 'electron';

export interface AppHandle {
  kind: ShellKind;
  page: Page;
  /** opens a ruleset file the way a user would: the file chooser, or Electron's native dialog */
  chooseFile(path: string, open: () => Promise<void>): Promise<void>;
  /** server URL (browser mode) */
  url?: string;
  /** everything the main side printed, for failure messages */
  output(): string;
  /** Content-Security-Policy violations the page reported */
  cspViolations(): Promise<string[]>;
  /** uncaught exceptions and console errors in the page */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  kind?: ShellKind;
  /** files given on the command line: they appear under "Recent" */
  files?: string[];
  viewport?: { width: number; height: number };
  /** extra environment for the main side (PORTCULLIS_STATE_DIR, SSH_AUTH_SOCK …); '' removes a variable */
  env?: Record<string, string>;
}

function mainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === '') delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Which shell the specs run against. */
export function shellKind(): ShellKind {
  return process.env.PORTCULLIS_E2E === 'electron' ? 'electron' : 'browser';
}

let built = false;

/** newest modification time of the sources the app bundles are built from */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['src-main', 'src-renderer', 'build']) if (existsSync(join(REPO, d))) walk(join(REPO, d));
  for (const f of ['vite.config.ts', 'package.json']) if (existsSync(join(REPO, f))) newest = Math.max(newest, statSync(join(REPO, f)).mtimeMs);
  return newest;
}

/**
 * Builds the pieces the app needs (main-side bundles and the renderer), never
 * the CLI bundle other tests may be running at the same time. Spec files run
 * in parallel: one builds under a lock, the others find the build up to date
 * (a second renderer build would empty dist/renderer under a running app).
 */
export function buildApp(): void {
  if (built || process.env.PORTCULLIS_E2E_NO_BUILD) return;
  const lock = join(REPO, 'dist', '.e2e-build.lock');
  const stamp = join(REPO, 'dist', '.e2e-build.stamp');
  mkdirSync(join(REPO, 'dist'), { recursive: true });
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock left by a killed run is taken over after five minutes
      if (waited > 300_000 || Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      sleep(200);
    }
  }
  try {
    const sources = newestSource();
    const last = existsSync(stamp) ? Number(readFileSync(stamp, 'utf8')) : 0;
    if (!(last >= sources && existsSync(join(REPO, 'dist', 'renderer', 'index.html')))) {
      for (const part of ['browser', 'main', 'apply-machine', 'preload', 'renderer']) {
        const r = spawnSync(process.execPath, [join(REPO, 'build', 'build.mjs'), part], { cwd: REPO, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`build ${part} failed:\n${r.stdout}\n${r.stderr}`);
      }
      writeFileSync(stamp, String(sources));
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  built = true;
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export async function launchApp(opts: LaunchOptions = {}): Promise<AppHandle> {
  const kind = opts.kind ?? shellKind();
  const configDir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  return kind === 'electron' ? launchElectron(opts, configDir) : launchBrowser(opts, configDir);
}

async function launchBrowser(opts: LaunchOptions, configDir: string): Promise<AppHandle> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  let log = '';
  const server: ChildProcess = spawn(process.execPath, [join(REPO, 'dist', 'main', 'browser.cjs'), ...(opts.files ?? [])], {
    cwd: REPO,
    env: { ...mainEnv(opts.env), PORTCULLIS_CONFIG_DIR: configDir, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr!.on('data', (d) => (log += String(d)));
  let browser: Browser | undefined;
  const stopServer = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
    rmSync(configDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`browser-mode server printed no address:\n${log}`)), 15_000);
      let out = '';
      server.stdout!.on('data', (d) => {
        out += String(d);
        log += String(d);
        const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      });
      server.once('exit', (code) => reject(new Error(`browser-mode server exited (${code}):\n${log}`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    const watched = await watchPage(page);
    await page.goto(url);
    const b = browser;
    return {
      kind: 'browser',
      page,
      url,
      output: () => log,
      cspViolations: watched.violations,
      pageErrors: watched.errors,
      async chooseFile(path, open) {
        const chooser = page.waitForEvent('filechooser');
        await open();
        await (await chooser).setFiles(path);
      },
      async close() {
        await b.close().catch(() => {});
        await stopServer();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => {});
    await stopServer();
    throw e;
  }
}

async function launchElectron(opts: LaunchOptions, configDir: string): Promise<AppHandle> {
  let app: ElectronApplication | undefined;
  let log = '';
  try {
    app = await _electron.launch({
      args: [join(REPO, 'dist', 'main', 'main.cjs'), ...(opts.files ?? [])],
      cwd: REPO,
      env: { ...mainEnv(opts.env), XDG_CONFIG_HOME: configDir, PORTCULLIS_CONFIG_DIR: configDir } as Record<string, string>,
    });
    app.process().stderr?.on('data', (d) => (log += String(d)));
    const page = await app.firstWindow();
    if (opts.viewport) await page.setViewportSize(opts.viewport);
    const watched = await watchPage(page);
    await page.reload();
    const a = app;
    return {
      kind: 'electron',
      page,
      output: () => log,
      cspViolations: watched.violations,
      pageErrors: watched.errors,
      async chooseFile(path, open) {
        // the native dialog cannot be driven; answer it in main instead
        await a.evaluate(({ dialog }, p) => {
          dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [p] })) as typeof dialog.showOpenDialog;
        }, path);
        await open();
      },
      async close() {
        await a.close().catch(() => {});
        rmSync(configDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await app?.close().catch(() => {});
    rmSync(configDir, { recursive: true, force: true });
    throw e;
  }
}
