// libxtables' option helpers (xtoptions.c) as the target extensions use them:
// strtoul with base 0, the XTTYPE_* value parsers and the final option check,
// with iptables' own messages so findings read like iptables' errors.
import type { OptionValue } from '../model.js';
import { ValueError, strtoul, strtoulPrefix, strtoulWhole } from '../values.js';

// The C number and address parsers live with the other value parsers.
export { inetAton, inetPton4, strtoulPrefix, strtoulWhole } from '../values.js';

/** XTTYPE_UINT*: a whole number in [min, max], with xtopt_parse_int's message. */
export function xtUInt(ext: string, name: string, s: string, min: number, max: number): number {
  const v = strtoulWhole(s, min, max);
  if (v === null) throw new ValueError(`${ext}: bad value for option "--${name}", or out of range (${min}-${max}).`, 'invalid-argument',
    `give a number from ${min} to ${max}`);
  return v;
}

export interface U32Range {
  lo: number;
  hi: number;
}

/**
 * XTTYPE_UINT32RC: `N`, `LO:HI`, `LO:` or `:HI` with numbers 0-4294967295
 * (reversed ranges are kept, as 1.8.9 does).
 */
export function parseU32Range(arg: string, ext: string, name: string): U32Range {
  const parts = arg.split(':');
  if (parts.length > 2) throw new ValueError(`${ext}: Too many components for option "--${name}" (max: 2)`, 'invalid-argument', 'write N or LOW:HIGH');
  const vals: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (p === '') {
      vals.push(k === 0 ? 0 : 0xffffffff);
      continue;
    }
    const r = strtoul(p);
    if (r.end !== p.length || r.value > 0xffffffff || p.trimStart().startsWith('-'))
      throw new ValueError(`${ext}: bad value for option "--${name}" near "${parts.slice(k).join(':')}", or out of range (0-4294967295).`, 'invalid-argument');
    vals.push(r.value);
  }
  return { lo: vals[0], hi: vals.length > 1 ? vals[1] : vals[0] };
}

interface MarkMask {
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
  // the length counted, not encoded: an encode per value (a log prefix on each of 10,000 rules) took ~20 µs
  const length = utf8Length(s);
  if (min && length < min) throw new ValueError(`Argument must have a minimum length of ${min} characters`, 'invalid-argument');
  return length >= size ? decoder.decode(encoder.encode(s).slice(0, size - 1)) : s;
}

/** encoder.encode(s).length: a lone surrogate is encoded as U+FFFD, 3 bytes. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for its 2 units
      i++;
    } else n += 2;
  }
  return n;
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

export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}
