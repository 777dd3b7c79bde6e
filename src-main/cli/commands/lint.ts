// portcullis lint FILE — what an experienced admin would point out in a ruleset.
import { hasErrors, lintPair, lintParsed, type Finding, type PairFinding } from '../../core/index.js';
import { ruleCount } from '../../core/model.js';
import { addressFamily } from '../../core/apply/lockout.js';
import { flag, int, list, parseArgs, str, UsageError, type ParsedArgs } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { registerCommand } from './index.js';
import { FAMILY_OPTION, familyArg, loadRuleset } from './read-ruleset.js';
import { HeapPacer } from '../heap-pacer.js';

/** Notes (info findings) of one code listed in the text view before the rest are only counted. */
const NOTE_LIMIT = 20;
/** Rules from which the lint paces full collections (HeapPacer). */
const BIG = 20_000;

const usage = `usage: portcullis lint FILE [--family 4|6] [--client IP] [--ssh-port N] [--local IP,…] [--json] [--verbose]

Checks a ruleset (iptables-save format) for rules that can never match,
rules in the wrong table, unused or missing chains, obsolete matches, uneven
load balancing, rate limits that drop nothing, DNAT port mix-ups, missing
ESTABLISHED accepts, trust in source ports, and — with --client — whether a new
SSH connection from your address would still be accepted.

  --client IP     your address as the server sees it (IPv4 or IPv6): check for
                  an SSH lockout, with the same prediction apply refuses on (a
                  client of the other family is not filtered by this ruleset:
                  no finding)
  --ssh-port N    the server's SSH port (default 22)
  --local IP,…    the server's own addresses (DNAT and addrtype decisions; the
                  first one of the ruleset's family is the address SSH goes to)
  --family F      4 (iptables) or 6 (ip6tables); without it, inferred from the
                  file's name (rules.v6, ip6tables) or content, else 4
  --pair V4 V6    lint a host's two rulesets together (FILE is then not given):
                  each file's own findings, and what differs between them —
                  a DROP default on one family but ACCEPT on the other, a port
                  open to everyone on one that the other restricts, SSH
                  rate-limited on one only
  --json          {"findings":[{"code","severity","line","table","chain","index","message","fix"}]}
  --verbose       also show parser notes (rules kept as written, lines ignored)
                  and every note: without it, after ${NOTE_LIMIT} notes of one kind (say
                  redundant-rule) the rest are counted, not listed; errors and
                  warnings are always listed, and --json always has everything

Exit status: 0 no error-severity finding, 1 some error (parse errors count),
2 the file could not be read or the options are wrong.`;

// parser notes that say nothing about the ruleset's meaning
const NOTES = new Set(['unknown-extension', 'ignored-line']);

registerCommand({
  name: 'lint',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, {
      client: { type: 'string' }, 'ssh-port': { type: 'string' }, local: { type: 'string', multiple: true },
      json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, ...FAMILY_OPTION, pair: { type: 'boolean' },
    });
    if (flag(args, 'pair')) return runPair(args, io);
    if (args.positionals.length !== 1) throw new UsageError('give exactly one FILE');
    const client = str(args, 'client');
    if (client !== undefined && !addressFamily(client)) throw new UsageError(`--client must be an IPv4 or IPv6 address, not "${client}"`);
    const sshPort = int(args, 'ssh-port', 1, 65535);
    if (sshPort !== undefined && client === undefined) throw new UsageError('--ssh-port needs --client');
    const local = list(args, 'local').flatMap((s) => s.split(',')).filter((s) => s !== '');
    for (const a of local) if (!addressFamily(a)) throw new UsageError(`--local must list IPv4 or IPv6 addresses, not "${a}"`);
    const file = args.positionals[0];
    const loaded = loadRuleset(io, file, familyArg(args), false);
    if (!loaded.ok) return loaded.exit;
    const verbose = flag(args, 'verbose');
    // a big model's lint collects its garbage as it goes (heap-pacer.ts); a small one's is not worth a collection
    const pacer = ruleCount(loaded.result.ruleset) >= BIG ? new HeapPacer() : null;
    const findings = lintParsed(loaded.result, { client, sshPort, local: local.length ? local : undefined, checked: pacer ? (n) => pacer.step(n) : undefined })
      .filter((f) => verbose || !(f.severity === 'info' && NOTES.has(f.code)));
    if (flag(args, 'json')) {
      io.out(jsonText({ findings: findings.map(toJson) }, 2) + '\n');
    } else {
      const name = escapeControls(file === '-' ? '<stdin>' : file);
      // written in large pieces: one write per finding costs more than the lint on big files
      let buf = '';
      const notes = new Map<string, number>();
      for (const f of findings) {
        if (f.severity === 'info' && !verbose) {
          const n = (notes.get(f.code) ?? 0) + 1;
          notes.set(f.code, n);
          if (n > NOTE_LIMIT) continue;
        }
        buf += formatLint(name, f);
        if (buf.length > 65536) { io.out(buf); buf = ''; }
      }
      for (const [code, n] of notes) {
        if (n > NOTE_LIMIT) buf += `${name}: … and ${n - NOTE_LIMIT} more [${code}] note(s) not shown (--verbose or --json lists them all)\n`;
      }
      if (buf) io.out(buf);
      const count = (s: string) => findings.filter((f) => f.severity === s).length;
      io.out(findings.length === 0 ? `${name}: no findings\n` : `${name}: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s)\n`);
    }
    return hasErrors(findings) ? 1 : 0;
  },
});

