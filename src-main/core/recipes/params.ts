// Checking what the admin typed against a recipe's parameter schema. Every
// problem names the parameter and says how to fix it; the CLI prints them and
// the wizard shows them beside the field.
import { byteLength, formatIPv6, parseIPv6, prefixToMask6, serviceToPort, parseUInt } from '../values.js';
import { RecipeBuildError } from './rules.js';
import { familiesOf, type FamilyChoice } from './family.js';
import type { AnyValues, IpPort, ParamProblem, ParamSpec, Rate, RateUnit, RawParams, Recipe } from './types.js';

export type ParamsResult = { ok: true; values: AnyValues } | { ok: false; problems: ParamProblem[] };

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** An IPv6 address as ip6tables takes it (no zone, no brackets). */
export function isIPv6(s: string): boolean {
  return s.includes(':') && parseIPv6(s) !== null;
}

function ipToNumber(s: string): number {
  return s.split('.').reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
}
function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

const UNITS: ReadonlyArray<[RateUnit, string, number]> = [
  ['second', 'sec', 1],
  ['minute', 'min', 60],
  ['hour', 'hour', 3600],
  ['day', 'day', 86400],
];

/** `25/minute`, `25/min`, `25/m` (any prefix of the unit, as iptables reads it) or a bare number (per second). */
function parseRate(s: string): Rate | string {
  const m = /^(\d+)(?:\/([a-zA-Z]+))?$/.exec(s.trim());
  if (!m) return `"${s}" is not a rate`;
  const count = Number(m[1]);
  const word = (m[2] ?? 'second').toLowerCase();
  const unit = UNITS.find(([u]) => u.startsWith(word));
  if (!unit) return `"${m[2]}" is not a unit of time`;
  if (count < 1) return 'the rate must be at least 1';
  // xt_limit keeps the rate as an interval in 1/10000 s: faster than that is "Rate too fast"
  if (count / unit[2] > 10000) return `${count}/${unit[0]} is faster than iptables can limit (at most 10000/second)`;
  return { count, unit: unit[0], text: `${count}/${unit[1]}` };
}

function checkOne(spec: ParamSpec, raw: string | boolean): { value: unknown } | { problem: ParamProblem } {
  const bad = (message: string, fix?: string) => ({ problem: { param: spec.name, message, ...(fix ? { fix } : {}) } });
  const ex = spec.example ? ` (e.g. ${spec.example})` : '';
  if (spec.type === 'bool') {
    if (typeof raw === 'boolean') return { value: raw };
    const v = raw.toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(v)) return { value: true };
    if (['false', 'no', '0', 'off'].includes(v)) return { value: false };
    return bad(`"${raw}" is not yes or no`, `give --${spec.name} to turn it on, --no-${spec.name} to turn it off`);
  }
  if (typeof raw === 'boolean') return bad('needs a value', `write --${spec.name} VALUE${ex}`);
  const s = raw.trim();
  if (s === '') return bad('is empty', `give a value${ex}, or leave it out`);
  switch (spec.type) {
    case 'port': {
      const n = parseUInt(s, 1, 65535) ?? (/^[a-z][a-z0-9-]*$/i.test(s) ? serviceToPort(s, 'tcp') : null);
      if (n === null || n === 0) return bad(`"${s}" is not a port`, 'give a port number from 1 to 65535 (or a service name such as https)');
      return { value: n };
    }
    case 'int': {
      const min = spec.min ?? 0;
      const max = spec.max ?? 0x7fffffff;
      if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) return bad(`"${s}" is not a whole number from ${min} to ${max}`, `give a whole number from ${min} to ${max}`);
      return { value: Number(s) };
    }
    case 'ip':
      if (spec.family === 'ipv6') {
        if (!isIPv6(s)) return bad(`"${s}" is not an IPv6 address`, `write it as ip6tables does${ex || ' (e.g. 2001:db8::10)'}, without brackets or a /prefix`);
        return { value: formatIPv6(parseIPv6(s)!) };
      }
      if (!isIPv4(s)) return bad(`"${s}" is not an IPv4 address`, `write it as four numbers from 0 to 255${ex}`);
      return { value: s };
    case 'cidr': {
      if (spec.family === 'ipv6') return checkCidr6(s, bad, ex);
      const [a, bits, ...more] = s.split('/');
      if (more.length || !isIPv4(a) || (bits !== undefined && !/^(3[0-2]|[12]?\d)$/.test(bits)))
        return bad(`"${s}" is not an IPv4 network`, `write ADDRESS/PREFIX${ex || ' (e.g. 192.168.1.0/24)'}`);
      const prefix = bits === undefined ? 32 : Number(bits);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const net = (ipToNumber(a) & mask) >>> 0;
      if (net !== ipToNumber(a)) return bad(`${s} has host bits set`, `write the network as ${numberToIp(net)}/${prefix}`);
      return { value: `${a}/${prefix}` };
    }
    case 'interface':
      if (!/^[A-Za-z0-9_.@-]{1,15}\+?$/.test(s) || s === '.' || s === '..')
        return bad(`"${s}" is not an interface name`, 'give a name like eth0 or ens192 (at most 15 letters, digits, . _ - @; a trailing + matches every name with that start)');
      return { value: s };
    case 'rate': {
      const r = parseRate(s);
      if (typeof r === 'string') return bad(r, 'write COUNT/UNIT, e.g. 25/minute (units: second, minute, hour, day)');
      return { value: r };
    }
    case 'enum':
      if (!spec.choices?.includes(s)) return bad(`"${s}" is not one of ${spec.choices?.join(', ')}`, `choose one of ${spec.choices?.join(', ')}`);
      return { value: s };
    case 'text': {
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x1f\x7f]/.test(s)) return bad('contains control characters', 'use printable characters only');
      const max = spec.maxLength ?? 255;
      if (byteLength(raw) > max) return bad(`is longer than ${max} bytes`, `shorten it to ${max} bytes`);
      return { value: raw };
    }
    case 'ip-port-list':
      return checkIpPortList(spec, s, bad, ex);
  }
}

