// -m string (libxt_string): a byte pattern searched for in the packet between two offsets.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck, xtString, xtUInt } from './xt-options.js';

interface StringMatch {
  /** the pattern's bytes (UTF-8 for text given with --string) */
  pattern: Uint8Array;
  invert: boolean;
  /** text-search algorithm: bm (Boyer-Moore) or kmp (Knuth-Pratt-Morris) */
  algo: string;
  from: number;
  /** 65535 when not given */
  to: number;
  icase: boolean;
}

const MAX_PATTERN = 128; // XT_STRING_MAX_PATTERN_SIZE
const encoder = new TextEncoder();
const HEX_DIGIT = /^[0-9a-fA-F]$/;

function parseText(s: string): Uint8Array {
  const b = encoder.encode(s);
  if (b.length > MAX_PATTERN) throw new ValueError(`STRING too long "${s}"`, 'invalid-argument', `a pattern holds at most ${MAX_PATTERN} bytes`);
  return b;
}

/** parse_hex_string: text with `|41 42|` hex blocks and `\c` literals. */
function parseHex(s: string): Uint8Array {
  const src = encoder.encode(s);
  const n = src.length;
  if (n === 0) throw new ValueError('STRING must contain at least one char', 'invalid-argument');
  const out: number[] = [];
  let i = 0;
  let hex = false;
  let literal = false;
  const ch = (k: number) => String.fromCharCode(src[k]);
  while (i < n) {
    if (out.length >= MAX_PATTERN) throw new ValueError(`STRING too long "${s}"`, 'invalid-argument');
    if (src[i] === 0x5c && !hex) literal = true;
    else if (src[i] === 0x5c) throw new ValueError('Cannot include literals in hex data', 'invalid-argument');
    else if (src[i] === 0x7c) {
      if (hex) hex = false;
      else {
        hex = true;
        while (src[i + 1] === 0x20) i++; // spaces right after the opening '|'
      }
      if (i + 1 >= n) break;
      i++;
    }
    if (literal) {
      if (i + 1 >= n) throw new ValueError('Bad literal placement at end of string', 'invalid-argument');
      out.push(src[i + 1]);
      i += 2;
      literal = false;
    } else if (hex) {
      if (i + 1 >= n) throw new ValueError('Odd number of hex digits', 'invalid-argument');
      if (i + 2 >= n) throw new ValueError('Invalid hex block', 'invalid-argument', 'close the hex block with |');
      if (!HEX_DIGIT.test(ch(i))) throw new ValueError(`Invalid hex char '${ch(i)}'`, 'invalid-argument');
      if (!HEX_DIGIT.test(ch(i + 1))) throw new ValueError(`Invalid hex char '${ch(i + 1)}'`, 'invalid-argument');
      out.push(parseInt(ch(i) + ch(i + 1), 16));
      i += src[i + 2] === 0x20 ? 3 : 2;
    } else {
      out.push(src[i]);
      i++;
    }
  }
  return Uint8Array.from(out);
}

/** is_hex_string: a byte outside printable ASCII, or a trailing backslash, makes iptables print hex. */
function needsHex(p: Uint8Array): boolean {
  for (const b of p) if (b < 0x20 || b > 0x7e) return true;
  return p.length > 0 && p[p.length - 1] === 0x5c;
}

function formatPattern(p: Uint8Array): string {
  if (needsHex(p)) {
    let h = '';
    for (const b of p) h += b.toString(16).padStart(2, '0');
    return ` --hex-string "|${h}|"`;
  }
  let t = '';
  for (const b of p) t += (b === 0x22 || b === 0x5c ? '\\' : '') + String.fromCharCode(b);
  return ` --string "${t}"`;
}

const ALGOS: ReadonlySet<string> = new Set(['bm', 'kmp']);

export const string: MatchExtension<StringMatch> = {
  kind: 'match',
  name: 'string',
  options: [
    { name: 'from', arg: 'required', parse: ([v]) => xtUInt('string', 'from', v, 0, 0xffff) },
    { name: 'to', arg: 'required', parse: ([v]) => xtUInt('string', 'to', v, 0, 0xffff) },
    { name: 'algo', arg: 'required', parse: ([v]) => xtString(v, 16) },
    { name: 'string', arg: 'required', invert: true, parse: ([v]) => parseText(v) },
    { name: 'hex-string', arg: 'required', invert: true, parse: ([v]) => parseHex(v) },
    { name: 'icase', arg: 'none' },
  ],
  finalize(options) {
    const s: StringMatch = { pattern: new Uint8Array(0), invert: false, algo: '', from: 0, to: 0xffff, icase: false };
    let pattern = false;
    for (const o of options) {
      switch (o.name) {
        case 'from': s.from = o.value as number; break;
        case 'to': s.to = o.value as number; break;
        case 'algo': s.algo = o.value as string; break;
        case 'icase': s.icase = true; break;
        default:
          pattern = true;
          s.pattern = o.value as Uint8Array;
          if (o.invert) s.invert = true;
      }
    }
    if (!pattern) throw new ValueError("STRING match: You must specify `--string' or `--hex-string'", 'missing-argument', 'add --string TEXT');
    xtFcheck('string', options, [
      { name: 'from' },
      { name: 'to' },
      { name: 'algo', mand: true },
      { name: 'string', excl: ['hex-string'] },
      { name: 'hex-string', excl: ['string'] },
      { name: 'icase' },
    ]);
    return s;
  },
  kernelCheck(state) {
    const s = state;
    if (!ALGOS.has(s.algo)) return `string: the kernel has no text-search algorithm "${s.algo}" (use bm or kmp)`;
    if (s.from > s.to) return `string: --from ${s.from} is after --to ${s.to}; the kernel refuses it`;
    if (s.pattern.length === 0) return 'string: the kernel refuses an empty pattern';
    return null;
  },
  save(m) {
    const s = m.state;
    let out = (s.invert ? ' !' : '') + formatPattern(s.pattern) + ` --algo ${s.algo}`;
    if (s.from !== 0) out += ` --from ${s.from}`;
    if (s.to !== 0xffff) out += ` --to ${s.to}`;
    if (s.icase) out += ' --icase';
    return out;
  },
};
