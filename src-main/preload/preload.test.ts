// The preload must expose exactly the contract's functions under window.fw and
// nothing else (no ipcRenderer, no generic invoke).
import { describe, it, expect, vi } from 'vitest';
import { FW_FUNCTIONS } from '../contract/index.js';

const exposed: Record<string, unknown> = {};
const invoked: unknown[][] = [];
const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: {
    invoke: async (...a: unknown[]) => (invoked.push(a), { ok: true, value: 'v' }),
    on: (ch: string, fn: (...a: unknown[]) => void) => listeners.set(ch, [...(listeners.get(ch) ?? []), fn]),
    removeListener: (ch: string, fn: (...a: unknown[]) => void) => listeners.set(ch, (listeners.get(ch) ?? []).filter((f) => f !== fn)),
  },
}));

describe('preload', () => {
  it('exposes only window.fw with the contract functions, each invoking its channel', async () => {
    await import('./preload.js');
    expect(Object.keys(exposed)).toEqual(['fw']);
    const fw = exposed.fw as Record<string, (...a: unknown[]) => Promise<unknown>>;
    expect(Object.keys(fw).sort()).toEqual([...Object.keys(FW_FUNCTIONS), 'onEvent'].sort());
    for (const [name, value] of Object.entries(fw)) expect(typeof value, name).toBe('function');
    expect(await fw.openRecentFile('0123456789abcdef')).toEqual({ ok: true, value: 'v' });
    expect(invoked).toEqual([['recent:open', '0123456789abcdef']]);
  });

  it('onEvent hands on only the payload of the event channel, and stops on unsubscribe', async () => {
    await import('./preload.js');
    const fw = exposed.fw as { onEvent: (l: (e: unknown) => void) => () => void };
    const got: unknown[] = [];
    const stop = fw.onEvent((e) => got.push(e));
    expect([...listeners.keys()]).toEqual(['fw:event']);
    for (const l of listeners.get('fw:event')!) l({ sender: 'ipc event object' }, { kind: 'prompt-closed', id: 'x' });
    expect(got).toEqual([{ kind: 'prompt-closed', id: 'x' }]);
    stop();
    expect(listeners.get('fw:event')).toEqual([]);
  });

  it('uses nothing from electron but contextBridge, ipcRenderer.invoke and the one event channel', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('./preload.ts', import.meta.url), 'utf8').replace(/\/\/.*$/gm, '');
    expect(new Set(src.match(/ipcRenderer\.\w+/g))).toEqual(new Set(['ipcRenderer.invoke', 'ipcRenderer.on', 'ipcRenderer.removeListener']));
    expect(src.match(/ipcRenderer\.(on|removeListener)\(\w+/g)).toEqual(['ipcRenderer.on(EVENT_CHANNEL', 'ipcRenderer.removeListener(EVENT_CHANNEL']);
    expect(src).not.toMatch(/\bsend(Sync)?\(|require\(/);
  });
});
