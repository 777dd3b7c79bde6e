// Other tools' rules: fail2ban, Docker, Kubernetes, libvirt and their kind add
// chains (and the jumps into them) to the RUNNING rules, never to
// /etc/sysconfig/iptables. A restore of the admin's file would wipe them, and
// with fail2ban every current ban. So the apply keeps them: chains of a known
// tool that run but are not in the saved file are taken from the live rules
// into what is applied, each jump into them where it was (next to the same
// neighbouring rule), and left out of what is persisted.
import type { Chain, Rule, Ruleset, Table, TableName } from '../model.js';
import { findChain, findTable } from '../model.js';
import { canonicalRule, canonicalRuleBody } from '../canonical.js';

const OWNERS: { tool: string; re: RegExp }[] = [
  { tool: 'fail2ban', re: /^(f2b-|fail2ban-)/ },
  { tool: 'Docker', re: /^DOCKER/ },
  { tool: 'Kubernetes', re: /^KUBE-/ },
  { tool: 'libvirt', re: /^LIBVIRT_/ },
  { tool: 'CNI', re: /^CNI-/ },
  { tool: 'Calico', re: /^cali-/ },
  { tool: 'flannel', re: /^FLANNEL/ },
  { tool: 'Weave Net', re: /^WEAVE/ },
  { tool: 'Tailscale', re: /^ts-(input|forward|postrouting)$/ },
  { tool: 'sshguard', re: /^sshguard$/ },
  { tool: 'CrowdSec', re: /^CROWDSEC/ },
  { tool: 'OpenStack Neutron', re: /^neutron-/ },
];

/** The tool a chain name belongs to, or null for the admin's own chains. */
export function foreignOwner(chain: string): string | null {
  return OWNERS.find((o) => o.re.test(chain))?.tool ?? null;
}

/** Per table: the chains of other tools that run but are not in the saved file. */
export type ForeignChains = Map<TableName, Set<string>>;

export function findForeignChains(live: Ruleset, saved: Ruleset | null): ForeignChains {
  const out: ForeignChains = new Map();
  for (const t of live.tables) {
    const st = saved ? findTable(saved, t.name) : undefined;
    for (const c of t.chains) {
      if (c.builtin || !foreignOwner(c.name)) continue;
      if (st && findChain(st, c.name)) continue; // the admin saved it: theirs to manage
      if (!out.has(t.name)) out.set(t.name, new Set());
      out.get(t.name)!.add(c.name);
    }
  }
  return out;
}

interface KeptChain {
  table: TableName;
  chain: string;
  tool: string;
  /** rules in it (for fail2ban: the bans plus its RETURN) */
  rules: number;
}

interface KeptJump {
  table: TableName;
  chain: string;
  /** 1-based position in the applied chain */
  index: number;
  rule: string;
  /** how its place was found: the same neighbour as in the running rules, or a fallback */
  placed: 'top' | 'after-neighbour' | 'before-neighbour' | 'same-index';
}

export interface ForeignReport {
  chains: KeptChain[];
  jumps: KeptJump[];
  /** tables the proposal does not name: restore leaves them, and these chains, alone */
  untouched: { table: TableName; chains: string[] }[];
  /** jumps that had nowhere to go (their chain is not in the proposal) */
  dropped: { table: TableName; chain: string; rule: string }[];
}

const jumpsInto = (r: Rule, names: Set<string>) => !!r.target?.chain && names.has(r.target.name);

function cloneRule(r: Rule): Rule {
  // from another text: its source line means nothing in the proposal's file
  const { source: _s, ...rest } = r;
  return { ...rest, counters: null };
}

/**
 * The proposal with the other tools' chains of the live rules put back into
 * every table it names. Pure: the inputs are not changed.
 */
export function mergeForeign(proposal: Ruleset, live: Ruleset, foreign: ForeignChains): { ruleset: Ruleset; report: ForeignReport } {
  const report: ForeignReport = { chains: [], jumps: [], untouched: [], dropped: [] };
  const tables: Table[] = [];
  for (const ct of proposal.tables) {
    const names = foreign.get(ct.name);
    const lt = findTable(live, ct.name);
    if (!names?.size || !lt) {
      tables.push(ct);
      continue;
    }
    // the proposal's own copies (from a pull of the running rules) give way to the fresh ones
    const chains: Chain[] = ct.chains
      .filter((c) => c.builtin || !names.has(c.name))
      .map((c) => ({ ...c, rules: c.rules.filter((r) => !jumpsInto(r, names)) }));
    for (const lc of lt.chains) {
      if (names.has(lc.name)) continue;
      const jumps = lc.rules.map((r, i) => ({ r, i })).filter(({ r }) => jumpsInto(r, names));
      if (!jumps.length) continue;
      const target = chains.find((c) => c.name === lc.name);
      if (!target) {
        for (const { r } of jumps) report.dropped.push({ table: ct.name, chain: lc.name, rule: canonicalRule(lc.name, r) });
        continue;
      }
      const placed = placeJumps(lc, jumps, target.rules, names);
      target.rules = placed.rules;
      for (const p of placed.at)
        report.jumps.push({ table: ct.name, chain: lc.name, index: p.index + 1, rule: canonicalRule(lc.name, p.rule), placed: p.how });
    }
    for (const lc of lt.chains) {
      if (!names.has(lc.name)) continue;
      chains.push({ ...lc, counters: null, source: undefined, disabled: [], rules: lc.rules.map(cloneRule) });
      report.chains.push({ table: ct.name, chain: lc.name, tool: foreignOwner(lc.name)!, rules: lc.rules.length });
    }
    tables.push({ ...ct, chains });
  }
  for (const [t, names] of foreign) {
    if (!proposal.tables.some((c) => c.name === t)) report.untouched.push({ table: t, chains: [...names] });
  }
  return { ruleset: { ...proposal, tables }, report };
}

