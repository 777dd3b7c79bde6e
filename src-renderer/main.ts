// Renderer entry: find window.fw (Electron preload, or the browser-mode
// WebSocket), then mount the app.
import { mount } from 'svelte';
import App from './App.svelte';
import { connectFw } from './lib/bridge/fw.js';
import { AppState } from './lib/state/app.svelte.js';
import { ProposalDrafts } from './lib/state/drafts.js';
import { installFocusKeeper } from './lib/focus-keeper.js';
import './styles.css';

const conn = await connectFw();
// a browser tab keeps edited proposals across a reload; the Electron window does not reload
const app = conn.kind === 'ready' ? new AppState(conn.fw, conn.shell === 'browser' ? new ProposalDrafts(sessionStorage) : null) : null;
void app?.start();
mount(App, { target: document.getElementById('app')!, props: { app, error: conn.kind === 'failed' ? conn.message : '' } });
installFocusKeeper();
