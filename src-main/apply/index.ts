// Safe apply over SSH: runs the core's state machine with the host layer.
export { runApply, ApplyInterruptedError, type ApplyOptions, type InterruptedRecord } from './run.js';
export { machineInWorker, inThisThread, type MachineRunner } from './machine-worker.js';
