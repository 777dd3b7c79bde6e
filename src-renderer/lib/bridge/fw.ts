// Which window.fw this renderer talks to: the Electron preload's, when there is
// one, else the browser-mode WebSocket. Both are built from the same contract.
import type { FwApi } from '../../../src-main/contract/index.js';
import { connectWebSocketFw, takeToken } from './ws-client.js';

/** `shell`: the Electron window, or a browser tab on the browser-mode server (which a reload starts again) */
type FwConnection = { kind: 'ready'; fw: FwApi; shell: 'electron' | 'browser' } | { kind: 'failed'; message: string };

export async function connectFw(): Promise<FwConnection> {
  if (window.fw) return { kind: 'ready', fw: window.fw, shell: 'electron' };
  const token = takeToken();
  if (!token) {
    return { kind: 'failed', message: 'This page needs the address that `npm run start:browser` printed (it ends in #token=…).' };
  }
  try {
    const { api } = await connectWebSocketFw(token);
    return { kind: 'ready', fw: api, shell: 'browser' };
  } catch (e) {
    return { kind: 'failed', message: `Cannot reach Portcullis: ${(e as Error).message}. Open the address the server printed.` };
  }
}
