// Electron main: one sandboxed, context-isolated window on app://portcullis,
// no navigation, no new windows, no permissions, and window.fw wired to the
// shared handler map (see ipc/handlers.ts).
import { app, BrowserWindow, dialog, Menu, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { registerIpcHandlers, sendEventToWindows } from '../ipc/electron-ipc.js';
import { rendererDir } from './paths.js';
import { keychainSecrets } from './keychain.js';
import { wireMain } from './wire.js';
import { installLastResort } from './last-resort.js';
import { APP_HOST, APP_SCHEME, registerAppScheme, serveRenderer } from './protocol.js';
import pkg from '../../package.json';

app.enableSandbox();
registerAppScheme();

// First of all: an exception from a library callback (ssh2, a timer) must not take the whole app,
// and every connection still fine, with it. Until the windows exist it is only logged.
let notifyWindows: (message: string) => void = () => {};
installLastResort({ log: (m) => console.error(m), notify: (m) => notifyWindows(m) });

function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // links to the web open in the admin's browser, never in our window
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Portcullis',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  await win.loadURL(`${APP_SCHEME}://${APP_HOST}/index.html`);
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(isMac ? [{ role: 'appMenu' as const }] : []),
      { role: 'fileMenu' },
      { role: 'editMenu' },
      {
        label: 'View',
        submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }, ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }])],
      },
      { role: 'windowMenu' },
    ]),
  );
}

app.on('web-contents-created', (_e, contents) => hardenContents(contents));

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  serveRenderer(rendererDir(__dirname));

  const dataDir = app.getPath('userData');
  const log = (m: string) => console.error(m);
  const { dispatch, events, recent, workbench } = wireMain({
    mode: 'electron',
    version: pkg.version,
    dataDir,
    secrets: keychainSecrets(dataDir, log),
    log,
    pickRulesetFile: async () => {
      const win = BrowserWindow.getFocusedWindow();
      const opts: Electron.OpenDialogOptions = {
        title: 'Open ruleset',
        properties: ['openFile'],
        filters: [
          { name: 'Rulesets', extensions: ['rules', 'save', 'v4', 'txt', 'conf'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
    },
    pickHostFile: async (kind) => {
      const win = BrowserWindow.getFocusedWindow();
      const opts: Electron.OpenDialogOptions = {
        title: kind === 'identity' ? 'Choose the private key' : 'Choose the known_hosts file',
        defaultPath: join(app.getPath('home'), '.ssh'),
        properties: ['openFile', 'showHiddenFiles', 'dontAddToRecent'],
      };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
    },
  });
  // files named on the command line (`portcullis-app FILE…`) show up on the start page
  for (const f of process.argv.slice(app.isPackaged ? 1 : 2)) if (!f.startsWith('-')) await recent.add(f).catch(() => {});
  events.subscribe(sendEventToWindows);
  notifyWindows = (message) => events.emit({ kind: 'notice', level: 'error', message });
  app.on('before-quit', () => void workbench.closeAll());
  registerIpcHandlers(dispatch);
  buildMenu();
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
