// A browser-mode server as its own process, for last-resort.test.ts: the real
// WebSocket server and dispatcher, plus one extra channel that makes a timer
// and a promise fail where nothing catches them (as a library callback would).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createHandlers } from '../../ipc/handlers.js';
import { EventHub } from '../../ipc/events.js';
import { startBrowserServer } from '../../ipc/ws-server.js';
import { RecentFiles } from '../../services/recent-files.js';
import { noHosts } from '../../ipc/testing/no-hosts.js';
import { ok } from '../../contract/index.js';
import { installLastResort } from '../last-resort.js';

const dir = mkdtempSync(join(tmpdir(), 'pcl-last-resort-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
const events = new EventHub();
const real = createDispatcher(createHandlers({ ...noHosts(), app: { name: 'Portcullis', version: 't', mode: 'browser' }, recent: new RecentFiles(null) }));
const log = (m: string) => process.stderr.write(`${m}\n`);
if (process.argv[2] !== 'unguarded') installLastResort({ log, notify: (message) => events.emit({ kind: 'notice', level: 'error', message }) });
const server = await startBrowserServer({
  staticDir: dir,
  log,
  dispatch: async (channel, args) => {
    if (channel !== 'test:throw-later') return real(channel, args);
    setTimeout(() => {
      throw new TypeError('protocol._destruct is not a function (thrown from a timer)');
    }, 10);
    void Promise.reject(new Error('a promise nobody awaited'));
    return ok(null);
  },
});
events.subscribe((e) => server.broadcast(e));
process.stdout.write(JSON.stringify({ port: server.port, token: server.token, origin: server.origin }) + '\n');
