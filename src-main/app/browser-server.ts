// `npm run start:browser [-- --port N] [FILE…]`: the renderer in any browser,
// talking to the same main-side services over a loopback WebSocket. FILEs are
// added to the recent list so the start page offers them.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createDispatcher, createHandlers } from '../ipc/handlers.js';
import { startBrowserServer } from '../ipc/ws-server.js';
import { RecentFiles } from '../services/recent-files.js';
import { configDir, rendererDir, RECENT_FILES_NAME } from './paths.js';
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

  const recent = new RecentFiles(process.env.PORTCULLIS_NO_STORE ? null : join(configDir(), RECENT_FILES_NAME));
  for (const f of files) await recent.add(f);
  const dispatch = createDispatcher(createHandlers({ app: { name: 'Portcullis', version: pkg.version, mode: 'browser' }, recent }), (m) =>
    process.stderr.write(`${m}\n`),
  );
  const server = await startBrowserServer({ staticDir, dispatch, port, log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`Portcullis (browser mode) at ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`portcullis: ${(e as Error).message}\n`);
  process.exit(2);
});
