// -m policy (libxt_policy): the IPsec policy that decapsulated (--dir in) or will encapsulate (--dir out) the packet.
import type { Hook } from '../model.js';
import { ValueError, formatIPv4, inetAton, maskToPrefix, parseProtocol, prefixToMask, protocolName, strtoulWhole } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface PolicyAddress {
  addr: number;
  mask: number;
  invert: boolean;
}

/** One `--next`-separated element: the SA properties to compare (unset ones are not compared). */
interface PolicyElement {
  reqid: { value: number; invert: boolean } | null;
  spi: { value: number; invert: boolean } | null;
  /** 50 esp, 51 ah, 108 ipcomp */
  proto: { num: number; invert: boolean } | null;
  mode: { value: 'transport' | 'tunnel'; invert: boolean } | null;
  tunnelSrc: PolicyAddress | null;
  tunnelDst: PolicyAddress | null;
}

interface PolicyMatch {
  dir: 'in' | 'out';
  pol: 'ipsec' | 'none';
  /** --strict: the elements must match the whole policy, in order; else any one SA */
  strict: boolean;
  /** empty for --pol none */
  elements: PolicyElement[];
}

const MAX_ELEMENTS = 4; // XT_POLICY_MAX_ELEM
const IPSEC_PROTOS: ReadonlySet<number> = new Set([50, 51, 108]);

/** XTTYPE_HOSTMASK as iptables 1.8.9 handles it: a numeric address (not masked) with /len or /dotted-mask. */
function parseTunnelAddress(s: string): { addr: number; mask: number } {
  const slash = s.indexOf('/');
  const host = slash < 0 ? s : s.slice(0, slash);
  const addr = inetAton(host);
  if (addr === null)
    throw new ValueError(`policy: "${host}" is not an IPv4 address`, 'invalid-argument', 'tunnel endpoints must be written as addresses here');
  if (slash < 0) return { addr, mask: 0xffffffff };
  const m = s.slice(slash + 1);
  if (m.includes('.')) {
    const mask = inetAton(m);
    if (mask === null) throw new ValueError(`policy: bad mask "${m}"`, 'invalid-argument');
    return { addr, mask };
  }
  const bits = strtoulWhole(m, 0, 0xffffffff);
  if (bits === null) throw new ValueError(`policy: bad mask "${m}"`, 'invalid-argument', 'a prefix length is 0 to 32');
  return { addr, mask: bits > 32 ? 0xffffffff : prefixToMask(bits) };
}

function formatTunnel(a: PolicyAddress): string {
  const bits = maskToPrefix(a.mask);
  // a mask that is no prefix prints as nothing, as 1.8.9 does
  return formatIPv4(a.addr) + (bits === 32 || bits < 0 ? '' : '/' + bits);
}

function emptyElement(): PolicyElement {
  return { reqid: null, spi: null, proto: null, mode: null, tunnelSrc: null, tunnelDst: null };
}

function isEmpty(e: PolicyElement): boolean {
  return !e.reqid && !e.spi && !e.proto && !e.mode && !e.tunnelSrc && !e.tunnelDst;
}

const elementOption = (name: string, parse: OptionSpec['parse']): OptionSpec => ({ name, arg: 'required', invert: true, multi: true, parse });

