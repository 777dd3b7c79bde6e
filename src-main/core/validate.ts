// What the kernel checks when iptables-restore commits a table: targets in the
// wrong table or hook (DNAT in filter, MASQUERADE in PREROUTING), matches used
// without the protocol they need, loops of jumps. iptables-restore only says
// "line N failed" for the COMMIT line; we name the offending rule instead.
import type { Chain, Hook, Rule, Table } from './model.js';
import type { Finding } from './findings.js';
import { findMatch, findTarget } from './extensions/registry.js';
import { protocolName } from './values.js';

/** For each chain, the builtin chains (hooks) from which a packet can reach it. */
export function reachingHooks(t: Table): Map<string, Set<Hook>> {
  const byName = new Map(t.chains.map((c) => [c.name, c]));
  const hooks = new Map<string, Set<Hook>>(t.chains.map((c) => [c.name, new Set<Hook>()]));
  for (const c of t.chains) {
    if (!c.builtin) continue;
    const hook = c.name as Hook;
    const stack = [c];
    const seen = new Set<string>();
    while (stack.length) {
      const cur = stack.pop()!;
      if (seen.has(cur.name)) continue;
      seen.add(cur.name);
      hooks.get(cur.name)!.add(hook);
      // indexed loops over rules: a for-of iterator costs an object per rule until the loop is optimized
      const rules = cur.rules;
      for (let k = 0; k < rules.length; k++) {
        const r = rules[k];
        if (r.target?.chain) {
          const next = byName.get(r.target.name);
          if (next && !next.builtin) stack.push(next);
        }
      }
    }
  }
  return hooks;
}

function findLoop(t: Table): string[] | null {
  const byName = new Map(t.chains.map((c) => [c.name, c]));
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (c: Chain): string[] | null => {
    state.set(c.name, 1);
    path.push(c.name);
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k];
      if (!r.target?.chain) continue;
      const next = byName.get(r.target.name);
      if (!next || next.builtin) continue;
      const s = state.get(next.name);
      if (s === 1) return [...path.slice(path.indexOf(next.name)), next.name];
      if (!s) {
        const l = visit(next);
        if (l) return l;
      }
    }
    path.pop();
    state.set(c.name, 2);
    return null;
  };
  for (const c of t.chains) if (c.builtin) {
    const l = visit(c);
    if (l) return l;
  }
  return null;
}

export function validateTable(t: Table, commitLine: number): Finding[] {
  const out: Finding[] = [];
  const hooks = reachingHooks(t);
  const atCommit = `(iptables-restore reports this as "line ${commitLine} failed" at COMMIT)`;
  const loop = findLoop(t);
  if (loop) {
    const first = t.chains.find((c) => c.name === loop[0]);
    const r = first?.rules.find((x) => x.target?.name === loop[1]);
    out.push({ code: 'jump-loop', severity: 'error', line: r?.source?.line ?? commitLine, table: t.name, chain: loop[0],
      message: `the jumps ${loop.join(' → ')} form a loop; the kernel refuses the table ${atCommit}`, fix: 'break the loop: one of these chains must not jump back' });
  }
  const builtin = new Set(t.chains.filter((c) => c.builtin).map((c) => c.name));
  for (const c of t.chains) {
    const h = hooks.get(c.name)!;
    const rules = c.rules;
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k];
      const problem = ruleProblem(t, c, r, h, builtin);
      if (problem) {
        out.push({ code: problem.code, severity: 'error', line: r.source?.line ?? commitLine, table: t.name, chain: c.name, index: k + 1,
          message: `${problem.message} ${atCommit}`, fix: problem.fix });
      }
    }
  }
  return out;
}

function ruleProblem(t: Table, c: Chain, r: Rule, hooks: ReadonlySet<Hook>, builtin: ReadonlySet<string>): { code: string; message: string; fix?: string } | null {
  const matches = r.matches;
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k];
    if (m.unknown) continue;
    const ext = findMatch(m.name);
    if (!ext) continue;
    if (ext.requiresProto && !(r.proto && !r.proto.invert && ext.requiresProto.includes(r.proto.num))) {
      const names = ext.requiresProto.map(protocolName);
      return { code: 'invalid-argument', message: `-m ${m.name} needs -p ${names.join(' or -p ')} in the same rule`, fix: `add -p ${names[0]} before -m ${m.name}` };
    }
    if (ext.kernelCheck) {
      const k = ext.kernelCheck(m.state, r, { table: t.name, hooks });
      if (k) return { code: 'invalid-argument', message: k };
    }
  }
  const tg = r.target;
  if (!tg) return null;
  if (tg.chain) {
    if (builtin.has(tg.name)) return { code: 'invalid-argument', message: `a rule cannot jump to the builtin chain ${tg.name}`, fix: 'jump to a user chain, or use RETURN' };
    return null;
  }
  if (tg.unknown) return null;
  const ext = findTarget(tg.name);
  if (!ext) return null;
  if (ext.tables && !ext.tables.includes(t.name)) {
    return { code: 'wrong-table', message: `${tg.name} is only valid in the ${ext.tables.join(' or ')} table, not in ${t.name}`,
      fix: `move the rule to the ${ext.tables[0]} table (-t ${ext.tables[0]})` };
  }
  if (ext.hooks && hooks.size > 0) {
    const bad = [...hooks].filter((h) => !ext.hooks!.includes(h));
    if (bad.length) {
      const via = c.builtin ? '' : ` (chain ${c.name} is reached from ${bad.join(', ')})`;
      return { code: 'wrong-table', message: `${tg.name} is only valid in ${ext.hooks.join(', ')}, not in ${bad.join(', ')}${via}`,
        fix: `put the rule in ${ext.hooks.join(' or ')}` };
    }
  }
  if (ext.requiresProto && !(r.proto && !r.proto.invert && ext.requiresProto.includes(r.proto.num))) {
    const names = ext.requiresProto.map(protocolName);
    return { code: 'invalid-argument', message: `-j ${tg.name} needs -p ${names.join(' or -p ')} in the same rule`, fix: `add -p ${names[0]}` };
  }
  if (ext.kernelCheck) {
    const k = ext.kernelCheck(tg.state, r, { table: t.name, hooks });
    if (k) return { code: 'invalid-argument', message: k };
  }
  return null;
}
