import { firewalldState, type FirewalldState } from '../host/facts.js';
// The remote side of an apply: fixed shell scripts. Nothing a user or a host
// supplied is ever placed in them; each reads a header line from stdin (the
// apply id we generated, a number, a file name from a fixed list — all checked
// again by the script) and, where there is one, the payload after it.
//
// Host layout (root only, in /run: gone at reboot, like the timer itself):
//   /run/portcullis/lock/        the apply lock: id, deadline (epoch s), since, by, ttl, session
//                                (the holder's SSH session: sshd PID and start time), armed
//                                (once a revert timer is armed). Before arming, the lock lives
//                                while its SSH session does and at most ttl s past its last step;
//                                arming extends it to the timer's deadline (+120 s)
//   /run/portcullis/ID/          candidate, backup, expected, pre, timer | revert.pid (IPv6: candidate6,
//                                backup6, expected6, pre6 …; families: the families this apply changes),
//                                portcullis-revert and portcullis-guard (the scripts systemd or setsid
//                                run: a file, because systemd expands $NAME and \${…} in command lines),
//                                saved.orig + saved.sum (/etc/sysconfig/iptables before the countdown;
//                                saved6.* for ip6tables), decided/ (whoever makes it — cancel or revert —
//                                wins), verify, verify6, outcome
//   /run/systemd/system/iptables.service.d/portcullis-ID.conf (ip6tables.service.d likewise)
//                                while undecided, where IPTABLES_SAVE_ON_STOP/RESTART (IP6TABLES_…) is on:
//                                runs the guard after the service stops (a stop, a restart, a shutdown)
//
// Both families are one apply: one lock, one timer, one decision. A family is in the apply when
// its files were put (candidate6 …); ARM writes the list to families, and the restore, the revert
// and the checks act on exactly those, so a change to one family never reloads the other.
//   /var/log/portcullis.log      one JSON line per apply, per revert, per file put back
//
// The boot ruleset is written only by a confirmed apply. A save during the countdown
// (save-on-stop at a stop or shutdown, a restart's save, \`service iptables save\`) would make the
// unconfirmed rules the ones the host boots with; the guard (at the stop) and the revert (at the
// latest) put the file from before back and keep what was written as iptables.portcullis-unconfirmed-DATE.
// Everything lives in /run: a reboot removes the timer, the guard, the lock and the work directory.

const SAVE_MARK = '--portcullis-save--';
/** the mark before ip6tables-save's text (after iptables-save's, when both are printed) */
const SAVE6_MARK = '--portcullis-save6--';
export { SAVE_MARK, SAVE6_MARK };

// family 4 or 6 → T: the tool, S: the work files' suffix, F: the saved file, V: its config's prefix.
// The families of an apply: those whose backup was put (pcl_families DIR).
const FAM_FN = `pcl_fam() {
  case $1 in
    4) T=iptables; S=; F=/etc/sysconfig/iptables; V=IPTABLES;;
    6) T=ip6tables; S=6; F=/etc/sysconfig/ip6tables; V=IP6TABLES;;
    *) echo "portcullis: bad family" >&2; exit 64;;
  esac
}
pcl_families() {
  pcl_l=
  for pcl_x in 4 6; do pcl_fam $pcl_x; [ -s "$1/backup$S" ] && pcl_l="$pcl_l $pcl_x"; done
  echo $pcl_l
}
# what the host runs now, per family: the mark, then TOOL-save
pcl_saves() {
  for pcl_x in $1; do
    pcl_fam $pcl_x
    if [ $pcl_x = 6 ]; then echo '${SAVE6_MARK}'; else echo '${SAVE_MARK}'; fi
    if command -v $T-save >/dev/null 2>&1; then $T-save; fi
  done
}
`;

