// -m hbh and -m dst (libip6t_hbh, libip6t_dst): the hop-by-hop and destination
// options headers — their length and the options in them (TYPE[:LEN],…).
import type { MatchExtension } from './types.js';
import { ValueError, strtoul } from '../values.js';
import { xtUInt } from './xt-options.js';

// IP6T_OPTS_OPTSNR
const MAX_OPTS = 16;

interface OptsState {
  len: { value: number; invert: boolean } | null;
  /** (type << 8) | len, len 0xff when not given */
  opts: number[] | null;
}

function optsNum(ext: string, s: string, what: string): number {
  const r = strtoul(s);
  if (r.end === 0) throw new ValueError(`${ext}: no valid digits in ${what} \`${s}'`, 'invalid-argument', 'write TYPE or TYPE:LENGTH numbers, comma-separated');
  if (r.end !== s.length) throw new ValueError(`${ext}: error parsing ${what} \`${s}'`, 'invalid-argument', 'write TYPE or TYPE:LENGTH numbers, comma-separated');
  return r.value;
}

/** parse_options: up to 16 `type[:len]` items; values are cut to 8 bits as the C code does. */
function parseOpts(ext: string, arg: string): number[] {
  const items = arg.split(',');
  const out: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i === MAX_OPTS) throw new ValueError('too many addresses specified', 'invalid-argument', `at most ${MAX_OPTS} options`);
    const [type, len] = items[i].split(/:(.*)/s);
    if (len !== undefined && i === MAX_OPTS - 1) throw new ValueError('too many ports specified', 'invalid-argument', `at most ${MAX_OPTS} options`);
    let v = (optsNum(ext, type, 'opt') & 0xff) << 8;
    if (len !== undefined) {
      if (v === 0) throw new ValueError('PAD0 has not got length', 'invalid-argument', 'option type 0 (Pad1) has no length');
      v |= optsNum(ext, len, 'length') & 0xff;
    } else v |= 0xff;
    out.push(v);
  }
  return out;
}

function optsExtension(name: 'hbh' | 'dst'): MatchExtension<OptsState> {
  const lenOpt = `${name}-len`;
  const optsOpt = `${name}-opts`;
  return {
    kind: 'match',
    name,
    families: ['ipv6'],
    options: [
      { name: lenOpt, arg: 'required', invert: true, parse: ([v]) => xtUInt(name, lenOpt, v, 0, 0xffffffff) },
      { name: optsOpt, arg: 'required', parse: ([v]) => parseOpts(name, v) },
    ],
    finalize(options) {
      const s: OptsState = { len: null, opts: null };
      for (const o of options) {
        if (o.name === lenOpt) s.len = { value: o.value as number, invert: o.invert };
        else s.opts = o.value as number[];
      }
      return s;
    },
    save(m) {
      const s = m.state;
      let out = '';
      if (s.len) out += `${s.len.invert ? ' !' : ''} --${lenOpt} ${s.len.value}`;
      if (s.opts) {
        out += ` --${optsOpt}`;
        s.opts.forEach((v, i) => (out += (i === 0 ? ' ' : ',') + (v >> 8) + ((v & 0xff) !== 0xff ? ':' + (v & 0xff) : '')));
      }
      return out;
    },
  };
}

export const hbh = optsExtension('hbh');
export const dst = optsExtension('dst');
