// portcullis recipes / portcullis recipe NAME — the seed's recipes, done right:
// list them, print a recipe's rules, or place them into a ruleset file.
import {
  findRecipe, formatParamProblem, formatRecipeRules, generateFamilies, hasErrors, isIPv6, lintRuleset, listRecipes, runRecipe,
  type Family, type ParamSpec, type ParseResult, type RawParams, type Recipe, type RecipeOutput,
} from '../../core/index.js';
import { flag, parseArgs, str, UsageError, type OptionDefs } from '../args.js';
import { escapeControls, jsonText, type CliIO } from '../io.js';
import { registerCommand } from './index.js';
import { loadRuleset, printFindings } from './read-ruleset.js';

const listUsage = `usage: portcullis recipes [--json]

Lists the recipes (the firewall how-to's eight recipes, corrected) with their
parameters. Run \`portcullis recipe NAME --help\` for one recipe.

  --json   {"recipes":[{"name","title","summary","description","params":[{"name","label","help","type","default","required","choices","min","max"}]}]}`;

const GENERAL = `Options for every recipe:
  --family 4|6|both  the rules for IPv4 (iptables), IPv6 (ip6tables) or both (printed
                  one after the other, each for its own restore command); default:
                  the family of --into FILE (read as ip6tables when its name or
                  content says so), else 4
  --into FILE     place the rules into the ruleset FILE (iptables-save or
                  ip6tables-save format) where they work and print the whole file,
                  its comments and layout kept; what was added, kept and replaced
                  goes to stderr. One file holds one family: run once per file
  --client IP     your address as the server sees it (IPv4 or IPv6): the recipe
                  refuses to place rules that would refuse your new SSH connections
  --ssh-port N    the server's SSH port for that check (default 22)
  --json          machine-readable output

Exit status: 0 done, 1 the recipe refused to go into FILE (the reason is printed),
2 a bad parameter, an unreadable or invalid FILE.`;

const recipeUsage = `usage: portcullis recipe NAME [--PARAM VALUE …] [--into FILE] [--client IP] [--ssh-port N] [--json]

Prints the rules of a recipe (iptables-restore format, each rule with why it is
there), or with --into the whole ruleset FILE with them placed.

Recipes: ${listRecipes().map((r) => r.name).join(', ')}.
Run \`portcullis recipe NAME --help\` for a recipe's parameters.

${GENERAL}`;

function metavar(p: ParamSpec): string {
  switch (p.type) {
    case 'enum': return (p.choices ?? []).join('|');
    case 'ip-port-list': return p.family === 'ipv6' ? 'IPV6|[IPV6]:PORT,…' : 'IP[:PORT],…';
    case 'ip': return p.family === 'ipv6' ? 'IPV6' : 'IP';
    case 'cidr': return p.family === 'ipv6' ? 'IPV6/LEN' : 'CIDR';
    case 'interface': return 'IF';
    case 'bool': return '';
    default: return p.type.toUpperCase();
  }
}

function showDefault(p: ParamSpec): string {
  if (p.default === undefined) return '';
  if (p.type === 'bool') return p.default ? ' (default: on)' : ' (default: off)';
  return ` (default: ${jsonText(p.default)})`;
}

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.map((l, k) => (k === 0 ? l : indent + l)).join('\n');
}

function paramLines(r: Recipe, indent = '  '): string[] {
  return r.params.map((p) => {
    const name = p.type === 'bool' ? `--${p.name} | --no-${p.name}` : `--${p.name} ${metavar(p)}`;
    const help = `${p.required ? '(required) ' : ''}${p.help}${showDefault(p)}${p.example && p.type !== 'bool' ? `, e.g. ${p.example}` : ''}`;
    return `${indent}${name.padEnd(30)} ${wrap(help, 60, ' '.repeat(indent.length + 31))}`;
  });
}

function synopsis(r: Recipe): string {
  const parts = r.params.map((p) => {
    const s = p.type === 'bool' ? `--${p.name}` : `--${p.name} ${metavar(p)}`;
    return p.required ? s : `[${s}]`;
  });
  return `usage: portcullis recipe ${r.name}${parts.length ? ' ' + parts.join(' ') : ''} [--into FILE] [--client IP]${r.params.some((p) => p.name === 'ssh-port') ? '' : ' [--ssh-port N]'} [--json]`;
}

function recipeHelp(r: Recipe): string {
  const lines = [synopsis(r), '', `${r.title}.`, wrap(r.description, 78, ''), '', `IPv6: ${wrap(r.ipv6, 72, '')}`, ''];
  if (r.params.length) lines.push('Parameters:', ...paramLines(r), '');
  else lines.push('This recipe has no parameters.', '');
  lines.push(GENERAL);
  return lines.join('\n') + '\n';
}

