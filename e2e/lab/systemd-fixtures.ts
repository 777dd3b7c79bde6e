// What turns the cached Debian root into a CentOS 7 look-alike with systemd as
// PID 1: iptables-services' init script and units, a firewalld unit a test can
// start, and the sshd configuration. Written into each host's overlay.

/**
 * /usr/libexec/iptables/iptables.init as iptables-services 1.4.21 (CentOS 7)
 * behaves where it matters to us: `start` loads /etc/sysconfig/iptables with
 * iptables-restore; `stop` sets every builtin chain to ACCEPT and flushes,
 * saving first when IPTABLES_SAVE_ON_STOP="yes"; `restart` saves first when
 * IPTABLES_SAVE_ON_RESTART="yes"; `save` writes the file the way the real one
 * does (temp file, 0600, previous file kept as iptables.save, rename).
 * Under systemd, `systemctl restart iptables` runs ExecStop then ExecStart, so
 * it is IPTABLES_SAVE_ON_STOP that saves there — as on CentOS 7.
 */
export const IPTABLES_INIT = `#!/bin/sh
# Portcullis lab: iptables-services' iptables.init (1.4.21, CentOS 7), the parts that touch rules and files
IPTABLES=iptables
IPTABLES_DATA=/etc/sysconfig/iptables
IPTABLES_CONFIG=/etc/sysconfig/iptables-config
PROC_IPTABLES_NAMES=/proc/net/ip_tables_names
IPTABLES_SAVE_ON_STOP="no"
IPTABLES_SAVE_ON_RESTART="no"
IPTABLES_SAVE_COUNTER="no"
[ -f "$IPTABLES_CONFIG" ] && . "$IPTABLES_CONFIG"

flush_n_delete() {
  [ -e "$PROC_IPTABLES_NAMES" ] || return 0
  for t in $(cat "$PROC_IPTABLES_NAMES"); do $IPTABLES -t "$t" -F; $IPTABLES -t "$t" -X; $IPTABLES -t "$t" -Z; done
}
set_policy() {
  for t in $(cat "$PROC_IPTABLES_NAMES" 2>/dev/null); do
    case $t in
      raw) chains="PREROUTING OUTPUT" ;;
      filter) chains="INPUT FORWARD OUTPUT" ;;
      nat) chains="PREROUTING POSTROUTING OUTPUT" ;;
      mangle) chains="PREROUTING INPUT FORWARD OUTPUT POSTROUTING" ;;
      security) chains="INPUT FORWARD OUTPUT" ;;
      *) chains="" ;;
    esac
    for c in $chains; do $IPTABLES -t "$t" -P "$c" "$1"; done
  done
}
start() {
  [ -f "$IPTABLES_DATA" ] || { echo "$IPTABLES: No config file."; return 6; }
  echo "$IPTABLES: Applying firewall rules"
  OPT=; [ "x$IPTABLES_SAVE_COUNTER" = "xyes" ] && OPT="-c"
  $IPTABLES-restore $OPT "$IPTABLES_DATA" || { echo "$IPTABLES: Applying firewall rules: FAILED"; return 1; }
}
stop() {
  echo "$IPTABLES: Setting chains to policy ACCEPT and flushing"
  set_policy ACCEPT
  flush_n_delete
}
save() {
  echo "$IPTABLES: Saving firewall rules to $IPTABLES_DATA"
  OPT=; [ "x$IPTABLES_SAVE_COUNTER" = "xyes" ] && OPT="-c"
  ret=0
  TMP_FILE=$(mktemp -q "$IPTABLES_DATA.XXXXXX") && chmod 600 "$TMP_FILE" && $IPTABLES-save $OPT > "$TMP_FILE" 2>/dev/null && [ -s "$TMP_FILE" ] || ret=1
  if [ $ret -eq 0 ] && [ -e "$IPTABLES_DATA" ]; then cp -f "$IPTABLES_DATA" "$IPTABLES_DATA.save" && chmod 600 "$IPTABLES_DATA.save" || ret=1; fi
  if [ $ret -eq 0 ]; then mv -f "$TMP_FILE" "$IPTABLES_DATA" && chmod 600 "$IPTABLES_DATA" || ret=1; fi
  rm -f "$TMP_FILE"
  return $ret
}
case "$1" in
  start) start ;;
  stop) [ "x$IPTABLES_SAVE_ON_STOP" = "xyes" ] && save; stop ;;
  restart|force-reload) [ "x$IPTABLES_SAVE_ON_RESTART" = "xyes" ] && save; stop; start ;;
  reload) start ;;
  save) save ;;
  status) $IPTABLES -L -n ;;
  *) echo "Usage: $0 {start|stop|reload|restart|force-reload|status|save}"; exit 2 ;;
esac
`;

