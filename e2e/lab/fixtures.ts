// What makes a lab namespace look like a CentOS 7 server to someone logging in:
// release files, iptables-config, sudoers, users, and small stand-ins for
// `systemctl`, `rpm` and `firewall-cmd`. The stand-ins are test fixtures: this
// machine has no systemd running and no rpm database, so without them every host
// would answer like a bare container instead of like the servers we manage.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STOCK_RULE_LINES } from '../../src-main/core/testing/rulesets.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` next to the repository (CI checks it out there); PCL_SHARED_DIR overrides. */
export function sharedDir(): string {
  return process.env.PCL_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
}

/**
 * The corpus file that is CentOS 7's stock `/etc/sysconfig/iptables` ("sample
 * configuration for iptables service"): the one whose rules are exactly the
 * stock rules, else the shortest file carrying that header.
 */
export function stockRulesetPath(): string {
  const dir = join(sharedDir(), 'corpus', 'realworld');
  if (!existsSync(dir)) throw new Error(`lab: corpus not found at ${dir} (set PCL_SHARED_DIR)`);
  const candidates: { path: string; text: string }[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.rules')) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    if (text.includes('sample configuration for iptables service')) candidates.push({ path: join(dir, f), text });
  }
  const rulesOf = (t: string) =>
    t
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  const exact = candidates.find((c) => rulesOf(c.text).join('\n') === STOCK_RULE_LINES.join('\n'));
  if (exact) return exact.path;
  candidates.sort((a, b) => a.text.length - b.text.length);
  if (!candidates[0]) throw new Error(`lab: no stock CentOS ruleset ("sample configuration") in ${dir}`);
  return candidates[0].path;
}

/** CentOS 7's stock /etc/sysconfig/ip6tables (iptables-services SRPM, sysconfig_ip6tables). */
export const STOCK_IP6TABLES = `# sample configuration for ip6tables service
# you can edit this manually or use system-config-firewall
# please do not ask us to add additional ports/services to this default configuration
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -d fe80::/64 -p udp -m udp --dport 546 -m state --state NEW -j ACCEPT
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited
COMMIT
`;

/** The shape firewalld 0.6 leaves in the running filter table (trimmed): for the firewalld host's live rules. */
export const FIREWALLD_LIVE_RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:INPUT_ZONES - [0:0]
:INPUT_ZONES_SOURCE - [0:0]
:INPUT_direct - [0:0]
:IN_public - [0:0]
:IN_public_allow - [0:0]
:IN_public_deny - [0:0]
:IN_public_log - [0:0]
:OUTPUT_direct - [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -j INPUT_direct
-A INPUT -j INPUT_ZONES_SOURCE
-A INPUT -j INPUT_ZONES
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A OUTPUT -j OUTPUT_direct
-A INPUT_ZONES -g IN_public
-A IN_public -j IN_public_log
-A IN_public -j IN_public_deny
-A IN_public -j IN_public_allow
-A IN_public -p icmp -j ACCEPT
-A IN_public_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`;

export const OS_RELEASE = `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`;
/** root's dot files as CentOS 7 installs them (/etc/skel plus root's aliases). */
export const CENTOS_BASHRC = `# .bashrc

# User specific aliases and functions

alias rm='rm -i'
alias cp='cp -i'
alias mv='mv -i'

# Source global definitions
if [ -f /etc/bashrc ]; then
        . /etc/bashrc
fi
`;
export const CENTOS_BASH_PROFILE = `# .bash_profile

# Get the aliases and functions
if [ -f ~/.bashrc ]; then
        . ~/.bashrc
fi

# User specific environment and startup programs

PATH=$PATH:$HOME/bin

export PATH
`;

export const REDHAT_RELEASE = 'CentOS Linux release 7.9.2009 (Core)\n';

/** Stock /etc/sysconfig/iptables-config of iptables-1.4.21-35.el7, with the given values overriding. */
export function iptablesConfig(overrides: Record<string, string> = {}, family: 'ip' | 'ip6' = 'ip'): string {
  const P = family === 'ip' ? 'IPTABLES' : 'IP6TABLES';
  const file = family === 'ip' ? 'iptables' : 'ip6tables';
  const v = (k: string, d: string) => overrides[k] ?? d;
  return `# Load additional ${file} modules (nat helpers)
#   Default: -none-
# Space separated list of nat helpers (e.g. 'ip_nat_ftp ip_nat_irc'), which
# are loaded after the firewall rules are applied. Options for the helpers are
# stored in /etc/modprobe.conf.
${P}_MODULES="${v('MODULES', '')}"

# Save current firewall rules on stop.
#   Value: yes|no,  default: no
# Saves all firewall rules to /etc/sysconfig/${file} if firewall gets stopped
# (e.g. on system shutdown).
${P}_SAVE_ON_STOP="${v('SAVE_ON_STOP', 'no')}"

# Save current firewall rules on restart.
#   Value: yes|no,  default: no
# Saves all firewall rules to /etc/sysconfig/${file} if firewall gets
# restarted.
${P}_SAVE_ON_RESTART="${v('SAVE_ON_RESTART', 'no')}"

# Save (and restore) rule and chain counter.
#   Value: yes|no,  default: no
# Save counters for rules and chains to /etc/sysconfig/${file} if
# 'service ${file} save' is called or on stop or restart if SAVE_ON_STOP or
# SAVE_ON_RESTART is enabled.
${P}_SAVE_COUNTER="${v('SAVE_COUNTER', 'no')}"

# Numeric status output
#   Value: yes|no,  default: yes
# Print IP addresses and port numbers in numeric format in the status output.
${P}_STATUS_NUMERIC="yes"

# Verbose status output
#   Value: yes|no,  default: yes
# Print info about the number of packets and bytes plus the "input-" and
# "outputdevice" in the status output.
${P}_STATUS_VERBOSE="no"

# Status output with numbered lines
#   Value: yes|no,  default: yes
# Print a counter/number for every rule in the status output.
${P}_STATUS_LINENUMBERS="yes"

# Reload sysctl settings on start and restart
#   Default: -none-
# Space separated list of sysctl items which are to be reloaded on start.
# List items will be matched by fgrep.
#${P}_SYSCTL_LOAD_LIST=".nf_conntrack .bridge-nf"

# Set wait option for ${file}-restore calls in seconds
#   Default: 600
# Set to 0 to deactivate the wait.
${overrides.RESTORE_WAIT !== undefined ? `${P}_RESTORE_WAIT=${overrides.RESTORE_WAIT}` : `#${P}_RESTORE_WAIT=600`}

# Set wait interval option for ${file}-restore calls in microseconds
#   Default: 1000000
# Set to 100000 to try to get the lock every 100000 microseconds, 10 times a
# second.
# Only usable with ${P}_RESTORE_WAIT > 0
#${P}_RESTORE_WAIT_INTERVAL=1000000
`;
}

export type UnitState = { active: 'active' | 'inactive' | 'failed'; enabled: 'enabled' | 'disabled' | 'masked' };

/** A `systemctl` that answers is-active / is-enabled the way systemd-219 does for the units given. */
export function fakeSystemctl(units: Record<string, UnitState>): string {
  const cases: string[] = [];
  for (const [u, s] of Object.entries(units)) {
    cases.push(`    is-active:${u}) echo ${s.active}; [ ${s.active} = active ] || rc=3 ;;`);
    cases.push(`    is-enabled:${u}) echo ${s.enabled}; [ ${s.enabled} = enabled ] || rc=1 ;;`);
    cases.push(`    is-failed:${u}) echo ${s.active}; [ ${s.active} = failed ] || rc=1 ;;`);
  }
  return `#!/bin/sh
