// The rule form's model: a rule as fields (generic options, each match with
// its options, the target with its options), read from and written back to
// the text after `-A CHAIN`. Which options a match or target has, their
// arity and whether `!` applies come from the extension registry the parser
// uses (ruleFormSpec), so the form knows what the parser knows.
import { ruleFormSpec, type ExtensionFields, type Family, type OptionField } from '../../../src-main/core/index.js';

interface FieldValue {
  /** the option is given */
  on: boolean;
  invert: boolean;
  /** its argument and extra arguments (`--tcp-flags MASK COMP`: two) */
  args: string[];
}

export interface ExtensionForm {
  name: string;
  /** known to the registry: its options are fields; else `raw` holds its words */
  known: boolean;
  values: Record<string, FieldValue>;
  /** options as given that the form has no field for, and unknown extensions' words */
  raw: string;
}

export const GENERIC = [
  { flag: '-p', name: 'protocol', label: 'Protocol', hint: 'tcp, udp, icmp, all or a number', hint6: 'tcp, udp, ipv6-icmp, all or a number' },
  { flag: '-s', name: 'source', label: 'Source', hint: 'address or network, e.g. 10.0.0.0/8', hint6: 'address or network, e.g. 2001:db8::/32' },
  { flag: '-d', name: 'destination', label: 'Destination', hint: 'address or network', hint6: 'address or network, e.g. 2001:db8::1' },
  { flag: '-i', name: 'in', label: 'In interface', hint: 'e.g. eth0 or eth+', hint6: 'e.g. eth0 or eth+' },
  { flag: '-o', name: 'out', label: 'Out interface', hint: 'e.g. eth1', hint6: 'e.g. eth1' },
] as const;
type GenericName = (typeof GENERIC)[number]['name'];

export interface RuleForm {
  /** the ruleset's family: which extensions and options exist */
  family: Family;
  generic: Record<GenericName, { value: string; invert: boolean }>;
  fragment: boolean;
  matches: ExtensionForm[];
  /** -j or -g */
  targetKind: '-j' | '-g';
  target: ExtensionForm | null;
}

// each family has its own extensions (icmp6, hbh, frag … only in ip6tables; icmp, ttl … only in iptables)
const specs = new Map<Family, ReturnType<typeof ruleFormSpec>>();
export function formSpec(family: Family = 'ipv4'): ReturnType<typeof ruleFormSpec> {
  let s = specs.get(family);
  if (!s) specs.set(family, (s = ruleFormSpec(family)));
  return s;
}
export function matchSpec(name: string, family: Family = 'ipv4'): ExtensionFields | undefined {
  return formSpec(family).matches.find((m) => m.name === name);
}
export function targetSpec(name: string, family: Family = 'ipv4'): ExtensionFields | undefined {
  return formSpec(family).targets.find((t) => t.name === name);
}

function emptyForm(family: Family = 'ipv4'): RuleForm {
  const generic = Object.fromEntries(GENERIC.map((g) => [g.name, { value: '', invert: false }])) as RuleForm['generic'];
  return { family, generic, fragment: false, matches: [], targetKind: '-j', target: null };
}

export function extensionForm(name: string, fields: ExtensionFields | undefined): ExtensionForm {
  const values: Record<string, FieldValue> = {};
  for (const o of fields?.options ?? []) values[o.name] = { on: false, invert: false, args: new Array(1 + o.extraArgs).fill('') };
  return { name, known: !!fields, values, raw: '' };
}

