// Passwords and key passphrases the admin asked us to remember. They are kept
// ONLY encrypted by the OS keychain (Electron's safeStorage: the key lives in
// the keychain / libsecret / DPAPI); this file stores the ciphertext. Where no
// keychain is available (browser mode, a Linux session without a secret
// service) nothing is stored: the app asks each time.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from './private-dir.js';
import { dirname } from 'node:path';

export const SECRETS_FILE_NAME = 'secrets.json';

export interface SecretStore {
  /** whether anything can be remembered */
  readonly available: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** removes every key starting with the prefix (a host's entries) */
  deletePrefix(prefix: string): Promise<void>;
}

/**
 * Keys of one host's secrets. A password is kept per hop (`user@host:port`, as
 * resolved when it was typed): a jump host's and the target's never share an
 * entry, and a hop whose address, port or user changed finds nothing to reuse.
 */
export const secretKey = {
  password: (hostId: string, prompt: 'login' | 'sudo', hop: string) => `${hostId}:password:${prompt}:${hop}`,
  passphrase: (hostId: string, file: string) => `${hostId}:passphrase:${file}`,
  passphrasePrefix: (hostId: string) => `${hostId}:passphrase:`,
  prefix: (hostId: string) => `${hostId}:`,
  /** entries of versions that kept one login password per host, whichever hop it was typed for */
  legacy: (hostId: string) => [`${hostId}:password:login`, `${hostId}:password:sudo`],
};

/** Browser mode: nothing persists. */
export class NoSecretStore implements SecretStore {
  readonly available = false;
  async get(_key: string): Promise<undefined> {
    return undefined;
  }
  async set(_key: string, _value: string): Promise<void> {}
  async delete(_key: string): Promise<void> {}
  async deletePrefix(_prefix: string): Promise<void> {}
}

/** What the OS keychain does for us: encrypt and decrypt with a key it holds. */
interface KeychainCipher {
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

/** Ciphertexts (base64) in a JSON file, mode 0600; plaintext never touches the disk. */
export class KeychainSecretStore implements SecretStore {
  readonly available = true;
  private data: Record<string, string> | null = null;

  constructor(
    private readonly path: string,
    private readonly cipher: KeychainCipher,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const blob = (await this.load())[key];
    if (blob === undefined) return undefined;
    try {
      return this.cipher.decrypt(Buffer.from(blob, 'base64'));
    } catch {
      // the keychain changed (another login, a reset): the entry is useless
      await this.delete(key);
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    const d = await this.load();
    d[key] = this.cipher.encrypt(value).toString('base64');
    await this.store();
  }

  async delete(key: string): Promise<void> {
    const d = await this.load();
    if (!(key in d)) return;
    delete d[key];
    await this.store();
  }

  async deletePrefix(prefix: string): Promise<void> {
    const d = await this.load();
    const keys = Object.keys(d).filter((k) => k.startsWith(prefix));
    if (!keys.length) return;
    for (const k of keys) delete d[k];
    await this.store();
  }

  private async load(): Promise<Record<string, string>> {
    if (this.data) return this.data;
    this.data = {};
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') this.data[k] = v;
    } catch {
      // missing or damaged: start empty
    }
    return this.data;
  }

  private async store(): Promise<void> {
    await ensurePrivateDir(dirname(this.path));
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.data) + '\n', { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
