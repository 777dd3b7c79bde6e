// The decisions an apply makes before it touches anything, as one pure
// function of the proposal, the host's state read under the apply lock, and
// the options: refuse (invalid, predicted lockout, host changed, firewalld),
// nothing to do, or go — with the exact texts to apply, to restore on revert,
// to expect running, and to persist.
import type { Family, Rule, Ruleset, Table } from '../model.js';
import { findChain, findTable } from '../model.js';
import type { Finding } from '../findings.js';
import { parseRuleset, type ParseResult } from '../parse.js';
import { canonicalRuleBody } from '../canonical.js';
import { diffRulesets, type Change, type ChangeSet } from '../diff.js';
import { lintParsed } from '../lint.js';
import { writePreserving } from '../preserve.js';
import { buildBackup, type Backup } from './backup.js';
import { findForeignChains, mergeForeign, stripForeign, type ForeignChains, type ForeignReport } from './foreign.js';
import { predictFamilyLockout, type FamilyLockoutVerdict, type OtherFamilyRoute } from './lockout.js';
import { FORCE, msg, type Message } from './message.js';

/** What the apply knows about the host and this session. */
export interface HostView {
  name: string;
  /** the client address the server reports for this session (through jump hosts: the last jump host's) */
  clientAddress?: string;
  serverAddress?: string;
  sshPort: number;
  /** the interface the client's packets arrive on */
  inIface?: string;
  localAddresses: string[];
  /**
   * how this profile reaches the host over the family the session does not
   * use (found by the runner, apply/other-family.ts); absent: not looked into
   */
  other?: OtherFamilyRoute;
  firewalld: 'active' | 'inactive' | 'masked' | 'absent';
}

/** The host's rulesets as read under the apply lock. */
export interface HostSnapshot {
  savedPresent: boolean;
  savedText: string;
  savedSha256: string;
  liveText: string;
  /** sha256 of the live rules without comments and counters (host/pull.ts normalizeLiveRules) */
  liveRulesSha256: string;
}

/**
 * Where the proposal came from: hashes from `pull --json`, or the saved file it was edited from.
 * The hashes are of the proposal's family (saved6Sha256, live6RulesSha256: the IPv6 half of a
 * two-family apply, checked against /etc/sysconfig/ip6tables and ip6tables-save).
 */
export type BaseRef =
  | { kind: 'hashes'; source: string; savedSha256?: string; liveRulesSha256?: string; saved6Sha256?: string; live6RulesSha256?: string }
  | { kind: 'saved-text'; source: string; text: string; sha256: string };

export type RefuseReason = 'invalid' | 'lockout' | 'host-changed' | 'firewalld' | 'busy' | 'revert-unproven';

export interface ChangeSummary {
  add: number;
  delete: number;
  replace: number;
  move: number;
  policy: number;
  chainAdd: number;
  chainDelete: number;
  total: number;
}

type ProposalCheck =
  | { ok: true; parsed: ParseResult; findings: Finding[] }
  | { ok: false; findings: Finding[]; message: string };

/** Validation and lint of the proposal alone (read as iptables-restore, or ip6tables-restore for family ipv6): no host needed. */
export function checkProposal(text: string, family: Family = 'ipv4'): ProposalCheck {
  const parsed = parseRuleset(text, { family });
  let findings: Finding[];
  try {
    findings = lintParsed(parsed);
  } catch (e) {
    findings = [...parsed.findings, { code: 'lint-failed', severity: 'warning', line: 0, message: `the lint stopped: ${(e as Error).message}` }];
  }
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) return { ok: false, findings, message: `the proposal is not valid (${errors.length} error${errors.length === 1 ? '' : 's'})` };
  if (!parsed.ruleset.tables.length) return { ok: false, findings, message: 'the proposal has no table (*filter … COMMIT)' };
  return { ok: true, parsed, findings };
}

export type ApplyPlan =
  /** message and warnings as data (names as names: files, hosts, hashes, chains), read with messageText */
  | { kind: 'refuse'; reason: RefuseReason; message: Message; findings: Finding[]; warnings: (string | Message)[]; lockout?: FamilyLockoutVerdict }
  | {
      kind: 'go' | 'noop';
      /** what iptables-restore gets: the proposal with other tools' chains kept */
      applyText: string;
      backup: Backup;
      /** what must still be running right before the restore (else the host changed meanwhile) */
      expectedText: string;
      /** the new /etc/sysconfig/iptables */
      persistText: string;
      kept: ForeignReport;
      changes: ChangeSet;
      summary: ChangeSummary;
      findings: Finding[];
      warnings: (string | Message)[];
      lockout: FamilyLockoutVerdict;
    };

