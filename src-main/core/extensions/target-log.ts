// -j LOG (libxt_LOG): log the packet to the kernel log and continue.
import { ValueError, saveString, strtoulWhole } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtString } from './xt-options.js';

/** syslog level LOG_WARNING: what LOG uses when --log-level is not given; never printed. */
const LOG_DEFAULT_LEVEL = 4;

// xtopt_parse_sysloglevel's names, matched case-sensitively
const LEVEL_NAMES: Record<string, number> = {
  alert: 1, crit: 2, debug: 7, emerg: 0, error: 3, info: 6, notice: 5, panic: 0, warning: 4,
};

/** A level 0–7 (base 0 number) or a syslog name. */
function parseLogLevel(arg: string): number {
  const n = strtoulWhole(arg, 0, 7);
  if (n !== null) return n;
  if (Object.prototype.hasOwnProperty.call(LEVEL_NAMES, arg)) return LEVEL_NAMES[arg];
  throw new ValueError(`log level "${arg}" unknown`, 'invalid-argument',
    'use a number 0-7 or emerg, alert, crit, error, warning, notice, info, debug');
}

// the flags in the order LOG_save prints them
const FLAGS = ['log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode'] as const;
type LogFlag = (typeof FLAGS)[number];

interface LogState {
  /** syslog level 0–7 (default 4) */
  level: number;
  /** '' when none */
  prefix: string;
  flags: LogFlag[];
}


export const log: TargetExtension<LogState> = {
  kind: 'target',
  name: 'LOG',
  // logs and lets the packet continue to the next rule
  terminal: false,
  options: [
    { name: 'log-level', arg: 'required', parse: ([v]) => parseLogLevel(v) },
    {
      name: 'log-prefix',
      arg: 'required',
      parse: ([v]) => {
        if (v.includes('\n')) throw new ValueError('Newlines not allowed in --log-prefix', 'invalid-argument');
        // char prefix[30]: longer prefixes are cut to 29 bytes
        return xtString(v, 30, 1);
      },
    },
    ...FLAGS.map((name) => ({ name, arg: 'none' as const })),
  ],
  finalize(options) {
    const s: LogState = { level: LOG_DEFAULT_LEVEL, prefix: '', flags: [] };
    for (const o of options) {
      if (o.name === 'log-level') s.level = o.value as number;
      else if (o.name === 'log-prefix') s.prefix = o.value as string;
    }
    s.flags = FLAGS.filter((f) => options.some((o) => o.name === f));
    return s;
  },
  save(t) {
    const s = t.state;
    let out = s.prefix ? ' --log-prefix' + saveString(s.prefix) : '';
    if (s.level !== LOG_DEFAULT_LEVEL) out += ` --log-level ${s.level}`;
    for (const f of s.flags) out += ' --' + f;
    return out;
  },
  analysis: { action: () => ({ kind: 'continue', name: 'LOG', log: true }) },
};
