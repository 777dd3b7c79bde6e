// -m ah (libipt_ah): the SPI of IPsec AH packets, a number or a range.
import type { MatchExtension } from './types.js';
import { collectOptions, opt, type OptionState } from './util.js';
import { saveSpi } from './match-esp.js';
import { parseU32Range } from './xt-options.js';

export const ah: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'ah',
  // its IPv6 form (addresses, options) is not modelled yet: in ip6tables it is kept as written
  families: ['ipv4'],
  requiresProto: [51],
  options: [{ name: 'ahspi', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'ah', 'ahspi') }],
  finalize: (options) => collectOptions(options, ah.options),
  save: (m) => saveSpi('ahspi', opt(m.state, 'ahspi')),
};
