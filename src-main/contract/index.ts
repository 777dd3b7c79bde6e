// Pure types and tiny helpers shared by main, preload and renderer.
export * from './result.js';
export * from './channels.js';
export * from './wire.js';
export * from './hosts.js';
export * from './facts.js';
