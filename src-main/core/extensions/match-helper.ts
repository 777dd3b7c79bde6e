// -m helper (libxt_helper): the conntrack helper (ftp, sip, …) that created the connection's expectation.
import { saveString } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtString } from './xt-options.js';

interface HelperMatch {
  /** helper name, optionally with the port (`ftp-2121`) */
  name: string;
  invert: boolean;
}

export const helper: MatchExtension<HelperMatch> = {
  kind: 'match',
  name: 'helper',
  // the name lands in a char[30]
  options: [{ name: 'helper', arg: 'required', invert: true, parse: ([v]) => xtString(v, 30) }],
  finalize(options) {
    xtFcheck('helper', options, [{ name: 'helper', mand: true }]);
    const o = options[options.length - 1];
    const s: HelperMatch = { name: o.value as string, invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --helper${saveString(s.name)}`;
  },
};
