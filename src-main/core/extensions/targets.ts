// Target extensions (one file each; add the import and the list entry here).
// The IPv6-only ones (HL, DNPT, SNPT) say so with `families`.
import type { Extension } from './types.js';
import { reject } from './target-reject.js';
import { log } from './target-log.js';
import { dnat } from './target-dnat.js';
import { snat } from './target-snat.js';
import { masquerade } from './target-masquerade.js';
import { redirect } from './target-redirect.js';
import { netmap } from './target-netmap.js';
import { mark } from './target-mark.js';
import { connmark } from './target-connmark.js';
import { tcpmss } from './target-tcpmss.js';
import { notrack } from './target-notrack.js';
import { ct } from './target-ct.js';
import { trace } from './target-trace.js';
import { nflog } from './target-nflog.js';
import { nfqueue } from './target-nfqueue.js';
import { tos } from './target-tos.js';
import { ttl } from './target-ttl.js';
import { dscp } from './target-dscp.js';
import { classify } from './target-classify.js';
import { checksum } from './target-checksum.js';
import { audit } from './target-audit.js';
import { tee } from './target-tee.js';
import { tcpoptstrip } from './target-tcpoptstrip.js';
import { hlTarget } from './target-hl.js';
import { dnpt, snpt } from './target-npt.js';

export const TARGETS: Extension[] = [
  hlTarget,
  dnpt,
  snpt,
  reject,
  log,
  dnat,
  snat,
  masquerade,
  redirect,
  netmap,
  mark,
  connmark,
  tcpmss,
  notrack,
  ct,
  trace,
  nflog,
  nfqueue,
  tos,
  ttl,
  dscp,
  classify,
  checksum,
  audit,
  tee,
  tcpoptstrip,
];
