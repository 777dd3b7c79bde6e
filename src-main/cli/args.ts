// A small, strict argument parser shared by every `portcullis` command:
// unknown options and missing values are usage errors (exit 2), never ignored.
export interface OptionDef {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}
export type OptionDefs = Record<string, OptionDef>;
export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: string[], defs: OptionDefs): ParsedArgs {
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, d] of Object.entries(defs)) if (d.short) byShort.set(d.short, name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (a.startsWith('-') && a.length === 2 && a !== '-') {
      name = byShort.get(a[1]);
      if (!name) throw new UsageError(`unknown option ${a}`);
    } else {
      positionals.push(a);
      continue;
    }
    const def = defs[name];
    if (!def) throw new UsageError(`unknown option --${name}`);
    if (def.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      values[name] = true;
      continue;
    }
    let v = inline;
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      v = argv[++i];
    }
    if (def.multiple) {
      const prev = values[name];
      values[name] = [...(Array.isArray(prev) ? prev : []), v];
    } else values[name] = v;
  }
  return { positionals, values };
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
export function int(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${v}"`);
  return Number(v);
}
