// -m connbytes (libxt_connbytes): packets, bytes or average packet size a connection has carried so far.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';
import { U64_MAX, strtoull } from './match-quota.js';

interface ConnbytesMatch {
  /** as the kernel stores them: from > to means the range is negated */
  from: bigint;
  to: bigint;
  mode: 'packets' | 'bytes' | 'avgpkt';
  dir: 'original' | 'reply' | 'both';
}

/** The range as written and whether it is negated. */
function connbytesRange(s: ConnbytesMatch): { min: bigint; max: bigint; invert: boolean } {
  return s.from > s.to ? { min: s.to, max: s.from, invert: true } : { min: s.from, max: s.to, invert: false };
}

/** XTTYPE_UINT64RC: `a`, `a:b`, `a:` or `:b` */
function parseRange(s: string): { min: bigint; max: bigint | null } {
  const bad = (near: string) => new ValueError(`connbytes: bad value for option "--connbytes" near "${near}", or out of range (0-${U64_MAX}).`,
    'invalid-argument', 'give N or N:M');
  const parts: bigint[] = [];
  let i = 0;
  for (;;) {
    if (parts.length === 2) throw new ValueError('connbytes: Too many components for option "--connbytes" (max: 2)', 'invalid-argument');
    let end = i;
    if (i >= s.length || s[i] === ':') parts.push(parts.length === 1 ? U64_MAX : 0n);
    else {
      const r = strtoull(s.slice(i));
      if (!r) throw bad(s.slice(i));
      end = i + r.end;
      if (end < s.length && s[end] !== ':')
        throw new ValueError(`connbytes: Argument to "--connbytes" has unexpected characters near "${s.slice(end)}".`, 'invalid-argument');
      parts.push(r.value);
    }
    if (end >= s.length) break;
    i = end + 1;
  }
  return { min: parts[0], max: parts.length > 1 ? parts[1] : null };
}

const MODES = new Set(['packets', 'bytes', 'avgpkt']);
const DIRS = new Set(['original', 'reply', 'both']);

export const connbytes: MatchExtension<ConnbytesMatch> = {
  kind: 'match',
  name: 'connbytes',
  options: [
    {
      name: 'connbytes',
      arg: 'required',
      invert: true,
      parse: ([v]) => {
        const r = parseRange(v);
        const to = r.max ?? U64_MAX;
        if (to < r.min) throw new ValueError(`${r.min} should be less than ${to}`, 'invalid-argument', `write the range as ${to}:${r.min}`);
        return { from: r.min, to };
      },
    },
    {
      name: 'connbytes-dir',
      arg: 'required',
      parse: ([v]) => {
        if (!DIRS.has(v)) throw new ValueError(`Unknown --connbytes-dir \`${v}'`, 'invalid-argument', 'the direction is original, reply or both');
        return v;
      },
    },
    {
      name: 'connbytes-mode',
      arg: 'required',
      parse: ([v]) => {
        if (!MODES.has(v)) throw new ValueError(`Unknown --connbytes-mode \`${v}'`, 'invalid-argument', 'the mode is packets, bytes or avgpkt');
        return v;
      },
    },
  ],
  finalize(options) {
    xtFcheck('connbytes', options, [
      { name: 'connbytes', mand: true },
      { name: 'connbytes-dir', mand: true },
      { name: 'connbytes-mode', mand: true },
    ]);
    const s = { from: 0n, to: 0n, mode: 'packets', dir: 'both' } as ConnbytesMatch;
    for (const o of options) {
      if (o.name === 'connbytes') {
        const r = o.value as { from: bigint; to: bigint };
        // the kernel negates by storing the range backwards
        [s.from, s.to] = o.invert ? [r.to, r.from] : [r.from, r.to];
      } else if (o.name === 'connbytes-dir') s.dir = o.value as ConnbytesMatch['dir'];
      else s.mode = o.value as ConnbytesMatch['mode'];
    }
    return s;
  },
  save(m) {
    const s = m.state;
    const r = connbytesRange(s);
    const range = r.max === U64_MAX ? `${r.min}` : `${r.min}:${r.max}`;
    return `${r.invert ? ' !' : ''} --connbytes ${range} --connbytes-mode ${s.mode} --connbytes-dir ${s.dir}`;
  },
  // depends on what the connection carried so far, not on the packet
  analysis: { chance: () => null },
};
