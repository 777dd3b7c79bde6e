// Pull: the saved rulesets (/etc/sysconfig/iptables and ip6tables, byte for
// byte) and the running ones (iptables-save / ip6tables-save, counters kept on
// request), in one round trip, each with a hash for later change detection.
import { createHash } from 'node:crypto';
import { CommandError, PrivilegeError } from './errors.js';
import { newNonce, parseSections, scriptPrelude, type Section } from './remote-script.js';
import type { CommandSession } from './session-port.js';
import { decodeRulesetBytes } from '../core/index.js';

export interface PulledText {
  /** file path, or the command for running rules */
  source: string;
  present: boolean;
  /** false when it exists but could not be read (see error) */
  ok: boolean;
  bytes: Buffer;
  text: string;
  size: number;
  /** sha256 (hex) of the bytes exactly as received */
  sha256: string;
  error?: string;
}

export interface LiveText extends PulledText {
  /**
   * sha256 of the rules with `#` lines and every counter removed: iptables-save
   * stamps the time and live packet counts into its output, so two saves of
   * unchanged rules differ byte-wise but not here. Use this to detect change.
   */
  rulesSha256: string;
}

export interface PullResult {
  host: string;
  takenAt: string;
  counters: boolean;
  saved: PulledText;
  saved6: PulledText;
  live: LiveText;
  live6: LiveText;
}

export interface PullOptions {
  /** iptables-save -c: keep packet and byte counters */
  counters?: boolean;
}

// Only the counters switch varies; it selects between two fixed lines.
export function pullScript(nonce: string, counters: boolean): string {
  return (
    scriptPrelude(nonce) +
    `
for f in iptables ip6tables; do
  if [ -e "/etc/sysconfig/$f" ]; then pcl_sec "saved-$f" cat "/etc/sysconfig/$f"; else pcl_absent "saved-$f"; fi
done
for t in iptables ip6tables; do
  if command -v "$t-save" >/dev/null 2>&1; then
    ${counters ? 'pcl_sec "live-$t" "$t-save" -c' : 'pcl_sec "live-$t" "$t-save"'}
  else pcl_absent "live-$t"; fi
done
`
  );
}

export function sha256Hex(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The rules of an iptables-save output without comments and counters: what "unchanged" means. */
export function normalizeLiveRules(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    if (line.startsWith(':')) out.push(line.replace(/\s*\[\d+:\d+\]\s*$/, ' [0:0]'));
    else out.push(line.replace(/^\[\d+:\d+\]\s+/, ''));
  }
  return out.join('\n') + '\n';
}

function pulled(s: Section | undefined, source: string): PulledText {
  if (!s || s.absent) return { source, present: false, ok: false, bytes: Buffer.alloc(0), text: '', size: 0, sha256: sha256Hex('') };
  const bytes = s.rc === 0 ? s.out : Buffer.alloc(0);
  // never decode with replacement characters: a Latin-1 comment would change, and be written back changed
  const decoded = decodeRulesetBytes(bytes);
  const ok = s.rc === 0 && decoded.ok;
  return {
    source,
    present: true,
    ok,
    bytes,
    text: decoded.ok ? decoded.text : '',
    size: bytes.length,
    sha256: sha256Hex(bytes),
    error: s.rc !== 0 ? s.stderr.trim() || `exit ${s.rc}` : decoded.ok ? undefined : `${source} is ${decoded.problem.message}`,
  };
}

function live(s: Section | undefined, source: string): LiveText {
  const p = pulled(s, source);
  return { ...p, rulesSha256: sha256Hex(normalizeLiveRules(p.text)) };
}

/** Pure: turns the framed output of pullScript into a PullResult. */
export function interpretPull(sections: Map<string, Section>, host: string, counters: boolean, takenAt = new Date().toISOString()): PullResult {
  const c = counters ? ' -c' : '';
  return {
    host,
    takenAt,
    counters,
    saved: pulled(sections.get('saved-iptables'), '/etc/sysconfig/iptables'),
    saved6: pulled(sections.get('saved-ip6tables'), '/etc/sysconfig/ip6tables'),
    live: live(sections.get('live-iptables'), `iptables-save${c}`),
    live6: live(sections.get('live-ip6tables'), `ip6tables-save${c}`),
  };
}

export async function pullRulesets(session: CommandSession, opts: PullOptions = {}): Promise<PullResult> {
  if (session.privilege.kind === 'none')
    throw new PrivilegeError(
      'needs-root',
      `reading the rulesets of ${session.target.name} needs root (the saved file is mode 0600, iptables-save needs CAP_NET_ADMIN): ${session.privilege.reason}. Log in as root, or use a user with sudo (--sudo, --password-stdin)`,
    );
  const nonce = newNonce();
  const counters = !!opts.counters;
  const r = await session.exec('sh -s', { stdin: pullScript(nonce, counters), sudo: true, timeoutMs: 120_000 });
  const sections = parseSections(r.stdoutBytes, nonce);
  if (!sections.has('saved-iptables') || !sections.has('live-iptables'))
    throw new CommandError('sh -s (pull script)', r.code, r.signal, r.stderr, '', 'the pull script did not complete');
  return interpretPull(sections, session.target.name, counters);
}
