// The whole preload: window.fw, one function per contract entry, each an
// ipcRenderer.invoke on its channel, and onEvent for main's events on the one
// event channel (only the payload is handed on, never the IpcRendererEvent).
// Nothing else of Electron reaches the page (sandboxed, context-isolated; see
// Electron's security checklist).
import { contextBridge, ipcRenderer } from 'electron';
import { buildFwApi, EVENT_CHANNEL, type FwEvent, type Result } from '../contract/index.js';

const api = buildFwApi(
  (channel, args) => ipcRenderer.invoke(channel, ...args) as Promise<Result<unknown>>,
  (listener) => {
    const onMessage = (_e: unknown, event: FwEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, onMessage);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, onMessage);
  },
);
contextBridge.exposeInMainWorld('fw', api);
