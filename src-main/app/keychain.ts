// The OS keychain through Electron's safeStorage (macOS Keychain, Windows
// DPAPI, libsecret/kwallet on Linux). On Linux without a secret service
// Electron falls back to a hard-coded key ("basic_text"): that protects
// nothing, so we treat it as no keychain and never store a secret.
import { safeStorage } from 'electron';
import { join } from 'node:path';
import { KeychainSecretStore, NoSecretStore, SECRETS_FILE_NAME, type SecretStore } from '../services/secrets.js';

export function keychainSecrets(dataDir: string, log: (m: string) => void): SecretStore {
  try {
    if (!safeStorage.isEncryptionAvailable()) return new NoSecretStore();
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      log('no keychain (libsecret/kwallet) in this session: passwords will not be remembered');
      return new NoSecretStore();
    }
  } catch {
    return new NoSecretStore();
  }
  return new KeychainSecretStore(join(dataDir, SECRETS_FILE_NAME), {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipher) => safeStorage.decryptString(cipher),
  });
}
