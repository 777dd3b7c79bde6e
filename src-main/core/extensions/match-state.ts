// -m state (libxt_state, an alias of conntrack revision 3): connection states.
import type { Match, OptionValue } from '../model.js';
import type { MatchExtension } from './types.js';
import { collectOptions, opt, requireOption, type OptionState } from './util.js';
import { ctStateCond, ctStateSpace, ctStateWords, parseStateList, type CtState } from './match-conntrack.js';
import { DIM } from '../analysis/space.js';

/** The states a state match tests, in iptables' print order, with its `!`. */
function statesOf(m: Match<OptionState>): { invert: boolean; states: CtState[] } | null {
  const o = opt(m.state, 'state');
  return o ? { invert: o.invert, states: o.value as CtState[] } : null;
}

export const state: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'state',
  options: [{ name: 'state', arg: 'required', invert: true, parse: ([v]) => parseStateList(v) }],
  finalize(options: OptionValue[]) {
    const s = collectOptions(options, state.options);
    requireOption('state', s, 'state');
    return s;
  },
  save(m) {
    const st = statesOf(m);
    return st ? `${st.invert ? ' !' : ''} --state ${st.states.join(',')}` : '';
  },
  words(s) {
    const o = opt(s, 'state');
    return o ? [ctStateWords(o.value as CtState[], o.invert)] : [];
  },
  analysis: {
    conditions(s) {
      const o = opt(s, 'state');
      return o ? [ctStateCond('state', o.value as CtState[], o.invert)] : null;
    },
    space(s, space) {
      const o = opt(s, 'state');
      const set = o ? ctStateSpace(o.value as CtState[]) : null;
      if (!o || !set) return false;
      space.set(DIM.state, set, o.invert);
      return true;
    },
  },
};
