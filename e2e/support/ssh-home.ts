// The app (browser mode, HOME pointed at a test directory) accepts a profile's
// key and known_hosts files only under ~/.ssh or picked in a native dialog (see
// src-main/services/profile-files.ts). Lab specs put the lab's key there.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** ~/.ssh in `home` with the lab key copied in; the paths to type into the host form. */
export function labSshHome(home: string, labKey: string): { key: string; knownHosts: string } {
  const dir = join(home, '.ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = join(dir, 'id_lab');
  copyFileSync(labKey, key);
  return { key, knownHosts: join(dir, 'known_hosts') };
}
