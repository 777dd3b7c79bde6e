// -j DSCP (libxt_DSCP): set the DSCP bits of the IP header.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface DscpState {
  /** 0–63 */
  dscp: number;
}


// dscp_helper.c's table, searched in this order
const CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28], ['CS6', 0x30], ['CS7', 0x38],
  ['BE', 0x00], ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e], ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16],
  ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e], ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26], ['EF', 0x2e],
];

/** class_to_dscp: the first class name the word starts with, ignoring case. */
export function dscpClass(arg: string): number {
  const a = arg.toUpperCase();
  const hit = CLASSES.find(([n]) => a.startsWith(n));
  if (!hit) throw new ValueError(`Invalid DSCP value \`${arg}'`, 'invalid-argument', `use one of ${CLASSES.map(([n]) => n).join(', ')}`);
  return hit[1];
}

export const dscp: TargetExtension<DscpState> = {
  kind: 'target',
  name: 'DSCP',
  tables: ['mangle'],
  // rewrites the header and lets the packet continue
  terminal: false,
  options: [
    { name: 'set-dscp', arg: 'required', parse: ([v]) => xtUInt('DSCP', 'set-dscp', v, 0, 63) },
    { name: 'set-dscp-class', arg: 'required', parse: ([v]) => dscpClass(v) },
  ],
  finalize(options) {
    xtFcheck('DSCP', options, [{ name: 'set-dscp', excl: ['set-dscp-class'] }, { name: 'set-dscp-class', excl: ['set-dscp'] }]);
    if (options.length === 0) throw new ValueError('DSCP target: Parameter --set-dscp is required', 'missing-argument', 'add --set-dscp VALUE');
    return { dscp: options[0].value as number };
  },
  save: (t) => ` --set-dscp 0x${t.state.dscp.toString(16).padStart(2, '0')}`,
};
