// -m esp (libxt_esp): the SPI of IPsec ESP packets, a number or a range.
import type { Match, OptionValue } from '../model.js';
import { ValueError, strtoul } from '../values.js';
import type { MatchExtension } from './types.js';
import { collectOptions, opt } from './util.js';

export interface SpiRange {
  lo: number;
  hi: number;
}

/**
 * XTTYPE_UINT32RC: `N`, `LO:HI`, `LO:` or `:HI` with numbers 0-4294967295
 * (reversed ranges are kept, as 1.8.9 does).
 */
export function parseU32Range(arg: string, ext: string, name: string): SpiRange {
  const parts = arg.split(':');
  if (parts.length > 2) throw new ValueError(`${ext}: Too many components for option "--${name}" (max: 2)`, 'invalid-argument', 'write N or LOW:HIGH');
  const vals: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (p === '') {
      vals.push(k === 0 ? 0 : 0xffffffff);
      continue;
    }
    const r = strtoul(p);
    if (r.end !== p.length || r.value > 0xffffffff || p.trimStart().startsWith('-'))
      throw new ValueError(`${ext}: bad value for option "--${name}" near "${parts.slice(k).join(':')}", or out of range (0-4294967295).`, 'invalid-argument');
    vals.push(r.value);
  }
  return { lo: vals[0], hi: vals.length > 1 ? vals[1] : vals[0] };
}

/** Print an SPI option unless it covers every SPI (then iptables prints nothing, `!` or not). */
export function saveSpi(name: string, o: OptionValue | undefined): string {
  if (!o) return '';
  const r = o.value as SpiRange;
  if (r.lo === 0 && r.hi === 0xffffffff) return '';
  return `${o.invert ? ' !' : ''} --${name} ${r.lo === r.hi ? r.lo : `${r.lo}:${r.hi}`}`;
}

/** The SPI range an esp match tests, with its `!` (null: any SPI). */
export function espSpiOf(m: Match): { invert: boolean; range: SpiRange } | null {
  const o = opt(m.state, 'espspi');
  return o ? { invert: o.invert, range: o.value as SpiRange } : null;
}

export const esp: MatchExtension = {
  kind: 'match',
  name: 'esp',
  requiresProto: [50],
  options: [{ name: 'espspi', arg: 'required', invert: true, parse: ([v]) => parseU32Range(v, 'esp', 'espspi') }],
  finalize: (options) => collectOptions(options, esp.options),
  save: (m) => saveSpi('espspi', opt(m.state, 'espspi')),
};
