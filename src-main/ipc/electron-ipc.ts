// Thin Electron wiring: one ipcMain.handle per contract channel, each checking
// that the message comes from our own page (VS Code's validateSender) before
// handing it to the shared dispatcher.
import { ipcMain, webContents, type IpcMainInvokeEvent } from 'electron';
import { CHANNELS, EVENT_CHANNEL, fail, type FwEvent, type Result } from '../contract/index.js';
import type { Dispatch } from './handlers.js';

/** The renderer is served from app://portcullis (see app/protocol.ts). */
export function isTrustedSenderUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'portcullis';
  } catch {
    return false;
  }
}

export function registerIpcHandlers(dispatch: Dispatch): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<unknown>> | Result<unknown> => {
      // senderFrame is null once the frame navigated away or was destroyed
      if (!event.senderFrame || event.senderFrame.parent !== null || !isTrustedSenderUrl(event.senderFrame.url)) {
        return fail('forbidden', 'this page may not call Portcullis');
      }
      return dispatch(channel, args);
    });
  }
}

/** Sends an event to every page of ours (never to a page that navigated elsewhere). */
export function sendEventToWindows(event: FwEvent): void {
  for (const wc of webContents.getAllWebContents()) {
    if (wc.isDestroyed() || !isTrustedSenderUrl(wc.getURL())) continue;
    wc.send(EVENT_CHANNEL, event);
  }
}
