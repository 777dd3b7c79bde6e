// -j NFLOG (libxt_NFLOG): send the packet to a userspace logger (ulogd) over nfnetlink.
import { ValueError, saveString } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtString, xtUInt } from './xt-options.js';

/** iptables 1.8.9 leaves the threshold 0 when not given (the kernel then uses its own) and prints any other value */
const NFLOG_DEFAULT_THRESHOLD = 0;

interface NflogState {
  group: number;
  /** '' when none */
  prefix: string;
  /** bytes copied to userspace; `copyLen` false means the old --nflog-range, which never worked */
  len: number;
  copyLen: boolean;
  threshold: number;
}


export const nflog: TargetExtension<NflogState> = {
  kind: 'target',
  name: 'NFLOG',
  // logs and lets the packet continue
  terminal: false,
  options: [
    { name: 'nflog-group', arg: 'required', parse: ([v]) => xtUInt('NFLOG', 'nflog-group', v, 0, 0xffff) },
    {
      name: 'nflog-prefix',
      arg: 'required',
      parse: ([v]) => {
        const p = xtString(v, 64, 1);
        if (v.includes('\n')) throw new ValueError('Newlines not allowed in --log-prefix', 'invalid-argument');
        return p;
      },
    },
    { name: 'nflog-range', arg: 'required', parse: ([v]) => xtUInt('NFLOG', 'nflog-range', v, 0, 0xffffffff) },
    { name: 'nflog-size', arg: 'required', parse: ([v]) => xtUInt('NFLOG', 'nflog-size', v, 0, 0xffffffff) },
    { name: 'nflog-threshold', arg: 'required', parse: ([v]) => xtUInt('NFLOG', 'nflog-threshold', v, 0, 0xffff) },
  ],
  finalize(options) {
    xtFcheck('NFLOG', options, [
      { name: 'nflog-group' }, { name: 'nflog-prefix' },
      { name: 'nflog-range', excl: ['nflog-size'] }, { name: 'nflog-size', excl: ['nflog-range'] },
    ]);
    const s: NflogState = { group: 0, prefix: '', len: 0, copyLen: false, threshold: NFLOG_DEFAULT_THRESHOLD };
    for (const o of options) {
      const v = o.value;
      if (o.name === 'nflog-group') s.group = v as number;
      else if (o.name === 'nflog-prefix') s.prefix = v as string;
      else if (o.name === 'nflog-threshold') s.threshold = v as number;
      else {
        s.len = v as number;
        s.copyLen = o.name === 'nflog-size';
      }
    }
    return { ...s };
  },
  save(t) {
    const s = t.state;
    let out = s.prefix ? ' --nflog-prefix' + saveString(s.prefix) : '';
    if (s.group) out += ` --nflog-group ${s.group}`;
    if (s.copyLen) out += ` --nflog-size ${s.len}`;
    else if (s.len) out += ` --nflog-range ${s.len}`;
    if (s.threshold !== NFLOG_DEFAULT_THRESHOLD) out += ` --nflog-threshold ${s.threshold}`;
    return out;
  },
  analysis: { action: () => ({ kind: 'continue', name: 'NFLOG', log: true }) },
};