# Portcullis lab fixture: answers like CentOS 7's systemctl (systemd 219) for the
# units this lab host models. Anything else fails loudly rather than pretending.
verb=$1; shift
rc=0; seen=0
for arg in "$@"; do
  case "$arg" in -*) continue ;; esac
  seen=1
  unit=\${arg%.service}
  case "$verb:$unit" in
${cases.join('\n')}
    is-active:*|is-failed:*) echo unknown; rc=3 ;;
    is-enabled:*) echo "Failed to get unit file state for $unit.service: No such file or directory" >&2; rc=1 ;;
    *) echo "lab systemctl: '$verb' is not modelled" >&2; exit 1 ;;
  esac
done
[ $seen = 1 ] || { echo "Too few arguments." >&2; exit 1; }
exit $rc
`;
}

/** An `rpm` that knows only `rpm -q NAME…` for the packages given. */
export function fakeRpm(packages: Record<string, string>): string {
  const cases = Object.entries(packages).map(([n, nvr]) => `    ${n}) echo ${nvr} ;;`);
  return `#!/bin/sh
# Portcullis lab fixture: answers \`rpm -q\` like CentOS 7 for the packages this host has.
[ "$1" = -q ] || { echo "lab rpm: only -q is modelled" >&2; exit 1; }
shift
rc=0
for p in "$@"; do
  case "$p" in
${cases.join('\n')}
    *) echo "package $p is not installed"; rc=1 ;;
  esac
done
exit $rc
`;
}

export function fakeFirewallCmd(running: boolean): string {
  return `#!/bin/sh
# Portcullis lab fixture: firewall-cmd --state as firewalld 0.6.3 answers it.
case "$1" in
  --state) ${running ? 'echo running; exit 0' : 'echo "not running" >&2; exit 252'} ;;
  --version) echo 0.6.3 ;;
  *) echo "lab firewall-cmd: '$1' is not modelled" >&2; exit 2 ;;
esac
`;
}

export interface SudoRule {
  user: string;
  mode: 'nopasswd' | 'password';
}

/** A CentOS-7-like sudoers: secure_path without /usr/local, no requiretty (removed in 7.3). */
export function sudoers(rules: SudoRule[], extra: string[] = []): string {
  const lines = [
    'Defaults   !visiblepw',
    'Defaults    always_set_home',
    'Defaults    env_reset',
    'Defaults    env_keep =  "COLORS DISPLAY HOSTNAME HISTSIZE KDEDIR LS_COLORS"',
    'Defaults    secure_path = /sbin:/bin:/usr/sbin:/usr/bin',
    'root\tALL=(ALL) \tALL',
  ];
  for (const r of rules) lines.push(`${r.user}\tALL=(ALL)\t${r.mode === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL`);
  return [...lines, ...extra].join('\n') + '\n';
}
