// -m hashlimit (libxt_hashlimit, revision 3): a limit per group of packets
// (by address and/or port), in packets or bytes per time.
import type { Match, OptionValue } from '../model.js';
import { ValueError, parseUInt, strtoul } from '../values.js';
import type { MatchExtension } from './types.js';
import { atoi, periodToRate, rateUnitSeconds, type Rate } from './match-limit.js';

type HashlimitMode = 'srcip' | 'srcport' | 'dstip' | 'dstport';
const MODE_ORDER: readonly HashlimitMode[] = ['srcip', 'srcport', 'dstip', 'dstport'];

type HashlimitRate =
  | { kind: 'packets'; avg: number; rate: Rate }
  | { kind: 'bytes'; cost: number; bytesPerSecond: number };

interface Hashlimit {
  /** upto: match while under the rate; above: match when over it */
  direction: 'upto' | 'above';
  rate: HashlimitRate;
  /** packets, or for a byte rate the number of rate units (0: none given) */
  burst: number;
  mode: HashlimitMode[];
  name: string;
  htableSize: number;
  htableMax: number;
  gcInterval: number;
  /** milliseconds */
  expire: number;
  srcMask: number;
  dstMask: number;
  rateMatch: boolean;
  rateInterval: number;
  /** 128 in ip6tables (absent: 32) */
  fullMask?: 128;
}

// XT_HASHLIMIT_SCALE_v2, and the defaults iptables fills in
const SCALE = 1000000;
const DEFAULT_BURST = 5;
const BURST_MAX = 1000000;
const GC_INTERVAL = 1000;
const BYTE_EXPIRE = 15;
const BYTE_EXPIRE_BURST = 60;
const UINT32_MAX = 0xffffffff;

const costToBytes = (cost: number) => ((cost ? Math.floor(UINT32_MAX / cost) : UINT32_MAX) - 1) * 16;
const bytesToCost = (bytes: number) => Math.floor(UINT32_MAX / ((Math.floor(bytes / 16) % 2 ** 32) + 1));

/** A rate: `N[k|m]b/s` in bytes, else `N[/unit]` in packets; `mult` is the seconds per unit (15 for bytes). */
function parseRate(arg: string, opt: string): { rate: HashlimitRate; mult: number } {
  const b = arg.indexOf('b/s');
  if (b > 0) {
    const r = atoi(arg);
    if (r > 0) {
      const c = arg[b - 1];
      const bytes = r * (c === 'm' ? 1048576 : c === 'k' ? 1024 : 1);
      const cost = bytesToCost(bytes);
      if (cost === 0) throw new ValueError(`Rate too high "${arg}"`, 'invalid-argument');
      return { rate: { kind: 'bytes', cost, bytesPerSecond: bytes }, mult: BYTE_EXPIRE };
    }
  }
  const mult = rateUnitSeconds(arg);
  const r = atoi(arg);
  if (mult === null || r === 0)
    throw new ValueError(`hashlimit: Bad value for "--${opt}" option: "${arg}"`, 'invalid-argument', 'write the rate as N/second, N/minute, N/hour, N/day or Nkb/s');
  // atoll into a uint64: a negative count divides by a huge number
  const avg = r < 0 ? 0 : Math.floor((SCALE * mult) / r);
  if (avg === 0) throw new ValueError(`Rate too fast "${arg}"`, 'invalid-argument', 'at most 1000000/second');
  return { rate: { kind: 'packets', avg, rate: periodToRate(avg, SCALE) }, mult };
}

const burstError = () => new ValueError(`bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`, 'invalid-argument');

// parse_burst: a number with an optional k or m (bytes) suffix
function parseBurst(arg: string): number {
  const r = strtoul(arg);
  if (r.end === 0 || r.value < 1 || (r.end === arg.length && r.value > BURST_MAX)) throw burstError();
  const c = arg[r.end];
  return r.value * (c === 'm' ? 1048576 : c === 'k' ? 1024 : 1);
}

function parseMode(arg: string): HashlimitMode[] {
  const set = new Set<string>();
  for (const tok of arg.split(/[,|]/)) {
    if (tok === '') continue;
    if (!(MODE_ORDER as readonly string[]).includes(tok))
      throw new ValueError(`hashlimit: Bad value for "--hashlimit-mode" option: "${arg}"`, 'invalid-argument', 'mode is a comma list of srcip, srcport, dstip, dstport');
    set.add(tok);
  }
  return MODE_ORDER.filter((m) => set.has(m));
}

