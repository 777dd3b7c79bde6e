// -j CONNMARK (libxt_CONNMARK, revision 2): set the connection mark, or copy it to/from the packet mark.
import { ValueError } from '../values.js';
import type { OptionSpec, TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { hex, xtFcheck, xtUInt, type XtEntry } from './xt-options.js';
import { markOperation, xmark, type MarkXset } from './target-mark.js';

interface ConnmarkState {
  /** set: ctmark = (ctmark & ~ctmask) ^ ctmark value; save: ctmark from nfmark; restore: nfmark from ctmark */
  mode: 'set' | 'save' | 'restore';
  ctmark: number;
  ctmask: number;
  nfmask: number;
  shiftDir: 'left' | 'right';
  shiftBits: number;
}


const SET_OPS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'] as const;
const OPS = [...SET_OPS, 'save-mark', 'restore-mark'];

const u32 = (name: string) => (args: string[]) => xtUInt('CONNMARK', name, args[0], 0, 0xffffffff);
const shift = (name: string) => (args: string[]) => xtUInt('CONNMARK', name, args[0], 0, 32);

// declaration order of connmark_tg_opts_v2, which the final check walks
const ENTRIES: XtEntry[] = [
  ...OPS.map((name) => ({ name, excl: OPS })),
  { name: 'left-shift-mark' },
  { name: 'right-shift-mark' },
  { name: 'ctmask', excl: ['mask'] },
  { name: 'nfmask', excl: ['mask'] },
  { name: 'mask', excl: ['ctmask', 'nfmask'] },
];

export const connmark: TargetExtension<ConnmarkState> = {
  kind: 'target',
  name: 'CONNMARK',
  // valid in every table; the packet continues
  terminal: false,
  options: [
    ...SET_OPS.map((name): OptionSpec => ({ name, arg: 'required', parse: ([v]) => markOperation('CONNMARK', name, v) })),
    { name: 'save-mark', arg: 'none' },
    { name: 'restore-mark', arg: 'none' },
    { name: 'left-shift-mark', arg: 'required', parse: shift('left-shift-mark') },
    { name: 'right-shift-mark', arg: 'required', parse: shift('right-shift-mark') },
    { name: 'ctmask', arg: 'required', parse: u32('ctmask') },
    { name: 'nfmask', arg: 'required', parse: u32('nfmask') },
    { name: 'mask', arg: 'required', parse: u32('mask') },
  ],
  finalize(options) {
    // the options write into one struct in the order given, as iptables does
    const s: ConnmarkState = { mode: 'set', ctmark: 0, ctmask: 0xffffffff, nfmask: 0xffffffff, shiftDir: 'left', shiftBits: 0 };
    for (const o of options) {
      const v = o.value;
      switch (o.name) {
        case 'save-mark': s.mode = 'save'; break;
        case 'restore-mark': s.mode = 'restore'; break;
        case 'left-shift-mark': s.shiftDir = 'left'; s.shiftBits = v as number; break;
        case 'right-shift-mark': s.shiftDir = 'right'; s.shiftBits = v as number; break;
        case 'ctmask': s.ctmask = v as number; break;
        case 'nfmask': s.nfmask = v as number; break;
        case 'mask': s.ctmask = s.nfmask = v as number; break;
        default: {
          const x = v as MarkXset;
          s.mode = 'set';
          s.ctmark = x.value;
          s.ctmask = x.mask;
        }
      }
    }
    xtFcheck('CONNMARK', options, ENTRIES);
    if (!options.some((o) => OPS.includes(o.name)))
      throw new ValueError('CONNMARK target: No operation specified', 'missing-argument', 'add --set-mark, --save-mark or --restore-mark');
    return { ...s };
  },
  save(t) {
    const s = t.state;
    let out = s.mode === 'set'
      ? ` --set-xmark ${hex(s.ctmark)}/${hex(s.ctmask)}`
      : ` --${s.mode}-mark --nfmask ${hex(s.nfmask)} --ctmask ${hex(s.ctmask)}`;
    if (s.shiftBits !== 0) out += ` --${s.shiftDir}-shift-mark ${s.shiftBits}`;
    return out;
  },
  analysis: {
    // --save-mark and --restore-mark copy the whole mark: their masks and shifts are not modelled
    action(s, text) {
      if (s.mode === 'save') return { kind: 'mark', field: 'ctmark', apply: (m) => m, text: text() };
      if (s.mode === 'restore') return { kind: 'mark', field: 'mark', apply: (_m, c) => c, text: text() };
      const { ctmark, ctmask } = s;
      return { kind: 'mark', field: 'ctmark', apply: (_m, c) => xmark(c, ctmark, ctmask), text: text() };
    },
  },
};
