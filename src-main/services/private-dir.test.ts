// The config and state directories are the admin's alone: 0700 when created by
// any writer, and closed to 0700 when found more open.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecentFiles } from './recent-files.js';
import { HostProfiles } from './host-profiles.js';
import { KeychainSecretStore } from './secrets.js';
import { appendHistory } from './history.js';
import { wireMain } from '../app/wire.js';
import { NoSecretStore } from './secrets.js';

const mode = (p: string) => statSync(p).mode & 0o777;
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcl-private-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('private directories', () => {
  it('each writer creates its directory 0700 (recent files first, as on a first start)', async () => {
    const file = join(dir, 'a.rules');
    writeFileSync(file, '*filter\nCOMMIT\n');
    await new RecentFiles(join(dir, 'cfg1', 'recent-files.json')).add(file);
    expect(mode(join(dir, 'cfg1'))).toBe(0o700);
    await new HostProfiles(join(dir, 'cfg2', 'hosts.json')).save({ name: 'w', target: 'root@198.51.100.7', jump: '', identityFile: '', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60 });
    expect(mode(join(dir, 'cfg2'))).toBe(0o700);
    await new KeychainSecretStore(join(dir, 'cfg3', 'secrets.json'), { encrypt: (s) => Buffer.from(s), decrypt: (b) => b.toString() }).set('k', 'v');
    expect(mode(join(dir, 'cfg3'))).toBe(0o700);
    appendHistory({ id: 'x' }, { PORTCULLIS_STATE_DIR: join(dir, 'state') });
    expect(mode(join(dir, 'state'))).toBe(0o700);
    expect(mode(join(dir, 'state', 'history.jsonl'))).toBe(0o600);
  });

  it('the app closes a data directory it finds open (Electron creates userData 0755), and leaves its parent alone', async () => {
    const data = join(dir, 'Portcullis');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    wireMain({ mode: 'browser', version: 't', dataDir: data, secrets: new NoSecretStore(), log: () => {} });
    expect(mode(data)).toBe(0o700);
    expect(mode(dir)).toBe(0o755);
    const fresh = join(dir, 'new', 'Portcullis');
    wireMain({ mode: 'browser', version: 't', dataDir: fresh, secrets: new NoSecretStore(), log: () => {} });
    expect(mode(fresh)).toBe(0o700);
  });
});
