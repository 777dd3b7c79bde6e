// portcullis check FILE… — validate rulesets as iptables-restore would.
import { hasErrors } from '../../core/index.js';
import { flag, parseArgs, UsageError } from '../args.js';
import { registerCommand } from './index.js';
import { FAMILY_OPTION, familyArg, loadRuleset, printFindings } from './read-ruleset.js';

const usage = `usage: portcullis check FILE… [--family 4|6] [--verbose]

Checks each ruleset file (iptables-save format, e.g. /etc/sysconfig/iptables)
the way iptables-restore would, without touching any firewall. Problems go to
stderr as FILE:LINE:COL: error: MESSAGE, on the line iptables-restore names.
Use - to read standard input.

  --family F  4 (iptables, IPv4) or 6 (ip6tables, IPv6); without it a file named
              rules.v6 or ip6tables, or one that only IPv6 rules can be, is read
              as IPv6 (said on stderr), any other as IPv4
  --verbose   also print notes (rules kept as written, lines ignored)

Exit status: 0 every file is valid, 1 some file is invalid, 2 a file could not be read.`;

registerCommand({
  name: 'check',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, { verbose: { type: 'boolean', short: 'v' }, ...FAMILY_OPTION });
    const family = familyArg(args);
    if (args.positionals.length === 0) throw new UsageError('give at least one FILE');
    let exit = 0;
    for (const file of args.positionals) {
      const loaded = loadRuleset(io, file, family);
      if (!loaded.ok) {
        exit = Math.max(exit, loaded.exit);
        continue;
      }
      printFindings(io, file, loaded.result.findings, flag(args, 'verbose'));
      if (hasErrors(loaded.result.findings)) exit = Math.max(exit, 1);
    }
    return exit;
  },
});
