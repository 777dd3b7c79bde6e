// -m mac (libxt_mac): the source Ethernet address, only where the kernel has one.
import type { Match, OptionValue, Hook } from '../model.js';
import { ValueError, strtoul } from '../values.js';
import type { MatchExtension } from './types.js';
import { collectOptions, not, opt, requireOption, type OptionState } from './util.js';

/** The six bytes of a MAC address. */
type MacAddress = readonly number[];

const BAD = () => new ValueError('Invalid MAC address specified.', 'invalid-argument', 'write six hex bytes separated by colons, e.g. 52:54:00:12:34:56');

/** XTTYPE_ETHERMAC: six strtoul(…, 16) parts of at most two characters, colon separated. */
function parseMac(s: string): MacAddress {
  const out: number[] = [];
  let i = 0;
  for (let k = 0; k < 6; k++) {
    const r = strtoul(s, i, 16);
    if (r.end - i > 2) throw BAD();
    out.push(r.value & 255);
    i = r.end;
    if (k < 5) {
      if (s[i] !== ':') throw BAD();
      i++;
    } else if (i !== s.length) throw BAD();
  }
  return out;
}

function formatMac(mac: MacAddress): string {
  return mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The source MAC a rule's mac match tests, with its `!`. */
function macSourceOf(m: Match<OptionState>): { invert: boolean; mac: MacAddress } | null {
  const o = opt(m.state, 'mac-source');
  return o ? { invert: o.invert, mac: o.value as MacAddress } : null;
}

// Packets only carry a source MAC on the way in.
const MAC_HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD'];

export const mac: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'mac',
  options: [{ name: 'mac-source', arg: 'required', invert: true, parse: ([v]) => parseMac(v) }],
  finalize(options: OptionValue[]) {
    const s = collectOptions(options, mac.options);
    requireOption('mac', s, 'mac-source');
    return s;
  },
  kernelCheck(_state, _rule, ctx) {
    const bad = [...ctx.hooks].filter((h) => !MAC_HOOKS.includes(h));
    return bad.length ? `-m mac only works in PREROUTING, INPUT and FORWARD, not in ${bad.join(', ')} (Invalid argument)` : null;
  },
  save(m) {
    const v = macSourceOf(m);
    return v ? `${v.invert ? ' !' : ''} --mac-source ${formatMac(v.mac)}` : '';
  },
  words(s, text) {
    const o = opt(s, 'mac-source');
    return o ? [`${not(o.invert)}from MAC ${formatMac(o.value as MacAddress)}`] : [text()];
  },
};
