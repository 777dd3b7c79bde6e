// The renderer build: Svelte 5 from src-renderer into dist/renderer, relative
// asset URLs (base './') so the same files load from app://portcullis/ in
// Electron and from the loopback server in browser mode.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [svelte()],
  publicDir: fileURLToPath(new URL('./assets', import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // no inline <script>/<style> and no data: module preload polyfill: the CSP allows 'self' only
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  server: { host: '127.0.0.1' },
});
