// `portcullis apply HOST FILE`: the safe apply (DESIGN.md "Safe apply").
// Progress on stderr, one line per step; the outcome on stdout (--json: the
// audit record). Exit 0 confirmed and saved (or nothing to do), 2 error,
// 3 applied then reverted, 4 refused before any change, 5 host key.
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { registerCommand } from './index.js';
import { flag, int, parseArgs, str, UsageError } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { HOST_OPTIONS, HOST_OPTIONS_USAGE, reportHostError, sessionOptionsFrom } from './facts.js';
import { FAMILY_OPTION, familyArg, printFindings, readProblem, resolveFamily } from './read-ruleset.js';
import { ApplyInterruptedError, runApply } from '../../apply/index.js';
import { sha256Hex } from '../../host/index.js';
import { appendHistory } from '../../services/history.js';
import type { BaseRef, ConfirmMode } from '../../core/apply/index.js';

const USAGE = `usage: portcullis apply HOST FILE [--rules6 FILE6] [--family 4|6] [--confirm-timeout S]
                        [--confirm auto|prompt] [--force] [--base FILE] [--json] [host options]

Applies FILE to the running firewall of HOST so that it can never lock you out:
the proposal is validated and linted; a NEW SSH connection from the address
the server sees for this session is traced through it (a predicted lockout is
refused); the host must be unchanged since --base (a file from \`pull\`, or
\`pull --json\` output; without it, the state read at the start); the host
tests it (iptables-restore --test), takes an apply lock, backs up the running
rules, and arms a revert timer ON THE HOST (systemd-run, else a detached
process) before loading it. Only a NEW SSH connection over the same route that
reads the rules confirms; then the timer is cancelled and the ruleset saved to
/etc/sysconfig/iptables (temp file, mode 0600, rename, restorecon, the old file
kept as iptables.portcullis-DATE). Anything else — a refused connection, a
dropped session, a killed client — leaves the host to revert by itself.
Chains of fail2ban, Docker, Kubernetes, libvirt … that run but are not in the
saved file are kept in what is applied (with the jumps into them) and never
written to the file. Every apply is recorded in the local history
($PORTCULLIS_STATE_DIR or $XDG_STATE_HOME/portcullis/history.jsonl) and in
/var/log/portcullis.log on the host.

Both firewalls of the host: FILE is the iptables (IPv4) ruleset and --rules6 FILE6
the ip6tables (IPv6) one, applied as ONE change — one revert timer reverts both,
one new connection confirms both, then /etc/sysconfig/iptables and
/etc/sysconfig/ip6tables are saved. A family whose file changes neither its
running rules nor its saved file is left alone (not reloaded, not rewritten).
--family 6 (or a FILE named rules.v6 / ip6tables, or one only IPv6 rules can be)
applies FILE to IPv6 alone: the IPv4 rules are not touched. The lockout check
traces the new SSH connection through the ruleset of the family it runs over.

  --rules6 FILE6        the ip6tables ruleset applied together with FILE (IPv4)
  --family 4|6          the family of FILE (inferred from its name or content, said on stderr)
  --confirm-timeout S   seconds the host waits for the confirmation (default 60, 3 to 3600)
  --confirm auto        confirm as soon as the new connection reads the rules (default)
  --confirm prompt      then ask on the terminal, within the remaining time
  --force               go on despite a predicted lockout or an active firewalld
                        (the revert timer still guards the change)
  --base FILE           the file the proposal was made from (\`portcullis pull\`), or
                        \`pull --json\` output: refuse when the host changed since
  --json                the audit record as JSON on stdout

${HOST_OPTIONS_USAGE.replace('Exit: 0 done, 2 error (connection, authentication, usage), 5 host key unknown or changed.', '')}Exit: 0 applied, confirmed and saved (or nothing to do); 2 error; 3 applied then
reverted (not confirmed); 4 refused before any change (invalid, predicted lockout,
host changed, another apply running, firewalld); 5 host key unknown or changed.`;

function readBase(io: CliIO, file: string): BaseRef {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (e) {
    throw new UsageError(`--base ${escapeControls(file)}: cannot read the file: ${readProblem(e)}`);
  }
  if (text.trimStart().startsWith('{')) {
    try {
      const j = JSON.parse(text) as { saved?: { sha256?: string }; live?: { rulesSha256?: string }; saved6?: { sha256?: string }; live6?: { rulesSha256?: string } };
      const savedSha256 = j.saved?.sha256;
      const liveRulesSha256 = j.live?.rulesSha256;
      const saved6Sha256 = j.saved6?.sha256;
      const live6RulesSha256 = j.live6?.rulesSha256;
      if (savedSha256 || liveRulesSha256 || saved6Sha256 || live6RulesSha256)
        return { kind: 'hashes', source: file, savedSha256, liveRulesSha256, ...(saved6Sha256 ? { saved6Sha256 } : {}), ...(live6RulesSha256 ? { live6RulesSha256 } : {}) };
    } catch {
      /* not JSON after all: a ruleset file */
    }
  }
  return { kind: 'saved-text', source: file, text, sha256: sha256Hex(Buffer.from(text, 'utf8')) };
}

