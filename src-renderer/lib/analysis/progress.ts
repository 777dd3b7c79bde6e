// Words for the worker's progress, for the busy note and the activity indicator.
import type { Progress } from './protocol.js';

export function progressText(p: Progress | null): string {
  if (!p) return '';
  if (p.phase === 'sending' && p.total) return `${p.done?.toLocaleString('en-US') ?? 0} of ${p.total.toLocaleString('en-US')} items copied in`;
  return p.phase;
}
