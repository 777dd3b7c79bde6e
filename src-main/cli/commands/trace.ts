// portcullis trace FILE --src IP --dst IP --proto P … — where would this packet go?
import {
  describeTrace, formatFinding, hasErrors, tracePacket, TraceInputError, type TraceHook, type TraceResult, type TraceStep,
} from '../../core/index.js';
import { flag, int, list, parseArgs, str, UsageError } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { registerCommand } from './index.js';
import { FAMILY_OPTION, familyArg, loadRuleset } from './read-ruleset.js';

const usage = `usage: portcullis trace FILE --src IP --dst IP --proto P [--sport N] [--dport N]
                       [--in IF] [--out IF] [--state S] [--icmp-type T] [--tcp-flags F,…] [--hl N]
                       [--local [IF=]IP[/LEN],…] [--route NET/LEN=IF,…] [--hook H] [--family 4|6]
                       [--max-steps N] [--json]

Walks one packet through the ruleset the way the kernel would: raw, mangle,
nat (first packet of a connection only), filter and security, hook by hook,
following jumps, gotos and RETURN, until a verdict. Where the answer depends
on history or chance (limit, statistic, recent …) or on something you did not
say (no --in), every possible outcome is shown with its condition.

  --src, --dst    IPv4 addresses, or IPv6 ones for an ip6tables ruleset
                  (2001:db8::1, no brackets)
  --proto P       tcp, udp, icmp (ICMPv6 in an ip6tables ruleset; also
                  icmpv6, ipv6-icmp), or a protocol number
  --state S       NEW (default), ESTABLISHED, RELATED, INVALID, UNTRACKED
  --icmp-type T   a number, T/CODE, or a name (echo-request); default echo-request;
                  ICMPv6 names as ip6tables knows them (neighbour-solicitation,
                  router-advertisement, packet-too-big …)
  --hl N          IPv6 hop limit (for -m hl; default open, 255 for neighbour
                  and router discovery)
  --tcp-flags F   e.g. SYN or ACK,PSH (default SYN for NEW, ACK otherwise)
  --local [IF=]IP[/LEN],…  the host's own addresses (a DNAT elsewhere means
                  FORWARD); IF=IP also says which interface has it: an
                  interface's first address is where REDIRECT sends packets
                  arriving on it and the source MASQUERADE gives packets
                  leaving by it (IPv6: REDIRECT takes the interface's first
                  address as \`ip -6 addr show dev IF\` lists it — global ones
                  before link-local, the newest first — so give them in that
                  order; MASQUERADE picks as the kernel does: scope, the
                  outgoing interface, label, then the longest common prefix
                  with the destination counted up to the address's /LEN, /64
                  where not given). /LEN also makes the on-link prefix, whose
                  network address addrtype calls ANYCAST
  --route NET/LEN=IF,…  the host's routes (or default=IF): the interface a
                  forwarded packet leaves by when --out is not given; IPv6
                  addrtype UNREACHABLE is an address no route (nor on-link
                  prefix) covers
  --hook H        INPUT, FORWARD or OUTPUT (default: INPUT with only --in,
                  FORWARD with --in and --out, OUTPUT with only --out)
  --family F      4 (iptables) or 6 (ip6tables; inferred from the file's name or
                  content); addresses, --local and --route follow the family
  --json          {"verdict","decidedBy":{"table","chain","index","line"}|null,"path":[…],
                   "packet":{"src","dst","sport","dport"},"outcomes":[…]}
                  (packet: as it leaves, after every NAT; null where not known)

A packet of an ESTABLISHED connection does not pass through nat: it gets the
translation its connection's first packet got under this ruleset. A RELATED
ICMP error gets the translation of the connection it is about (one between the
same addresses: TCP, UDP or ping, any ports — each translation one of them
could have got is an outcome); a RELATED connection of its own (FTP data)
passes through nat as a new one.

The walk merges ways that reach the same rule in the same state and works
within a budget (--max-steps, default 50,000 plus 20 per rule). When the
budget runs out, or a crafted ruleset has more than 256 distinct outcomes,
the verdict is UNKNOWN — never a guess — and JSON has
  "verdict":"UNKNOWN","decidedBy":null,"truncated":true,
  "unknown":{"reason","table","chain","index","line"}   (where it gave up)
  "outcomes":[…]                                        (found before; incomplete)

  --max-steps N   the budget, in rules looked at and branches made

Exit status: 0 traced, 1 the ruleset is invalid, 2 bad options or unreadable file.`;

const HOOKS: readonly TraceHook[] = ['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING'];

