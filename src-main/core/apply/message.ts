// Messages of an apply as data: the wording as text parts, and the values in it
// as values — durations in ms, instants in epoch ms, names (hosts, users,
// files, commands …) kept verbatim. The CLI and the history's `message` read
// messageText(); the app formats the values itself (human durations, local
// times) and so never has to parse the English.

export type MessagePart =
  /** wording (lower case, as the CLI prints it) */
  | { text: string }
  /** a name or value taken as written: a host, a file, a command, an error from elsewhere */
  | { name: string }
  /** a duration */
  | { ms: number }
  /** an instant (ms since the epoch), written as a UTC time of day */
  | { at: number }
  /**
   * an override the admin can give: the CLI writes its option (`--force`),
   * the app names its own control for it (a GUI never speaks of options)
   */
  | { option: 'force' };

export type Message = readonly MessagePart[];

export const ms = (n: number): MessagePart => ({ ms: n });
export const at = (n: number): MessagePart => ({ at: n });
export const FORCE: MessagePart = { option: 'force' };

/**
 * A message from a template: the literal parts are wording; interpolated
 * strings and numbers are names, parts (ms(), at()) stay, messages are spliced in.
 */
export function msg(strings: TemplateStringsArray, ...values: (string | number | MessagePart | Message)[]): MessagePart[] {
  const out: MessagePart[] = [];
  const push = (p: MessagePart) => {
    const last = out[out.length - 1];
    if ('text' in p && last && 'text' in last) out[out.length - 1] = { text: last.text + p.text };
    else if (!('text' in p) || p.text) out.push(p);
  };
  strings.forEach((s, i) => {
    push({ text: s });
    if (i >= values.length) return;
    const v = values[i];
    if (typeof v === 'string' || typeof v === 'number') push({ name: String(v) });
    else if (Array.isArray(v)) for (const p of v as Message) push(p);
    else push(v as MessagePart);
  });
  return out;
}

/** The message as one line of text, as the CLI and the history file have it: "4633 ms", "06:06:32Z". */
export function messageText(m: Message): string {
  return m
    .map((p) => ('text' in p ? p.text : 'name' in p ? p.name : 'ms' in p ? `${p.ms} ms` : 'option' in p ? `--${p.option}` : new Date(p.at).toISOString().slice(11, 19) + 'Z'))
    .join('');
}
