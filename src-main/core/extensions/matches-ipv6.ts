// Matches that exist in ip6tables only (libip6t_*), one file each; add the import and the list entry here.
import type { Extension } from './types.js';
import { icmp6 } from './match-icmp6.js';
import { hl } from './match-hl.js';
import { hbh, dst } from './match-ip6opts.js';
import { frag } from './match-frag.js';
import { rt } from './match-rt.js';
import { ipv6header } from './match-ipv6header.js';
import { mh } from './match-mh.js';
import { eui64 } from './match-eui64.js';
import { srh } from './match-srh.js';
import { hlTarget } from './target-hl.js';
import { dnpt, snpt } from './target-npt.js';

export const MATCHES_IPV6: Extension[] = [icmp6, hl, hbh, dst, frag, rt, ipv6header, mh, eui64, srh, hlTarget, dnpt, snpt];
