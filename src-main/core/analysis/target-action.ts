// What a target does to a packet's walk, as the analysis sees it: the word
// every target extension answers with (TargetAnalysis in extensions/types.ts)
// and that the tracer, the lint and the recipes read (targets.ts). Types
// only, so that an extension can name them without importing the analysis.
import type { Addr } from './packet.js';

export type TargetAction =
  | { kind: 'none' }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'reject'; with: string }
  | { kind: 'queue'; name: string }
  | { kind: 'return' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  /**
   * DNAT, REDIRECT in PREROUTING/OUTPUT: a new destination (null parts stay;
   * addr..addrHi and port..portHi are the ranges the kernel picks from)
   */
  | ({ kind: 'dnat'; name: string; toLocal: boolean; text: string } & NatTo)
  /** SNAT, MASQUERADE in POSTROUTING/INPUT (`fromInterface`: MASQUERADE's outgoing interface's address) */
  | ({ kind: 'snat'; name: string; fromInterface: boolean; text: string } & NatTo)
  | { kind: 'mark'; field: 'mark' | 'ctmark'; apply: (mark: number, ctmark: number) => number; text: string }
  | { kind: 'notrack' }
  /** LOG and friends: recorded (`log`: in a log), then the walk goes on */
  | { kind: 'continue'; name: string; log?: boolean }
  /** a target that decides but that we do not model further (TPROXY, SYNPROXY …) */
  | { kind: 'terminal'; name: string }
  | { kind: 'unknown'; name: string };

export interface NatTo {
  addr: Addr | null;
  addrHi: Addr | null;
  port: number | null;
  portHi: number | null;
}
