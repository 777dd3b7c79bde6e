// Does a described packet match a rule? Each part of the rule (generic -s -d -i
// -o -p -f, then every match) becomes a condition that answers true, false, or
// "cannot tell" — because the packet leaves a field open (no --in given), the
// match depends on history or chance (limit, statistic, recent …), or we do not
// model the match. The tracer forks on "cannot tell" instead of guessing.
import type { AddressSpec, InterfaceSpec, Match, Rule } from '../model.js';
import { formatNet, formatNet6 } from '../values.js';
import { inNet } from './host-net.js';
import { saveMatch } from '../canonical.js';
import { findMatch, isChanceMatch } from '../extensions/registry.js';
import { fieldCond, inv, type ChanceWords, type Cond, type EvalContext, type Packet } from './packet.js';

export { PROTO_ICMP, PROTO_TCP, type Cond, type ConnState, type EvalContext, type Packet } from './packet.js';

/** `eth+` matches every name that starts with `eth`; `+` alone matches all. */
function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function unknownField(key: string, text: string, holds: string, fails: string, test: Cond['test']): Cond {
  return { key, text, chance: false, holds, fails, test };
}

function addressCond(flag: '-s' | '-d', a: AddressSpec): Cond | null {
  const field = flag === '-s' ? 'src' : 'dst';
  if (a.kind === 'host-name') {
    const text = `${a.invert ? '! ' : ''}${flag} ${a.name}`;
    return { key: text, text, chance: false, holds: text, fails: `not ${text}`, test: () => undefined };
  }
  if (a.kind === 'net6' ? a.mask === 0n : a.mask === 0) {
    if (!a.invert) return null;
  }
  const net = a.kind === 'net6' ? formatNet6(a.addr, a.mask) : formatNet(a.addr, a.mask);
  const text = `${a.invert ? '! ' : ''}${flag} ${net}`;
  const words = flag === '-s' ? 'from' : 'to';
  return unknownField(text, text, `${words} ${a.invert ? 'outside ' : ''}${net}`, `${words} ${a.invert ? '' : 'outside '}${net}`,
    (p) => {
      const v = p[field];
      return inv(a.invert, v === undefined ? undefined : inNet(v, a.addr, a.mask));
    });
}

function ifaceCond(flag: '-i' | '-o', i: InterfaceSpec): Cond | null {
  if (i.name === '' || (i.name === '+' && !i.invert)) return null;
  const field = flag === '-i' ? 'inIface' : 'outIface';
  const text = `${i.invert ? '! ' : ''}${flag} ${i.name}`;
  const verb = flag === '-i' ? 'arriving on' : 'leaving by';
  return unknownField(text, text, `${i.invert ? 'not ' : ''}${verb} ${i.name}`, `${i.invert ? '' : 'not '}${verb} ${i.name}`, (p) => {
    const v = p[field];
    if (v === undefined && field === 'inIface' && !i.name.endsWith('+') && p.notInIfaces?.includes(i.name)) return i.invert;
    return inv(i.invert, v === undefined ? undefined : ifaceMatches(i.name, v));
  });
}

let ruleSeq = 0;
const ruleIds = new WeakMap<Rule, number>();
function ruleId(r: Rule): number {
  let id = ruleIds.get(r);
  if (id === undefined) ruleIds.set(r, (id = ++ruleSeq));
  return id;
}

/** A match we cannot see into: the tracer forks on it (the same answer throughout one walk). */
function opaque(text: string, key: string): Cond {
  return { key, text, chance: false, holds: `${text} matches`, fails: `${text} does not match`, test: () => undefined };
}

/** A match that depends on history or chance: forked on every time, in the extension's words when it has some. */
function chanceCond(text: string, key: string, words: ChanceWords | null): Cond {
  return { key, text, chance: true, holds: words?.holds ?? `${text} matches`, fails: words?.fails ?? `${text} does not match`, test: () => undefined };
}

/**
 * A match's conditions, as its extension declares them (MatchAnalysis): the
 * analysis knows no extension by name. Its printed text names it in the trace
 * when the match is opaque or a matter of chance.
 */
function matchConds(r: Rule, k: number, m: Match): Cond[] {
  const a = m.unknown ? undefined : findMatch(m.name)?.analysis;
  if (isChanceMatch(m.name)) {
    const text = saveMatch(m).trim();
    return [chanceCond(text, `r${ruleId(r)}m${k}`, a?.chance ? a.chance(m.state, text) : null)];
  }
  return a?.conditions?.(m.state) ?? [opaque(saveMatch(m).trim(), `r${ruleId(r)}m${k}`)];
}

const compiled = new WeakMap<Rule, Cond[]>();

