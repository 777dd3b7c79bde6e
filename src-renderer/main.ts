// Renderer entry: find window.fw (Electron preload, or the browser-mode
// WebSocket), then mount the app.
import { mount } from 'svelte';
import App from './App.svelte';
import { connectFw } from './lib/bridge/fw.js';
import { AppState } from './lib/state/app.svelte.js';
import './styles.css';

const conn = await connectFw();
const app = conn.kind === 'ready' ? new AppState(conn.fw) : null;
void app?.start();
mount(App, { target: document.getElementById('app')!, props: { app, error: conn.kind === 'failed' ? conn.message : '' } });
