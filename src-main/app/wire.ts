// What both entries (Electron and browser mode) build the same way: the
// services behind window.fw, the event hub, and the dispatcher over them.
import { join, sep } from 'node:path';
import { createDispatcher, createHandlers, type Dispatch } from '../ipc/handlers.js';
import { EventHub } from '../ipc/events.js';
import { RecentFiles } from '../services/recent-files.js';
import { HostProfiles, HOSTS_FILE_NAME } from '../services/host-profiles.js';
import { HostWorkbench } from '../services/host-workbench.js';
import { machineInWorker } from '../apply/index.js';
import type { SecretStore } from '../services/secrets.js';
import { RECENT_FILES_NAME } from './paths.js';
import { ensurePrivateDirSync } from '../services/private-dir.js';
import type { Mode } from '../contract/index.js';

interface MainWiring {
  dispatch: Dispatch;
  events: EventHub;
  recent: RecentFiles;
  workbench: HostWorkbench;
}

export function wireMain(opts: {
  mode: Mode;
  version: string;
  /** the app's data directory; null: keep nothing on disk */
  dataDir: string | null;
  secrets: SecretStore;
  pickRulesetFile?: () => Promise<string | null>;
  pickHostFile?: (kind: 'identity' | 'known-hosts') => Promise<string | null>;
  log: (m: string) => void;
}): MainWiring {
  // created (or closed to) 0700 before anything is written into it; Electron makes userData 0755
  if (opts.dataDir) ensurePrivateDirSync(opts.dataDir);
  const events = new EventHub();
  const recent = new RecentFiles(opts.dataDir ? join(opts.dataDir, RECENT_FILES_NAME) : null);
  const profiles = new HostProfiles(opts.dataDir ? join(opts.dataDir, HOSTS_FILE_NAME) : null);
  // each apply's machine (validate, lint, plan, read back: seconds for 100,000 rules) in a worker thread
  const machineFile = join(__dirname, 'apply-machine.cjs').replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
  const workbench = new HostWorkbench({ profiles, secrets: opts.secrets, emit: events.emit, log: opts.log, applyMachine: () => machineInWorker(machineFile, opts.log) });
  const dispatch = createDispatcher(
    createHandlers({
      app: { name: 'Portcullis', version: opts.version, mode: opts.mode },
      recent,
      profiles,
      workbench,
      secretsAvailable: opts.secrets.available,
      pickRulesetFile: opts.pickRulesetFile,
      pickHostFile: opts.pickHostFile,
    }),
    opts.log,
  );
  return { dispatch, events, recent, workbench };
}
