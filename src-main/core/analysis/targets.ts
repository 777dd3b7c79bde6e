// What a rule's target does to the walk, read from the target as iptables-save
// prints it: decide (ACCEPT, DROP, REJECT, QUEUE, the NAT targets), leave the
// chain (RETURN), enter a user chain (jump, goto), or change the packet and go
// on (MARK, CONNMARK, CT --notrack, LOG …).
import type { Rule, Target } from '../model.js';
import { findTarget } from '../extensions/registry.js';
import { readMark, targetOptions } from './match-options.js';
import { readAddr, type Addr } from './host-net.js';

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
  /** SNAT, MASQUERADE in POSTROUTING/INPUT */
  | ({ kind: 'snat'; name: string; text: string } & NatTo)
  | { kind: 'mark'; field: 'mark' | 'ctmark'; apply: (mark: number, ctmark: number) => number; text: string }
  | { kind: 'notrack' }
  /** LOG and friends: recorded, then the walk goes on */
  | { kind: 'continue'; name: string }
  /** a target that decides but that we do not model further (TPROXY, SYNPROXY …) */
  | { kind: 'terminal'; name: string }
  | { kind: 'unknown'; name: string };

const TERMINAL_OTHERS = new Set(['TPROXY', 'SYNPROXY', 'TARPIT', 'MIRROR', 'NFQUEUE', 'QUEUE', 'CLUSTERIP']);
const CONTINUE_OTHERS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'AUDIT', 'TRACE', 'CHECKSUM', 'CLASSIFY', 'DSCP', 'ECN', 'HMARK', 'IDLETIMER', 'LED', 'RATEEST',
  'SECMARK', 'CONNSECMARK', 'SET', 'TCPMSS', 'TCPOPTSTRIP', 'TEE', 'TOS', 'TTL',
]);

/** `--set-xmark v/m`: mark = (mark & ~m) ^ v, and the other MARK spellings. */
function markOp(opts: Map<string, { args: string[] }>): ((old: number) => number) | null {
  const get = (n: string) => {
    const o = opts.get(n);
    return o ? readMark(o.args[0] ?? '') : null;
  };
  let v;
  if ((v = get('set-xmark'))) { const [x, m] = v; return (old) => (((old & ~m) ^ x) >>> 0); }
  if ((v = get('set-mark'))) { const [x, m] = v; return (old) => (((old & ~m) | x) >>> 0); }
  if ((v = get('and-mark'))) { const [x] = v; return (old) => (old & x) >>> 0; }
  if ((v = get('or-mark'))) { const [x] = v; return (old) => (old | x) >>> 0; }
  if ((v = get('xor-mark'))) { const [x] = v; return (old) => (old ^ x) >>> 0; }
  return null;
}

export interface NatTo {
  addr: Addr | null;
  addrHi: Addr | null;
  port: number | null;
  portHi: number | null;
}

/**
 * `10.0.0.1:22`, `10.0.0.1-10.0.0.3:22-25`, `:22` → address range, port range;
 * IPv6 as ip6tables prints it: `2001:db8::1`, `2001:db8::1-2001:db8::3`, and in
 * brackets when ports follow (`[2001:db8::1]:22`, `[a-b]:22-25`).
 */
function readNatTo(s: string | undefined): NatTo {
  if (!s) return { addr: null, addrHi: null, port: null, portHi: null };
  const [a, pr] = splitNatTo(s);
  const family = a.includes(':') ? 'ipv6' : 'ipv4';
  const [a0, a1] = a.split('-');
  const addr = a ? readAddr(a0, family) : null;
  const addrHi = a ? readAddr(a1 ?? a0, family) : null;
  const ports = /^(\d+)(?:-(\d+))?/.exec(pr);
  const port = ports ? Number(ports[1]) : null;
  const portHi = ports ? Number(ports[2] ?? ports[1]) : null;
  return { addr, addrHi, port, portHi };
}

/** The address part and the port part of a NAT target's `--to-*`. */
function splitNatTo(s: string): [string, string] {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    return [s.slice(1, close), s.slice(close + 1).replace(/^:/, '')];
  }
  // an IPv6 address (range) without brackets has no port
  if (s.split('-').every((x) => readAddr(x, 'ipv6') !== null)) return [s, ''];
  const colon = s.lastIndexOf(':');
  return colon >= 0 ? [s.slice(0, colon), s.slice(colon + 1)] : [s, ''];
}

