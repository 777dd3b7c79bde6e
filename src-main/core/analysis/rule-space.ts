// The packets a rule matches, as boxes (see space.ts). `exact` is false when a
// part of the rule could not be expressed (history matches like limit, or
// values we cannot read): the boxes are then a superset of what the rule
// matches — fine for "is this rule covered", never used to cover another rule.
import type { Rule } from '../model.js';
import { formatNet6 } from '../values.js';
import type { Addr6Classes } from './addr6.js';
import {
  HISTORY_MATCHES, matchOptions, readAddrRange, readIcmpType, readPortList, readPortRange, readStates, readTcpFlags,
  STATE_NAMES, type MatchOptions,
} from './match-options.js';
import { DIM, Dims, IfaceClasses, complement, constrain, fromRanges, fromValues, isEmptyBox, iv, type Box, type IntervalSet } from './space.js';

export interface RuleSpace {
  boxes: Box[];
  exact: boolean;
  /** depends on history or chance (limit, statistic …): never a cover */
  chance: boolean;
}

export interface SpaceEnv {
  dims: Dims;
  /** an IPv6 ruleset's networks as intervals (else each IPv6 network is opaque) */
  addr6?: Addr6Classes;
  inIfaces: IfaceClasses;
  outIfaces: IfaceClasses;
}

const maybeInvert = (s: IntervalSet, invert: boolean, max: number) => (invert ? complement(s, max) : s);

