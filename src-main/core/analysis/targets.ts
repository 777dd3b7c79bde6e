// What a rule's target does to the walk: decide (ACCEPT, DROP, REJECT, QUEUE,
// the NAT targets), leave the chain (RETURN), enter a user chain (jump, goto),
// or change the packet and go on (MARK, CONNMARK, CT --notrack, LOG …). Each
// target's extension says which, from its typed state (TargetAnalysis in
// extensions/types.ts): nothing here knows a target by name.
import type { Rule, Target } from '../model.js';
import { findTarget, unmodelledTarget } from '../extensions/registry.js';
import { saveTarget } from '../canonical.js';
import type { TargetAction } from './target-action.js';

// Keyed by the target, which is all an action depends on: rules parsed from one
// template share it (70,000 fail2ban REJECTs are one classification). A jump
// or goto to a chain is not kept: each rule has a target of its own (-E
// renames it in place), and 73,000 kube-proxy jumps kept an entry and an
// action each for the rest of the run; its action is made again, cheaply.
const cache = new WeakMap<Target, TargetAction>();
const NONE: TargetAction = { kind: 'none' };

export function targetAction(r: Rule): TargetAction {
  const t = r.target;
  if (!t) return NONE;
  if (t.chain) return t.kind === 'goto' ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name };
  let a = cache.get(t);
  if (!a) {
    a = classify(t);
    cache.set(t, a);
  }
  return a;
}

function classify(t: Target): TargetAction {
  const ext = t.unknown ? undefined : findTarget(t.name);
  if (ext?.analysis) return ext.analysis.action(t.state, () => saveTarget(t).trim());
  if (ext) return ext.terminal ? { kind: 'terminal', name: t.name } : { kind: 'continue', name: t.name };
  // kept token for token: what iptables' own module does, when we know that much
  switch (unmodelledTarget(t.name)) {
    case 'verdict': return { kind: 'terminal', name: t.name };
    case 'log': return { kind: 'continue', name: t.name, log: true };
    case 'continue': return { kind: 'continue', name: t.name };
    default: return { kind: 'unknown', name: t.name };
  }
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