export interface PlanInput {
  /** the family of the proposal and the snapshot (default ipv4) */
  family?: Family;
  proposal: ParseResult;
  proposalText: string;
  findings: Finding[];
  host: HostView;
  snapshot: HostSnapshot;
  base: BaseRef | null;
  force: boolean;
}

function summarize(changes: readonly Change[]): ChangeSummary {
  const s: ChangeSummary = { add: 0, delete: 0, replace: 0, move: 0, policy: 0, chainAdd: 0, chainDelete: 0, total: changes.length };
  for (const c of changes) {
    if (c.op === 'chain-add') s.chainAdd++;
    else if (c.op === 'chain-delete') s.chainDelete++;
    else s[c.op]++;
  }
  return s;
}

export function describeSummary(s: ChangeSummary): string {
  if (!s.total) return 'no change to the running rules';
  const parts: string[] = [];
  const add = (n: number, one: string, many = one + 's') => n && parts.push(`${n} ${n === 1 ? one : many}`);
  add(s.add, 'rule added', 'rules added');
  add(s.delete, 'rule deleted', 'rules deleted');
  add(s.replace, 'rule replaced', 'rules replaced');
  add(s.move, 'rule moved', 'rules moved');
  add(s.policy, 'policy changed', 'policies changed');
  add(s.chainAdd, 'chain added', 'chains added');
  add(s.chainDelete, 'chain deleted', 'chains deleted');
  return parts.join(', ');
}

/**
 * Gives the proposal's rules the source lines of the same rules in `original`
 * (same table, chain, canonical text, occurrence), so the preserving writer
 * keeps the original's text around them; rules it does not have are new.
 */
function rebase(proposal: Ruleset, original: Ruleset): Ruleset {
  return {
    ...proposal,
    tables: proposal.tables.map((t): Table => {
      const ot = findTable(original, t.name);
      return {
        ...t,
        source: ot?.source,
        chains: t.chains.map((c) => {
          const oc = ot ? findChain(ot, c.name) : undefined;
          const pool = new Map<string, Rule[]>();
          for (const r of [...(oc?.rules ?? []), ...(oc?.disabled.map((d) => d.rule) ?? [])]) {
            const k = canonicalRuleBody(r);
            if (!pool.has(k)) pool.set(k, []);
            pool.get(k)!.push(r);
          }
          const take = (r: Rule): Rule => {
            const o = pool.get(canonicalRuleBody(r))?.shift();
            const { source: _s, ...rest } = r;
            return o?.source ? { ...rest, source: o.source } : rest;
          };
          return { ...c, source: oc?.source, rules: c.rules.map(take), disabled: c.disabled.map((d) => ({ ...d, rule: take(d.rule) })) };
        }),
      };
    }),
  };
}

/** The file the host boots a family's rules from (iptables-services). */
export function savedFile(family: Family = 'ipv4'): string {
  return family === 'ipv6' ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables';
}

