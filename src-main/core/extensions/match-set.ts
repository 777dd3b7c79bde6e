// -m set (libxt_set, revision 4): membership of addresses/ports in an ipset, with its counters.
import type { OptionValue } from '../model.js';
import { ValueError, byteLength } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import { not } from './util.js';

type SetDirection = 'src' | 'dst';
type CounterOp = 'eq' | 'ne' | 'lt' | 'gt';

interface SetMatch {
  /**
   * The ipset's name. iptables looks it up in the kernel while parsing, so a
   * set that does not exist on the host fails the whole load; offline we
   * cannot know and keep the name.
   */
  name: string;
  /** which packet field each dimension of the set is matched against */
  dirs: SetDirection[];
  invert: boolean;
  returnNomatch: boolean;
  /** `! --update-counters`: leave the set's counters alone */
  skipCounterUpdate: boolean;
  skipSubcounterUpdate: boolean;
  packets: { op: CounterOp; value: bigint } | null;
  bytes: { op: CounterOp; value: bigint } | null;
}

const IPSET_MAXNAMELEN = 32;
const IPSET_DIM_MAX = 6;
const U64_MAX = 2n ** 64n - 1n;
const COUNTER_RE = /^[ \t\n\v\f\r]*\+?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/** parse_dirs: up to six comma-separated `src`/`dst` (only the first three letters are read). */
function parseDirs(s: string): SetDirection[] {
  const items = s.split(',');
  if (items.length > IPSET_DIM_MAX) throw new ValueError(`Can't be more src/dst options than ${IPSET_DIM_MAX}.`, 'invalid-argument');
  return items.map((it) => {
    if (it.startsWith('src')) return 'src';
    if (it.startsWith('dst')) return 'dst';
    throw new ValueError("You must spefify (the comma separated list of) 'src' or 'dst'.", 'invalid-argument', 'write src, dst or a list like src,dst');
  });
}

/** parse_counter: xtables_strtoul with base 0, up to 2^64-1. */
function parseCounter(s: string): bigint {
  if (COUNTER_RE.test(s)) {
    const t = s.trim().replace(/^\+/, '');
    const v = /^0[0-7]+$/.test(t) ? BigInt('0o' + t.slice(1)) : BigInt(t);
    if (v <= U64_MAX) return v;
  }
  throw new ValueError(`Cannot parse ${s} as a counter value`, 'invalid-argument', 'give a whole number');
}

const counter = (name: string): OptionSpec => ({ name, arg: 'required', invert: true, multi: true, parse: ([v]) => parseCounter(v) });

export const set: MatchExtension<SetMatch> = {
  kind: 'match',
  name: 'set',
  // an old-style extension: it takes `!` everywhere and checks repeats and inversion itself
  options: [
    {
      name: 'match-set',
      aliases: ['set'],
      arg: 'required',
      extraArgs: 1,
      invert: true,
      multi: true,
      parse: ([name, dirs], ctx) => {
        if (byteLength(name) > IPSET_MAXNAMELEN - 1)
          throw new ValueError(`setname \`${name}' too long, max ${IPSET_MAXNAMELEN - 1} characters.`, 'invalid-argument');
        const parsed = { name, dirs: parseDirs(dirs) };
        ctx.warn?.('host-dependent', `ipset \`${name}' must exist on the host when the rules load; if it does not, the whole ruleset fails to load`,
          'create the set before the rules load (ipset restore, e.g. from the ipset service)');
        return parsed;
      },
    },
    { name: 'return-nomatch', arg: 'none', invert: true, multi: true },
    { name: 'update-counters', arg: 'none', invert: true, multi: true },
    { name: 'update-subcounters', arg: 'none', invert: true, multi: true },
    counter('packets-eq'),
    counter('packets-lt'),
    counter('packets-gt'),
    counter('bytes-eq'),
    counter('bytes-lt'),
    counter('bytes-gt'),
  ],
  finalize(options) {
    const s: SetMatch = {
      name: '', dirs: [], invert: false, returnNomatch: false, skipCounterUpdate: false, skipSubcounterUpdate: false, packets: null, bytes: null,
    };
    let given = false;
    for (const o of options) applyOption(s, o, () => {
      if (given) throw new ValueError('--match-set can be specified only once', 'invalid-argument');
      given = true;
    });
    if (!given) throw new ValueError("You must specify `--match-set' with proper arguments", 'missing-argument', 'add --match-set NAME src');
    return s;
  },
  save(m) {
    const s = m.state;
    let out = `${s.invert ? ' !' : ''} --match-set ${s.name} ${s.dirs.join(',')}`;
    if (s.returnNomatch) out += ' --return-nomatch';
    if (s.skipCounterUpdate) out += ' ! --update-counters';
    if (s.skipSubcounterUpdate) out += ' ! --update-subcounters';
    out += saveCounter('packets', s.packets) + saveCounter('bytes', s.bytes);
    return out;
  },
  // the set and the direction of its first dimension; the counters and flags are in the rule's detail
  words: (s) => [`${not(s.invert)}${s.dirs[0] === 'src' ? 'source' : 'destination'} in set ${s.name}`],
};

function applyOption(s: SetMatch, o: OptionValue, once: () => void): void {
  switch (o.name) {
    case 'match-set': {
      once();
      const v = o.value as { name: string; dirs: SetDirection[] };
      s.name = v.name;
      s.dirs = v.dirs;
      s.invert = o.invert;
      return;
    }
    case 'return-nomatch':
      if (o.invert) throw new ValueError('--return-nomatch flag cannot be inverted', 'invalid-argument');
      s.returnNomatch = true;
      return;
    case 'update-counters':
      if (o.invert) s.skipCounterUpdate = true;
      return;
    case 'update-subcounters':
      if (o.invert) s.skipSubcounterUpdate = true;
      return;
  }
  const [what, op] = o.name.split('-') as ['packets' | 'bytes', 'eq' | 'lt' | 'gt'];
  if (s[what]) throw new ValueError(`only one of the --${what}-[eq|lt|gt] is allowed`, 'invalid-argument');
  if (o.invert && op !== 'eq') throw new ValueError(`--${o.name} option cannot be inverted`, 'invalid-argument', `use ! --${what}-eq or the opposite comparison`);
  s[what] = { op: o.invert ? 'ne' : op, value: o.value as bigint };
}

function saveCounter(what: string, c: { op: CounterOp; value: bigint } | null): string {
  if (!c) return '';
  return c.op === 'ne' ? ` ! --${what}-eq ${c.value}` : ` --${what}-${c.op} ${c.value}`;
}
