// Questions main asks a person while it works (an unknown host key, a
// password): each one goes out as a `prompt` event and waits for the
// `prompt:answer` call with its id. The first answer wins (several windows may
// show it); a question nobody answers gives up after a while, as ssh would.
import { randomBytes } from 'node:crypto';
import { FwFailure, type FwEvent, type PromptAnswer, type PromptRequest } from '../contract/index.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type PromptQuestion = DistributiveOmit<PromptRequest, 'id'>;

const PROMPT_TIMEOUT_MS = 10 * 60_000;

export class PromptBroker {
  private pending = new Map<string, { req: PromptRequest; resolve: (a: PromptAnswer) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly emit: (e: FwEvent) => void,
    private readonly timeoutMs = PROMPT_TIMEOUT_MS,
  ) {}

  /** `onId` hears the question's id at once (to update it while it is open). */
  ask(q: PromptQuestion, onId?: (id: string) => void): Promise<PromptAnswer> {
    const id = randomBytes(8).toString('hex');
    onId?.(id);
    const req = { ...q, id } as PromptRequest;
    return new Promise<PromptAnswer>((resolve) => {
      const timer = setTimeout(() => this.settle(id, { kind: 'cancel' }), this.timeoutMs);
      timer.unref?.();
      this.pending.set(id, { req, resolve, timer });
      this.emit({ kind: 'prompt', prompt: req });
    });
  }

  answer(id: string, answer: PromptAnswer): void {
    const p = this.pending.get(id);
    if (!p) throw new FwFailure('not-found', 'that question was already answered or has expired');
    if (answer.kind !== 'cancel' && (answer.kind === 'host-key') !== (p.req.kind === 'host-key'))
      throw new FwFailure('invalid-argument', `a ${p.req.kind} prompt needs a ${p.req.kind === 'host-key' ? 'host-key' : 'secret'} answer`);
    this.settle(id, answer);
  }

  /** Changes an open question (say, that the server stopped waiting) and shows it again; an answered one is left alone. */
  update(id: string, patch: Partial<PromptQuestion>): void {
    const p = this.pending.get(id);
    if (!p) return;
    p.req = { ...p.req, ...patch, id, kind: p.req.kind } as PromptRequest;
    this.emit({ kind: 'prompt', prompt: p.req });
  }

  /** prompts still waiting (a page that opens late shows them) */
  open(): PromptRequest[] {
    return [...this.pending.values()].map((p) => p.req);
  }

  /** gives up on every question of one host (its connect failed or was abandoned) */
  cancelHost(hostId: string): void {
    for (const [id, p] of this.pending) if (p.req.hostId === hostId) this.settle(id, { kind: 'cancel' });
  }

  cancelAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'cancel' });
  }

  private settle(id: string, answer: PromptAnswer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.emit({ kind: 'prompt-closed', id });
    p.resolve(answer);
  }
}

export function isPromptAnswer(x: unknown): x is PromptAnswer {
  const o = x as Record<string, unknown>;
  if (!o || typeof o !== 'object') return false;
  switch (o.kind) {
    case 'host-key':
      return typeof o.accept === 'boolean';
    case 'secret':
      return typeof o.value === 'string' && o.value.length <= 4096 && typeof o.remember === 'boolean';
    case 'cancel':
      return true;
    default:
      return false;
  }
}
