// -m recent (libxt_recent, revision 1): lists of recently seen addresses.
import type { Match, OptionValue } from '../model.js';
import { ALL_ONES6, ValueError, formatIPv4, formatIPv6, parseHost6, parseUInt } from '../values.js';
import type { MatchExtension, OptionSpec } from './types.js';
import { parseHost } from './match-conntrack.js';

type RecentCommand = 'set' | 'rcheck' | 'update' | 'remove';
const COMMANDS: readonly RecentCommand[] = ['set', 'rcheck', 'update', 'remove'];

interface Recent {
  command: RecentCommand;
  invert: boolean;
  /** 0: not given */
  seconds: number;
  reap: boolean;
  /** 0: not given */
  hitcount: number;
  rttl: boolean;
  name: string;
  /** the address mask (a host name stays for the host to resolve) */
  mask: { kind: 'net'; addr: number } | { kind: 'net6'; addr: bigint } | { kind: 'host-name'; name: string };
  side: 'rsource' | 'rdest';
}

// XT_RECENT_NAME_LEN, and the kernel's largest hit count
const NAME_LEN = 200;
const MAX_HITCOUNT = 65535;

const commandOpt = (name: RecentCommand): OptionSpec => ({ name, arg: 'none', invert: true });
const uint32 = (name: string, min: number): OptionSpec => ({
  name,
  arg: 'required',
  parse: ([v]) => {
    const n = parseUInt(v, min);
    if (n === null) throw new ValueError(`recent: bad value for option "--${name}", or out of range (${min}-4294967295).`, 'invalid-argument');
    return n;
  },
});

export const recent: MatchExtension<Recent> = {
  kind: 'match',
  name: 'recent',
  options: [
    ...COMMANDS.map(commandOpt),
    uint32('seconds', 1),
    { name: 'reap', arg: 'none' },
    uint32('hitcount', 0),
    { name: 'rttl', arg: 'none' },
    { name: 'name', arg: 'required' },
    { name: 'rsource', arg: 'none' },
    { name: 'rdest', arg: 'none' },
    { name: 'mask', arg: 'required', parse: ([v], ctx) => (ctx.family === 'ipv6' ? parseHost6(v) : parseHost(v)) },
  ],
  finalize(options: OptionValue[], ctx) {
    // the checks iptables makes as it reads each option, in order
    let cmd: OptionValue | undefined;
    for (const o of options) {
      if ((COMMANDS as readonly string[]).includes(o.name)) {
        if (cmd) throw new ValueError(`recent: option "--${o.name}" cannot be used together with "--${cmd.name}".`, 'invalid-argument', 'one rule per command');
        cmd = o;
      } else if (o.name === 'rttl' && cmd && (cmd.name === 'set' || cmd.name === 'remove')) {
        throw new ValueError(`recent: option "--rttl" cannot be used together with "--${cmd.name}".`, 'invalid-argument', '--rttl goes with --rcheck or --update');
      }
    }
    if (!cmd) throw new ValueError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'", 'missing-argument', 'add --set, --rcheck, --update or --remove');
    const get = (n: string) => options.find((o) => o.name === n);
    if (get('reap') && !get('seconds')) throw new ValueError('recent: option "--reap" also requires "--seconds".', 'missing-argument', 'add --seconds N');
    let side: Recent['side'] = 'rsource';
    for (const o of options) if (o.name === 'rsource' || o.name === 'rdest') side = o.name;
    const r: Recent = {
      command: cmd.name as RecentCommand,
      invert: cmd.invert,
      seconds: (get('seconds')?.value as number | undefined) ?? 0,
      reap: Boolean(get('reap')),
      hitcount: (get('hitcount')?.value as number | undefined) ?? 0,
      rttl: Boolean(get('rttl')),
      name: (get('name')?.value as string | undefined) ?? 'DEFAULT',
      mask: (get('mask')?.value as Recent['mask'] | undefined) ?? (ctx.family === 'ipv6' ? { kind: 'net6', addr: ALL_ONES6 } : { kind: 'net', addr: 0xffffffff }),
      side,
    };
    return r;
  },
  kernelCheck(state) {
    const r = state;
    if ((r.command === 'set' || r.command === 'remove') && (r.seconds || r.hitcount || r.rttl || r.reap))
      return `recent: --${r.command} takes no --seconds, --hitcount, --rttl or --reap (Invalid argument)`;
    if (r.hitcount > MAX_HITCOUNT) return `recent: --hitcount ${r.hitcount} is larger than the kernel allows (${MAX_HITCOUNT}) (Invalid argument)`;
    if (r.name === '' || r.name.length >= NAME_LEN || r.name === '.' || r.name === '..' || r.name.includes('/'))
      return `recent: the list name "${r.name}" is not a valid file name for /proc/net/xt_recent (Invalid argument)`;
    return null;
  },
  save(m) {
    const r = m.state;
    let out = `${r.invert ? ' !' : ''} --${r.command}`;
    if (r.seconds) out += ` --seconds ${r.seconds}`;
    if (r.reap) out += ' --reap';
    if (r.hitcount) out += ` --hitcount ${r.hitcount}`;
    if (r.rttl) out += ' --rttl';
    // iptables prints the name as it is, unquoted
    out += ` --name ${r.name} --mask ${r.mask.kind === 'net' ? formatIPv4(r.mask.addr) : r.mask.kind === 'net6' ? formatIPv6(r.mask.addr) : r.mask.name} --${r.side}`;
    return out;
  },
  analysis: {
    chance: (r, text) => ({ holds: `the address is in recent list ${r.name} (${text})`, fails: `the address is not in recent list ${r.name} (${text})` }),
  },
};
