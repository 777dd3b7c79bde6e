// The whole preload: window.fw, one function per contract entry, each an
// ipcRenderer.invoke on its channel. Nothing else of Electron reaches the page
// (sandboxed, context-isolated; see Electron's security checklist).
import { contextBridge, ipcRenderer } from 'electron';
import { buildFwApi, type Result } from '../contract/index.js';

const api = buildFwApi((channel, args) => ipcRenderer.invoke(channel, ...args) as Promise<Result<unknown>>);
contextBridge.exposeInMainWorld('fw', api);
