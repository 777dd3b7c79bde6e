// The command line's commands as `portcullis --help` lists them: name, summary
// and the file in this folder that defines it. The bin (dist/cli.cjs) answers
// --help, --version and an unknown command from this table alone, and loads
// only the named command's bundle (dist/cli/FILE.cjs, built from FILE.ts by
// build/build.mjs): `portcullis canon` never reads or compiles lint, SSH or
// apply code. Add a command here and to ./all.ts (a test holds them equal).
interface CommandEntry {
  name: string;
  summary: string;
  /** the module in this folder that registers it, without .ts: also the name of its bundle */
  file: string;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'check', file: 'check', summary: 'validate ruleset files as iptables-restore would' },
  { name: 'canon', file: 'canon', summary: 'print a ruleset in canonical iptables-save form' },
  { name: 'facts', file: 'facts', summary: 'what a host runs: OS, iptables, services, firewalld, SELinux, privilege' },
  { name: 'pull', file: 'pull', summary: 'fetch /etc/sysconfig/iptables (or the running rules with --live) from a host' },
  { name: 'diff', file: 'diff', summary: 'compare two rulesets rule by rule (semantic diff)' },
  { name: 'lint', file: 'lint', summary: 'find mistakes in a ruleset (shadowed rules, lockouts, …)' },
  { name: 'trace', file: 'trace', summary: 'follow a packet through a ruleset to its verdict' },
  { name: 'import', file: 'import', summary: 'turn pasted iptables commands into a ruleset, with findings' },
  { name: 'recipes', file: 'recipes', summary: 'list the recipes and their parameters' },
  { name: 'recipe', file: 'recipes', summary: "print a recipe's rules, or place them into a ruleset file (--into)" },
  { name: 'apply', file: 'apply', summary: 'apply a ruleset to a host: revert timer on the host, confirmed by a new SSH connection' },
];

export function commandEntry(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((c) => c.name === name);
}
