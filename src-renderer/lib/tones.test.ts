import { describe, expect, it } from 'vitest';
import { chainStatusTone, connectionTone, outcomeTone, policyTone, targetTone, toneClass } from './tones.js';

describe('tones', () => {
  it('policies: ACCEPT and DROP only', () => {
    expect([policyTone('ACCEPT'), policyTone('DROP'), policyTone('RETURN'), policyTone(null)]).toEqual(['accept', 'drop', null, null]);
    expect(toneClass(policyTone('ACCEPT'))).toBe('tone-accept');
    expect(toneClass(policyTone(null))).toBe('');
  });
  it('apply outcomes: kept is good, put back is a warning, an error is an error', () => {
    expect((['confirmed', 'unchanged', 'reverted', 'refused', 'error'] as const).map(outcomeTone)).toEqual(['accept', 'accept', 'warn', 'warn', 'error']);
  });
  it('targets and chain statuses; everything else is plain', () => {
    expect(['accept', 'drop', 'reject', 'log', 'jump', 'return', 'other', 'none'].map(targetTone)).toEqual(['accept', 'drop', 'warn', 'info', 'plain', 'plain', 'plain', 'plain']);
    expect((['added', 'deleted', 'changed', 'same'] as const).map(chainStatusTone)).toEqual(['accept', 'drop', 'warn', 'plain']);
    expect((['connected', 'connecting', 'disconnected'] as const).map(connectionTone)).toEqual(['accept', 'info', 'plain']);
  });
});