/** Asks on the terminal (or stdin when it is one) and reads y/n; an interrupt closes the question. */
function terminalAsk(io: CliIO, stdinFree: boolean, signal: AbortSignal) {
  return ({ summary, deadlineAt }: { summary: string; deadlineAt: number }): Promise<boolean> =>
    new Promise((resolve) => {
      const input = stdinFree ? process.stdin : existsSync('/dev/tty') ? createReadStream('/dev/tty') : null;
      if (!input || signal.aborted) return resolve(false);
      const secs = Math.max(0, Math.floor((deadlineAt - Date.now()) / 1000));
      io.err(`portcullis apply: ${escapeControls(summary)}. Keep the new rules? [y/N] (reverts in ${secs} s) `);
      const rl = createInterface({ input });
      const end = () => {
        signal.removeEventListener('abort', end);
        rl.close();
        if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
      };
      signal.addEventListener('abort', end, { once: true });
      rl.once('line', (l) => {
        resolve(/^\s*y(es)?\s*$/i.test(l)); // before close(), which fires 'close' at once
        end();
      });
      rl.once('close', () => resolve(false));
    });
}

/**
 * Ctrl-C (and SIGTERM, SIGHUP) while an apply runs: say so, stop, and leave
 * the host to its revert timer. A second one ends the process at once.
 */
function onInterrupt(io: CliIO, ac: AbortController): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handler = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      io.err(`portcullis apply: ${sig} again: stopping now\n`);
      process.exit(130);
    }
    io.err(`\nportcullis apply: ${sig}: stopping; the host is left to its revert timer (again to quit at once)\n`);
    ac.abort();
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

registerCommand({
  name: 'apply',
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(argv, {
      ...HOST_OPTIONS,
      'confirm-timeout': { type: 'string' },
      confirm: { type: 'string' },
      force: { type: 'boolean' },
      base: { type: 'string' },
      rules6: { type: 'string' },
      ...FAMILY_OPTION,
    });
    if (args.positionals.length !== 2) throw new UsageError('apply needs a HOST and a FILE');
    const [host, file] = args.positionals;
    const json = flag(args, 'json');
    const timeout = int(args, 'confirm-timeout', 3, 3600) ?? 60;
    const confirm = (str(args, 'confirm') ?? 'auto') as ConfirmMode;
    if (confirm !== 'auto' && confirm !== 'prompt') throw new UsageError(`--confirm is auto or prompt, not "${escapeControls(confirm)}"`);
    if (file === '-' && (flag(args, 'password-stdin') || flag(args, 'passphrase-stdin'))) throw new UsageError('FILE cannot be - together with --password-stdin');
    const base = str(args, 'base') !== undefined ? readBase(io, str(args, 'base')!) : null;
    const read = (f: string): string | null => {
      try {
        return io.readFile(f);
      } catch (e) {
        io.err(`${escapeControls(f)}: error: cannot read the file: ${readProblem(e)}\n`);
        return null;
      }
    };
    const file6 = str(args, 'rules6');
    const given = familyArg(args);
    if (file6 !== undefined && given === 'ipv6') throw new UsageError('--rules6 goes with the IPv4 FILE: leave --family 6 out, or give only the IPv6 file');
    if (file6 === '-' && file === '-') throw new UsageError('FILE and --rules6 cannot both be -');
    if (file6 === '-' && (flag(args, 'password-stdin') || flag(args, 'passphrase-stdin'))) throw new UsageError('--rules6 cannot be - together with --password-stdin');
    const text = read(file);
    if (text === null) return 2;
    const text6 = file6 !== undefined ? read(file6) : undefined;
    if (text6 === null) return 2;
    const family = file6 !== undefined ? (given ?? 'ipv4') : resolveFamily(io, file, text, given);
    const session = sessionOptionsFrom(args, io);
    const stdinFree = file !== '-' && file6 !== '-' && !flag(args, 'password-stdin') && !flag(args, 'passphrase-stdin');
    const ac = new AbortController();
    const release = onInterrupt(io, ac);
    // warnings already shown as progress are not repeated under the outcome
    const shownWarnings: string[] = [];
    const result = await runApply({
      host,
      session,
      proposalName: file,
      proposalText: text,
      confirmTimeoutS: timeout,
      confirm,
      force: flag(args, 'force'),
      base,
      ...(family === 'ipv6' ? { family } : {}),
      ...(file6 !== undefined && text6 !== undefined ? { proposal6: { name: file6, text: text6 } } : {}),
      onProgress: (p) => {
        if (p.level === 'warn') shownWarnings.push(p.message);
        io.err(`portcullis apply: ${p.level === 'warn' ? 'warning: ' : ''}${escapeControls(p.message)}\n`);
      },
      ask: confirm === 'prompt' ? terminalAsk(io, stdinFree, ac.signal) : undefined,
      signal: ac.signal,
      onRecord: (rec) => appendHistory(rec),
    })
      .catch((e: unknown) => {
        if (e instanceof ApplyInterruptedError) return e;
        return reportHostError(e, 'apply', io, json);
      })
      .finally(release);
    if (result instanceof ApplyInterruptedError) {
      if (json) io.out(jsonText({ outcome: 'interrupted', phase: result.phase, exitCode: result.exitCode, message: result.message, host: result.host, revertAt: result.revertAt === null ? null : new Date(result.revertAt).toISOString() }, 2) + '\n');
      else io.out(`${escapeControls(result.message)}\n`);
      return result.exitCode;
    }
    if (typeof result === 'number') return result;
    printFindings(io, file, result.findings.filter((f) => f.severity !== 'info'));
    if (json) io.out(jsonText({ ...result.record, findings: result.findings }, 2) + '\n');
    else io.out(`${result.outcome}: ${escapeControls(result.message)}\n`);
    if (!json && result.outcome !== 'confirmed' && result.outcome !== 'unchanged' && result.warnings.length)
      for (const w of result.warnings) if (!shownWarnings.some((m) => m.includes(w))) io.err(`portcullis apply: warning: ${escapeControls(w)}\n`);
    return result.exitCode;
  },
});