type Bad = (message: string, fix?: string) => { problem: ParamProblem };

/** `IP[:PORT],…` (IPv6: `IPV6` or `[IPV6]:PORT`, as ip6tables' DNAT reads it) */
function checkIpPortList(spec: ParamSpec, s: string, bad: Bad, ex: string): { value: unknown } | { problem: ParamProblem } {
  const items = s.split(',').map((x) => x.trim());
  const out: IpPort[] = [];
  const v6 = spec.family === 'ipv6';
  for (const it of items) {
    // IPv6 with a port in brackets, as ip6tables' DNAT reads it: [2001:db8::11]:8443
    const m = v6 ? /^(?:\[([^\]]+)\](?::(.*))?|([^[\]]+))$/.exec(it) : /^([^:]+)(?::(.*))?$/.exec(it);
    if (m && v6 && m[3] !== undefined) m[1] = m[3];
    if (!m || !(v6 ? isIPv6(m[1]) : isIPv4(m[1])))
      return v6
        ? bad(`"${it}" is not IPV6 or [IPV6]:PORT`, `write a comma-separated list${ex}, e.g. 2001:db8::11,[2001:db8::12]:8443 (an address with a port goes in brackets)`)
        : bad(`"${it}" is not IP or IP:PORT`, `write a comma-separated list${ex}, e.g. 10.0.0.11,10.0.0.12:8443`);
    if (v6) m[1] = formatIPv6(parseIPv6(m[1])!);
    let port: number | null = null;
    if (m[2] !== undefined) {
      const p = parseUInt(m[2], 1, 65535);
      if (p === null || p === 0) return bad(`"${m[2]}" in "${it}" is not a port`, 'give a port number from 1 to 65535 after the colon');
      port = p;
    }
    if (out.some((o) => o.ip === m[1] && o.port === port)) return bad(`${it} is listed twice`, 'list each backend once');
    out.push({ ip: m[1], port });
  }
  const min = spec.min ?? 1;
  const max = spec.max ?? 64;
  if (out.length < min) return bad(`lists ${out.length} entr${out.length === 1 ? 'y' : 'ies'}; at least ${min} are needed`, `give ${min} or more, separated by commas`);
  if (out.length > max) return bad(`lists ${out.length} entries; at most ${max} are supported`, `give at most ${max}`);
  return { value: out };
}

function checkCidr6(s: string, bad: Bad, ex: string): { value: unknown } | { problem: ParamProblem } {
  const [a, bits, ...more] = s.split('/');
  const addr = parseIPv6(a);
  if (more.length || addr === null || !a.includes(':') || (bits !== undefined && !/^(12[0-8]|1[01]\d|[1-9]?\d)$/.test(bits)))
    return bad(`"${s}" is not an IPv6 network`, `write ADDRESS/PREFIX${ex || ' (e.g. 2001:db8:1::/64)'}`);
  const prefix = bits === undefined ? 128 : Number(bits);
  const net = addr & prefixToMask6(prefix);
  if (net !== addr) return bad(`${s} has host bits set`, `write the network as ${formatIPv6(net)}/${prefix}`);
  return { value: `${formatIPv6(addr)}/${prefix}` };
}

const given = (v: unknown) => v !== undefined && v !== false;

/**
 * The `family` parameter against the parameters of one family: a value for a
 * family the rules are not made for is a mistake (it would be ignored), a
 * required address needs its IPv6 twin when IPv6 rules are made, and a
 * narrowing one given for one family only would leave the other wider open.
 */
