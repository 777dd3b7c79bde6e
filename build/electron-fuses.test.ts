// The packaging step's Electron fuses: electron-builder turns `electronFuses`
// into an @electron/fuses config and flips the binary's fuse wire with it. The
// Electron binary cannot be downloaded here, so the wire is one laid out as
// Electron lays it out (sentinel, version 1, length, one byte per fuse, all at
// Electron's defaults) and flipped through electron-builder's own code.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import config, { ELECTRON_FUSES } from '../electron.config.js';

const require = createRequire(import.meta.url);
const fuses = require('@electron/fuses') as typeof import('@electron/fuses');
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(f: unknown): Promise<import('@electron/fuses').FuseConfig> } };
};
const { SENTINEL, FuseState } = require('@electron/fuses/dist/constants') as { SENTINEL: string; FuseState: Record<string, number> };

/** A binary with Electron's fuse wire at its defaults (RunAsNode, NODE_OPTIONS, --inspect on; integrity, asar-only, cookie encryption off). */
function fakeElectron(dir: string): string {
  const defaults = [1, 0, 1, 1, 0, 0, 0, 1].map((b) => (b ? FuseState.ENABLE : FuseState.DISABLE));
  const file = join(dir, 'electron');
  writeFileSync(file, Buffer.concat([Buffer.from('\x7fELF junk before'), Buffer.from(SENTINEL), Buffer.from([1, defaults.length, ...defaults]), Buffer.from('junk after')]));
  return file;
}

describe('Electron fuses in the packaging config', () => {
  it('asks for RunAsNode, NODE_OPTIONS and --inspect off; asar integrity, asar-only and cookie encryption on', () => {
    expect(config.electronFuses).toBe(ELECTRON_FUSES);
    expect(ELECTRON_FUSES).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(config.asar).toBe(true);
  });

  it('electron-builder flips exactly those fuses on an Electron fuse wire', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-fuses-'));
    try {
      const bin = fakeElectron(dir);
      const fuseConfig = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
      await fuses.flipFuses(bin, fuseConfig);
      const wire = await fuses.getCurrentFuseWire(bin);
      const O = fuses.FuseV1Options;
      const on = (o: number) => (wire as unknown as Record<number, number>)[o] === FuseState.ENABLE;
      expect(on(O.RunAsNode)).toBe(false);
      expect(on(O.EnableNodeOptionsEnvironmentVariable)).toBe(false);
      expect(on(O.EnableNodeCliInspectArguments)).toBe(false);
      expect(on(O.EnableEmbeddedAsarIntegrityValidation)).toBe(true);
      expect(on(O.OnlyLoadAppFromAsar)).toBe(true);
      expect(on(O.EnableCookieEncryption)).toBe(true);
      expect(on(O.GrantFileProtocolExtraPrivileges)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
