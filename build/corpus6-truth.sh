#!/bin/bash
# Truth for the IPv6 corpus (src-main/core/testing/corpus6): load each NAME.rules
# (and NAME.v6) into a fresh scratch network namespace with real
# ip6tables-legacy-restore; write what ip6tables-legacy-save prints (without its
# `#` lines) to NAME.canonical, or the restore's error to NAME.error. Root only;
# never touches the root namespace's firewall.
set -u
dir="$(cd "$(dirname "$0")/../src-main/core/testing/corpus6" && pwd)"
ns="portcullis-corpus6-$$"
for f in "$dir"/*.rules; do
  base="${f%.rules}"
  rm -f "$base.canonical" "$base.error"
  ip netns add "$ns"
  if err=$(ip netns exec "$ns" ip6tables-legacy-restore < "$f" 2>&1); then
    ip netns exec "$ns" ip6tables-legacy-save | grep -v '^#' > "$base.canonical"
  else
    printf '%s\n' "$err" > "$base.error"
  fi
  ip netns del "$ns"
done
