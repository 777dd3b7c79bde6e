// -m comment (libxt_comment): a note stored in the kernel with the rule.
import { ValueError, byteLength } from '../values.js';
import type { MatchExtension } from './types.js';
import { asString, collectOptions, requireOption, saveInOrder, type OptionState } from './util.js';

export const comment: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'comment',
  options: [
    {
      name: 'comment',
      arg: 'required',
      parse: ([v]) => {
        // XT_MAX_COMMENT_LEN is 256 including the terminating NUL
        if (byteLength(v) > 255) throw new ValueError('comment: "--comment" is longer than 255 bytes', 'invalid-argument');
        return v;
      },
    },
  ],
  finalize(options) {
    const s = collectOptions(options, comment.options);
    requireOption('comment', s, 'comment');
    return s;
  },
  save: (m) => saveInOrder(m.state, [['comment', asString]]),
  // the rule list shows comments in their own column
  words: () => [],
  // a note: it narrows no packet
  analysis: { conditions: () => [], space: () => true },
};
