// -j NFQUEUE (libxt_NFQUEUE, revision 3): hand the packet to a userspace program for a verdict.
import { ValueError, strtoulPrefix } from '../values.js';
import type { TargetExtension } from './types.js';
import type { Target } from '../model.js';
import { xtFcheck, xtUInt } from './xt-options.js';

interface NfqueueState {
  /** first queue */
  queue: number;
  /** number of queues balanced over (1: just `queue`) */
  total: number;
  bypass: boolean;
  cpuFanout: boolean;
}


/** XTTYPE_UINT16RC `lo:hi` (either side may be empty) as --queue-balance takes it. */
function parseBalance(arg: string): { lo: number; hi: number } {
  const vals: number[] = [];
  let k = 0;
  for (;;) {
    if (vals.length === 2)
      throw new ValueError('NFQUEUE: Too many components for option "--queue-balance" (max: 2)', 'invalid-argument');
    const rest = arg.slice(k);
    let end: number;
    if (rest === '' || rest[0] === ':') {
      // an empty side means 0 for the first, 65535 for the second
      vals.push(vals.length === 1 ? 0xffff : 0);
      end = k;
    } else {
      const r = strtoulPrefix(rest, 0xffff);
      if (!r)
        throw new ValueError(`NFQUEUE: bad value for option "--queue-balance" near "${rest}", or out of range (0-65535).`, 'invalid-argument');
      end = k + r.end;
      if (end < arg.length && arg[end] !== ':')
        throw new ValueError(`NFQUEUE: Argument to "--queue-balance" has unexpected characters near "${arg.slice(end)}".`, 'invalid-argument');
      vals.push(r.value);
    }
    if (end >= arg.length) break;
    k = end + 1;
  }
  if (vals.length !== 2) throw new ValueError(`Bad range "${arg}"`, 'invalid-argument', 'write FIRST:LAST');
  if (vals[0] >= vals[1]) throw new ValueError(`${vals[0]} should be less than ${vals[1]}`, 'invalid-argument');
  return { lo: vals[0], hi: vals[1] };
}

export const nfqueue: TargetExtension<NfqueueState> = {
  kind: 'target',
  name: 'NFQUEUE',
  // the userspace program decides the packet's fate; with --queue-bypass and no
  // listener the packet is accepted, so this rule ends traversal either way
  terminal: true,
  options: [
    { name: 'queue-num', arg: 'required', parse: ([v]) => xtUInt('NFQUEUE', 'queue-num', v, 0, 0xffff) },
    { name: 'queue-balance', arg: 'required', parse: ([v]) => parseBalance(v) },
    { name: 'queue-bypass', arg: 'none' },
    { name: 'queue-cpu-fanout', arg: 'none' },
  ],
  finalize(options) {
    xtFcheck('NFQUEUE', options, [
      { name: 'queue-num', excl: ['queue-balance'] },
      { name: 'queue-balance', excl: ['queue-num'] },
      { name: 'queue-bypass' },
      { name: 'queue-cpu-fanout', also: ['queue-balance'] },
    ]);
    const s: NfqueueState = { queue: 0, total: 1, bypass: false, cpuFanout: false };
    for (const o of options) {
      if (o.name === 'queue-num') s.queue = o.value as number;
      else if (o.name === 'queue-balance') {
        const r = o.value as { lo: number; hi: number };
        s.queue = r.lo;
        // queues_total is a u16: 0:65535 wraps to 0, which the kernel refuses
        s.total = (r.hi - r.lo + 1) & 0xffff;
      } else if (o.name === 'queue-bypass') s.bypass = true;
      else s.cpuFanout = true;
    }
    return { ...s };
  },
  kernelCheck(state) {
    const s = state;
    if (s.total === 0) return 'NFQUEUE --queue-balance covers more than 65535 queues; the kernel refuses it';
    return null;
  },
  save(t) {
    const s = t.state;
    let out = s.total > 1 ? ` --queue-balance ${s.queue}:${s.queue + s.total - 1}` : ` --queue-num ${s.queue}`;
    if (s.bypass) out += ' --queue-bypass';
    if (s.cpuFanout) out += ' --queue-cpu-fanout';
    return out;
  },
  // with --queue-bypass the packet goes on when no program listens: which, only the host knows
  analysis: { action: (s) => (s.bypass ? { kind: 'unknown', name: 'NFQUEUE --queue-bypass' } : { kind: 'queue', name: 'NFQUEUE' }) },
};
