// -j AUDIT (libxt_AUDIT): write an audit record for the packet and continue.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

type AuditType = 'accept' | 'drop' | 'reject';

const TYPES: readonly AuditType[] = ['accept', 'drop', 'reject'];

/** accept, drop or reject, in any case. */
function parseAuditType(arg: string): AuditType {
  const a = arg.toLowerCase();
  const hit = TYPES.find((t) => a === t);
  if (!hit) throw new ValueError(`Bad action type value "${arg}"`, 'invalid-argument', 'use accept, drop or reject');
  return hit;
}

interface AuditState {
  type: AuditType;
}

export const audit: TargetExtension<AuditState> = {
  kind: 'target',
  name: 'AUDIT',
  // records only; the packet continues to the next rule
  terminal: false,
  options: [{ name: 'type', arg: 'required', parse: ([v]) => parseAuditType(v) }],
  finalize(options) {
    xtFcheck('AUDIT', options, [{ name: 'type', mand: true }]);
    return { type: options[0].value as AuditType };
  },
  save: (t) => ` --type ${t.state.type}`,
};
