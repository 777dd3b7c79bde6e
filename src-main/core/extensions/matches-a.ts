// Match extensions, group A (one file each; add the import and the list entry here).
import type { Extension } from './types.js';
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
import { MATCHES_IPV6 } from './matches-ipv6.js';

export const MATCHES_A: Extension[] = [icmp, multiport, state, conntrack, limit, hashlimit, connlimit, recent, iprange, mac, esp, ah, ...MATCHES_IPV6];
