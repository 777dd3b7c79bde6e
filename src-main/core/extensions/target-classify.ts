// -j CLASSIFY (libxt_CLASSIFY): set the packet's traffic-control class (priority).
import { ValueError, strtoulPrefix } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck } from './xt-options.js';

interface ClassifyState {
  major: number;
  minor: number;
}


/** sscanf("%x:%x") as CLASSIFY_string_to_priority reads it; TC_H_MAKE keeps the low 16 bits of each. */
function parseClass(arg: string): ClassifyState {
  const bad = () => new ValueError(`Bad class value "${arg}"`, 'invalid-argument', 'write MAJOR:MINOR in hex, e.g. 1:10');
  const a = strtoulPrefix(arg, 0xffffffff, 16);
  if (!a || arg[a.end] !== ':') throw bad();
  const b = strtoulPrefix(arg.slice(a.end + 1), 0xffffffff, 16);
  if (!b) throw bad();
  return { major: a.value & 0xffff, minor: b.value & 0xffff };
}

export const classify: TargetExtension<ClassifyState> = {
  kind: 'target',
  name: 'CLASSIFY',
  // any table, but only on the way out; the packet continues
  hooks: ['OUTPUT', 'FORWARD', 'POSTROUTING'],
  terminal: false,
  options: [{ name: 'set-class', arg: 'required', parse: ([v]) => parseClass(v) }],
  finalize(options) {
    xtFcheck('CLASSIFY', options, [{ name: 'set-class', mand: true }]);
    return { ...(options[0].value as ClassifyState) };
  },
  save(t) {
    const s = t.state;
    const h = (n: number) => n.toString(16).padStart(4, '0');
    return ` --set-class ${h(s.major)}:${h(s.minor)}`;
  },
};