export function ruleSpace(r: Rule, env: SpaceEnv): RuleSpace {
  const { dims } = env;
  let exact = true;
  let chance = false;
  const box: Box = new Map();
  let alternatives: Box[] | null = null; // multiport --ports: one box per way to match
  const set = (d: number, s: IntervalSet, invert = false) => constrain(box, d, maybeInvert(s, invert, dims.max(d)), dims);
  const opaque = (text: string) => set(dims.opaqueDim(text), [1, 1]);

  const addr = (flag: string, a: Rule['src'], d: number) => {
    if (!a) return;
    if (a.kind === 'host-name') opaque(`${a.invert ? '! ' : ''}${flag} ${a.name}/${a.mask6 ?? a.mask}`);
    // IPv6 networks: one opaque dimension per network (exact for equal networks, never claims a cover between different ones)
    else if (a.kind === 'net6') {
      if (a.mask === 0n) { if (a.invert) set(d, []); return; }
      const s = env.addr6?.interval(a.addr, a.mask);
      if (s) set(d, s, a.invert);
      else opaque(`${a.invert ? '! ' : ''}${flag} ${formatNet6(a.addr, a.mask)}`);
    }
    else set(d, iv(a.addr, (a.addr | (~a.mask >>> 0)) >>> 0), a.invert);
  };
  addr('-s', r.src, DIM.src);
  addr('-d', r.dst, DIM.dst);
  if (r.inIface && r.inIface.name !== '') set(DIM.inIface, env.inIfaces.classesOf(r.inIface.name), r.inIface.invert);
  if (r.outIface && r.outIface.name !== '') set(DIM.outIface, env.outIfaces.classesOf(r.outIface.name), r.outIface.invert);
  if (r.proto) {
    if (r.proto.num === 0) { if (r.proto.invert) set(DIM.proto, []); }
    else set(DIM.proto, [r.proto.num, r.proto.num], r.proto.invert);
  }
  if (r.fragment) set(DIM.fragment, [1, 1], r.fragment.invert);

  for (const m of r.matches) {
    // comment and the history matches are known by name: no need to read their options
    if (m.name === 'comment') continue;
    if (HISTORY_MATCHES.has(m.name)) {
      chance = true;
      exact = false;
      continue;
    }
    const o = matchOptions(m);
    if (!addMatch(o)) opaque(o.text);
  }

  function addMatch(o: MatchOptions): boolean {
    const only = (names: string[]) => [...o.options.keys()].every((n) => names.includes(n));
    switch (o.name) {
      case 'tcp':
      case 'udp': {
        if (!only(['sport', 'dport', 'tcp-flags', 'syn'])) return false;
        const staged: Array<() => void> = [];
        for (const [name, d] of [['sport', DIM.sport], ['dport', DIM.dport]] as const) {
          const op = o.options.get(name);
          if (!op) continue;
          const pr = readPortRange(op.args[0] ?? '');
          if (!pr) return false;
          staged.push(() => set(d, iv(pr[0], pr[1]), op.invert));
        }
        const fl = o.options.get('tcp-flags') ?? o.options.get('syn');
        if (fl) {
          const mask = o.options.has('tcp-flags') ? readTcpFlags(fl.args[0] ?? '') : 0x17;
          const comp = o.options.has('tcp-flags') ? readTcpFlags(fl.args[1] ?? '') : 0x02;
          if (mask === null || comp === null) return false;
          const vals: number[] = [];
          for (let v = 0; v < 64; v++) if ((v & mask) === comp) vals.push(v);
          staged.push(() => set(DIM.tcpFlags, fromValues(vals), fl.invert));
        }
        staged.forEach((f) => f());
        return true;
      }
      case 'multiport': {
        if (!only(['sports', 'dports', 'ports'])) return false;
        const name = [...o.options.keys()][0];
        const op = o.options.get(name)!;
        const list = readPortList(op.args[0] ?? '');
        if (!list) return false;
        const s = fromRanges(list);
        if (name === 'sports') set(DIM.sport, s, op.invert);
        else if (name === 'dports') set(DIM.dport, s, op.invert);
        else if (op.invert) {
          set(DIM.sport, s, true);
          set(DIM.dport, s, true);
        } else {
          const a = new Map(box);
          constrain(a, DIM.sport, s, dims);
          const b = new Map(box);
          constrain(b, DIM.dport, s, dims);
          alternatives = [a, b];
          // later constraints apply to both alternatives
        }
        return true;
      }
      case 'icmp': {
        const op = o.options.get('icmp-type');
        const t = op ? readIcmpType(op.args[0] ?? '') : null;
        if (!op || !t || !only(['icmp-type'])) return false;
        if (t.type === null) {
          if (op.invert) set(DIM.icmp, []);
          return true;
        }
        const s = t.code === null ? iv(t.type * 256, t.type * 256 + 255) : iv(t.type * 256 + t.code, t.type * 256 + t.code);
        set(DIM.icmp, s, op.invert);
        return true;
      }
      case 'icmp6': {
        // ICMPv6 types share the ICMP dimension: the protocol dimension keeps them apart
        const op = o.options.get('icmpv6-type');
        const t = op ? /^(\d+)(?:\/(\d+))?$/.exec(op.args[0] ?? '') : null;
        if (!op || !t || !only(['icmpv6-type'])) return false;
        const type = Number(t[1]);
        const s = t[2] === undefined ? iv(type * 256, type * 256 + 255) : iv(type * 256 + Number(t[2]), type * 256 + Number(t[2]));
        set(DIM.icmp, s, op.invert);
        return true;
      }
      case 'state':
      case 'conntrack': {
        const name = o.name === 'state' ? 'state' : 'ctstate';
        const op = o.options.get(name);
        const st = op ? readStates(op.args[0] ?? '') : null;
        if (!op || !st || !only([name])) return false;
        set(DIM.state, fromValues(st.map((x) => STATE_NAMES.indexOf(x))), op.invert);
        return true;
      }
      case 'iprange': {
        if (!only(['src-range', 'dst-range'])) return false;
        for (const [name, d] of [['src-range', DIM.src], ['dst-range', DIM.dst]] as const) {
          const op = o.options.get(name);
          if (!op) continue;
          const rr = readAddrRange(op.args[0] ?? '');
          if (!rr) return false;
          set(d, iv(rr[0], rr[1]), op.invert);
        }
        return true;
      }
      default:
        return false;
    }
  }

  let boxes: Box[];
  if (alternatives) {
    boxes = (alternatives as Box[]).map((alt) => {
      const b = new Map(alt);
      for (const [d, s] of box) constrain(b, d, s, dims);
      return b;
    });
  } else boxes = [box];
  boxes = boxes.filter((b) => !isEmptyBox(b));
  return { boxes, exact, chance };
}
