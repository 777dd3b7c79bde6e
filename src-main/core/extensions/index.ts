// Every extension Portcullis models, one file each (like iptables' libxt_*.c).
// Importing this module registers them all. A new match: its file
// (match-NAME.ts), one import and one entry in MATCHES below; a new target:
// targets.ts. The order is the order the app lists them in.
import { registerExtensions } from './registry.js';
import type { Extension, MatchExtension } from './types.js';
import { standardTargets } from './target-standard.js';
import { tcp } from './match-tcp.js';
import { udp } from './match-udp.js';
import { comment } from './match-comment.js';
import { icmp } from './match-icmp.js';
import { multiport } from './match-multiport.js';
import { state } from './match-state.js';
import { conntrack } from './match-conntrack.js';
import { limit } from './match-limit.js';
import { hashlimit } from './match-hashlimit.js';
import { connlimit } from './match-connlimit.js';
import { recent } from './match-recent.js';
import { iprange } from './match-iprange.js';
import { mac } from './match-mac.js';
import { esp } from './match-esp.js';
import { ah } from './match-ah.js';
import { icmp6 } from './match-icmp6.js';
import { hl } from './match-hl.js';
import { hbh, dst } from './match-ip6opts.js';
import { frag } from './match-frag.js';
import { rt } from './match-rt.js';
import { ipv6header } from './match-ipv6header.js';
import { mh } from './match-mh.js';
import { eui64 } from './match-eui64.js';
import { srh } from './match-srh.js';
import { mark } from './match-mark.js';
import { connmark } from './match-connmark.js';
import { owner } from './match-owner.js';
import { statistic } from './match-statistic.js';
import { addrtype } from './match-addrtype.js';
import { length } from './match-length.js';
import { ttl } from './match-ttl.js';
import { tos } from './match-tos.js';
import { physdev } from './match-physdev.js';
import { pkttype } from './match-pkttype.js';
import { set } from './match-set.js';
import { string } from './match-string.js';
import { time } from './match-time.js';
import { policy } from './match-policy.js';
import { u32 } from './match-u32.js';
import { helper } from './match-helper.js';
import { quota } from './match-quota.js';
import { tcpmss } from './match-tcpmss.js';
import { connbytes } from './match-connbytes.js';
import { rpfilter } from './match-rpfilter.js';
import { dscp } from './match-dscp.js';
import { ecn } from './match-ecn.js';
import { TARGETS } from './targets.js';

/** Every match, one file each; the IPv4-only and IPv6-only ones say so with `families`. */
export const MATCHES: MatchExtension[] = [
  tcp, udp, comment, icmp, multiport, state, conntrack, limit, hashlimit, connlimit, recent, iprange, mac, esp, ah,
  icmp6, hl, hbh, dst, frag, rt, ipv6header, mh, eui64, srh,
  mark, connmark, owner, statistic, addrtype, length, ttl, tos, physdev, pkttype,
  set, string, time, policy, u32, helper, quota, tcpmss, connbytes, rpfilter, dscp, ecn,
];

const ALL_EXTENSIONS: Extension[] = [...standardTargets, ...MATCHES, ...TARGETS];

registerExtensions(ALL_EXTENSIONS);
