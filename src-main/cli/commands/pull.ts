// `portcullis pull HOST`: the saved ruleset byte for byte (default) or the
// running rules (--live), IPv6 with --ipv6; all of them with hashes in --json.
import { writeFileSync } from 'node:fs';
import { registerCommand } from './index.js';
import { flag, parseArgs, str, UsageError } from '../args.js';
import { escapeControls, jsonText } from '../io.js';
import { HOST_OPTIONS, HOST_OPTIONS_USAGE, reportHostError, sessionOptionsFrom, withSession } from './facts.js';
import type { PulledText } from '../../host/index.js';
import { pairOfPull } from './pull-pair.js';

registerCommand({
  name: 'pull',
  usage: `usage: portcullis pull HOST [--live [--counters]] [--ipv6] [--output F] [--json] [host options]

One round trip fetches /etc/sysconfig/iptables and ip6tables (byte for byte)
and the running rules (iptables-save, ip6tables-save). Prints the saved file,
or with --live the running rules (--counters keeps packet counters), with
--ipv6 the IPv6 equivalent. --output F writes the bytes to F (mode 0600)
instead. --json prints everything with sha256 hashes: "sha256" of the bytes,
and for running rules "rulesSha256", which ignores comments and counters, and
"pair": the findings of \`lint --pair\` on the host's IPv4 and IPv6 rulesets
(the saved files, else the running rules); without --json they go to stderr.
Needs root on the host (root login, or sudo: --sudo, --password-stdin).

${HOST_OPTIONS_USAGE}`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      ...HOST_OPTIONS,
      live: { type: 'boolean' },
      counters: { type: 'boolean' },
      ipv6: { type: 'boolean', short: '6' },
      output: { type: 'string', short: 'o' },
    });
    if (args.positionals.length !== 1) throw new UsageError('pull needs exactly one HOST');
    const json = flag(args, 'json');
    const live = flag(args, 'live');
    if (flag(args, 'counters') && !live) throw new UsageError('--counters goes with --live');
    const output = str(args, 'output');
    if (output && json) throw new UsageError('--output and --json exclude each other');
    const opts = sessionOptionsFrom(args, io);
    try {
      const result = await withSession(args.positionals[0], opts, (s) => s.pull({ counters: flag(args, 'counters') }));
      const v6 = flag(args, 'ipv6');
      const chosen: PulledText = live ? (v6 ? result.live6 : result.live) : v6 ? result.saved6 : result.saved;
      if (json) {
        const strip = ({ bytes: _b, ...rest }: PulledText) => rest;
        io.out(
          jsonText(
            {
              host: result.host,
              takenAt: result.takenAt,
              counters: result.counters,
              saved: strip(result.saved),
              saved6: strip(result.saved6),
              live: strip(result.live),
              live6: strip(result.live6),
              pair: pairOfPull(result),
            },
            2,
          ) + '\n',
        );
      }
      if (!chosen.present || !chosen.ok) {
        const why = !chosen.present
          ? live
            ? `${chosen.source.split(' ')[0]} is not installed on ${result.host}`
            : `there is no ${chosen.source} on ${result.host}${v6 ? '' : ' (is iptables-services installed? see `portcullis facts`)'}`
          : `cannot read ${chosen.source} on ${result.host}: ${chosen.error}`;
        io.err(`portcullis pull: ${escapeControls(why)}\n`);
        return 2;
      }
      if (json) return 0;
      // what differs between the host's two firewalls, said beside the rules
      const pair = pairOfPull(result);
      for (const f of pair?.findings ?? [])
        io.err(`portcullis pull: ${escapeControls(`${result.host} ${f.family === 'ipv6' ? 'IPv6' : 'IPv4'} (${pair!.source}):${f.line}: ${f.severity}: [${f.code}] ${f.message}`)}\n`);
      if (output) {
        writeFileSync(output, chosen.bytes, { mode: 0o600 });
        io.err(`portcullis pull: wrote ${chosen.size} bytes of ${chosen.source} to ${escapeControls(output)} (sha256 ${chosen.sha256})\n`);
        return 0;
      }
      // byte-exact into a pipe or file; a terminal gets control characters escaped
      io.out(io.tty ? escapeControls(chosen.text) : chosen.text);
      return 0;
    } catch (e) {
      return reportHostError(e, 'pull', io, json);
    }
  },
});
