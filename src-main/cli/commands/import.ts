// portcullis import SCRIPT — turn pasted `iptables …` commands into a ruleset.
import { canonicalRuleset, hasErrors, importScript, type Family, type Finding } from '../../core/index.js';
import { flag, list, parseArgs, str, UsageError } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { registerCommand } from './index.js';
import { familyArg, readProblem } from './read-ruleset.js';

const usage = `usage: portcullis import SCRIPT [--define NAME=VALUE]… [--family 4|6] [--json]

Reads a shell script of iptables commands (as pasted from a how-to) the way sh
would — quotes, \\ continuation lines, # comments, $VARIABLES — and prints the
ruleset they build, in canonical iptables-save form, on stdout. Findings go to
stderr, each on the script's own line: mistyped commands, values lost after an
option, chains used without their -t table, obsolete matches, unknown options
(every problem of a line, not only the first), then the lint of the result.
Commands with a problem that changes their meaning are left out of the ruleset.
Other shell commands and commands that only list rules are noted and skipped.
Use - to read standard input.

  --define NAME=VALUE  value of a $VARIABLE the script uses (repeatable; wins over the script's own)
  --family F           4 (iptables commands) or 6 (ip6tables commands); without it, 6
                       when the script runs only ip6tables (said on stderr), else 4
  --json               {"findings":[{"code","severity","line","col","table","chain","index","message","fix"}],"ruleset":"…"} on stdout

Exit status: 0 no error-severity finding, 1 some error, 2 the script could not
be read or the options are wrong.`;

registerCommand({
  name: 'import',
  usage,
  run(argv, io) {
    const args = parseArgs(argv, {
      define: { type: 'string', multiple: true, short: 'D' },
      family: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (args.positionals.length !== 1) throw new UsageError('give exactly one SCRIPT');
    const defines: Record<string, string> = {};
    for (const d of list(args, 'define')) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(d);
      if (!m) throw new UsageError(`--define takes NAME=VALUE, not "${d}"`);
      defines[m[1]] = m[2];
    }
    const given = familyArg(args);

    const file = args.positionals[0];
    const name = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = io.readFile(file);
    } catch (e) {
      io.err(`${escapeControls(name)}: error: cannot read the file: ${readProblem(e)}\n`);
      return 2;
    }

    const family = given ?? scriptFamily(io, name, text);
    const result = importScript(text, { defines, family });
    const ruleset = canonicalRuleset(result.ruleset);
    if (flag(args, 'json')) {
      io.out(jsonText({ findings: result.findings.map(toJson), ruleset }, 2) + '\n');
    } else {
      // the ruleset is meant to be redirected into a file: keep it byte-exact unless it goes to a terminal
      io.out(io.tty ? escapeControls(ruleset) : ruleset);
      const shown = escapeControls(name);
      for (const f of result.findings) io.err(formatFinding(shown, f));
      const count = (s: string) => result.findings.filter((f) => f.severity === s).length;
      const imported = result.commands.filter((c) => c.status === 'imported').length;
      const leftOut = result.commands.filter((c) => c.status === 'left-out').length;
      io.err(`${shown}: ${imported} command(s) imported, ${leftOut} left out; ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s)\n`);
    }
    return hasErrors(result.findings) ? 1 : 0;
  },
});

/** A script that runs ip6tables and never iptables builds the IPv6 ruleset. */
function scriptFamily(io: CliIO, name: string, text: string): Family {
  const v6 = /(?:^|[\s;&|(`])(?:\S*\/)?ip6tables(?:-legacy|-nft)?(?=\s)/m.test(text);
  const v4 = /(?:^|[\s;&|(`])(?:\S*\/)?iptables(?:-legacy|-nft)?(?=\s)/m.test(text);
  if (v6 && !v4) {
    io.err(`${escapeControls(name)}: note: building the IPv6 (ip6tables) ruleset: the script runs ip6tables only (--family 4 builds the IPv4 one)\n`);
    return 'ipv6';
  }
  return 'ipv4';
}

function toJson(f: Finding) {
  return {
    code: f.code, severity: f.severity, line: f.line, ...(f.col ? { col: f.col } : {}), table: f.table ?? null, chain: f.chain ?? null,
    index: f.index ?? null, message: f.message, ...(f.fix ? { fix: f.fix } : {}),
  };
}

/** The same shape `portcullis lint` prints. */
function formatFinding(file: string, f: Finding): string {
  const where = f.col ? `${file}:${f.line}:${f.col}` : `${file}:${f.line}`;
  const place = f.chain ? ` ${f.table ?? ''}/${escapeControls(f.chain)}${f.index ? ` #${f.index}` : ''}` : '';
  let out = `${where}: ${f.severity}: [${f.code}]${place}: ${escapeControls(f.message)}\n`;
  if (f.fix) out += `    fix: ${escapeControls(f.fix)}\n`;
  return out;
}
