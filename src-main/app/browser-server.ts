// `npm run start:browser [-- --port N] [FILE…]`: the renderer in any browser,
// talking to the same main-side services over a loopback WebSocket. FILEs are
// added to the recent list so the start page offers them.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { startBrowserServer } from '../ipc/ws-server.js';
import { NoSecretStore } from '../services/secrets.js';
import { configDir, rendererDir } from './paths.js';
import { wireMain } from './wire.js';
import { installLastResort } from './last-resort.js';
import pkg from '../../package.json';

async function main(argv: string[]): Promise<void> {
  let port = Number(process.env.PORT ?? 0);
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node dist/main/browser.cjs [--port N] [FILE…]\n');
      return;
    } else files.push(argv[i]);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  const staticDir = rendererDir(__dirname);
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`no renderer build in ${staticDir}; run npm run build`);

  const log = (m: string) => process.stderr.write(`${m}\n`);
  // browser mode has no keychain: passwords and passphrases are asked each time, never stored
  const { dispatch, events, recent, workbench } = wireMain({
    mode: 'browser',
    version: pkg.version,
    dataDir: process.env.PORTCULLIS_NO_STORE ? null : configDir(),
    secrets: new NoSecretStore(),
    log,
  });
  for (const f of files) await recent.add(f);
  const server = await startBrowserServer({
    staticDir,
    dispatch,
    port,
    log,
    // a question nobody can see any more must not hold a connection open
    onAllClosed: () => workbench.prompts.cancelAll(),
  });
  events.subscribe((e) => server.broadcast(e));
  installLastResort({ log, notify: (message) => events.emit({ kind: 'notice', level: 'error', message }) });
  process.stdout.write(`Portcullis (browser mode) at ${server.url}\n`);
  const stop = () => void workbench.closeAll().then(() => server.close()).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`portcullis: ${(e as Error).message}\n`);
  process.exit(2);
});
