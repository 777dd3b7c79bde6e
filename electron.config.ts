// electron-builder configuration (bundled to dist/electron.config.cjs by build/build.mjs).
//
// Fuses are switches compiled into the Electron binary; electron-builder flips
// them with @electron/fuses in the packaging step, before signing. Off: ways to
// turn the signed app into a general-purpose Node that runs someone else's code
// with the app's keychain access (ELECTRON_RUN_AS_NODE, NODE_OPTIONS, --inspect).
// On: the app code is only read from the asar archive, whose integrity is
// checked (macOS, Windows), and cookies are encrypted at rest.
// build/electron-fuses.test.ts flips a fuse wire with exactly this config.
export const ELECTRON_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  enableCookieEncryption: true,
  // file:// pages get no extra powers (the renderer is served from app://)
  grantFileProtocolExtraPrivileges: false,
} as const;

const config = {
  appId: 'dev.portcullis.app',
  productName: 'Portcullis',
  directories: { output: 'release', buildResources: 'build' },
  files: ['dist/main/**', 'dist/renderer/**', 'package.json'],
  extraMetadata: { main: 'dist/main/main.cjs' },
  asar: true,
  // a worker thread's script is loaded by Node from the file system, not through Electron's asar reader
  asarUnpack: ['dist/main/apply-machine.cjs'],
  electronFuses: ELECTRON_FUSES,
  linux: { target: ['AppImage', 'deb'], category: 'Network' },
  mac: { category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
};

export default config;
