// Safe apply over SSH: runs the core's state machine with the host layer.
export { runApply, type ApplyOptions, type ApplyProgress } from './run.js';
