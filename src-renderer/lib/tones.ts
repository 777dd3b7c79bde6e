// Which of the palette's colour pairs a badge or banner is drawn in: one
// `tone-*` class (styles.css) on the element, chosen here from what it shows.
import type { ApplyOutcome, ConnectionState } from '../../src-main/contract/index.js';
import type { ChainDiff } from '../../src-main/core/index.js';

type Tone = 'accept' | 'drop' | 'error' | 'warn' | 'info' | 'plain';

export const toneClass = (t: Tone | null): string => (t ? `tone-${t}` : '');

/** a chain's policy: ACCEPT and DROP stand out, others take no tone */
export function policyTone(policy: string | null): Tone | null {
  return policy === 'ACCEPT' ? 'accept' : policy === 'DROP' ? 'drop' : null;
}

/** how an apply ended */
export function outcomeTone(outcome: ApplyOutcome): Tone {
  return outcome === 'confirmed' || outcome === 'unchanged' ? 'accept' : outcome === 'error' ? 'error' : 'warn';
}

/** a rule's target, by its class (rows.ts targetClass) */
export function targetTone(cls: string): Tone {
  return cls === 'accept' ? 'accept' : cls === 'drop' ? 'drop' : cls === 'reject' ? 'warn' : cls === 'log' ? 'info' : 'plain';
}

/** a chain in a comparison */
export function chainStatusTone(status: ChainDiff['status']): Tone {
  return status === 'added' ? 'accept' : status === 'deleted' ? 'drop' : status === 'changed' ? 'warn' : 'plain';
}

/** a host's connection */
export function connectionTone(state: ConnectionState): Tone {
  return state === 'connected' ? 'accept' : state === 'connecting' ? 'info' : 'plain';
}
