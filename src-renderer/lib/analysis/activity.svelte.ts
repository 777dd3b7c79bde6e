// The one analysis client of the page, and what it is doing as reactive state
// for the activity indicator (shown for jobs that run longer than ~200 ms).
import { AnalysisClient, type ActiveJob } from './client.js';
import { spawnAnalysisWorker } from './spawn.js';
import type { Progress } from './protocol.js';

export interface ActivityEntry {
  id: number;
  label: string;
  /** performance.now() when it started running; 0 while it waits its turn */
  startedAt: number;
  progress: Progress | null;
  cancel(): void;
}

class Activity {
  jobs = $state.raw<ActivityEntry[]>([]);
  /** cancelled jobs the worker stopped itself (keeping its documents), and workers started: shown to tests, not to people */
  stoppedInPlace = $state(0);
  workers = $state(0);
}

export const activity = new Activity();

export const analysis = new AnalysisClient(spawnAnalysisWorker, {
  changed(jobs: readonly ActiveJob[]) {
    activity.jobs = jobs.map((j) => ({ id: j.id, label: j.label, startedAt: j.startedAt, progress: j.progress, cancel: j.cancel }));
    activity.stoppedInPlace = analysis.stoppedInPlace;
    activity.workers = analysis.spawned;
  },
});
