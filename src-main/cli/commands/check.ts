// portcullis check FILE… — validate rulesets as iptables-restore would.
import { hasErrors } from '../../core/index.js';
import { flag, parseArgs, UsageError } from '../args.js';
import { registerCommand } from './index.js';
import { loadRuleset, printFindings } from './read-ruleset.js';

const usage = `usage: portcullis check FILE… [--verbose]

Checks each ruleset file (iptables-save format, e.g. /etc/sysconfig/iptables)
the way iptables-restore would, without touching any firewall. Problems go to
stderr as FILE:LINE:COL: error: MESSAGE, on the line iptables-restore names.
Use - to read standard input.

  --verbose   also print notes (rules kept as written, lines ignored)

Exit status: 0 every file is valid, 1 some file is invalid, 2 a file could not be read.`;

registerCommand({
  name: 'check',
  summary: 'validate ruleset files as iptables-restore would',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, { verbose: { type: 'boolean', short: 'v' } });
    if (args.positionals.length === 0) throw new UsageError('give at least one FILE');
    let exit = 0;
    for (const file of args.positionals) {
      const loaded = loadRuleset(io, file);
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
