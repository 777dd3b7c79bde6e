// Opening a file for the app: bytes that are not UTF-8, and NUL bytes, are
// refused with the place (never decoded with replacement characters).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRulesetFile } from './ruleset-files.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...enc(p)] : p)));

describe('readRulesetFile and encodings', () => {
  it('opening such a file for the app says where, and so does a NUL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-enc-'));
    try {
      writeFileSync(join(dir, 'latin1.rules'), bytes('*filter\n-A INPUT -m comment --comment "caf', [0xe9], '"\nCOMMIT\n'));
      await expect(readRulesetFile(join(dir, 'latin1.rules'), 'x')).rejects.toThrow(/line 2, byte 35 of the line is 0xE9/);
      writeFileSync(join(dir, 'nul.rules'), bytes('*filter\n\n-A INPUT -j ACCEPT', [0], '\nCOMMIT\n'));
      await expect(readRulesetFile(join(dir, 'nul.rules'), 'x')).rejects.toThrow(/NUL byte on line 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
