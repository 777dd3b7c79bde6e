// libxtables' option helpers (xtoptions.c) as the target extensions use them:
// strtoul with base 0, the XTTYPE_* value parsers and the final option check,
// with iptables' own messages so findings read like iptables' errors.
import type { OptionValue } from '../model.js';
import { ValueError } from '../values.js';

const SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return 99;
}

/**
 * xtables_strtoul_base(s, &end, …, 0, max, base): blanks and `+` may lead, `-`
 * may not; base 0 reads 0x hex, 0 octal, else decimal. Returns the value and
 * the index where the number stopped, or null when no digit was read or the
 * value is above max.
 */
export function strtoulPrefix(s: string, max = 0xffffffff, base: 0 | 10 | 16 = 0): { value: number; end: number } | null {
  let i = 0;
  while (i < s.length && SPACE.has(s[i])) i++;
  if (s[i] === '-') return null;
  if (s[i] === '+') i++;
  let b: number = base;
  if ((b === 0 || b === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && i + 2 < s.length && digitValue(s[i + 2]) < 16) {
    b = 16;
    i += 2;
  } else if (b === 0) b = s[i] === '0' ? 8 : 10;
  const start = i;
  let v = 0;
  let over = false;
  while (i < s.length) {
    const d = digitValue(s[i]);
    if (d >= b) break;
    if (!over) {
      v = v * b + d;
      if (v > max) over = true;
    }
    i++;
  }
  if (i === start || over) return null;
  return { value: v, end: i };
}

/** xtables_strtoui with no end pointer: the whole word must be the number. */
export function strtoulWhole(s: string, min = 0, max = 0xffffffff): number | null {
  const r = strtoulPrefix(s, max);
  if (!r || r.end !== s.length || r.value < min) return null;
  return r.value;
}

/** XTTYPE_UINT*: a whole number in [min, max], with xtopt_parse_int's message. */
export function xtUInt(ext: string, name: string, s: string, min: number, max: number): number {
  const v = strtoulWhole(s, min, max);
  if (v === null) throw new ValueError(`${ext}: bad value for option "--${name}", or out of range (${min}-${max}).`, 'invalid-argument',
    `give a number from ${min} to ${max}`);
  return v;
}

export interface MarkMask {
  value: number;
  mask: number;
}

/** XTTYPE_MARKMASK32 (xtables_parse_mark_mask): `value[/mask]`, mask 0xffffffff when absent. */
export function xtMarkMask(ext: string, name: string, s: string): MarkMask {
  const bad = () => new ValueError(`${ext}: bad integer value for option "--${name}", or out of range.`, 'invalid-argument',
    'write VALUE or VALUE/MASK, numbers up to 0xffffffff');
  const v = strtoulPrefix(s);
  if (!v) throw bad();
  let end = v.end;
  let mask = 0xffffffff;
  if (s[end] === '/') {
    const m = strtoulPrefix(s.slice(end + 1));
    if (!m) throw bad();
    mask = m.value;
    end += 1 + m.end;
  }
  if (end !== s.length) throw new ValueError(`${ext}: trailing garbage after value for option "--${name}".`, 'invalid-argument');
  return { value: v.value, mask };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** XTTYPE_STRING put into a char[size]: length checks, then cut to size-1 bytes as strncpy does. */
export function xtString(s: string, size: number, min = 0): string {
  const bytes = encoder.encode(s);
  if (min && bytes.length < min) throw new ValueError(`Argument must have a minimum length of ${min} characters`, 'invalid-argument');
  return bytes.length >= size ? decoder.decode(bytes.slice(0, size - 1)) : s;
}

/** inet_pton(AF_INET): exactly four decimal parts 0–255, no leading zeros. */
export function inetPton4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** inet_aton as getaddrinfo uses it for numeric hosts: 1–4 parts, each decimal, octal or hex (`1.2.3` is 1.2.0.3). */
export function inetAton(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]/.test(p)) return null;
    const r = strtoulPrefix(p, 0xffffffff);
    if (!r || r.end !== p.length) return null;
    nums.push(r.value);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return null;
  if (last >= 2 ** (8 * (4 - nums.length))) return null;
  let v = 0;
  for (const n of nums) v = v * 256 + n;
  return (v * 2 ** (8 * (4 - nums.length)) + last) >>> 0;
}

export interface XtEntry {
  name: string;
  /** XTOPT_MAND */
  mand?: boolean;
  /** options it cannot be combined with (xt_option_entry.excl) */
  excl?: readonly string[];
  /** options it needs (xt_option_entry.also) */
  also?: readonly string[];
}

/**
 * xtables_options_fcheck: over the option table in declaration order, a missing
 * mandatory option, then exclusions, then `also` requirements.
 */
export function xtFcheck(ext: string, options: readonly OptionValue[], entries: readonly XtEntry[]): void {
  const given = new Set(options.map((o) => o.name));
  for (const e of entries) {
    if (!given.has(e.name)) {
      if (e.mand) throw new ValueError(`${ext}: option "--${e.name}" must be specified`, 'missing-argument', `add --${e.name} VALUE`);
      continue;
    }
    for (const other of entries) {
      if (other.name !== e.name && e.excl?.includes(other.name) && given.has(other.name))
        throw new ValueError(`${ext}: option "--${e.name}" cannot be used together with "--${other.name}".`, 'invalid-argument',
          `keep only one of --${e.name} and --${other.name}`);
    }
    for (const need of e.also ?? []) {
      if (!given.has(need)) throw new ValueError(`${ext}: option "--${e.name}" also requires "--${need}".`, 'missing-argument', `add --${need}`);
    }
  }
}

/** The last value given for an option (options are in the order written). */
export function lastValue<T>(options: readonly OptionValue[], name: string): T | undefined {
  for (let k = options.length - 1; k >= 0; k--) if (options[k].name === name) return options[k].value as T;
  return undefined;
}

export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}
