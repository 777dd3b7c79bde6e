// Every extension Portcullis models, one file each (like iptables' libxt_*.c).
// Importing this module registers them all.
import { registerExtensions } from './registry.js';
import type { Extension } from './types.js';
import { standardTargets } from './target-standard.js';
import { tcp } from './match-tcp.js';
import { udp } from './match-udp.js';
import { comment } from './match-comment.js';
import { MATCHES_A } from './matches-a.js';
import { MATCHES_B } from './matches-b.js';
import { TARGETS } from './targets.js';

export const ALL_EXTENSIONS: Extension[] = [
  ...standardTargets,
  tcp,
  udp,
  comment,
  ...MATCHES_A,
  ...MATCHES_B,
  ...TARGETS,
];

registerExtensions(ALL_EXTENSIONS);