const uint32 = (name: string) => ({
  name,
  arg: 'required' as const,
  parse: ([v]: string[]) => {
    const n = parseUInt(v);
    if (n === null) throw new ValueError(`hashlimit: bad value for option "--${name}", or out of range (0-4294967295).`, 'invalid-argument');
    return n;
  },
});
const plen = (name: string) => ({
  name,
  arg: 'required' as const,
  parse: ([v]: string[]) => {
    const n = parseUInt(v, 0, 128);
    if (n === null) throw new ValueError(`hashlimit: bad value for option "--${name}", or out of range (0-128).`, 'invalid-argument');
    return n;
  },
});

export const hashlimit: MatchExtension<Hashlimit> = {
  kind: 'match',
  name: 'hashlimit',
  options: [
    { name: 'hashlimit-upto', aliases: ['hashlimit'], arg: 'required', invert: true, parse: ([v]) => parseRate(v, 'hashlimit-upto') },
    { name: 'hashlimit-above', arg: 'required', invert: true, parse: ([v]) => parseRate(v, 'hashlimit-above') },
    plen('hashlimit-srcmask'),
    plen('hashlimit-dstmask'),
    { name: 'hashlimit-burst', arg: 'required', parse: ([v]) => parseBurst(v) },
    uint32('hashlimit-htable-size'),
    uint32('hashlimit-htable-max'),
    uint32('hashlimit-htable-gcinterval'),
    uint32('hashlimit-htable-expire'),
    { name: 'hashlimit-mode', arg: 'required', parse: ([v]) => parseMode(v) },
    {
      name: 'hashlimit-name',
      arg: 'required',
      parse: ([v]) => {
        if (v === '') throw new ValueError('Argument must have a minimum length of 1 characters', 'invalid-argument');
        return v;
      },
    },
    { name: 'hashlimit-rate-match', arg: 'none' },
    {
      name: 'hashlimit-rate-interval',
      arg: 'required',
      parse: ([v]) => {
        const n = atoi(v);
        if (n <= 0) throw new ValueError(`hashlimit: Bad value for "--hashlimit-rate-interval" option: "${v}"`, 'invalid-argument', 'seconds, 1 or more');
        return n;
      },
    },
  ],
  finalize(options: OptionValue[], ctx) {
    const full = ctx.family === 'ipv6' ? 128 : 32;
    const get = (n: string) => options.find((o) => o.name === n);
    const upto = get('hashlimit-upto');
    const above = get('hashlimit-above');
    if (upto && above) {
      const [first, second] = options.indexOf(upto) < options.indexOf(above) ? [upto, above] : [above, upto];
      throw new ValueError(`hashlimit: option "--${second.name}" cannot be used together with "--${first.name}".`, 'invalid-argument');
    }
    const r = upto ?? above;
    if (!r) throw new ValueError('You have to specify --hashlimit', 'missing-argument', 'add --hashlimit-upto RATE (or --hashlimit-above RATE)');
    const name = get('hashlimit-name');
    if (!name) throw new ValueError('hashlimit: option "--hashlimit-name" must be specified', 'missing-argument', 'add --hashlimit-name NAME');
    const { rate, mult } = r.value as { rate: HashlimitRate; mult: number };
    // `!` swaps the direction
    const direction: Hashlimit['direction'] = (r === above) !== r.invert ? 'above' : 'upto';
    const expireOpt = get('hashlimit-htable-expire');
    let expire = (expireOpt?.value as number | undefined) ?? mult * 1000;
    const burstOpt = get('hashlimit-burst');
    let burst = (burstOpt?.value as number | undefined) ?? DEFAULT_BURST;
    if (rate.kind === 'bytes') {
      if (burstOpt) {
        const unit = costToBytes(rate.cost);
        if (burst < unit) throw new ValueError(`burst cannot be smaller than ${unit}b`, 'invalid-argument', `give a burst of at least ${unit}b`);
        burst = Math.ceil(burst / unit) % 2 ** 32;
        if (!expireOpt) expire = BYTE_EXPIRE_BURST * 1000;
      } else burst = 0;
    } else if (burst > BURST_MAX) throw burstError();
    const rateMatch = Boolean(get('hashlimit-rate-match'));
    let rateInterval = (get('hashlimit-rate-interval')?.value as number | undefined) ?? 0;
    let finalRate = rate;
    if (rateMatch) {
      // iptables divides the packet rate by the unit's seconds here, and the
      // interval defaults to them (so 40/min is saved as 40/sec, interval 60)
      if (rate.kind === 'packets') {
        const avg = Math.floor(rate.avg / mult);
        finalRate = { kind: 'packets', avg, rate: periodToRate(avg, SCALE) };
      }
      if (rateInterval === 0) rateInterval = rate.kind === 'bytes' ? 1 : mult;
    }
    const h: Hashlimit = {
      direction,
      rate: finalRate,
      burst,
      mode: (get('hashlimit-mode')?.value as HashlimitMode[] | undefined) ?? [],
      name: name.value as string,
      htableSize: (get('hashlimit-htable-size')?.value as number | undefined) ?? 0,
      htableMax: (get('hashlimit-htable-max')?.value as number | undefined) ?? 0,
      gcInterval: (get('hashlimit-htable-gcinterval')?.value as number | undefined) ?? GC_INTERVAL,
      expire,
      srcMask: (get('hashlimit-srcmask')?.value as number | undefined) ?? full,
      dstMask: (get('hashlimit-dstmask')?.value as number | undefined) ?? full,
      rateMatch,
      rateInterval,
    };
    // an address is 128 bits in ip6tables: the default masks and what save leaves out
    if (full === 128) h.fullMask = 128;
    return h;
  },
  kernelCheck(state) {
    const h = state;
    if ((h.fullMask ?? 32) === 32 && (h.srcMask > 32 || h.dstMask > 32)) return 'hashlimit: an IPv4 mask is at most 32 bits (Invalid argument)';
    return null;
  },
  save(m) {
    const h = m.state;
    let out = ` --hashlimit-${h.direction}`;
    let quantum: number;
    if (h.rate.kind === 'bytes') {
      [out, quantum] = saveBytes(out, h.rate.cost, h.burst);
    } else {
      const r = h.rate.rate;
      out += ` ${r.count}/${r.unit} --hashlimit-burst ${h.burst}`;
      quantum = { sec: 1, min: 60, hour: 3600, day: 86400 }[r.unit] * 1000;
    }
    if (h.mode.length) out += ` --hashlimit-mode ${h.mode.join(',')}`;
    out += ` --hashlimit-name ${h.name}`;
    if (h.htableSize) out += ` --hashlimit-htable-size ${h.htableSize}`;
    if (h.htableMax) out += ` --hashlimit-htable-max ${h.htableMax}`;
    if (h.gcInterval !== GC_INTERVAL) out += ` --hashlimit-htable-gcinterval ${h.gcInterval}`;
    if (h.expire !== quantum) out += ` --hashlimit-htable-expire ${h.expire}`;
    if (h.srcMask !== (h.fullMask ?? 32)) out += ` --hashlimit-srcmask ${h.srcMask}`;
    if (h.dstMask !== (h.fullMask ?? 32)) out += ` --hashlimit-dstmask ${h.dstMask}`;
    if (h.rateMatch) {
      out += ' --hashlimit-rate-match';
      if (h.rateInterval !== 1) out += ` --hashlimit-rate-interval ${h.rateInterval}`;
    }
    return out;
  },
  analysis: {
    chance(h) {
      const rate = rateText(h);
      return h.direction === 'above' ? { holds: `over ${rate}`, fails: `under ${rate}` } : { holds: `under ${rate}`, fails: `over ${rate}` };
    },
  },
};