function toJson(f: Finding) {
  return {
    code: f.code, severity: f.severity, line: f.line, table: f.table ?? null, chain: f.chain ?? null, index: f.index ?? null,
    message: f.message, ...(f.fix ? { fix: f.fix } : {}),
  };
}

function formatLint(file: string, f: Finding): string {
  const where = f.col ? `${file}:${f.line}:${f.col}` : `${file}:${f.line}`;
  const place = f.chain ? ` ${f.table ?? ''}/${escapeControls(f.chain)}${f.index ? ` #${f.index}` : ''}` : '';
  let out = `${where}: ${f.severity}: [${f.code}]${place}: ${escapeControls(f.message)}\n`;
  if (f.fix) out += `    fix: ${escapeControls(f.fix)}\n`;
  return out;
}

/** lint --pair V4 V6: both files' findings and the pair's, each under its file's name. */
function runPair(args: ParsedArgs, io: CliIO): number {
  if (args.positionals.length !== 2) throw new UsageError('--pair takes two files: the IPv4 ruleset, then the IPv6 one');
  if (str(args, 'family') !== undefined) throw new UsageError('--pair reads the first file as IPv4 and the second as IPv6: leave --family out');
  if (str(args, 'client') !== undefined) throw new UsageError('--client goes with one file: lint each file for a lockout');
  const [f4, f6] = args.positionals;
  const l4 = loadRuleset(io, f4, 'ipv4', false);
  if (!l4.ok) return l4.exit;
  const l6 = loadRuleset(io, f6, 'ipv6', false);
  if (!l6.ok) return l6.exit;
  const verbose = flag(args, 'verbose');
  const keep = (f: Finding) => verbose || !(f.severity === 'info' && NOTES.has(f.code));
  const all: Array<{ file: string; f: Finding }> = [
    ...lintParsed(l4.result).filter(keep).map((f) => ({ file: f4, f })),
    ...lintParsed(l6.result).filter(keep).map((f) => ({ file: f6, f })),
  ];
  const sshPort = int(args, 'ssh-port', 1, 65535);
  // the pair's findings only when both files load: a broken file's rules say nothing
  const pair: PairFinding[] = hasErrors(l4.result.findings) || hasErrors(l6.result.findings) ? [] : lintPair(l4.result.ruleset, l6.result.ruleset, { sshPort });
  for (const p of pair) all.push({ file: p.family === 'ipv4' ? f4 : f6, f: p });
  if (flag(args, 'json')) {
    io.out(jsonText({ findings: all.map(({ file, f }) => ({ file: file === '-' ? '<stdin>' : file, ...toJson(f) })) }, 2) + '\n');
  } else {
    let buf = '';
    for (const { file, f } of all) buf += formatLint(escapeControls(file === '-' ? '<stdin>' : file), f);
    const count = (s: string) => all.filter((x) => x.f.severity === s).length;
    buf += `${escapeControls(f4)} + ${escapeControls(f6)}: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s); ${pair.length} about the pair\n`;
    io.out(buf);
  }
  return all.some((x) => x.f.severity === 'error') ? 1 : 0;
}