function checkFamilyParams(recipe: Recipe, values: AnyValues, fallback?: 'ipv4' | 'ipv6', raw: RawParams = values as RawParams): ParamProblem[] {
  const fams = familiesOf(values.family as FamilyChoice | undefined, fallback);
  const problems: ParamProblem[] = [];
  const byName = new Map(recipe.params.map((p) => [p.name, p]));
  for (const p of recipe.params) {
    // a default is not a mistake, only a value the admin gave
    if (p.family === 'ipv6' && given(raw[p.name]) && raw[p.name] !== p.default && !fams.includes('ipv6'))
      problems.push({ param: p.name, message: 'is for the IPv6 rules, but the rules are made for IPv4 only', fix: `give --family 6 or --family both, or leave --${p.name} out` });
    if (!p.twin) continue;
    const four = byName.get(p.twin);
    if (!four) continue;
    const has4 = given(values[four.name]);
    const has6 = given(values[p.name]);
    if (fams.length === 1 && fams[0] === 'ipv6' && has4 && !has6)
      problems.push({ param: four.name, message: 'is for the IPv4 rules, but the rules are made for IPv6 only', fix: `give the IPv6 value as --${p.name}${p.example ? ` (e.g. ${p.example})` : ''}` });
    if (!fams.includes('ipv6') || has6) continue;
    if (four.required) problems.push({ param: p.name, message: 'is required for the IPv6 rules', fix: `give --${p.name} ${p.example ?? 'VALUE'} (${p.help})` });
    else if (fams.includes('ipv4') && has4 && !p.twinOptional)
      problems.push({ param: p.name, message: `is missing: --${four.name} narrows the IPv4 rules, and without --${p.name} the IPv6 rules would not be narrowed the same way`, fix: `give --${p.name}${p.example ? ` (e.g. ${p.example})` : ''}, or --family 4` });
  }
  return problems;
}

/** Checks every parameter (unknown ones too), fills defaults, then the recipe's own cross checks. */
export function checkRecipeParams(recipe: Recipe, raw: RawParams, fallback?: 'ipv4' | 'ipv6'): ParamsResult {
  const problems: ParamProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (raw[key] !== undefined && !recipe.params.some((p) => p.name === key)) {
      const names = recipe.params.map((p) => `--${p.name}`).join(', ');
      problems.push({ param: key, message: `${recipe.name} has no parameter --${key}`, fix: names ? `its parameters are ${names}` : `${recipe.name} takes no parameters` });
    }
  }
  // an IPv4 address parameter with an IPv6 twin is not required when only IPv6 rules are made
  const rawFamily = raw.family;
  const choice = typeof rawFamily === 'string' && ['4', '6', 'both'].includes(rawFamily.trim()) ? (rawFamily.trim() as FamilyChoice) : undefined;
  const ipv4Only = new Set(recipe.params.flatMap((p) => (p.twin ? [p.twin] : [])));
  const inPlay = (spec: ParamSpec) => !ipv4Only.has(spec.name) || familiesOf(choice, fallback).includes('ipv4');
  for (const spec of recipe.params) {
    const given = raw[spec.name];
    const v = given !== undefined ? given : spec.default;
    if (v === undefined) {
      if (spec.required && inPlay(spec)) problems.push({ param: spec.name, message: 'is required', fix: `give --${spec.name} ${spec.example ?? spec.type.toUpperCase()} (${spec.help})` });
      values[spec.name] = undefined;
      continue;
    }
    const r = checkOne(spec, v);
    if ('problem' in r) problems.push(r.problem);
    else values[spec.name] = r.value;
  }
  if (problems.length) return { ok: false, problems };
  // from here on the family is explicit: the recipe's checks and the output say which
  values.family ??= fallback === 'ipv6' ? '6' : '4';
  const fams = checkFamilyParams(recipe, values, fallback, raw);
  if (fams.length) return { ok: false, problems: fams };
  const cross = recipe.check(values);
  if (cross.length) return { ok: false, problems: cross };
  try {
    for (const family of familiesOf(values.family as FamilyChoice | undefined, fallback)) recipe.generate(values, { family });
  } catch (e) {
    // a combination no check above foresaw: iptables would not load the rule
    if (e instanceof RecipeBuildError) return { ok: false, problems: [{ param: '', message: `these values make a rule iptables does not load: ${e.message}`, fix: 'change the values the message names' }] };
    throw e;
  }
  return { ok: true, values };
}

export function formatParamProblem(p: ParamProblem): string {
  return `${p.param ? `--${p.param} ` : ''}${p.message}${p.fix ? `: ${p.fix}` : ''}`;
}