const BYTE_UNITS: ReadonlyArray<readonly [string, number]> = [['m', 1048576], ['k', 1024], ['', 1]];

// print_bytes, its rate: the largest unit that gives back the same cost
function byteRate(cost: number): string {
  const r = costToBytes(cost);
  let i = 0;
  for (; i < BYTE_UNITS.length - 1; i++) {
    const t = BYTE_UNITS[i][1];
    if (r >= t && bytesToCost(r - (r % t)) === cost) break;
  }
  return `${Math.floor(r / BYTE_UNITS[i][1])}${BYTE_UNITS[i][0]}b/s`;
}

/** The rate as iptables-save prints it after --hashlimit-upto / --hashlimit-above. */
function rateText(h: Hashlimit): string {
  return h.rate.kind === 'bytes' ? byteRate(h.rate.cost) : `${h.rate.rate.count}/${h.rate.rate.unit}`;
}

// print_bytes: the rate, then the burst in bytes
function saveBytes(out: string, cost: number, burst: number): [string, number] {
  let r = costToBytes(cost);
  let i: number;
  out += ` ${byteRate(cost)}`;
  if (burst === 0) return [out, BYTE_EXPIRE * 1000];
  r *= burst;
  for (i = 0; i < BYTE_UNITS.length - 1; i++) if (r >= BYTE_UNITS[i][1]) break;
  out += ` --hashlimit-burst ${Math.floor(r / BYTE_UNITS[i][1])}${BYTE_UNITS[i][0]}b`;
  return [out, BYTE_EXPIRE_BURST * 1000];
}
