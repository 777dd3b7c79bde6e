// The verdicts every chain understands: ACCEPT, DROP, RETURN, QUEUE (libxt_standard).
import type { TargetAction } from '../analysis/target-action.js';
import type { TargetExtension } from './types.js';

function verdict(name: string, terminal: boolean, action: TargetAction): TargetExtension {
  // one action object for every rule: the verdicts carry nothing of their own
  return { kind: 'target', name, options: [], terminal, save: () => '', analysis: { action: () => action } };
}

export const standardTargets: TargetExtension[] = [
  verdict('ACCEPT', true, { kind: 'accept' }),
  verdict('DROP', true, { kind: 'drop' }),
  verdict('RETURN', false, { kind: 'return' }),
  verdict('QUEUE', true, { kind: 'queue', name: 'QUEUE' }),
];
