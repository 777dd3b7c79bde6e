// What the host lab tests share: session options for a lab, and the error a
// step fails with.
import type { Lab } from '../../../e2e/lab/lab.js';
import type { SessionOptions } from '../session.js';
import type { HostError } from '../errors.js';

/** Session options for the lab: its ssh config, no agent; `o` on top. */
export function labOptions(lab: { get(): Lab }): (o?: SessionOptions) => SessionOptions {
  return (o = {}) => ({ sshConfigPath: lab.get().sshConfigPath, agent: false, ...o });
}

/** The error `p` fails with; a session it opens anyway is closed, and then the test fails. */
export async function failure(p: Promise<unknown>): Promise<HostError> {
  try {
    const s = await p;
    await (s as { close?: () => Promise<void> })?.close?.();
  } catch (e) {
    return e as HostError;
  }
  throw new Error('expected a failure');
}
