// Match extensions, group B (one file each; add the import and the list entry here).
import type { Extension } from './types.js';
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

export const MATCHES_B: Extension[] = [mark, connmark, owner, statistic, addrtype, length, ttl, tos, physdev, pkttype,
  set, string, time, policy, u32, helper, quota, tcpmss, connbytes, rpfilter, dscp, ecn];
