// The verdicts every chain understands: ACCEPT, DROP, RETURN, QUEUE (libxt_standard).
import type { TargetExtension } from './types.js';

function verdict(name: string, terminal: boolean): TargetExtension {
  return { kind: 'target', name, options: [], terminal, save: () => '' };
}

export const standardTargets: TargetExtension[] = [
  verdict('ACCEPT', true),
  verdict('DROP', true),
  verdict('RETURN', false),
  verdict('QUEUE', true),
];