const PRELUDE = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
LC_ALL=C; export LC_ALL
umask 077
P=/run/portcullis
${FAM_FN}pcl_id() {
  case $1 in ''|*[!0-9a-f]*) echo "portcullis: bad apply id" >&2; exit 64;; esac
  if [ \${#1} -lt 8 ] || [ \${#1} -gt 64 ]; then echo "portcullis: bad apply id" >&2; exit 64; fi
}
pcl_ours() {
  [ "$(cat "$P/lock/id" 2>/dev/null)" = "$1" ] || { echo "portcullis: the apply lock on this host is not ours (any more)" >&2; exit 77; }
  # a step before arming: the holder is alive, the short pre-arm deadline starts again
  if [ ! -e "$P/lock/armed" ]; then
    pcl_t=$(cat "$P/lock/ttl" 2>/dev/null)
    case $pcl_t in ''|*[!0-9]*) ;; *) echo $(( $(date +%s) + pcl_t )) > "$P/lock/deadline";; esac
  fi
}
# field N (3 = state, 4 = ppid, 22 = start time) of /proc/PID/stat; the command name may hold spaces
pcl_stat() {
  sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f $(($2 - 2))
}
# the SSH session this script runs in: PID and start time of the nearest sshd ancestor
pcl_session() {
  pcl_p=$$; pcl_n=0
  while [ -n "$pcl_p" ] && [ "$pcl_p" -gt 1 ] 2>/dev/null && [ $pcl_n -lt 40 ]; do
    case $(cat "/proc/$pcl_p/comm" 2>/dev/null) in sshd*) echo "$pcl_p $(pcl_stat "$pcl_p" 22)"; return 0;; esac
    pcl_p=$(pcl_stat "$pcl_p" 4); pcl_n=$((pcl_n+1))
  done
  return 1
}
# $T-restore (pcl_fam), waiting for the xtables lock where it can (CentOS >= 7.4), retried
pcl_restore() {
  pcl_n=0
  while :; do
    if $T-restore --help 2>&1 | grep -q -- '--wait'; then $T-restore --wait=10 < "$1" && return 0
    else $T-restore < "$1" && return 0; fi
    pcl_n=$((pcl_n+1)); [ $pcl_n -ge 3 ] && return 1; sleep 1
  done
}
pcl_children() {
  if [ -r "/proc/$1/task/$1/children" ]; then cat "/proc/$1/task/$1/children"
  else for pcl_c in /proc/[0-9]*; do pcl_c=\${pcl_c#/proc/}; [ "$(pcl_stat "$pcl_c" 4)" = "$1" ] && echo "$pcl_c"; done; fi
}
# $1 = the boot id the apply started under: refuses malformed ones, and answers
# "rebooted" (with what the host runs and saves now, both families) when the host booted since
pcl_boot() {
  case $1 in *[!0-9a-f-]*) echo "portcullis: bad boot id" >&2; exit 64;; esac
  if [ -n "$1" ] && [ "$1" != "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" ]; then
    echo rebooted
    for pcl_x in 4 6; do
      pcl_fam $pcl_x
      if [ -e $F ]; then echo "saved$S-sha256=$(sha256sum < $F | cut -d ' ' -f 1)"; else echo "saved$S-sha256=absent"; fi
    done
    pcl_saves "4 6"
    exit 0
  fi
}
pcl_stop_timer() {
  if [ -s "$1/timer" ]; then pcl_u=$(cat "$1/timer"); systemctl stop "$pcl_u.timer" "$pcl_u.service" >/dev/null 2>&1; fi
  if [ -s "$1/revert.pid" ]; then
    pcl_p=$(cat "$1/revert.pid")
    case $pcl_p in ''|*[!0-9]*) ;; *) kill -TERM -- "-$pcl_p" 2>/dev/null || kill -TERM "$pcl_p" 2>/dev/null
      # gone, or a zombie nobody reaped yet (it can no longer revert)
      pcl_i=0; while [ -r "/proc/$pcl_p/stat" ] && [ "$(sed 's/.*) //' "/proc/$pcl_p/stat" | cut -c1)" != Z ] && [ $pcl_i -lt 40 ]; do sleep 0.05; pcl_i=$((pcl_i+1)); done;;
    esac
  fi
}
`;

// Shell functions the revert and the guard carry in their own text (they run as scripts of their own).
// pcl_norm: rules without comments and counters; a table that is loaded but empty (builtin chains
// ACCEPT, nothing else) counts as absent: iptables-restore --test loads the tables it reads
const NORM_FN = `pcl_norm() {
  awk '
    /^#/ || /^[ \\t]*$/ { next }
    { gsub(/\\[[0-9]+:[0-9]+\\]/, ""); sub(/^[ \\t]+/, ""); sub(/[ \\t]+$/, "") }
    /^\\*/ { buf = $0; empty = 1; next }
    /^COMMIT$/ { if (!empty) print buf "\\n" $0; buf = ""; next }
    { buf = buf "\\n" $0; if ($0 !~ /^:[A-Z]+ ACCEPT$/) empty = 0 }
  ' "$1"
}
# one table's section of a pcl_norm output
pcl_table() { awk -v t="*$2" '$0 == t { p = 1 } p { print } p && /^COMMIT$/ { exit }' "$1"; }
`;

const FILE_FN = `pcl_file_sum() {
  if [ -e "$1" ]; then sha256sum < "$1" | cut -d ' ' -f 1; else echo absent; fi
}
# the boot ruleset is written only by a confirmed apply: a save during the countdown is undone,
# what it wrote kept beside. $1 = work directory, $2 = who noticed (guard, revert), $3 = family
pcl_guard_file() {
  pcl_fam "$3"
  [ -s "$1/saved$S.sum" ] || return 0
  [ "$(pcl_file_sum $F)" = "$(cat "$1/saved$S.sum")" ] && return 0
  pcl_f=$F; pcl_k=
  if [ -e "$pcl_f" ]; then
    pcl_k="$pcl_f.portcullis-unconfirmed-$(date +%Y%m%d-%H%M%S)"; pcl_b=$pcl_k; pcl_n=1
    while [ -e "$pcl_k" ]; do pcl_k="$pcl_b-$pcl_n"; pcl_n=$((pcl_n+1)); done
    cp -p "$pcl_f" "$pcl_k"
  fi
  if [ -e "$1/saved$S.orig" ]; then cp -p "$1/saved$S.orig" "$pcl_f.portcullis-put" && mv -f "$pcl_f.portcullis-put" "$pcl_f"; else rm -f "$pcl_f"; fi
  if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled && command -v restorecon >/dev/null 2>&1; then restorecon "$pcl_f" 2>/dev/null; fi
  echo "$2 $pcl_k" >> "$1/file-restored"
  printf '{"time":"%s","event":"file-restored","id":"%s","by":"%s","kept":"%s"}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\${1##*/}" "$2" "$pcl_k" >> /var/log/portcullis.log
}
# takes the guards off iptables.service and ip6tables.service (the apply is decided)
pcl_unguard() {
  pcl_r=
  for pcl_u in iptables ip6tables; do
    pcl_g=/run/systemd/system/$pcl_u.service.d/portcullis-$1.conf
    if [ -e "$pcl_g" ]; then rm -f "$pcl_g"; rmdir /run/systemd/system/$pcl_u.service.d 2>/dev/null; pcl_r=1; fi
  done
  [ -n "$pcl_r" ] && systemctl daemon-reload >/dev/null 2>&1
  return 0
}
`;

// The revert itself, run detached by the timer (or claimed by revert-now).
// Arguments: DIR MODE SECONDS BY. MODE "wait" sleeps first (the setsid timer);
// "claimed" means the caller already made DIR/decided.
const REVERT_BODY = `d=$1
if [ "$2" = wait ]; then echo $$ > "$d/revert.pid"; sleep "$3"; fi
if [ "$2" != claimed ]; then mkdir "$d/decided" 2>/dev/null || exit 0; fi
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
LC_ALL=C; export LC_ALL
id=\${d##*/}
${FAM_FN}${NORM_FN}${FILE_FN}
fams=$(cat "$d/families" 2>/dev/null); [ -n "$fams" ] || fams=4
# every family of the apply, each from its own backup; reverted only when all of them are
r=reverted; vall=verified
for f in $fams; do
  pcl_fam $f
  ok=; n=0
  while [ $n -lt 3 ]; do
    if $T-restore --help 2>&1 | grep -q -- '--wait'; then $T-restore --wait=10 < "$d/backup$S" 2>>"$d/revert.err" && { ok=1; break; }
    else $T-restore < "$d/backup$S" 2>>"$d/revert.err" && { ok=1; break; }; fi
    n=$((n+1)); sleep 1
  done
  [ -n "$ok" ] || r=revert-failed
  # read the rules back: each table of the backup must now hold exactly the backup
  v=unverified
  if [ -n "$ok" ] && $T-save > "$d/after-revert$S" 2>/dev/null; then
    pcl_norm "$d/backup$S" > "$d/backup$S.n"; pcl_norm "$d/after-revert$S" > "$d/after-revert$S.n"
    bad=
    for t in $(sed -n 's/^\\*//p' "$d/backup$S"); do
      [ "$(pcl_table "$d/backup$S.n" "$t")" = "$(pcl_table "$d/after-revert$S.n" "$t")" ] || bad="$bad $t"
    done
    if [ -z "$bad" ]; then v=verified; else v="mismatch$bad"; fi
  fi
  echo "$v" > "$d/verify$S"
  [ "$v" = verified ] || [ "$vall" != verified ] || vall=$v
  pcl_guard_file "$d" revert $f
done
pcl_unguard "$id"
echo "$r" > "$d/outcome"
# an elapsed transient timer stays loaded (RemainAfterElapse, which systemd 219 cannot turn off): unload it
[ "$2" = now ] && systemctl stop "portcullis-revert-$id.timer" >/dev/null 2>&1
[ "$(cat /run/portcullis/lock/id 2>/dev/null)" = "$id" ] && rm -rf /run/portcullis/lock
printf '{"time":"%s","event":"revert","id":"%s","result":"%s","verify":"%s","by":"%s","families":"%s","verify4":"%s","verify6":"%s"}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id" "$r" "$vall" "\${4:-timer}" "$fams" "$(cat "$d/verify" 2>/dev/null)" "$(cat "$d/verify6" 2>/dev/null)" >> /var/log/portcullis.log
exit 0`;

// Run by iptables.service's (ip6tables.service's) ExecStopPost while an apply is undecided
// (a stop, a restart, a shutdown). Arguments: DIR FAMILY
const GUARD_BODY = `d=$1
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
LC_ALL=C; export LC_ALL
[ "$(cat "$d/outcome" 2>/dev/null)" = cancelled ] && exit 0
${FAM_FN}${FILE_FN}
pcl_guard_file "$d" guard "\${2:-4}"
exit 0`;

const REVERT_DEF = `REVERT=$(cat <<'PCL_REVERT_EOF'
${REVERT_BODY}
PCL_REVERT_EOF
)
`;
const GUARD_DEF = `GUARD=$(cat <<'PCL_GUARD_EOF'
${GUARD_BODY}
PCL_GUARD_EOF
)
`;


/** Where the server sees us from, the interface that route uses, the host's addresses, firewalld. No root needed. */
export const WHERE_SCRIPT = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH; LC_ALL=C; export LC_ALL
set -- $SSH_CONNECTION
echo "client=$1"
echo "server=$3"
echo "port=$4"
if [ -n "$1" ]; then echo "route=$(ip -o route get "$1" 2>/dev/null | head -n 1)"; fi
for a in $(ip -o addr show 2>/dev/null | awk '$3 == "inet" || $3 == "inet6" {print $4}'); do echo "addr=\${a%%/*}"; done
if command -v systemctl >/dev/null 2>&1; then
  echo "firewalld=$(systemctl is-active firewalld.service 2>/dev/null | head -n 1)"
  echo "firewalld-enabled=$(systemctl is-enabled firewalld.service 2>/dev/null | head -n 1)"
fi
if command -v firewall-cmd >/dev/null 2>&1; then echo "firewall-cmd=$(firewall-cmd --state 2>&1 | head -n 1)"; fi
true
`;

/** firewalld from WHERE_SCRIPT's lines, read by the same rule as the facts pull (host/facts.ts firewalldState) */
export function whereFirewalld(keys: Map<string, string[]>): FirewalldState {
  return firewalldState({
    active: keys.get('firewalld')?.[0] || null,
    enabled: keys.get('firewalld-enabled')?.[0] || null,
    cmd: keys.get('firewall-cmd')?.[0],
  });
}

/** stdin: `ID TTL`. Takes /run/portcullis/lock; exit 75 with the holder when another apply has it. */
export const LOCK_SCRIPT = `${PRELUDE}
read -r id ttl || exit 64
pcl_id "$id"
case $ttl in ''|*[!0-9]*) echo "portcullis: bad ttl" >&2; exit 64;; esac
mkdir -p "$P" && chmod 700 "$P" || exit 70
# one lock script at a time (stale-lock take-over must not race)
if command -v flock >/dev/null 2>&1; then exec 9>"$P/.guard"; flock -w 10 9 || exit 70; fi
now=$(date +%s)
if ! mkdir "$P/lock" 2>/dev/null; then
  holder=$(cat "$P/lock/id" 2>/dev/null)
  dl=$(cat "$P/lock/deadline" 2>/dev/null)
  case $dl in ''|*[!0-9]*) dl=;; esac
  if [ -z "$dl" ]; then
    if [ -n "$(find "$P/lock" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then dl=0; else dl=$((now + 60)); fi
  fi
  # not armed yet, and the SSH session that took it is gone (a killed client): nothing to wait for
  gone=
  if [ ! -e "$P/lock/armed" ] && [ -s "$P/lock/session" ]; then
    read -r spid sstart < "$P/lock/session"
    case $spid in ''|*[!0-9]*) ;; *) [ "$(pcl_stat "$spid" 22)" = "$sstart" ] || { dl=0; gone=yes; };; esac
  fi
  if [ "$dl" -ge "$now" ]; then
    echo "busy id=$holder by=$(cat "$P/lock/by" 2>/dev/null) since=$(cat "$P/lock/since" 2>/dev/null) until=$dl"
    exit 75
  fi
  rm -rf "$P/lock"
  # no timer was ever armed for it: its work directory is litter
  if [ -n "$gone" ]; then case $holder in ''|*[!0-9a-f]*) ;; *) rm -rf "$P/$holder";; esac; fi
  mkdir "$P/lock" || exit 75
  echo "took-over id=$holder\${gone:+ (its SSH session is gone)}"
fi
echo "$id" > "$P/lock/id"
echo "$ttl" > "$P/lock/ttl"
echo $((now + ttl)) > "$P/lock/deadline"
echo "$now" > "$P/lock/since"
echo "\${SUDO_USER:-$(id -un)}" > "$P/lock/by"
pcl_session > "$P/lock/session" 2>/dev/null || rm -f "$P/lock/session"
rm -rf "$P/$id"
mkdir "$P/$id" || exit 71
echo "boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
echo locked
`;

/** stdin: `ID NAME` then the bytes. NAME is candidate, backup or expected (IPv6: candidate6 …). Prints the size written. */
export const PUT_SCRIPT = `${PRELUDE}
read -r id name || exit 64
pcl_id "$id"
case $name in candidate|backup|expected|candidate6|backup6|expected6) ;; *) echo "portcullis: bad file name" >&2; exit 64;; esac
pcl_ours "$id"
cat > "$P/$id/$name" || exit 72
wc -c < "$P/$id/$name"
`;

/**
 * stdin: `ID`. `iptables-restore --test` (ip6tables-restore for the IPv6 files) of
 * each family's candidate and backup (a revert that could not load it would fail
 * when it is needed): prints `NAME=ok`, or `NAME=fail` and `NAME-error=` lines
 * with the complaint (NAME: backup, candidate, backup6, candidate6).
 */
export const TEST_SCRIPT = `${PRELUDE}
read -r id || exit 64
pcl_id "$id"
pcl_ours "$id"
for fam in $(pcl_families "$P/$id"); do
  pcl_fam $fam
  for f in backup$S candidate$S; do
    if out=$($T-restore --test < "$P/$id/$f" 2>&1); then echo "$f=ok"; else echo "$f=fail"; printf '%s\\n' "$out" | sed "s/^/$f-error=/"; fi
  done
done
`;

/**
 * stdin: `ID SECONDS`. Arms the revert: a transient systemd timer where
 * systemd runs as PID 1, else a detached setsid process; both run the revert
 * script from a file (systemd would expand `$…` in a script on its command
 * line). Keeps /etc/sysconfig/iptables as it is now (saved.orig), and where
 * IPTABLES_SAVE_ON_STOP/RESTART is on guards iptables.service's stop with it.
 * Prints `systemd-run UNIT` or `setsid PID`, then what proves the revert is
 * due: `timer-state=`, `timer-next=` (NextElapseUSecMonotonic), `timer-entered=`
 * (ActiveEnterTimestampMonotonic), `uptime=`, or
 * `revert-alive=`, `revert-sleep=`; and `save-on-stop=`, `save-on-restart=`, `guard=`.
 */
export const ARM_SCRIPT = `${PRELUDE}
${REVERT_DEF}
${GUARD_DEF}
read -r id secs || exit 64
pcl_id "$id"
case $secs in ''|*[!0-9]*) echo "portcullis: bad seconds" >&2; exit 64;; esac
pcl_ours "$id"
d=$P/$id
fams=$(pcl_families "$d")
[ -n "$fams" ] || { echo "portcullis: no backup" >&2; exit 78; }
rm -rf "$d/decided" "$d/outcome" "$d/timer" "$d/revert.pid" "$d/verify" "$d/verify6" "$d/file-restored" "$d/saved.orig" "$d/saved6.orig"
echo "$fams" > "$d/families"
printf '%s\\n' "$REVERT" > "$d/portcullis-revert" && printf '%s\\n' "$GUARD" > "$d/portcullis-guard" || exit 78
# each boot ruleset as it is before anything is loaded: the guard and the revert put it back if it is overwritten
for f in $fams; do
  pcl_fam $f
  if [ -e "$F" ]; then cp -p "$F" "$d/saved$S.orig" || exit 78; sha256sum < "$d/saved$S.orig" | cut -d ' ' -f 1 > "$d/saved$S.sum"; else echo absent > "$d/saved$S.sum"; fi
done
# from now on the timer frees the lock: it outlives the session, until the timer's deadline
: > "$P/lock/armed"
echo $(( $(date +%s) + secs + 120 )) > "$P/lock/deadline"
echo "families=$fams"
guards=
for f in $fams; do
  pcl_fam $f
  sos=no; sor=no
  if [ -r "$F-config" ]; then
    grep -Eq "^[[:space:]]*\${V}_SAVE_ON_STOP=[\\"']?yes" "$F-config" && sos=yes
    grep -Eq "^[[:space:]]*\${V}_SAVE_ON_RESTART=[\\"']?yes" "$F-config" && sor=yes
  fi
  echo "save-on-stop$S=$sos"
  echo "save-on-restart$S=$sor"
  [ "$sos$sor" = nono ] || guards="$guards $f"
done
if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
  unit="portcullis-revert-$id"
  if ! out=$(systemd-run --unit "$unit" --on-active="$secs" --timer-property=AccuracySec=100ms /bin/sh "$d/portcullis-revert" "$d" now 0 timer 2>&1); then
    printf '%s\\n' "$out" >&2; exit 79
  fi
  echo "$unit" > "$d/timer"
  echo "systemd-run $unit"
  echo "timer-state=$(systemctl show -p ActiveState "$unit.timer" 2>/dev/null | sed 's/^[^=]*=//')"
  echo "timer-next=$(systemctl show -p NextElapseUSecMonotonic "$unit.timer" 2>/dev/null | sed 's/^[^=]*=//')"
  echo "timer-entered=$(systemctl show -p ActiveEnterTimestampMonotonic "$unit.timer" 2>/dev/null | sed 's/^[^=]*=//')"
  echo "uptime=$(cut -d ' ' -f 1 /proc/uptime)"
  # a stop, restart or shutdown of iptables.service (ip6tables.service) would save the unconfirmed rules: the guard undoes it
  written=
  for f in $guards; do
    pcl_fam $f
    if [ "$(systemctl show -p LoadState $T.service 2>/dev/null)" = LoadState=loaded ]; then
      mkdir -p /run/systemd/system/$T.service.d &&
        printf '[Service]\\nExecStopPost=/bin/sh %s/portcullis-guard %s %s\\n' "$d" "$d" "$f" > /run/systemd/system/$T.service.d/portcullis-$id.conf &&
        written="$written $T.service"
    fi
  done
  if [ -n "$written" ] && systemctl daemon-reload; then for g in $written; do echo "guard=$g"; done; fi
else
  setsid nohup /bin/sh "$d/portcullis-revert" "$d" wait "$secs" timer </dev/null >/dev/null 2>&1 &
  i=0
  while [ ! -s "$d/revert.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  [ -s "$d/revert.pid" ] || { echo "portcullis: the revert process did not start" >&2; exit 79; }
  p=$(cat "$d/revert.pid")
  echo "setsid $p"
  # its sleep: the revert is due when it ends
  s=; i=0
  while [ -z "$s" ] && [ $i -lt 40 ]; do
    for c in $(pcl_children "$p"); do [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && s=$(tr '\\0' ' ' < "/proc/$c/cmdline"); done
    [ -n "$s" ] || { sleep 0.05; i=$((i+1)); }
  done
  if [ -d "/proc/$p" ]; then echo "revert-alive=yes"; else echo "revert-alive=no"; fi
  echo "revert-sleep=$s"
fi
`;

/**
 * stdin: `ID`. Restores each family's candidate (the families ARM recorded),
 * unless its running rules changed since they were read (`changed`: nothing
 * loaded). Prints `restored` or `failed` + stderr, then per family the mark and
 * TOOL-save.
 */
export const RESTORE_SCRIPT = `${PRELUDE}
read -r id || exit 64
pcl_id "$id"
pcl_ours "$id"
d=$P/$id
fams=$(cat "$d/families" 2>/dev/null)
[ -n "$fams" ] || { echo "portcullis: no revert timer armed" >&2; exit 78; }
${NORM_FN}for f in $fams; do
  pcl_fam $f
  $T-save > "$d/pre$S" 2>"$d/pre.err" || { cat "$d/pre.err" >&2; exit 80; }
  pcl_norm "$d/pre$S" > "$d/pre$S.n"
  pcl_norm "$d/expected$S" > "$d/expected$S.n"
  if ! cmp -s "$d/pre$S.n" "$d/expected$S.n"; then echo changed; exit 0; fi
done
res=restored; why=
for f in $fams; do
  pcl_fam $f
  if ! out=$(pcl_restore "$d/candidate$S" 2>&1); then res=failed; why="$T-restore: $out"; break; fi
done
echo $res
[ $res = restored ] || printf '%s\\n' "$why"
pcl_saves "$fams"
`;

/**
 * stdin: `ID BOOT`. The confirmation: whoever makes DIR/decided first wins;
 * prints `cancelled` or `too-late OUTCOME`, or `rebooted` (pcl_boot).
 */
export const CANCEL_SCRIPT = `${PRELUDE}
${FILE_FN}
read -r id boot || exit 64
pcl_id "$id"
pcl_boot "$boot"
d=$P/$id
[ -d "$d" ] || { echo "too-late gone"; exit 0; }
if ! mkdir "$d/decided" 2>/dev/null; then echo "too-late $(cat "$d/outcome" 2>/dev/null || echo reverting)"; exit 0; fi
echo cancelled > "$d/outcome"
pcl_stop_timer "$d"
pcl_unguard "$id"
echo cancelled
`;

// FAMS on stdin: the apply's families as one word (4, 6 or 46): whose rules to print
const FAMS_FN = `pcl_fams() {
  case "$1" in 4) fams=4;; 6) fams=6;; 46) fams="4 6";; *) echo "portcullis: bad families" >&2; exit 64;; esac
}
`;

/**
 * stdin: `ID FAMS BOOT`. Reverts now every family of the apply (or waits for the
 * timer's revert already under way); prints outcome=, verify= (IPv4), verify6=,
 * by=, file-restored=, then per family the mark and TOOL-save; or `rebooted` (pcl_boot).
 */
export const REVERT_NOW_SCRIPT = `${PRELUDE}
${REVERT_DEF}
${FAMS_FN}
read -r id fam_word boot || exit 64
pcl_id "$id"
pcl_fams "$fam_word"
pcl_boot "$boot"
d=$P/$id
[ -d "$d" ] || { echo "portcullis: no such apply on this host" >&2; exit 78; }
if mkdir "$d/decided" 2>/dev/null || [ "$(cat "$d/outcome" 2>/dev/null)" = cancelled ]; then
  pcl_stop_timer "$d"
  /bin/sh -c "$REVERT" portcullis-revert "$d" claimed 0 client
  by=client
else
  by=timer
  i=0; while [ ! -s "$d/outcome" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
echo "outcome=$(cat "$d/outcome" 2>/dev/null || echo unknown)"
echo "verify=$(cat "$d/verify" 2>/dev/null || echo unverified)"
echo "verify6=$(cat "$d/verify6" 2>/dev/null || echo unverified)"
echo "by=$by"
[ -s "$d/file-restored" ] && sed 's/^/file-restored=/' "$d/file-restored"
pcl_saves "$fams"
`;

/** stdin: `ID FAMS BOOT`. After the deadline: what the timer did (as REVERT_NOW prints it); waits a little for a revert under way. */
export const CHECK_SCRIPT = `${PRELUDE}
${FAMS_FN}
read -r id fam_word boot || exit 64
pcl_id "$id"
pcl_fams "$fam_word"
pcl_boot "$boot"
d=$P/$id
i=0; while [ -d "$d/decided" ] && [ ! -s "$d/outcome" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "outcome=$(cat "$d/outcome" 2>/dev/null || echo none)"
echo "verify=$(cat "$d/verify" 2>/dev/null || echo unverified)"
echo "verify6=$(cat "$d/verify6" 2>/dev/null || echo unverified)"
[ -s "$d/file-restored" ] && sed 's/^/file-restored=/' "$d/file-restored"
pcl_saves "$fams"
`;

/**
 * stdin: `ID FAMILY` (4 when absent) then the new file. The CentOS way
 * (iptables.init save): a temp file in /etc/sysconfig, mode 0600, the old file
 * kept as a dated backup, rename, restorecon where SELinux is on; the file is
 * /etc/sysconfig/iptables or, for family 6, /etc/sysconfig/ip6tables.
 * Prints previous=, restorecon=, sha256=.
 */
export const PERSIST_SCRIPT = `${PRELUDE}
read -r id fam || exit 64
pcl_id "$id"
pcl_fam "\${fam:-4}"
f=$F
mkdir -p /etc/sysconfig || exit 70
tmp=$(mktemp "$f.portcullis-new.XXXXXX") || exit 71
chmod 600 "$tmp"
if ! cat > "$tmp"; then rm -f "$tmp"; exit 72; fi
[ -s "$tmp" ] || { rm -f "$tmp"; echo "portcullis: empty file" >&2; exit 73; }
prev=
if [ -e "$f" ]; then
  stamp=$(date +%Y%m%d-%H%M%S)
  prev="$f.portcullis-$stamp"; n=1
  while [ -e "$prev" ]; do prev="$f.portcullis-$stamp-$n"; n=$((n+1)); done
  cp -p "$f" "$prev" || { rm -f "$tmp"; exit 74; }
fi
mv -f "$tmp" "$f" || { rm -f "$tmp"; exit 75; }
rc=no
if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled && command -v restorecon >/dev/null 2>&1; then
  if [ -n "$prev" ]; then restorecon "$f" "$prev" && rc=yes; else restorecon "$f" && rc=yes; fi
fi
echo "previous=$prev"
echo "restorecon=$rc"
echo "sha256=$(sha256sum "$f" | cut -d ' ' -f 1)"
`;

/** stdin: `ID yes|no`. Lets go of the lock (when it is ours); `yes` also removes the work directory. */
export const UNLOCK_SCRIPT = `${PRELUDE}
read -r id cleanup || exit 64
pcl_id "$id"
[ "$(cat "$P/lock/id" 2>/dev/null)" = "$id" ] && rm -rf "$P/lock"
[ "$cleanup" = yes ] && rm -rf "$P/$id"
echo unlocked
`;

/** stdin: one JSON line. */
export const HOST_LOG_SCRIPT = `umask 077; cat >> /var/log/portcullis.log`;

/**
 * Splits `KEY=value` lines before the first save mark, iptables-save's text after
 * SAVE_MARK (`save`) and ip6tables-save's after SAVE6_MARK (`save6`); null where absent.
 */
export function parseKeyed(out: string): { keys: Map<string, string[]>; lines: string[]; save: string | null; save6: string | null } {
  const at = (mark: string) => (out.startsWith(`${mark}\n`) ? 0 : out.indexOf(`\n${mark}\n`) >= 0 ? out.indexOf(`\n${mark}\n`) + 1 : -1);
  const marks = [
    { mark: SAVE_MARK, pos: at(SAVE_MARK) },
    { mark: SAVE6_MARK, pos: at(SAVE6_MARK) },
  ].filter((m) => m.pos >= 0);
  marks.sort((x, y) => x.pos - y.pos);
  const textAfter = (mark: string): string | null => {
    const i = marks.findIndex((m) => m.mark === mark);
    if (i < 0) return null;
    const end = i + 1 < marks.length ? marks[i + 1].pos : out.length;
    return out.slice(marks[i].pos + mark.length + 1, end);
  };
  const head = marks.length ? out.slice(0, marks[0].pos) : out;
  const keys = new Map<string, string[]>();
  const lines = head.split('\n').filter((l) => l !== '');
  for (const l of lines) {
    const m = /^([a-z0-9-]+)=(.*)$/.exec(l);
    if (!m) continue;
    if (!keys.has(m[1])) keys.set(m[1], []);
    keys.get(m[1])!.push(m[2]);
  }
  return { keys, lines, save: textAfter(SAVE_MARK), save6: textAfter(SAVE6_MARK) };
}
