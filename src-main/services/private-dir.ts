// The app's own directories (config: hosts, recent files, keychain ciphertexts;
// state: apply history) hold what an admin would not show other local users:
// host names, addresses, routes. They are created 0700, and one found more
// open (made by an older version, or by Electron for userData) is closed to 0700.
// Only the directory itself: parents such as ~/.config are the user's business.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';

const PRIVATE_DIR_MODE = 0o700;

export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((statSync(dir).mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (((await stat(dir)).mode & 0o777) !== PRIVATE_DIR_MODE) await chmod(dir, PRIVATE_DIR_MODE);
}
