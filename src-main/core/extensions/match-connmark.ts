// -m connmark (libxt_connmark): the conntrack entry's mark compared under an optional mask.
import { markLikeMatch } from './match-mark.js';

export const connmark = markLikeMatch('connmark');