/** The rule's conditions, in the order the kernel checks them (generic part first, then matches in order). */
export function ruleConds(r: Rule): Cond[] {
  let c = compiled.get(r);
  if (c) return c;
  c = [];
  if (r.src) { const x = addressCond('-s', r.src); if (x) c.push(x); }
  if (r.dst) { const x = addressCond('-d', r.dst); if (x) c.push(x); }
  if (r.inIface) { const x = ifaceCond('-i', r.inIface); if (x) c.push(x); }
  if (r.outIface) { const x = ifaceCond('-o', r.outIface); if (x) c.push(x); }
  if (r.proto && (r.proto.num !== 0 || r.proto.invert)) {
    const pr = r.proto;
    const text = `${pr.invert ? '! ' : ''}-p ${pr.num}`;
    c.push(fieldCond(text, text, (p) => (pr.num === 0 ? !pr.invert : pr.invert ? p.proto !== pr.num : p.proto === pr.num)));
  }
  if (r.fragment) {
    const f = r.fragment;
    c.push(fieldCond(f.invert ? '! -f' : '-f', f.invert ? 'not a fragment' : 'a fragment', (p) => (f.invert ? !p.fragment : p.fragment)));
  }
  r.matches.forEach((m, k) => c!.push(...matchConds(r, k, m)));
  compiled.set(r, c);
  return c;
}

/**
 * True when a match of the rule gives it a condition (ruleConds would list
 * one for it), without building the rule's conditions or keeping any: the
 * lint asks it of every rule of the chains whose verdict it works out, and the
 * kept conditions of 100,000 kube-proxy rules (a chance condition per
 * statistic match, an empty list per comment-only rule) stayed to the end.
 */
export function matchesHaveConds(r: Rule): boolean {
  for (const m of r.matches) {
    if (isChanceMatch(m.name)) return true;
    const c = m.unknown ? undefined : findMatch(m.name)?.analysis?.conditions?.(m.state);
    if (!c || c.length > 0) return true;
  }
  return false;
}

/**
 * What ruleConds(r)'s tests say together about one packet — false when one
 * says false, else undefined when one cannot tell or is chance, else true —
 * without building the conditions of the generic part or keeping any: the
 * IPv6 lint walks a 70,000-rule blocklist chain for each essential ICMPv6
 * message, and ruleConds kept four strings and a closure per address for the
 * rest of the run (~100 MB at 100k rules). The parts are tested as their
 * conditions would test them (packet-match.test.ts checks it against ruleConds).
 */
export function ruleTest(r: Rule, p: Packet, ctx: EvalContext): boolean | undefined {
  let all: boolean | undefined = true;
  const parts = [addressTest(r.src, p.src), addressTest(r.dst, p.dst), ifaceTest(r.inIface, p, true), ifaceTest(r.outIface, p, false)];
  for (const v of parts) {
    if (v === false) return false;
    if (v === undefined) all = undefined;
  }
  const pr = r.proto;
  if (pr && (pr.num !== 0 || pr.invert) && !(pr.num === 0 ? !pr.invert : pr.invert ? p.proto !== pr.num : p.proto === pr.num)) return false;
  if (r.fragment && !(r.fragment.invert ? !p.fragment : p.fragment)) return false;
  for (let k = 0; k < r.matches.length; k++) {
    const m = r.matches[k];
    if (isChanceMatch(m.name)) { all = undefined; continue; }
    const a = m.unknown ? undefined : findMatch(m.name)?.analysis;
    const conds = a?.conditions?.(m.state);
    if (!conds) { all = undefined; continue; } // opaque: cannot tell
    for (const cond of conds) {
      const v = cond.test(p, ctx);
      if (v === false) return false;
      if (v === undefined || cond.chance) all = undefined;
    }
  }
  return all;
}

/** addressCond's test (null: the part sets no condition). */
function addressTest(a: AddressSpec | null, v: Packet['src']): boolean | undefined | null {
  if (!a) return null;
  if (a.kind === 'host-name') return undefined;
  if ((a.kind === 'net6' ? a.mask === 0n : a.mask === 0) && !a.invert) return null;
  return inv(a.invert, v === undefined ? undefined : inNet(v, a.addr, a.mask));
}

/** ifaceCond's test (null: the part sets no condition). */
function ifaceTest(i: InterfaceSpec | null, p: Packet, incoming: boolean): boolean | undefined | null {
  if (!i || i.name === '' || (i.name === '+' && !i.invert)) return null;
  const v = incoming ? p.inIface : p.outIface;
  if (v === undefined && incoming && !i.name.endsWith('+') && p.notInIfaces?.includes(i.name)) return i.invert;
  return inv(i.invert, v === undefined ? undefined : ifaceMatches(i.name, v));
}
