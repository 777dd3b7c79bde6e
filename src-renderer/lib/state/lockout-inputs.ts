// The app's SSH lockout check gets the inputs the apply's check gets
// (core/apply/plan.ts lockoutFor): the session's client, server address,
// incoming interface and every host address for the session's family; for the
// other family the client the profile has over it (found in main on connect,
// host/other-family.ts), when it reaches the host over that family at all. So
// the finding shown while staging and the runner's refusal cannot disagree.
import type { HostConnectionInfo } from '../../../src-main/contract/hosts.js';
import type { Family, LintOptions } from '../../../src-main/core/index.js';
import { FAMILY_NAME } from './family.js';

/** the family of an address as SSH_CONNECTION reports it (an IPv4-mapped IPv6 address is IPv4 on the wire) */
const familyOf = (a: string): Family => (a.includes(':') && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? 'ipv6' : 'ipv4');

/** The lint options for family f's proposal on a connected host: {} when no connection of ours uses that family (or our address is unknown). */
export function lockoutLintOptions(info: Pick<HostConnectionInfo, 'facts' | 'lockout'>, f: Family, sshPort: number): LintOptions {
  const { facts, lockout } = info;
  const client = facts.clientAddress;
  if (!client) return {};
  const own = [...(facts.addresses?.ipv4 ?? []), ...(facts.addresses?.ipv6 ?? [])].map((a) => a.address);
  const local = [...new Set([...(facts.serverAddress ? [facts.serverAddress] : []), ...own])];
  const ours = local.length ? { sshPort, local } : { sshPort };
  if (familyOf(client) === f)
    return { client, ...ours, ...(facts.serverAddress ? { server: facts.serverAddress } : {}), ...(lockout?.clientIface ? { inIface: lockout.clientIface } : {}) };
  const o = lockout?.other;
  if (o?.kind !== 'reachable' || o.family !== f) return {};
  return { client: o.client, ...ours, ...(o.server ? { server: o.server } : {}), ...(o.inIface ? { inIface: o.inIface } : {}) };
}

/** What the lockout check of family f's proposal is about, in words: which client, or why it does not run. */
export function lockoutNote(info: Pick<HostConnectionInfo, 'facts' | 'lockout'>, f: Family, sshPort: number): string {
  const client = info.facts.clientAddress;
  if (!client) return 'Your address is unknown: the SSH lockout check is off.';
  const checked = lockoutLintOptions(info, f, sshPort).client;
  const o = info.lockout?.other;
  if (checked && familyOf(client) === f) return `Checked for a new SSH connection from ${client} to port ${sshPort}.`;
  if (checked && o?.kind === 'reachable') return `Checked for a new SSH connection from ${checked} to port ${sshPort} over ${FAMILY_NAME[f]}, assuming ${o.via}.`;
  const session = FAMILY_NAME[familyOf(client)];
  const why = o && o.family === f && o.kind !== 'reachable' ? ` ${FAMILY_NAME[f]} not checked: ${o.why}.` : '';
  return `You connect over ${session} (${client}): the SSH lockout check runs on the ${session} rules.${why}`;
}
