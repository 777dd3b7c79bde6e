import { describe, it, expect, vi } from 'vitest';

const handlers = new Map<string, (...a: unknown[]) => unknown>();
vi.mock('electron', () => ({ ipcMain: { handle: (ch: string, fn: (...a: unknown[]) => unknown) => handlers.set(ch, fn) } }));

describe('Electron IPC wiring', () => {
  it('registers every channel and refuses senders that are not our top frame', async () => {
    const { registerIpcHandlers, isTrustedSenderUrl } = await import('./electron-ipc.js');
    const { CHANNELS } = await import('../contract/index.js');
    const seen: unknown[] = [];
    registerIpcHandlers(async (ch, args) => (seen.push([ch, args]), { ok: true, value: 1 }));
    expect([...handlers.keys()].sort()).toEqual([...CHANNELS].sort());

    const h = handlers.get('recent:list')!;
    const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } });
    expect(await h(frame('app://portcullis/index.html'))).toEqual({ ok: true, value: 1 });
    expect(await h(frame('https://evil.example/'))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await h(frame('file:///tmp/x.html'))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await h(frame('app://portcullis/index.html', {}))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await h({ senderFrame: null })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(seen).toEqual([['recent:list', []]]);
    expect(isTrustedSenderUrl('app://portcullis.evil/')).toBe(false);
  });
});