/**
 * /usr/libexec/iptables/ip6tables.init: iptables-services makes it from iptables.init by sed
 * (iptables → ip6tables, IPTABLES → IP6TABLES), so it reads /etc/sysconfig/ip6tables-config's
 * IP6TABLES_SAVE_ON_STOP etc. and lists /proc/net/ip6_tables_names.
 */
export const IP6TABLES_INIT = IPTABLES_INIT.replace(/iptables/g, 'ip6tables')
  .replace(/IPTABLES/g, 'IP6TABLES')
  .replace('/proc/net/ip_tables_names', '/proc/net/ip6_tables_names');

/** iptables-services' unit, as CentOS 7 ships it (syslog lines dropped: no syslog here). */
export const IPTABLES_SERVICE = `[Unit]
Description=IPv4 firewall with iptables
After=syslog.target
AssertPathExists=/etc/sysconfig/iptables

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/iptables/iptables.init start
ExecReload=/usr/libexec/iptables/iptables.init reload
ExecStop=/usr/libexec/iptables/iptables.init stop
Environment=BOOTUP=serial
Environment=CONSOLETYPE=serial

[Install]
WantedBy=basic.target
`;

/** iptables-services' ip6tables.service, as CentOS 7 ships it. */
export const IP6TABLES_SERVICE = `[Unit]
Description=IPv6 firewall with ip6tables
After=syslog.target
AssertPathExists=/etc/sysconfig/ip6tables

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/iptables/ip6tables.init start
ExecReload=/usr/libexec/iptables/ip6tables.init reload
ExecStop=/usr/libexec/iptables/ip6tables.init stop
Environment=BOOTUP=serial
Environment=CONSOLETYPE=serial

[Install]
WantedBy=basic.target
`;

/** A stand-in for firewalld.service: present and disabled, startable by a test; it holds no rules of its own. */
export const FIREWALLD_SERVICE = `[Unit]
Description=firewalld - dynamic firewall daemon (Portcullis lab stand-in)
Conflicts=iptables.service ip6tables.service

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
`;

/** firewall-cmd --state, answered from the unit's real state. */
export const FIREWALL_CMD = `#!/bin/sh
# Portcullis lab fixture: firewall-cmd --state as firewalld 0.6.3 answers it, from the unit's state
case "$1" in
  --state) if systemctl is-active --quiet firewalld.service; then echo running; exit 0; else echo "not running" >&2; exit 252; fi ;;
  --version) echo 0.6.3 ;;
  *) echo "lab firewall-cmd: '$1' is not modelled" >&2; exit 2 ;;
esac
`;

export function systemdSshdConfig(listen: string[]): string {
  return [
    ...listen.map((a) => `ListenAddress ${a}:22`),
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'HostKey /etc/ssh/ssh_host_ecdsa_key',
    'AuthorizedKeysFile /etc/ssh/authorized_keys/%u',
    'StrictModes no',
    // pam_loginuid cannot work in a container without CAP_AUDIT_CONTROL; keys only
    'UsePAM no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel VERBOSE',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    '',
  ].join('\n');
}
