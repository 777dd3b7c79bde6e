// Hosts, connections, prompts and applies as they cross the bridge: plain data
// only. Everything that came from a host (facts, rule text, stderr, names) is
// untrusted text: the renderer shows it as text, never as HTML.
import type { HostFacts } from './facts.js';
import type { OtherFamilyRoute } from '../core/apply/lockout.js';
import type { Message, MessagePart } from '../core/apply/index.js';
import type { Family } from '../core/model.js';

/**
 * A message of an apply as data: wording ({text}, lower case as the CLI has
 * it), names taken as written ({name}), durations ({ms}) and instants ({at},
 * epoch ms). The renderer formats the values; `message` beside it is the same
 * as plain text (the CLI's wording).
 */
export type { Message, MessagePart };

export type SudoMode = 'auto' | 'always' | 'never';

/** A host as the admin saved it. No secrets here: those live in the OS keychain only. */
export interface HostProfile {
  /** opaque, 16 hex digits */
  id: string;
  name: string;
  /** `[user@]host[:port]` or an ~/.ssh/config alias */
  target: string;
  /** ProxyJump: `[user@]host[:port]` or an alias, several separated by commas; empty for none */
  jump: string;
  /** private key file; empty: the ssh config's, the agent's, ~/.ssh/id_* */
  identityFile: string;
  /** where host keys are checked and accepted keys written; empty: ~/.ssh/known_hosts (or the ssh config's) */
  knownHostsFile: string;
  sudo: SudoMode;
  /** seconds the host waits for the confirmation of an apply before it reverts */
  confirmTimeoutS: number;
  createdAt: string;
  updatedAt: string;
}

/** What the host form sends: a profile without the bookkeeping; `id` to update one. */
export type HostProfileInput = Partial<Pick<HostProfile, 'id'>> & Omit<HostProfile, 'id' | 'createdAt' | 'updatedAt'>;

/** Field → what is wrong with it (the form shows each beside its field). */
export type FieldProblems = Partial<Record<keyof HostProfileInput, string>>;

export interface HopDto {
  name: string;
  host: string;
  port: number;
  user: string;
}

interface HostKeyDto {
  hop: HopDto;
  keyType: string;
  /** SHA256:… as ssh-keygen -l prints it */
  fingerprint: string;
}

