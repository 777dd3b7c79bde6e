// -j TCPOPTSTRIP (libxt_TCPOPTSTRIP): remove TCP options from the segment.
import { ValueError, strtoulWhole } from '../values.js';
import type { TargetExtension } from './types.js';

const OPTION_NAMES: Record<string, number> = { wscale: 3, mss: 2, 'sack-permitted': 4, sack: 5, timestamp: 8, md5: 19 };

interface TcpOptStripState {
  /** the TCP option kinds to strip, ascending */
  options: number[];
}

function parseList(arg: string): number[] {
  const set = new Set<number>();
  for (const item of arg.split(',')) {
    let n = strtoulWhole(item, 0, 255);
    if (n === null) {
      if (!Object.prototype.hasOwnProperty.call(OPTION_NAMES, item))
        throw new ValueError(`Bad TCP option value "${item}"`, 'invalid-argument', `use numbers 2-255 or ${Object.keys(OPTION_NAMES).join(', ')}`);
      n = OPTION_NAMES[item];
    }
    // 0 (end of list) and 1 (no-op) are padding, not options
    if (n < 2) throw new ValueError('Option value may not be 0 or 1', 'invalid-argument');
    if (set.has(n)) throw new ValueError(`Option "${item}" already specified`, 'invalid-argument');
    set.add(n);
  }
  return [...set].sort((a, b) => a - b);
}

export const tcpoptstrip: TargetExtension<TcpOptStripState> = {
  kind: 'target',
  name: 'TCPOPTSTRIP',
  tables: ['mangle'],
  requiresProto: [6],
  // rewrites the segment and lets it continue
  terminal: false,
  options: [{ name: 'strip-options', arg: 'required', parse: ([v]) => parseList(v) }],
  finalize(options) {
    return { options: options.length ? (options[0].value as number[]) : [] };
  },
  save(t) {
    const list = t.state.options;
    return list.length ? ` --strip-options ${list.join(',')}` : '';
  },
};