export const policy: MatchExtension<PolicyMatch> = {
  kind: 'match',
  name: 'policy',
  // its IPv6 form (addresses, options) is not modelled yet: in ip6tables it is kept as written
  families: ['ipv4'],
  options: [
    {
      name: 'dir',
      arg: 'required',
      parse: ([v]) => {
        if (v !== 'in' && v !== 'out') throw new ValueError(`policy_match: invalid dir "${v}"`, 'invalid-argument', 'the direction is in or out');
        return v;
      },
    },
    {
      name: 'pol',
      arg: 'required',
      parse: ([v]) => {
        if (v !== 'ipsec' && v !== 'none') throw new ValueError(`policy match: invalid policy "${v}"`, 'invalid-argument', 'the policy is ipsec or none');
        return v;
      },
    },
    { name: 'strict', arg: 'none' },
    elementOption('reqid', ([v]) => xtUInt('policy', 'reqid', v, 0, 0xffffffff)),
    elementOption('spi', ([v]) => xtUInt('policy', 'spi', v, 0, 0xffffffff)),
    elementOption('tunnel-src', ([v]) => parseTunnelAddress(v)),
    elementOption('tunnel-dst', ([v]) => parseTunnelAddress(v)),
    elementOption('proto', ([v]) => {
      // xtables_parse_protocol does not lower-case (unlike -p)
      if (v !== v.toLowerCase()) throw new ValueError(`unknown protocol "${v}" specified`, 'invalid-argument', 'write esp, ah or ipcomp');
      const n = parseProtocol(v);
      if (!IPSEC_PROTOS.has(n)) throw new ValueError('policy match: protocol must be ah/esp/ipcomp', 'invalid-argument');
      return n;
    }),
    elementOption('mode', ([v]) => {
      if (v !== 'transport' && v !== 'tunnel') throw new ValueError(`policy match: invalid mode "${v}"`, 'invalid-argument', 'the mode is transport or tunnel');
      return v;
    }),
    { name: 'next', arg: 'none', multi: true },
  ],
  finalize(options) {
    const s: PolicyMatch = { dir: 'in', pol: 'ipsec', strict: false, elements: [] };
    let dirGiven = false;
    let e = emptyElement();
    const elements = [e];
    for (const o of options) {
      const inv = o.invert;
      const dup = (set: unknown) => {
        if (set) throw new ValueError(`policy match: double --${o.name} option`, 'invalid-argument', 'separate policy elements with --next');
      };
      switch (o.name) {
        case 'dir': s.dir = o.value as 'in' | 'out'; dirGiven = true; break;
        case 'pol': s.pol = o.value as 'ipsec' | 'none'; break;
        case 'strict': s.strict = true; break;
        case 'reqid': dup(e.reqid); e.reqid = { value: o.value as number, invert: inv }; break;
        case 'spi': dup(e.spi); e.spi = { value: o.value as number, invert: inv }; break;
        case 'proto': dup(e.proto); e.proto = { num: o.value as number, invert: inv }; break;
        case 'mode': dup(e.mode); e.mode = { value: o.value as 'transport' | 'tunnel', invert: inv }; break;
        case 'tunnel-src': dup(e.tunnelSrc); e.tunnelSrc = { ...(o.value as { addr: number; mask: number }), invert: inv }; break;
        case 'tunnel-dst': dup(e.tunnelDst); e.tunnelDst = { ...(o.value as { addr: number; mask: number }), invert: inv }; break;
        default: // next
          if (elements.length === MAX_ELEMENTS) throw new ValueError('policy match: maximum policy depth reached', 'invalid-argument');
          e = emptyElement();
          elements.push(e);
      }
    }
    // policy_check runs before the generic option checks
    if (!dirGiven) throw new ValueError('policy match: neither --dir in nor --dir out specified', 'missing-argument', 'add --dir in or --dir out');
    if (s.pol === 'none') {
      if (s.strict) throw new ValueError('policy match: policy none but --strict given', 'invalid-argument');
      if (elements.length > 1) throw new ValueError('policy match: policy none but policy given', 'invalid-argument');
    } else s.elements = elements;
    s.elements.forEach((el, i) => {
      if (s.strict && isEmpty(el))
        throw new ValueError(`policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`,
          'invalid-argument');
      if ((el.tunnelSrc || el.tunnelDst) && (el.mode?.value === 'tunnel') === (el.mode?.invert ?? false))
        throw new ValueError('policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode', 'invalid-argument', 'add --mode tunnel');
    });
    xtFcheck('policy', options, [{ name: 'next', also: ['strict'] }]);
    return s;
  },
  kernelCheck(state, _rule, { hooks }) {
    const s = state;
    const bad: Hook[] = s.dir === 'out' ? ['PREROUTING', 'INPUT'] : ['POSTROUTING', 'OUTPUT'];
    for (const h of bad) {
      if (hooks.has(h)) return `policy: --dir ${s.dir} is not valid in ${h}; use --dir ${s.dir === 'out' ? 'in' : 'out'} there`;
    }
    return null;
  },
  save(m) {
    const s = m.state;
    let out = ` --dir ${s.dir} --pol ${s.pol}`;
    if (s.strict) out += ' --strict';
    s.elements.forEach((e, i) => {
      if (i > 0) out += ' --next';
      if (e.reqid) out += `${e.reqid.invert ? ' !' : ''} --reqid ${e.reqid.value}`;
      if (e.spi) out += `${e.spi.invert ? ' !' : ''} --spi 0x${e.spi.value.toString(16)}`;
      if (e.proto) out += `${e.proto.invert ? ' !' : ''} --proto ${protocolName(e.proto.num)}`;
      if (e.mode) out += `${e.mode.invert ? ' !' : ''} --mode ${e.mode.value}`;
      if (e.tunnelDst) out += `${e.tunnelDst.invert ? ' !' : ''} --tunnel-dst ${formatTunnel(e.tunnelDst)}`;
      if (e.tunnelSrc) out += `${e.tunnelSrc.invert ? ' !' : ''} --tunnel-src ${formatTunnel(e.tunnelSrc)}`;
    });
    return out;
  },
};