// Keyed by the target, which is all an action depends on: rules parsed from one
// template share it (70,000 fail2ban REJECTs are one classification).
const cache = new WeakMap<Target, TargetAction>();
// shared, never modified
const NONE: TargetAction = { kind: 'none' };
const ACCEPT: TargetAction = { kind: 'accept' };
const DROP: TargetAction = { kind: 'drop' };
const RETURN: TargetAction = { kind: 'return' };
const QUEUE: TargetAction = { kind: 'queue', name: 'QUEUE' };

export function targetAction(r: Rule): TargetAction {
  const t = r.target;
  if (!t) return NONE;
  let a = cache.get(t);
  if (!a) {
    a = classify(r);
    cache.set(t, a);
  }
  return a;
}

function classify(r: Rule): TargetAction {
  const t = r.target;
  if (!t) return { kind: 'none' };
  if (t.chain) return t.kind === 'goto' ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name };
  // the verdicts without options need no reading of the printed target
  switch (t.name) {
    case 'ACCEPT': return ACCEPT;
    case 'DROP': return DROP;
    case 'RETURN': return RETURN;
    case 'QUEUE': return QUEUE;
  }
  const o = targetOptions(r)!;
  switch (t.name) {
    case 'REJECT': return { kind: 'reject', with: o.options.get('reject-with')?.args[0] ?? 'icmp-port-unreachable' };
    case 'NFQUEUE': return o.options.has('queue-bypass') ? { kind: 'unknown', name: 'NFQUEUE --queue-bypass' } : { kind: 'queue', name: 'NFQUEUE' };
    case 'DNAT': {
      const to = readNatTo(o.options.get('to-destination')?.args[0]);
      return { kind: 'dnat', name: 'DNAT', ...to, toLocal: false, text: o.text };
    }
    case 'REDIRECT': {
      const to = readNatTo(':' + (o.options.get('to-ports')?.args[0] ?? ''));
      return { kind: 'dnat', name: 'REDIRECT', ...to, addr: null, addrHi: null, toLocal: true, text: o.text };
    }
    case 'SNAT': return { kind: 'snat', name: 'SNAT', ...readNatTo(o.options.get('to-source')?.args[0]), text: o.text };
    case 'MASQUERADE': return { kind: 'snat', name: 'MASQUERADE', ...readNatTo(':' + (o.options.get('to-ports')?.args[0] ?? '')), text: o.text };
    case 'NETMAP': return { kind: 'terminal', name: 'NETMAP' };
    case 'MARK': {
      const op = markOp(o.options);
      return op ? { kind: 'mark', field: 'mark', apply: (m) => op(m), text: o.text } : { kind: 'unknown', name: o.text };
    }
    case 'CONNMARK': {
      const op = markOp(o.options);
      if (op) return { kind: 'mark', field: 'ctmark', apply: (_m, c) => op(c), text: o.text };
      if (o.options.has('save-mark')) return { kind: 'mark', field: 'ctmark', apply: (m) => m, text: o.text };
      if (o.options.has('restore-mark')) return { kind: 'mark', field: 'mark', apply: (_m, c) => c, text: o.text };
      return { kind: 'unknown', name: o.text };
    }
    case 'NOTRACK': return { kind: 'notrack' };
    case 'CT': return o.options.has('notrack') ? { kind: 'notrack' } : { kind: 'continue', name: 'CT' };
  }
  if (CONTINUE_OTHERS.has(t.name)) return { kind: 'continue', name: t.name };
  if (TERMINAL_OTHERS.has(t.name)) return { kind: 'terminal', name: t.name };
  const ext = findTarget(t.name);
  if (ext && !t.unknown) return ext.terminal ? { kind: 'terminal', name: t.name } : { kind: 'continue', name: t.name };
  return { kind: 'unknown', name: t.name };
}

/** Ends the walk through the chain for the packets it matches (a later rule in the chain never sees them). */
export function endsChain(a: TargetAction): boolean {
  switch (a.kind) {
    case 'accept': case 'drop': case 'reject': case 'queue': case 'return': case 'dnat': case 'snat': case 'terminal': case 'goto':
      return true;
    default:
      return false;
  }
}