registerCommand({
  name: 'trace',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, {
      src: { type: 'string' }, dst: { type: 'string' }, proto: { type: 'string', short: 'p' },
      sport: { type: 'string' }, dport: { type: 'string' }, in: { type: 'string', short: 'i' }, out: { type: 'string', short: 'o' },
      state: { type: 'string' }, 'icmp-type': { type: 'string' }, 'tcp-flags': { type: 'string' }, hl: { type: 'string' },
      local: { type: 'string', multiple: true }, route: { type: 'string', multiple: true }, hook: { type: 'string' }, json: { type: 'boolean' }, ...FAMILY_OPTION,
      'max-steps': { type: 'string' },
    });
    if (args.positionals.length !== 1) throw new UsageError('give exactly one FILE');
    for (const req of ['src', 'dst', 'proto']) if (str(args, req) === undefined) throw new UsageError(`--${req} is required`);
    const hookArg = str(args, 'hook')?.toUpperCase();
    if (hookArg !== undefined && !HOOKS.includes(hookArg as TraceHook)) throw new UsageError(`--hook must be one of ${HOOKS.join(', ')}, not "${hookArg}"`);
    const hook = hookArg === 'PREROUTING' ? 'INPUT' : (hookArg as TraceHook | undefined);
    const local = list(args, 'local').flatMap((s) => s.split(',')).filter((s) => s !== '');
    const routes = list(args, 'route').flatMap((s) => s.split(',')).filter((s) => s !== '');
    const spec = {
      src: str(args, 'src'), dst: str(args, 'dst'), proto: str(args, 'proto')!,
      sport: int(args, 'sport', 0, 65535), dport: int(args, 'dport', 0, 65535),
      inIface: str(args, 'in'), outIface: str(args, 'out'), state: str(args, 'state'),
      icmpType: str(args, 'icmp-type'), tcpFlags: str(args, 'tcp-flags'), hopLimit: int(args, 'hl', 0, 255),
    };
    const file = args.positionals[0];
    const loaded = loadRuleset(io, file, familyArg(args));
    if (!loaded.ok) return loaded.exit;
    const errors = loaded.result.findings.filter((f) => f.severity === 'error');
    if (hasErrors(errors)) {
      for (const f of errors) io.err(escapeControls(formatFinding(file === '-' ? '<stdin>' : file, f)) + '\n');
      io.err('the ruleset is invalid: iptables-restore would not load it, so there is nothing to trace\n');
      return 1;
    }
    let res: TraceResult;
    try {
      const maxSteps = int(args, 'max-steps', 1, 1_000_000_000);
      res = tracePacket(loaded.result.ruleset, spec, { local: local.length ? local : undefined, routes, hook, ...(maxSteps !== undefined ? { maxSteps } : {}) });
    } catch (e) {
      if (e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    if (flag(args, 'json')) io.out(jsonText(res, 2) + '\n');
    else printHuman(io, res, spec);
    return 0;
  },
});

function stepLine(s: TraceStep): string {
  const at = s.index === null ? `${s.table} ${s.chain}` : `${s.table} ${s.chain} #${s.index}`;
  const line = s.line ? ` (line ${s.line})` : '';
  const rule = s.rule ? `: ${s.rule}` : '';
  return `  ${at}${line}${rule} → ${s.action}\n`;
}

/** `addr:port`, an IPv6 address in brackets when a port follows (as ip6tables and URLs write it). */
const hostPort = (addr: string | undefined, port: string) => (port && addr?.includes(':') ? `[${addr}]${port}` : `${addr}${port}`);

function printHuman(io: CliIO, res: TraceResult, spec: { src?: string; dst?: string; proto: string; sport?: number; dport?: number; inIface?: string; outIface?: string; state?: string }): void {
  const port = (p?: number) => (p !== undefined ? `:${p}` : '');
  let head = `packet: ${spec.proto} ${hostPort(spec.src, port(spec.sport))} → ${hostPort(spec.dst, port(spec.dport))}`;
  if (spec.inIface) head += `, in ${spec.inIface}`;
  if (spec.outIface) head += `, out ${spec.outIface}`;
  head += `, state ${(spec.state ?? 'NEW').toUpperCase()}`;
  let out = escapeControls(head) + '\n';
  out += `hooks: ${res.hooks.join(' → ')}\n`;
  if (res.path.length) out += (res.outcomes ? 'every outcome:\n' : 'path:\n') + res.path.map(stepLine).join('');
  if (res.unknown) {
    const shown = res.outcomes?.slice(0, 10) ?? [];
    if (shown.length) out += `outcomes found before the walk gave up (incomplete${res.outcomes!.length > shown.length ? `, ${shown.length} of ${res.outcomes!.length} shown` : ''}):\n`;
    for (const o of shown) out += `  ${o.verdict}${o.decidedBy ? ` by ${o.decidedBy.table} ${o.decidedBy.chain} #${o.decidedBy.index}` : ' by the policy'}${o.condition ? ` if ${o.condition}` : ''}\n`;
  } else if (res.outcomes) {
    res.outcomes.forEach((o, k) => {
      out += `outcome ${k + 1}${o.condition ? ` — if ${o.condition}` : ''}:\n`;
      out += o.path.slice(res.path.length).map(stepLine).join('');
      out += `  verdict: ${o.verdict}${o.hooks.join() !== res.hooks.join() ? ` (hooks ${o.hooks.join(' → ')})` : ''}\n`;
    });
    if (res.truncated) out += '(the walk forked too often; not every outcome is shown)\n';
  }
  const after = res.packet;
  if (after && (after.src !== spec.src || after.dst !== spec.dst || after.sport !== (spec.sport ?? after.sport) || after.dport !== (spec.dport ?? after.dport))) {
    const pt = (p?: number | null) => (p === undefined ? '' : `:${p ?? '?'}`);
    out += `after NAT: ${hostPort(after.src ?? '?', pt(after.sport))} → ${hostPort(after.dst ?? '?', pt(after.dport))}\n`;
  }
  out += `verdict: ${describeTrace(res)}\n`;
  io.out(escapeControls(out));
}
