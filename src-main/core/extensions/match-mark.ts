// -m mark (libxt_mark): the packet's nfmark compared under an optional mask.
import type { MatchExtension } from './types.js';
import { hex, xtFcheck, xtMarkMask } from './xt-options.js';
import { fieldCond, inv } from '../analysis/packet.js';

/** `[!] --mark value[/mask]`: matches when (mark & mask) == value, or != with invert. */
interface MarkMatch {
  value: number;
  mask: number;
  invert: boolean;
}

/** libxt_mark/libxt_connmark print_mark: hex, the mask only when it is not all ones. */
function saveMarkMask(value: number, mask: number): string {
  return mask === 0xffffffff ? ' ' + hex(value) : ` ${hex(value)}/${hex(mask)}`;
}

/** mark and connmark share their option table, check and save format. */
export function markLikeMatch(name: string): MatchExtension<MarkMatch> {
  const ext: MatchExtension<MarkMatch> = {
    kind: 'match',
    name,
    options: [{ name: 'mark', arg: 'required', invert: true, parse: ([v]) => xtMarkMask(name, 'mark', v) }],
    finalize(options) {
      xtFcheck(name, options, [{ name: 'mark', mand: true }]);
      const o = options[options.length - 1];
      const v = o.value as { value: number; mask: number };
      const state: MarkMatch = { value: v.value, mask: v.mask, invert: o.invert };
      return state;
    },
    save(m) {
      const s = m.state;
      return (s.invert ? ' ! --mark' : ' --mark') + saveMarkMask(s.value, s.mask);
    },
    analysis: {
      conditions({ value, mask, invert }) {
        const field = name === 'mark' ? 'mark' : 'ctmark';
        const text = `${invert ? '! ' : ''}--mark${saveMarkMask(value, mask)}${name === 'connmark' ? ' (connmark)' : ''}`;
        // the kernel compares (mark & mask) == value: a value with bits outside the mask never matches
        return [fieldCond(text, text, (p) => inv(invert, ((p[field] & mask) >>> 0) === value))];
      },
    },
  };
  return ext;
}

export const mark = markLikeMatch('mark');
