// Where things live at run time, for both entries (Electron and browser mode).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** dist/main/*.cjs → dist/renderer */
export function rendererDir(mainDir: string): string {
  return join(mainDir, '..', 'renderer');
}

/** Same folder Electron uses for userData (productName "Portcullis"), unless PORTCULLIS_CONFIG_DIR says otherwise. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_CONFIG_DIR) return env.PORTCULLIS_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Portcullis');
}

export const RECENT_FILES_NAME = 'recent-files.json';