/** What to write to /etc/sysconfig/iptables (ip6tables). */
function persistedText(input: PlanInput, pruned: Ruleset): string {
  const { proposal, proposalText, snapshot } = input;
  // An admin's own file (it has comments): keep its layout. A generated one:
  // keep the layout of the saved file around the rules that stay.
  const hasComments = proposal.lines.some((l) => l.startsWith('#') && !/^#\s*-[AI]\s/.test(l));
  if (hasComments || !snapshot.savedPresent) {
    return pruned === proposal.ruleset ? proposalText : writePreserving(proposal, pruned);
  }
  const saved = parseRuleset(snapshot.savedText, { family: input.family ?? 'ipv4' });
  if (saved.findings.some((f) => f.severity === 'error')) return pruned === proposal.ruleset ? proposalText : writePreserving(proposal, pruned);
  return writePreserving(saved, rebase(pruned, saved.ruleset));
}

/**
 * What must be true before an apply is offered, as seen before one starts (the app's Apply button).
 * The last two are planApply's own overridable refusals, in its order (firewalld, then a predicted
 * lockout), so the button waits on exactly what the runner would refuse without "force".
 */
export type ApplyBlock = 'not-connected' | 'not-pulled' | 'invalid' | 'no-root' | 'firewalld' | 'lockout';

export function applyBlock(g: {
  connected: boolean;
  pulled: boolean;
  /** error findings other than a predicted lockout */
  errors: number;
  noRoot: boolean;
  firewalld?: HostView['firewalld'];
  lockoutPredicted: boolean;
  force: boolean;
}): ApplyBlock | null {
  if (!g.connected) return 'not-connected';
  if (!g.pulled) return 'not-pulled';
  if (g.errors > 0) return 'invalid';
  if (g.noRoot) return 'no-root';
  return g.force ? null : overridden(g.firewalld, g.lockoutPredicted);
}

/** the refusal "force" overrides, planApply's order */
function overridden(firewalld: HostView['firewalld'] | undefined, lockout: boolean): 'firewalld' | 'lockout' | null {
  if (firewalld === 'active') return 'firewalld';
  return lockout ? 'lockout' : null;
}

export function planApply(input: PlanInput): ApplyPlan {
  const { proposal, host, snapshot, base, force } = input;
  const family = input.family ?? 'ipv4';
  const warnings: (string | Message)[] = [];
  const refuse = (reason: RefuseReason, message: Message, findings: Finding[] = input.findings, lockout?: FamilyLockoutVerdict): ApplyPlan => ({
    kind: 'refuse',
    reason,
    message,
    findings,
    warnings,
    lockout,
  });

  const changed = hostChanged(base, snapshot, family, host.name);
  if (changed) return refuse('host-changed', changed);

  if (overridden(host.firewalld, false) === 'firewalld') {
    const why = 'firewalld is active: it flushes rules loaded with iptables-restore at its next reload, and it conflicts with iptables.service';
    if (!force) return refuse('firewalld', msg`${[{ text: why }]}. Switch the host to iptables-services (systemctl mask --now firewalld), or pass ${FORCE}`);
    warnings.push(msg`${[{ text: why }]} (going on: ${FORCE})`);
  }

  const live = parseRuleset(snapshot.liveText, { family });
  const savedParsed = snapshot.savedPresent ? parseRuleset(snapshot.savedText, { family }) : null;
  const foreign = findForeignChains(live.ruleset, savedParsed?.ruleset ?? null);
  const { ruleset: merged, report: kept } = mergeForeign(proposal.ruleset, live.ruleset, foreign);
  const applyText = merged === proposal.ruleset || !kept.chains.length ? input.proposalText : writePreserving(proposal, merged);
  if (applyText !== input.proposalText) {
    const check = parseRuleset(applyText, { family });
    const errors = check.findings.filter((f) => f.severity === 'error');
    if (errors.length)
      return refuse('invalid', msg`with the other tools' chains kept (${kept.chains.map((c) => c.chain).join(', ')}) the ruleset does not load: ${[{ text: errors[0].message }]}`, errors);
  }
  for (const d of kept.dropped) warnings.push(msg`${d.table} ${d.chain} is not in the proposal, so its jump "${d.rule}" is gone`);

  const drift = base?.kind === 'saved-text' ? driftWarning(base, live.ruleset, foreign, family) : null;
  if (drift) warnings.push(drift);

  const lockout = lockoutFor(merged, host);
  const stop = lockoutStop(lockout, force, warnings);
  if (stop) return refuse('lockout', stop, lockout.kind === 'locked' ? [lockout.finding, ...input.findings] : input.findings, lockout);

  const tables = proposal.ruleset.tables.map((t) => t.name);
  const backup = buildBackup(snapshot.liveText, tables);
  const changes = diffRulesets(onlyTables(live.ruleset, merged), merged);
  const pruned = stripForeign(proposal.ruleset, foreign).ruleset;
  const persistText = persistedText(input, pruned);
  const noop = changes.changes.length === 0 && snapshot.savedPresent && persistText === snapshot.savedText;
  return {
    kind: noop ? 'noop' : 'go',
    applyText,
    backup,
    expectedText: snapshot.liveText,
    persistText,
    kept,
    changes,
    summary: summarize(changes.changes),
    findings: input.findings,
    warnings,
    lockout,
  };
}

/**
 * The refusal a lockout verdict makes (null: go on), or with force the warning
 * it leaves in `warnings`; an unchecked family's reason and an open one's note
 * are warnings too. The other family's verdicts say the route they assumed.
 */
function lockoutStop(lockout: FamilyLockoutVerdict, force: boolean, warnings: (string | Message)[]): Message | null {
  const over = (lockout.kind === 'locked' || lockout.kind === 'unknown') && lockout.over ? ` ${lockout.over}` : '';
  if (lockout.kind === 'locked') {
    if (!force) return msg`predicted lockout${[{ text: over }]}: ${[{ text: lockout.finding.message }]}`;
    warnings.push(msg`predicted lockout${[{ text: over }]} (going on: ${FORCE}; the host reverts unless a new connection gets in): ${[{ text: lockout.finding.message }]}`);
  } else if (lockout.kind === 'unknown') {
    if (!force) return msg`cannot predict whether a new SSH connection${[{ text: over }]} gets in: ${[{ text: lockout.reason }]}; pass ${FORCE} to rely on the revert timer alone`;
    warnings.push(msg`lockout${[{ text: over }]} not predicted (${[{ text: lockout.reason }]}); relying on the revert timer`);
  } else if (lockout.kind === 'unchecked') warnings.push(lockout.reason);
  else if (lockout.note) warnings.push(lockout.note);
  return null;
}

/** Why the host is not the base the proposal was made from any more (file or running rules), or null. */
function hostChanged(base: BaseRef | null, snapshot: HostSnapshot, family: Family, hostName: string): Message | null {
  const file = savedFile(family);
  if (base?.kind === 'hashes') {
    const savedBase = family === 'ipv6' ? base.saved6Sha256 : base.savedSha256;
    const liveBase = family === 'ipv6' ? base.live6RulesSha256 : base.liveRulesSha256;
    const rules = family === 'ipv6' ? 'running IPv6 rules' : 'running rules';
    if (savedBase && savedBase !== snapshot.savedSha256)
      return msg`${file} on ${hostName} changed since ${base.source} (sha256 ${short(savedBase)} then, ${short(snapshot.savedSha256)} now): pull again and redo the change`;
    if (liveBase && liveBase !== snapshot.liveRulesSha256)
      return msg`the ${[{ text: rules }]} on ${hostName} changed since ${base.source} (rules sha256 ${short(liveBase)} then, ${short(snapshot.liveRulesSha256)} now; fail2ban bans count too): pull again and redo the change`;
  } else if (base?.kind === 'saved-text') {
    if (base.sha256 !== snapshot.savedSha256)
      return msg`${file} on ${hostName} is not ${base.source} any more (sha256 ${short(base.sha256)} there, ${short(snapshot.savedSha256)} on the host): pull again and redo the change`;
  }
  return null;
}

/** The warning when the running rules (other tools' chains aside) differ from the saved file the proposal was edited from. */
function driftWarning(base: BaseRef & { kind: 'saved-text' }, live: Ruleset, foreign: ForeignChains, family: Family): Message | null {
  const baseRs = parseRuleset(base.text, { family }).ruleset;
  const liveOwn = stripForeign(live, foreign).ruleset;
  const drift = diffRulesets(onlyTables(liveOwn, baseRs), onlyTables(baseRs, baseRs)).changes.length;
  return drift ? msg`the running rules differ from ${base.source} in ${[{ text: `${drift} place${drift === 1 ? '' : 's'}` }]} (changes never saved?): the apply replaces them` : null;
}

/**
 * The lockout prediction for the family of `rs` (the one predictor, core/apply/lockout.ts): the
 * family the SSH session runs over for the session's client; the other family for the client the
 * profile would have over it (host.other), or unchecked with the reason.
 */
function lockoutFor(rs: Ruleset, host: HostView): FamilyLockoutVerdict {
  return predictFamilyLockout(rs, { client: host.clientAddress, server: host.serverAddress, sshPort: host.sshPort, inIface: host.inIface, local: host.localAddresses, other: host.other });
}

/** `rs` restricted to the tables `like` names (a missing one as an empty table). */
function onlyTables(rs: Ruleset, like: Ruleset): Ruleset {
  return { ...rs, tables: rs.tables.filter((t) => like.tables.some((l) => l.name === t.name)) };
}

function short(h: string): string {
  return h.slice(0, 12);
}

