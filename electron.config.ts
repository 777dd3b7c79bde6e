// electron-builder configuration (bundled to dist/electron.config.cjs by build/build.mjs).
const config = {
  appId: 'dev.portcullis.app',
  productName: 'Portcullis',
  directories: { output: 'release', buildResources: 'build' },
  files: ['dist/main/**', 'dist/renderer/**', 'package.json'],
  extraMetadata: { main: 'dist/main/main.cjs' },
  asar: true,
  linux: { target: ['AppImage', 'deb'], category: 'Network' },
  mac: { category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
};

export default config;