interface KnownKeyDto {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

/** Extra data on a failed Result, for errors a person must read closely. */
export type ErrorDetails =
  | { kind: 'fields'; fields: FieldProblems }
  /** the server's key is not in known_hosts and was not accepted */
  | { kind: 'host-key-unknown'; offered: HostKeyDto }
  /** the server offered a different key than known_hosts holds: refused, no override */
  | { kind: 'host-key-changed'; offered: HostKeyDto; expected: KnownKeyDto[] }
  | { kind: 'host-key-revoked'; offered: HostKeyDto; file: string; line: number };

/** Something main needs a person to answer while it connects. */
export type PromptRequest =
  | {
      id: string;
      kind: 'host-key';
      hostId: string;
      hostName: string;
      offered: HostKeyDto;
      /** key types known_hosts does list for this host (it offered another) */
      otherKnownTypes: string[];
      /** where an accepted key is written */
      knownHostsFile: string;
      /**
       * The server closed the connection while this question was open (sshd's
       * LoginGraceTime, 120 s by default). The question still counts: a trusted
       * key is saved and Portcullis connects again with it.
       */
      serverStoppedWaiting?: boolean;
    }
  | {
      id: string;
      kind: 'password';
      hostId: string;
      hostName: string;
      /** e.g. `password for alice@bastion: ` or `[sudo] password for bob@users: ` */
      prompt: string;
      /** the hop the password is for (a jump host's is asked and kept apart from the target's) */
      hop?: HopDto;
      /** the answer can be kept in the OS keychain */
      canRemember: boolean;
    }
  | { id: string; kind: 'passphrase'; hostId: string; hostName: string; file: string; canRemember: boolean };

export type PromptAnswer =
  | { kind: 'host-key'; accept: boolean }
  | { kind: 'secret'; value: string; remember: boolean }
  /** the person closed the prompt */
  | { kind: 'cancel' };

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface HostConnectionInfo {
  hostId: string;
  connectedAt: string;
  /** every hop, jump hosts first (`user@host:port`) */
  route: string[];
  hostKey: HostKeyDto & { trustedBy: 'known-hosts' | 'fingerprint' | 'prompt' };
  facts: HostFacts;
  /** what the SSH lockout check needs beyond the facts, found as the apply finds it */
  lockout?: LockoutInputs;
}

/** The lockout check's inputs the facts do not hold (host/other-family.ts lockoutInputsOf). */
export interface LockoutInputs {
  /** the interface the session's client arrives on (`ip -o route get CLIENT` on the host) */
  clientIface?: string;
  /** how the profile reaches the host over the family the session does not use */
  other?: OtherFamilyRoute;
}

export interface PulledFileDto {
  /** the file path, or the command for the running rules */
  source: string;
  present: boolean;
  ok: boolean;
  text: string;
  size: number;
  sha256: string;
  error?: string;
}

export interface PullDto {
  hostId: string;
  takenAt: string;
  /** IPv4: /etc/sysconfig/iptables and iptables-save */
  saved: PulledFileDto;
  running: PulledFileDto & { rulesSha256: string };
  /** IPv6: /etc/sysconfig/ip6tables and ip6tables-save, read in the same round trip */
  saved6: PulledFileDto;
  running6: PulledFileDto & { rulesSha256: string };
}

export interface ApplyRequest {
  /** the proposed ruleset */
  text: string;
  /** shown in progress and the audit record */
  name: string;
  confirmTimeoutS: number;
  /** go on despite a predicted lockout or an active firewalld (the host timer still guards) */
  force: boolean;
  /**
   * hashes from the pull the proposal was made from: the apply refuses when the host changed since
   * (saved6Sha256 / running6RulesSha256: the same for /etc/sysconfig/ip6tables and ip6tables-save)
   */
  base: { takenAt: string; savedSha256?: string; runningRulesSha256?: string; saved6Sha256?: string; running6RulesSha256?: string } | null;
  /**
   * which family `text` is: 4 (the default: iptables, /etc/sysconfig/iptables) or 6 (ip6tables,
   * /etc/sysconfig/ip6tables; an IPv6-only change, the IPv4 rules are not touched)
   */
  family?: 4 | 6;
  /**
   * with family 4: the IPv6 proposal, applied together with `text` as ONE change under one host
   * revert timer (both confirmed, or both reverted). A family whose proposal changes neither its
   * running rules nor its saved file is left alone (not reloaded, not rewritten).
   */
  ipv6?: { text: string; name: string };
}

/** 'interrupted': the CLI was stopped mid-apply (Ctrl-C); such records come from the shared history */
export type ApplyOutcome = 'confirmed' | 'unchanged' | 'reverted' | 'refused' | 'error' | 'interrupted';

interface ApplyFindingDto {
  code: string;
  severity: 'error' | 'warning' | 'info';
  line: number;
  message: string;
}

/** One line of the local audit history (history.jsonl), as much as the UI shows. */
export interface AuditEntryDto {
  id: string;
  startedAt: string;
  finishedAt: string;
  outcome: ApplyOutcome;
  message: string;
  /** the message as data; absent for history lines written before it existed (show `message` then) */
  messageParts?: Message;
  /** the name of the proposal applied */
  proposal: string;
  user?: string;
  clientAddress?: string;
  hostKey?: string;
  changes?: { add: number; delete: number; replace: number; move: number; policy: number; chainAdd: number; chainDelete: number; total: number };
  probeMs?: number;
  confirmedAfterMs?: number;
  totalMs: number;
  revertedBy?: 'client' | 'timer';
  /** the host rebooted before confirmation: it runs its saved rules */
  rebooted?: boolean;
  /** after a revert: the rules read back matched the backup (false: they did not) */
  revertVerified?: boolean;
  previousBackup?: string | null;
  hostLog?: 'written' | 'failed' | 'no-session';
  warnings: string[];
  /** the warnings as data, by index (may be missing or shorter for older lines: show `warnings` then) */
  warningParts?: Message[];
}

/** Which rules a kept version holds: a pull's saved file or running rules, or what an apply put live. */
export type VersionKind = 'saved' | 'running' | 'applied';

/** One version of a host's rules kept on the laptop (the text is fetched by id). */
export interface HostVersionDto {
  /** 16 hex digits */
  id: string;
  /** when it was seen (ISO) */
  at: string;
  kind: VersionKind;
  sha256: string;
  size: number;
  /** active rules (`-A` lines) */
  rules: number;
  /** applied versions: how the apply ended, and its audit id */
  outcome?: ApplyOutcome;
  auditId?: string;
  /** the file or proposal it came from */
  source?: string;
  /** which firewall: absent for IPv4 (iptables), as every version kept before IPv6 was */
  family?: Family;
}

export interface ApplyResultDto {
  outcome: ApplyOutcome;
  message: string;
  messageParts: Message;
  refuseReason?: 'invalid' | 'lockout' | 'host-changed' | 'firewalld' | 'busy' | 'revert-unproven';
  findings: ApplyFindingDto[];
  warnings: string[];
  /** the warnings as data, by index */
  warningParts: Message[];
  audit: AuditEntryDto;
}

/** Events main sends to every window. */
export type FwEvent =
  | { kind: 'prompt'; prompt: PromptRequest }
  /** a prompt was answered (maybe in another window) or its connection gave up */
  | { kind: 'prompt-closed'; id: string }
  | { kind: 'connection'; hostId: string; state: ConnectionState; message?: string }
  | { kind: 'apply-progress'; applyId: string; hostId: string; step: string; message: string; parts: Message; level: 'info' | 'warn'; at: number }
  /**
   * The new rules are live and a NEW SSH connection got in and read them: keep
   * them? Answer before `confirmBy` (epoch ms); the host itself reverts at
   * `hostRevertAt` without an answer.
   */
  | { kind: 'apply-ask'; applyId: string; hostId: string; summary: string; confirmBy: number; hostRevertAt: number }
  | { kind: 'apply-done'; applyId: string; hostId: string; result: ApplyResultDto }
  /** something went wrong inside main that no call was waiting on (a bug); main kept running */
  | { kind: 'notice'; level: 'error'; message: string };