/**
 * Where each jump goes in the proposal's chain: right after the admin rule it
 * followed in the running chain, else right before the one it preceded, else
 * at the top when it was in the leading block (fail2ban and Docker insert
 * there), else at the same index.
 */
function placeJumps(
  live: Chain,
  jumps: { r: Rule; i: number }[],
  cand: Rule[],
  names: Set<string>,
): { rules: Rule[]; at: { index: number; rule: Rule; how: KeptJump['placed'] }[] } {
  const bodies = cand.map(canonicalRuleBody);
  const liveBodies = live.rules.map(canonicalRuleBody);
  /** the proposal index of live rule j: same text, same occurrence among its equals */
  const find = (j: number): number => {
    const body = liveBodies[j];
    let nth = 0;
    for (let k = 0; k < j; k++) if (liveBodies[k] === body && !jumpsInto(live.rules[k], names)) nth++;
    for (let k = 0; k < bodies.length; k++) if (bodies[k] === body && nth-- === 0) return k;
    return -1;
  };
  const slots = new Map<number, { rule: Rule; how: KeptJump['placed'] }[]>();
  for (const { r, i } of jumps) {
    let prev = i - 1;
    while (prev >= 0 && jumpsInto(live.rules[prev], names)) prev--;
    let slot: number;
    let how: KeptJump['placed'];
    if (prev < 0) {
      slot = 0;
      how = 'top';
    } else {
      const a = find(prev);
      if (a >= 0) {
        slot = a + 1;
        how = 'after-neighbour';
      } else {
        let next = i + 1;
        while (next < live.rules.length && jumpsInto(live.rules[next], names)) next++;
        const b = next < live.rules.length ? find(next) : -1;
        if (b >= 0) {
          slot = b;
          how = 'before-neighbour';
        } else {
          slot = Math.min(i, cand.length);
          how = 'same-index';
        }
      }
    }
    if (!slots.has(slot)) slots.set(slot, []);
    slots.get(slot)!.push({ rule: cloneRule(r), how });
  }
  const rules: Rule[] = [];
  const at: { index: number; rule: Rule; how: KeptJump['placed'] }[] = [];
  for (let k = 0; k <= cand.length; k++) {
    for (const s of slots.get(k) ?? []) {
      at.push({ index: rules.length, rule: s.rule, how: s.how });
      rules.push(s.rule);
    }
    if (k < cand.length) rules.push(cand[k]);
  }
  return { rules, at };
}

/**
 * The proposal without other tools' chains and the jumps into them: what is
 * persisted. Returns the same object when there is nothing to take out, so the
 * preserving writer gives the file back byte for byte.
 */
export function stripForeign(proposal: Ruleset, foreign: ForeignChains): { ruleset: Ruleset; removed: { table: TableName; chain: string; rules: number }[] } {
  const removed: { table: TableName; chain: string; rules: number }[] = [];
  let changed = false;
  const tables = proposal.tables.map((t) => {
    const names = foreign.get(t.name);
    if (!names?.size) return t;
    const hit = t.chains.some((c) => names.has(c.name) || c.rules.some((r) => jumpsInto(r, names)) || c.disabled.some((d) => jumpsInto(d.rule, names)));
    if (!hit) return t;
    changed = true;
    const chains = t.chains
      .filter((c) => {
        if (c.builtin || !names.has(c.name)) return true;
        removed.push({ table: t.name, chain: c.name, rules: c.rules.length });
        return false;
      })
      .map((c) => {
        const keep = c.rules.filter((r) => !jumpsInto(r, names));
        if (keep.length === c.rules.length && !c.disabled.some((d) => jumpsInto(d.rule, names))) return c;
        // disabled rules are placed by the index of the active rule they precede
        const newIndex = (old: number) => c.rules.slice(0, old).filter((r) => !jumpsInto(r, names)).length;
        return {
          ...c,
          rules: keep,
          disabled: c.disabled.filter((d) => !jumpsInto(d.rule, names)).map((d) => ({ ...d, before: newIndex(d.before) })),
        };
      });
    return { ...t, chains };
  });
  return { ruleset: changed ? { ...proposal, tables } : proposal, removed };
}
