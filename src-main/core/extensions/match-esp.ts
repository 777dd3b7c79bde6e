// -m esp (libxt_esp): the SPI of IPsec ESP packets, a number or a range.
import type { OptionValue } from '../model.js';
import type { MatchExtension } from './types.js';
import { collectOptions, opt, type OptionState } from './util.js';
import { parseU32Range, type U32Range } from './xt-options.js';

type SpiRange = U32Range;

export { parseU32Range };

/** Print an SPI option unless it covers every SPI (then iptables prints nothing, `!` or not). */
export function saveSpi(name: string, o: OptionValue | undefined): string {
  if (!o) return '';
  const r = o.value as SpiRange;
  if (r.lo === 0 && r.hi === 0xffffffff) return '';
  return `${o.invert ? ' !' : ''} --${name} ${r.lo === r.hi ? r.lo : `${r.lo}:${r.hi}`}`;
}

export const esp: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'esp',
  requiresProto: [50],
  options: [{ name: 'espspi', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'esp', 'espspi') }],
  finalize: (options) => collectOptions(options, esp.options),
  save: (m) => saveSpi('espspi', opt(m.state, 'espspi')),
};