/** Words of a rule's text as the shell-like iptables-restore reader splits them ("a b" is one word). */
export function splitRuleWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      inWord = true;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
        cur += text[i];
      }
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export function quoteWord(w: string): string {
  if (w !== '' && !/[\s"'\\#]/.test(w)) return w;
  return `"${w.replace(/["\\]/g, '\\$&')}"`;
}

const GENERIC_FLAGS: Record<string, GenericName> = {
  '-p': 'protocol', '--protocol': 'protocol', '-s': 'source', '--source': 'source', '--src': 'source',
  '-d': 'destination', '--destination': 'destination', '--dst': 'destination', '-i': 'in', '--in-interface': 'in', '-o': 'out', '--out-interface': 'out',
};

function findField(fields: ExtensionFields | undefined, word: string): OptionField | undefined {
  if (!fields || !word.startsWith('--')) return undefined;
  const n = word.slice(2);
  return fields.options.find((o) => o.name === n || o.aliases.includes(n));
}

/** The form for a rule's text (after `-A CHAIN`); what it cannot place stays as raw words, never dropped. */
export function formFromText(body: string, family: Family = 'ipv4'): RuleForm {
  const form = emptyForm(family);
  const words = splitRuleWords(body);
  let cur: ExtensionForm | null = null;
  let curFields: ExtensionFields | undefined;
  let invert = false;
  const rawPush = (ws: string[]) => {
    if (!cur) return;
    cur.raw = [cur.raw, ...ws.map(quoteWord)].filter(Boolean).join(' ');
  };
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    if (w === '!') {
      invert = true;
      continue;
    }
    if (GENERIC_FLAGS[w] && k + 1 < words.length) {
      form.generic[GENERIC_FLAGS[w]] = { value: words[++k], invert };
      cur = null;
    } else if (w === '-f' || w === '--fragment') {
      form.fragment = true;
    } else if ((w === '-m' || w === '--match') && k + 1 < words.length) {
      const name = words[++k];
      curFields = matchSpec(name, family);
      cur = extensionForm(name, curFields);
      form.matches.push(cur);
    } else if ((w === '-j' || w === '--jump' || w === '-g' || w === '--goto') && k + 1 < words.length) {
      const name = words[++k];
      form.targetKind = w === '-g' || w === '--goto' ? '-g' : '-j';
      curFields = targetSpec(name, family);
      cur = extensionForm(name, curFields);
      form.target = cur;
    } else {
      let f = findField(curFields, w);
      const proto = form.generic.protocol.value.toLowerCase();
      if (!f && proto && !form.matches.some((m) => m.name === proto) && findField(matchSpec(proto, family), w)) {
        // `-p tcp --dport 22`: iptables loads the protocol's match by itself; the form shows it
        curFields = matchSpec(proto, family);
        cur = extensionForm(proto, curFields);
        form.matches.push(cur);
        f = findField(curFields, w);
      }
      if (cur && f && cur.known) {
        const n = f.arg === 'none' ? 0 : 1 + f.extraArgs;
        const args = words.slice(k + 1, k + 1 + n);
        k += n;
        cur.values[f.name] = { on: true, invert, args: n ? args : [''] };
      } else if (cur) {
        // an option the form has no field for: kept with its words up to the next option
        const ws = [invert ? '!' : '', w].filter(Boolean);
        while (k + 1 < words.length && !/^-/.test(words[k + 1]) && words[k + 1] !== '!') ws.push(words[++k]);
        rawPush(ws);
      } else {
        // words before any match or target the form does not know: keep them on a raw match
        const holder = extensionForm('', undefined);
        holder.raw = quoteWord(w);
        form.matches.push(holder);
        cur = holder;
        curFields = undefined;
      }
    }
    invert = false;
  }
  return form;
}

/** The text after `-A CHAIN` for the form. */
export function textFromForm(form: RuleForm): string {
  const out: string[] = [];
  for (const g of GENERIC) {
    const v = form.generic[g.name];
    if (!v.value.trim()) continue;
    if (v.invert) out.push('!');
    out.push(g.flag, quoteWord(v.value.trim()));
  }
  if (form.fragment) out.push('-f');
  const ext = (e: ExtensionForm, fields: ExtensionFields | undefined) => {
    for (const o of fields?.options ?? []) {
      const v = e.values[o.name];
      if (!v?.on) continue;
      if (v.invert) out.push('!');
      out.push(`--${o.name}`);
      if (o.arg !== 'none') for (const a of v.args) if (a !== '' || o.arg === 'required') out.push(quoteWord(a));
    }
    if (e.raw.trim()) out.push(e.raw.trim());
  };
  for (const m of form.matches) {
    if (m.name) out.push('-m', m.name);
    ext(m, m.known ? matchSpec(m.name, form.family) : undefined);
  }
  if (form.target && form.target.name) {
    out.push(form.targetKind, form.target.name);
    ext(form.target, form.target.known ? targetSpec(form.target.name, form.family) : undefined);
  }
  return out.join(' ');
}
