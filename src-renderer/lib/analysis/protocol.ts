// The messages between the renderer and its analysis worker. Requests carry
// the document's text with its id, so a worker that was restarted (a cancel
// terminates it) or that evicted a document parses it again by itself.
//
// Answers come in pieces: a skeleton (`head`) with its big arrays emptied,
// then `part`s that append up to a few thousand items to one of those arrays,
// then `end`. Each piece is its own task on the page's thread, so copying a
// 100,000-rule model in never holds the page for longer than one piece.
import type { LintOptions, RawParams } from '../../../src-main/core/index.js';

export interface DocRef {
  id: number;
  text: string;
}

export type JobRequest =
  | { kind: 'parse'; doc: DocRef }
  | { kind: 'lint'; doc: DocRef; opts: LintOptions }
  /** the canonical form's lines (what iptables-save prints), without the last empty one */
  | { kind: 'canonical'; doc: DocRef }
  | { kind: 'diff'; left: DocRef; right: DocRef }
  | { kind: 'recipe'; doc: DocRef; recipe: string; raw: RawParams; client?: string; sshPort: number };

export type JobKind = JobRequest['kind'];

/** renderer → worker */
export type ToWorker = { type: 'run'; id: number; job: JobRequest } | { type: 'drop'; doc: number };

/** where a part goes: property names and array indexes from the skeleton's root */
export type PartPath = (string | number)[];

export interface Progress {
  /** what the worker is doing ("parsing", "linting", "sending") */
  phase: string;
  done?: number;
  total?: number;
}

/** worker → renderer */
export type FromWorker =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'head'; id: number; value: unknown }
  | { type: 'part'; id: number; path: PartPath; items: unknown[] }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; message: string };

/** items per part: a few milliseconds of structured-clone work on the page's side */
export const PART_SIZE = 500;
