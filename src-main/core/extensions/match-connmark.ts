// -m connmark (libxt_connmark): the conntrack entry's mark compared under an optional mask.
import type { MatchExtension } from './types.js';
import { markLikeMatch } from './match-mark.js';

export { markMatchOf as connmarkMatchOf } from './match-mark.js';

export const connmark: MatchExtension = markLikeMatch('connmark');
