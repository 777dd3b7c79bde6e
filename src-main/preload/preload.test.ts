// The preload must expose exactly the contract's functions under window.fw and
// nothing else (no ipcRenderer, no generic invoke).
import { describe, it, expect, vi } from 'vitest';
import { FW_FUNCTIONS } from '../contract/index.js';

const exposed: Record<string, unknown> = {};
const invoked: unknown[][] = [];
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: { invoke: async (...a: unknown[]) => (invoked.push(a), { ok: true, value: 'v' }) },
}));

describe('preload', () => {
  it('exposes only window.fw with the contract functions, each invoking its channel', async () => {
    await import('./preload.js');
    expect(Object.keys(exposed)).toEqual(['fw']);
    const fw = exposed.fw as Record<string, (...a: unknown[]) => Promise<unknown>>;
    expect(Object.keys(fw).sort()).toEqual(Object.keys(FW_FUNCTIONS).sort());
    for (const [name, value] of Object.entries(fw)) expect(typeof value, name).toBe('function');
    expect(await fw.openRecentFile('0123456789abcdef')).toEqual({ ok: true, value: 'v' });
    expect(invoked).toEqual([['recent:open', '0123456789abcdef']]);
  });

  it('uses nothing from electron but contextBridge and ipcRenderer.invoke', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('./preload.ts', import.meta.url), 'utf8').replace(/\/\/.*$/gm, '');
    expect(new Set(src.match(/ipcRenderer\.\w+/g))).toEqual(new Set(['ipcRenderer.invoke']));
    expect(src).not.toMatch(/\bsend(Sync)?\(|\bon\(|require\(/);
  });
});
