// Matches that exist in ip6tables only (libip6t_*), one file each; add the import and the list entry here.
import type { Extension } from './types.js';
import { icmp6 } from './match-icmp6.js';

export const MATCHES_IPV6: Extension[] = [icmp6];
