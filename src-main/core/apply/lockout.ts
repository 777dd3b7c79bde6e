// Will a NEW SSH connection from where the server sees us still get in?
// A TCP SYN from the client address to the SSH port walks the INPUT path of the
// ruleset that would run; it must be ACCEPTed in every outcome the tracer
// finds, and still be addressed to this host's SSH port when it arrives (a DNAT
// or REDIRECT of port 22 sends it elsewhere, even when every chain accepts).
// This is the lint's `ssh-lockout` check, with what the apply knows besides:
// the interface the client's packets arrive on and the host's own addresses.
import type { Ruleset } from '../model.js';
import type { Finding } from '../findings.js';
import { describeGiveUp, packetFromSpec, tracePacket, TraceInputError, type TraceOutcome } from '../trace.js';

export interface LockoutQuery {
  /** the client address as the server reports it for this session (SSH_CONNECTION) */
  client: string | undefined;
  /** the server address of this session (SSH_CONNECTION) */
  server?: string;
  sshPort: number;
  /** the interface the client's packets come in on (`ip route get CLIENT` on the host) */
  inIface?: string;
  /** every address of the host */
  local?: readonly string[];
}

export type LockoutVerdict =
  | { kind: 'open'; note?: string }
  | { kind: 'locked'; all: boolean; reasons: string[]; finding: Finding }
  | { kind: 'unknown'; reason: string };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function describe(o: Pick<TraceOutcome, 'verdict' | 'decidedBy' | 'condition' | 'path' | 'hooks'>, port: number): string | null {
  const by = o.decidedBy ? `${o.decidedBy.table} ${o.decidedBy.chain} #${o.decidedBy.index}${o.decidedBy.line ? ` (line ${o.decidedBy.line})` : ''}` : 'the chain policy';
  const when = o.condition ? ` if ${o.condition}` : '';
  if (o.verdict !== 'ACCEPT') return `${o.verdict} by ${by}${when}`;
  const moved = o.path.find((s) => /^(DNAT|REDIRECT|NETMAP) to /.test(s.action));
  if (moved) return `re-addressed by ${moved.table} ${moved.chain} #${moved.index} (${moved.action}) instead of reaching sshd on port ${port}${when}`;
  if (!o.hooks.includes('INPUT')) return `not delivered to this host (it would be forwarded)${when}`;
  return null;
}

export function predictLockout(rs: Ruleset, q: LockoutQuery): LockoutVerdict {
  if (!q.client) return { kind: 'unknown', reason: 'the server did not report the client address (no SSH_CONNECTION)' };
  if (!IPV4.test(q.client)) return { kind: 'open', note: `the session comes from ${q.client}, not IPv4: the IPv4 ruleset does not filter it` };
  const server = q.server && IPV4.test(q.server) ? q.server : undefined;
  const local = [...new Set([...(server ? [server] : []), ...(q.local ?? []).filter((a) => IPV4.test(a))])];
  let pkt;
  try {
    pkt = packetFromSpec({ src: q.client, dst: server, proto: 'tcp', dport: q.sshPort, state: 'NEW', tcpFlags: 'SYN', inIface: q.inIface });
  } catch (e) {
    if (e instanceof TraceInputError) return { kind: 'unknown', reason: e.message };
    throw e;
  }
  if (!q.inIface && pkt.src !== undefined && pkt.src >>> 24 !== 127) pkt.notInIfaces = ['lo'];
  const res = tracePacket(rs, pkt, { hook: 'INPUT', ...(local.length ? { local } : {}) });
  if (res.unknown) {
    // the walk gave up: never guess in either direction
    const seen = [...new Set((res.outcomes ?? []).map((o) => describe(o, q.sshPort)).filter((r): r is string => r !== null))];
    return { kind: 'unknown', reason: `the lockout check ${describeGiveUp(res.unknown)}${seen.length ? ` (ways found before that refuse it: ${seen.slice(0, 3).join('; ')})` : ''}` };
  }
  const outcomes = res.outcomes ?? [{ verdict: res.verdict as TraceOutcome['verdict'], decidedBy: res.decidedBy, condition: '', conditions: [], path: res.path, hooks: res.hooks }];
  const reasons = [...new Set(outcomes.map((o) => describe(o, q.sshPort)).filter((r): r is string => r !== null))];
  if (!reasons.length) return { kind: 'open' };
  const bad = outcomes.filter((o) => describe(o, q.sshPort) !== null);
  const all = bad.length === outcomes.length;
  const first = bad[0]?.decidedBy ?? null;
  const message = `${all ? 'a new SSH connection' : 'a new SSH connection may be refused'} from ${q.client} to port ${q.sshPort}${all ? ' would not get in' : ''}: ${reasons.join('; ')}`;
  return {
    kind: 'locked',
    all,
    reasons,
    finding: {
      code: 'ssh-lockout',
      severity: 'error',
      message,
      line: first?.line ?? 0,
      ...(first ? { table: first.table, chain: first.chain, index: first.index } : {}),
      fix: `accept it before that point, e.g. -A INPUT -s ${q.client}/32 -p tcp --dport ${q.sshPort} -j ACCEPT near the top of INPUT`,
    },
  };
}