registerCommand({
  name: 'recipes',
  usage: listUsage,
  run(argv, io) {
    const args = parseArgs(argv, { json: { type: 'boolean' } });
    if (args.positionals.length) throw new UsageError('recipes takes no arguments; for one recipe run `portcullis recipe NAME --help`');
    if (flag(args, 'json')) {
      io.out(jsonText({ recipes: listRecipes().map((r) => ({ name: r.name, title: r.title, summary: r.summary, description: r.description, params: r.params })) }) + '\n');
      return 0;
    }
    const out: string[] = [];
    for (const r of listRecipes()) {
      out.push(`${r.name.padEnd(13)} ${r.summary}`);
      out.push(...paramLines(r, '    '));
      out.push('');
    }
    out.push('Run `portcullis recipe NAME --help` for a recipe, `portcullis recipe NAME --PARAM VALUE …` for its rules.');
    io.out(out.join('\n') + '\n');
    return 0;
  },
});

function fail(io: CliIO, r: Recipe | null, message: string): number {
  io.err(`portcullis recipe${r ? ' ' + r.name : ''}: ${escapeControls(message)}\n`);
  io.err(r ? `Run \`portcullis recipe ${r.name} --help\` for its parameters.\n` : `Recipes: ${listRecipes().map((x) => x.name).join(', ')}.\n`);
  return 2;
}

registerCommand({
  name: 'recipe',
  usage: recipeUsage,
  help(argv) {
    const name = argv.find((a) => !a.startsWith('-'));
    const r = name ? findRecipe(name) : undefined;
    return r ? recipeHelp(r) : recipeUsage;
  },
  run(argv, io) {
    const [name, ...rest] = argv;
    if (!name || name.startsWith('-')) return fail(io, null, 'give the recipe name first, e.g. portcullis recipe loopback');
    const recipe = findRecipe(name);
    if (!recipe) return fail(io, null, `there is no recipe "${name}"`);
    let args;
    try {
      args = parseArgs(rest, recipeOptions(recipe));
    } catch (e) {
      if (e instanceof UsageError) return fail(io, recipe, e.message.replace(/^unknown option (--\S+)$/, `${recipe.name} has no parameter $1`));
      throw e;
    }
    if (args.positionals.length) return fail(io, recipe, `unexpected argument "${args.positionals[0]}": parameters are given as --NAME VALUE`);
    const raw = rawParams(recipe, args.values);
    if (typeof raw === 'string') return fail(io, recipe, raw);
    const client = str(args, 'client');
    if (client !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(client) && !isIPv6(client)) return fail(io, recipe, `--client "${client}" is not an IPv4 or IPv6 address: give your address as the server sees it`);
    const sp = str(args, 'ssh-port') ?? (typeof raw['ssh-port'] === 'string' ? raw['ssh-port'] : undefined);
    if (sp !== undefined && !(/^\d+$/.test(sp) && Number(sp) >= 1 && Number(sp) <= 65535)) return fail(io, recipe, `--ssh-port "${sp}" is not a port: give a number from 1 to 65535`);
    const sshPort = sp !== undefined ? Number(sp) : 22;

    const into = str(args, 'into');
    const family = typeof raw.family === 'string' ? raw.family.trim() : undefined;
    if (into !== undefined && family === 'both') return fail(io, recipe, '--family both with --into: one file holds one family; run the recipe once with --family 4 on the iptables file and once with --family 6 on the ip6tables file');
    let parsed;
    if (into !== undefined) {
      parsed = loadInto(io, recipe, into, family === '6' ? 'ipv6' : family === '4' ? 'ipv4' : undefined);
      if (!parsed) return 2;
    }
    // the admin's address counts for the lockout check only in its own family's ruleset
    const clientFor = (v6: boolean) => (client && client.includes(':') === v6 ? client : undefined);
    const res = runRecipe(recipe, raw as RawParams, parsed, {
      lint: (rs) => {
        const c = clientFor(rs.family === 'ipv6');
        return lintRuleset(rs, c ? { client: c, sshPort } : {});
      },
      ...(client ? { client } : {}),
      sshPort,
    });
    return printRecipeResult(io, recipe, res, flag(args, 'json'));
  },
});

/** The options of `recipe NAME`: the recipe's parameters (a bool one also as --no-NAME) and the general ones. */
function recipeOptions(recipe: Recipe): OptionDefs {
  const defs: OptionDefs = { into: { type: 'string' }, json: { type: 'boolean' }, client: { type: 'string' } };
  const own = new Set(recipe.params.map((p) => p.name));
  if (!own.has('ssh-port')) defs['ssh-port'] = { type: 'string' };
  for (const p of recipe.params) {
    if (p.type === 'bool') {
      defs[p.name] = { type: 'boolean' };
      defs[`no-${p.name}`] = { type: 'boolean' };
    } else defs[p.name] = { type: 'string' };
  }
  return defs;
}

