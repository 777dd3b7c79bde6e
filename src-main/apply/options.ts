// What a caller gives runApply, what it hears back while it runs, and what an
// interrupted apply says it left on the host.
import type { AuditRecord, BaseRef, ConfirmMode, Message, Step } from '../core/apply/index.js';
import { messageText } from '../core/apply/index.js';
import type { Family } from '../core/model.js';
import type { SessionOptions } from '../host/index.js';
import type { MachineRunner } from './machine-worker.js';

interface ApplyProgress {
  step: Step;
  /** the text of parts, as the CLI prints it */
  message: string;
  /** the message with its values as values (durations in ms, instants in epoch ms, names) */
  parts: Message;
  level: 'info' | 'warn';
  at: number;
}

export interface ApplyOptions {
  host: string;
  session: SessionOptions;
  proposalName: string;
  proposalText: string;
  confirmTimeoutS: number;
  confirm: ConfirmMode;
  force: boolean;
  base: BaseRef | null;
  /** the family of proposalText (default ipv4) */
  family?: Family;
  /** with family ipv4: the IPv6 proposal, applied with it as one change under one host timer */
  proposal6?: { name: string; text: string };
  onProgress?: (p: ApplyProgress) => void;
  /** --confirm prompt: keep the new rules? Resolve false to revert; the deadline is enforced here too. */
  ask?: (q: { summary: string; deadlineAt: number }) => Promise<boolean>;
  /**
   * Where the apply's audit record goes when it ends (confirmed, reverted, refused,
   * failed or interrupted): the CLI and the app pass services' appendHistory, the
   * local history. A sink, not an import, so apply never reaches up into services.
   * It may throw: a finished apply then warns that the history was not written.
   * Without it the record is kept nowhere (tests that drive runApply directly).
   */
  onRecord?: (record: AuditRecord | InterruptedRecord) => void;
  /** for tests: a fixed apply id (hex) */
  id?: string;
  now?: () => number;
  /**
   * Ctrl-C: stop where we are and close the sessions, leaving the host to its
   * revert timer (runApply rejects with ApplyInterruptedError, saying what the
   * host was left with). Before any change it releases the apply lock first.
   */
  signal?: AbortSignal;
  /** where the state machine steps (default: this thread; the app: a worker thread, machine-worker.ts) */
  machine?: MachineRunner;
}

/** What an interrupted apply left on the host. */
type InterruptedPhase =
  /** nothing loaded, no timer armed (the apply lock was released) */
  | 'before-change'
  /** nothing loaded, but a revert timer may be armed: it puts back the same rules and frees the lock at revertAt */
  | 'armed'
  /** the new rules may be live: the host's timer reverts them at revertAt */
  | 'live'
  /** stopped while cancelling the timer: either the timer reverts at revertAt or the new rules stay */
  | 'deciding'
  /** confirmed (timer cancelled): the new rules stay live; saving the file may not have finished */
  | 'confirmed';

/**
 * What an interrupted apply leaves in the local history: the fields of an
 * apply's audit record that were known when it stopped (so readers of older
 * lines read these too), outcome "interrupted", and what the host was left with.
 */
export type InterruptedRecord = Omit<AuditRecord, 'outcome' | 'exitCode'> & {
  outcome: 'interrupted';
  exitCode: 2 | 3;
  interrupted: {
    phase: InterruptedPhase;
    /** the step it stopped in */
    step: string;
    /** nothing changed | the new rules may be live, reverting at revertAt | either of the two | confirmed but maybe not saved */
    hostLeft: 'unchanged' | 'reverting' | 'reverting-or-kept' | 'confirmed-not-saved';
    /** when the host's revert timer fires (ISO), where one may be armed */
    revertAt: string | null;
  };
};

export class ApplyInterruptedError extends Error {
  override name = 'ApplyInterruptedError';
  constructor(
    readonly phase: InterruptedPhase,
    readonly host: string,
    /** when the host's revert timer fires (ms since the epoch), where one may be armed */
    readonly revertAt: number | null,
    /** the message with its values as values; `message` is its text */
    readonly parts: Message,
    readonly exitCode: 2 | 3,
  ) {
    super(messageText(parts));
  }
}
