// -j TCPMSS (libxt_TCPMSS): rewrite the MSS option of TCP SYN packets.
import { ValueError } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtUInt } from './xt-options.js';
import { tcp, type TcpFlags } from './match-tcp.js';
import { isMatchOf, opt } from './util.js';

interface TcpmssState {
  /** the MSS to set, or 'pmtu' to clamp to the path MTU minus 40 */
  mss: number | 'pmtu';
}


const CLAMP_HOOKS = new Set(['FORWARD', 'OUTPUT', 'POSTROUTING']);

export const tcpmss: TargetExtension<TcpmssState> = {
  kind: 'target',
  name: 'TCPMSS',
  // the kernel target is registered for TCP only
  requiresProto: [6],
  // rewrites the segment and lets it continue
  terminal: false,
  options: [
    // 65535 - 40: room for the IPv4 and TCP headers
    { name: 'set-mss', arg: 'required', parse: ([v]) => xtUInt('TCPMSS', 'set-mss', v, 0, 65515) },
    { name: 'clamp-mss-to-pmtu', arg: 'none' },
  ],
  finalize(options) {
    if (options.length === 0)
      throw new ValueError('TCPMSS target: At least one parameter is required', 'missing-argument', 'add --clamp-mss-to-pmtu or --set-mss N');
    // both may be given; they share one field, so the last one counts
    const last = options[options.length - 1];
    return { mss: last.name === 'set-mss' ? (last.value as number) : 'pmtu' };
  },
  kernelCheck(state, rule, ctx) {
    if (state.mss === 'pmtu') {
      const bad = [...ctx.hooks].filter((h) => !CLAMP_HOOKS.has(h));
      if (bad.length) return `TCPMSS --clamp-mss-to-pmtu only works in FORWARD, OUTPUT and POSTROUTING, not in ${bad.join(', ')}`;
    }
    // the kernel wants a tcp match that only lets SYN packets through
    const syn = rule.matches.some((m) => {
      if (!isMatchOf(m, tcp)) return false;
      const f = opt(m.state, 'tcp-flags');
      return f !== undefined && !f.invert && ((f.value as TcpFlags).comp & 0x02) !== 0;
    });
    if (!syn) return 'TCPMSS only works on TCP SYN packets: add -m tcp --tcp-flags SYN,RST SYN (or --syn) before -j TCPMSS';
    return null;
  },
  save(t) {
    const s = t.state;
    return s.mss === 'pmtu' ? ' --clamp-mss-to-pmtu' : ` --set-mss ${s.mss}`;
  },
};
