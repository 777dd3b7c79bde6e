// The messages between the renderer and its analysis worker. Requests name
// documents by id, with their text the first time this worker sees them: a
// worker that was restarted (a cancel that it did not heed in time ends it) or that evicted a
// document answers `need`, and the client sends the request again with the
// texts.
//
// A cancel stops the job, not the worker: the worker checks for it between
// the pieces of an answer and (through memory shared with the page, where
// there is any) between the chains of a lint, and says `cancelled`; the page
// ends a worker only when it does not stop within a grace period.
//
// Answers come in pieces: a skeleton (`head`) with its big arrays emptied,
// then `parts` messages, each appending about PART_SIZE items in all to one or
// more of those arrays (a kube-proxy file's 20,000 chains are not 40,000
// messages), then `end`. Each piece is its own task on the page's thread, so
// copying a 100,000-rule model in never holds the page for longer than one
// piece. Answers that are columns of typed arrays (the search index) are
// transferred, not copied.
import type { EditOp, Family, LintOptions, RawParams, TextSplice } from '../../../src-main/core/index.js';
import type { PasteAnalysis } from '../state/paste-import.js';
import type { CompactParse, ModelPatch } from '../state/lazy-model.js';

export interface DocRef {
  id: number;
  /**
   * The document's text. The client leaves it out of a request when the
   * worker already holds the document (a 10 MB text is not copied on the
   * page's thread for every job); a worker that does not answers `need`.
   */
  text?: string;
  /** an ip6tables ruleset is read as ip6tables-restore reads it (absent: IPv4) */
  family?: Family;
}

export type JobRequest =
  | { kind: 'parse'; doc: DocRef }
  | { kind: 'lint'; doc: DocRef; opts: LintOptions }
  /** the canonical form's lines (what iptables-save prints), without the last empty one */
  | { kind: 'canonical'; doc: DocRef }
  | { kind: 'diff'; left: DocRef; right: DocRef }
  /** a host's two firewalls together (core lintPair): what one family closes and the other leaves open */
  | { kind: 'pair'; v4: DocRef; v6: DocRef; sshPort: number }
  | { kind: 'recipe'; doc: DocRef; recipe: string; raw: RawParams; client?: string; sshPort: number }
  /**
   * A staged edit: the core applies it and writes the file back (EditAnswer).
   * With `as`, the worker holds the new document under that id and answers
   * its parse too (as a `parse` job would); without, it is parsed when next
   * asked for by its text.
   */
  | { kind: 'edit'; doc: DocRef; op: EditOp; as?: number; patch?: boolean }
  /** pasted commands added to the document (MergeResult) */
  | { kind: 'paste'; doc: DocRef; paste: PasteAnalysis; client?: string; sshPort?: number }
  /** the rule search's index over the document's rows (SearchIndex, its arrays transferred) */
  | { kind: 'search-index'; doc: DocRef }
  /** which rows of a staged step are new or changed since the file as opened (MarksAnswer) */
  | { kind: 'marks'; base: DocRef; cur: DocRef };

/**
 * With `as`, the new document's parse: whole (`parse`), or — when the request
 * said the page holds the model before the edit (`patch`) and the edit changed
 * only some chains' rules — what changed in it (`patch`).
 */
export type EditAnswer = ({ ok: true; parse?: CompactParse; patch?: ModelPatch } & EditedText) | { ok: false; message: string };

/**
 * The new text: with `as` (the page holds the text edited), what changed in
 * it (a 15 MB text is not joined, copied and scanned for one line); else whole.
 */
export type EditedText = { text: string; splice?: undefined } | { splice: TextSplice; text?: undefined };

export interface MarksAnswer {
  changed: Int32Array;
  deleted: string[];
}

export type JobKind = JobRequest['kind'];

/** renderer → worker */
export type ToWorker =
  | { type: 'run'; id: number; job: JobRequest }
  /**
   * Sent first to a new worker where the page may share memory with it
   * (SharedArrayBuffer: a cross-origin isolated page, or Node): the page
   * writes a cancelled job's id in stop[0], which the worker reads between
   * chains while it lints — no message can reach it then.
   */
  | { type: 'init'; stop: Int32Array }
  /** the page gave up job `id`: stop at the next chance (between parts, between chains) and say `cancelled` */
  | { type: 'cancel'; id: number }
  | { type: 'drop'; doc: number }
  /** the page took in one `parts` message of job `id` (the worker sends a few ahead, no more) */
  | { type: 'ack'; id: number };

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
  | { type: 'parts'; id: number; parts: { path: PartPath; items: unknown[] }[] }
  | { type: 'end'; id: number }
  /** job `id` stopped on the page's cancel: the worker, with every document it holds, is free for the next job */
  | { type: 'cancelled'; id: number }
  /** the request named a document by id alone that this worker does not hold: send it again with the texts */
  | { type: 'need'; id: number; doc: number }
  | { type: 'error'; id: number; message: string };

/** items per part: a few milliseconds of structured-clone work on the page's side */
export const PART_SIZE = 250;
