// -j MARK (libxt_MARK, revision 2): change the packet's nfmark.
import { ValueError } from '../values.js';
import type { OptionSpec, TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { hex, xtFcheck, xtMarkMask, xtUInt, type XtEntry } from './xt-options.js';

/** The kernel's operation: mark = (mark & ~mask) ^ value. Every option reduces to it. */
export interface MarkXset {
  value: number;
  mask: number;
}


const OPS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'] as const;

/** value/mask of one MARK or CONNMARK operation option (the same arithmetic in both). */
export function markOperation(ext: string, name: string, arg: string): MarkXset {
  switch (name) {
    case 'set-xmark': {
      const m = xtMarkMask(ext, name, arg);
      return { value: m.value, mask: m.mask };
    }
    case 'set-mark': {
      const m = xtMarkMask(ext, name, arg);
      return { value: m.value, mask: (m.value | m.mask) >>> 0 };
    }
    case 'and-mark':
      return { value: 0, mask: ~xtUInt(ext, name, arg, 0, 0xffffffff) >>> 0 };
    case 'or-mark': {
      const v = xtUInt(ext, name, arg, 0, 0xffffffff);
      return { value: v, mask: v };
    }
    default:
      return { value: xtUInt(ext, name, arg, 0, 0xffffffff), mask: 0 };
  }
}

const ENTRIES: XtEntry[] = OPS.map((name) => ({ name, excl: OPS }));

export const mark: TargetExtension<MarkXset> = {
  kind: 'target',
  name: 'MARK',
  // revision 2 works in every table and hook; the packet continues
  terminal: false,
  options: OPS.map((name): OptionSpec => ({ name, arg: 'required', parse: ([v]) => markOperation('MARK', name, v) })),
  finalize(options) {
    xtFcheck('MARK', options, ENTRIES);
    if (options.length === 0)
      throw new ValueError('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required', 'missing-argument',
        'add --set-mark VALUE');
    return { ...(options[0].value as MarkXset) };
  },
  save(t) {
    const s = t.state;
    return ` --set-xmark ${hex(s.value)}/${hex(s.mask)}`;
  },
  analysis: {
    action: ({ value, mask }, text) => ({ kind: 'mark', field: 'mark', apply: (m) => xmark(m, value, mask), text: text() }),
  },
};

/** The kernel's arithmetic for every MARK and CONNMARK --set-* option. */
export function xmark(old: number, value: number, mask: number): number {
  return ((old & ~mask) ^ value) >>> 0;
}