/** The recipe's parameters as given (the recipe checks their values), or what is wrong with them. */
function rawParams(recipe: Recipe, values: Record<string, unknown>): Record<string, string | boolean | undefined> | string {
  const raw: Record<string, string | boolean | undefined> = {};
  for (const p of recipe.params) {
    const v = values[p.name];
    if (p.type === 'bool') {
      if (v === true && values[`no-${p.name}`] === true) return `--${p.name} and --no-${p.name} contradict each other: give one`;
      if (v === true) raw[p.name] = true;
      if (values[`no-${p.name}`] === true) raw[p.name] = false;
    } else if (typeof v === 'string') raw[p.name] = v;
  }
  return raw;
}

/** The --into file, parsed; undefined (after saying why) when it is unreadable or invalid. */
function loadInto(io: CliIO, recipe: Recipe, into: string, family: Family | undefined): ParseResult | undefined {
  const loaded = loadRuleset(io, into, family);
  if (!loaded.ok) return undefined;
  if (hasErrors(loaded.result.findings)) {
    printFindings(io, into, loaded.result.findings);
    io.err(`portcullis recipe ${recipe.name}: ${escapeControls(into)} is not a valid ruleset; fix it first (portcullis check ${escapeControls(into)})\n`);
    return undefined;
  }
  return loaded.result;
}

/** What the recipe did: bad parameters (2), refused (1), its rules per family, or the placed file and what changed in it (0). */
function printRecipeResult(io: CliIO, recipe: Recipe, res: ReturnType<typeof runRecipe>, json: boolean): number {
  if (!res.ok && res.kind === 'params') {
    if (json) io.out(jsonText({ recipe: recipe.name, problems: res.problems }) + '\n');
    for (const p of res.problems) io.err(`portcullis recipe ${recipe.name}: ${escapeControls(formatParamProblem(p))}\n`);
    io.err(`Run \`portcullis recipe ${recipe.name} --help\` for its parameters.\n`);
    return 2;
  }
  if (!res.ok) {
    if (json) io.out(jsonText({ recipe: recipe.name, refused: res.reason }) + '\n');
    io.err(`portcullis recipe ${recipe.name}: refused: ${escapeControls(res.reason)}\n`);
    return 1;
  }
  const { output } = res;
  // without a file: one output per family asked for
  const outputs = res.placed ? [output] : generateFamilies(recipe, output.values);
  const jsonOf = (o: RecipeOutput) => ({
    family: o.family === 'ipv6' ? '6' : '4',
    chains: o.chains,
    rules: o.rules.map((r) => ({ table: r.table, chain: r.chain, rule: r.text, why: r.why })),
    preconditions: o.preconditions,
    notes: o.notes,
  });
  if (json && outputs.length > 1) {
    io.out(jsonText({ recipe: recipe.name, values: output.values, families: outputs.map(jsonOf) }) + '\n');
    return 0;
  }
  if (json) {
    io.out(jsonText({
      recipe: recipe.name,
      values: output.values,
      ...jsonOf(output),
      ...(res.placed ? {
        placed: {
          added: res.placed.added, skipped: res.placed.skipped, replaced: res.placed.replaced,
          createdChains: res.placed.createdChains, notes: res.placed.notes,
        },
        ruleset: res.text,
      } : {}),
    }) + '\n');
    return 0;
  }
  if (!res.placed) {
    if (outputs.length === 1) io.out(formatRecipeRules(output));
    else for (const o of outputs) io.out(`# ${o.family === 'ipv6' ? 'IPv6: load with ip6tables-restore (/etc/sysconfig/ip6tables)' : 'IPv4: load with iptables-restore (/etc/sysconfig/iptables)'}\n${formatRecipeRules(o)}\n`);
    return 0;
  }
  io.out(io.tty ? escapeControls(res.text!) : res.text!);
  const p = res.placed;
  const say = (s: string) => io.err(escapeControls(s) + '\n');
  for (const a of p.added) say(`added   ${a.table} ${a.chain} #${a.index}: ${a.text}`);
  for (const r of p.replaced) say(`replaced ${r.table} ${r.chain} #${r.index}: ${r.from}  →  ${r.to}`);
  for (const s of p.skipped) say(`kept    ${s.text}: ${s.reason}`);
  for (const n of p.notes) say(`note: ${n}`);
  for (const pre of output.preconditions) say(`requires: ${pre.what} — ${pre.why}${pre.check ? ` (check: ${pre.check})` : ''}; ${pre.fix}`);
  return 0;
}
