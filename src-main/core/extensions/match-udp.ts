// -m udp (libxt_udp): source and destination ports.
import { parsePortRange } from '../values.js';
import type { MatchExtension } from './types.js';
import { collectOptions, opt, type OptionState } from './util.js';
import { portAnalysis, portWords, savePorts } from './match-tcp.js';

export const udp: MatchExtension<OptionState> = {
  kind: 'match',
  name: 'udp',
  requiresProto: [17],
  options: [
    { name: 'sport', aliases: ['source-port'], arg: 'required', invert: true, parse: ([v]) => parsePortRange(v, 'udp', false) },
    { name: 'dport', aliases: ['destination-port'], arg: 'required', invert: true, parse: ([v]) => parsePortRange(v, 'udp', false) },
  ],
  finalize: (options) => collectOptions(options, udp.options),
  save: (m) => savePorts('sport', opt(m.state, 'sport')) + savePorts('dport', opt(m.state, 'dport')),
  analysis: portAnalysis,
  words: portWords,
};
