// -m u32 (libxt_u32): tests on 32-bit words read at computed offsets of the packet.
import { ValueError } from '../values.js';
import type { MatchExtension } from './types.js';
import { xtFcheck } from './xt-options.js';

type U32Op = '&' | '<<' | '>>' | '@';

/** One `location=ranges` test: read the word at location[0], then apply each op with its number. */
interface U32Test {
  start: number;
  ops: Array<{ op: U32Op; value: number }>;
  ranges: Array<{ min: number; max: number }>;
}

interface U32Match {
  tests: U32Test[];
  invert: boolean;
}

const MAX = 10; // XT_U32_MAXSIZE + 1 entries in each array

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** u32_parse: tests joined by `&&`; blanks are allowed between tokens. */
function parseU32(s: string): U32Test[] {
  let i = 0;
  const err = (msg: string) => new ValueError(`u32: at char ${i}: ${msg}`, 'invalid-argument', 'see iptables-extensions(8), u32: e.g. "6 & 0xFF = 1"');
  const skip = () => {
    while (isSpace(s[i])) i++;
  };
  const number = (): number => {
    skip();
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s.slice(i));
    if (!m) throw err('not a number or out of range');
    const t = m[1];
    const v = t.length > 1 && t[0] === '0' ? (t[1] === 'x' || t[1] === 'X' ? parseInt(t.slice(2), 16) : parseInt(t.slice(1), 8)) : Number(t);
    if (v > 0xffffffff) throw err('not a number or out of range');
    i += t.length;
    return v;
  };
  const tests: U32Test[] = [];
  for (;;) {
    if (tests.length === MAX) throw err('too many "&&"s');
    skip();
    if (i >= s.length) throw new ValueError('u32: abrupt end of input after location specifier', 'invalid-argument');
    if (s[i] === '=') throw err('location spec missing');
    const test: U32Test = { start: number(), ops: [], ranges: [] };
    for (;;) {
      skip();
      if (s[i] === '=') {
        i++;
        break;
      }
      if (i >= s.length) throw new ValueError('u32: abrupt end of input after location specifier', 'invalid-argument');
      let op: U32Op;
      if (s[i] === '&') op = '&';
      else if (s[i] === '@') op = '@';
      else if (s[i] === '<' || s[i] === '>') {
        if (s[i + 1] !== s[i]) throw err(`a second '${s[i]}' was expected`);
        op = s[i] === '<' ? '<<' : '>>';
        i++;
      } else throw err('operator expected');
      i++;
      if (test.ops.length + 1 === MAX) throw err('too many operators');
      test.ops.push({ op, value: number() });
    }
    for (;;) {
      if (test.ranges.length === MAX) throw err('too many ","s');
      const min = number();
      skip();
      let max = min;
      if (s[i] === ':') {
        i++;
        max = number();
        skip();
      }
      test.ranges.push({ min, max });
      if (s[i] !== ',') break;
      i++;
    }
    tests.push(test);
    if (i >= s.length) return tests;
    if (s[i] !== '&' || s[i + 1] !== '&') throw err('expected "," or "&&"');
    i += 2;
  }
}

const hex = (n: number) => '0x' + n.toString(16);

function formatU32(tests: readonly U32Test[]): string {
  return tests
    .map((t) => hex(t.start) + t.ops.map((o) => o.op + hex(o.value)).join('') + '=' +
      t.ranges.map((r) => (r.min === r.max ? hex(r.min) : `${hex(r.min)}:${hex(r.max)}`)).join(','))
    .join('&&');
}

export const u32: MatchExtension<U32Match> = {
  kind: 'match',
  name: 'u32',
  options: [{ name: 'u32', arg: 'required', invert: true, parse: ([v]) => parseU32(v) }],
  finalize(options) {
    xtFcheck('u32', options, [{ name: 'u32', mand: true }]);
    const o = options[options.length - 1];
    const s: U32Match = { tests: o.value as U32Test[], invert: o.invert };
    return s;
  },
  save(m) {
    const s = m.state;
    return `${s.invert ? ' !' : ''} --u32 "${formatU32(s.tests)}"`;
  },
};
