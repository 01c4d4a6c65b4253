#!/usr/bin/env bash
# Creates (idempotently) an unprivileged user for skiff (the e2e tests, the quickstart), with subordinate id ranges
# and an XDG_RUNTIME_DIR, and makes /dev/net/tun and /dev/fuse usable as udev would.
# Run as root. Prints the user name on stdout.
set -euo pipefail
user="${SKIFF_TEST_USER:-skiffci}"
[ "$(id -u)" = 0 ] || { echo "ensure-rootless-user.sh: run as root" >&2; exit 1; }
if ! id "$user" >/dev/null 2>&1; then
  useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
fi
touch /etc/subuid /etc/subgid
# A range above every existing one, the same start in both files.
if ! grep -q "^${user}:" /etc/subuid || ! grep -q "^${user}:" /etc/subgid; then
  start=$(awk -F: 'BEGIN{m=100000} NF>=3 { e=$2+$3; if (e>m) m=e } END { print int((m+65535)/65536)*65536 }' /etc/subuid /etc/subgid)
  grep -q "^${user}:" /etc/subuid || usermod --add-subuids "${start}-$((start + 65535))" "$user"
  grep -q "^${user}:" /etc/subgid || usermod --add-subgids "${start}-$((start + 65535))" "$user"
fi
uid=$(id -u "$user")
install -d -m 0700 -o "$user" -g "$(id -g "$user")" "/run/user/$uid"
# No udev on these machines: device nodes stay 0600 and slirp4netns / fuse-overlayfs fail.
for d in /dev/net/tun /dev/fuse; do [ -e "$d" ] && chmod 0666 "$d"; done
echo "$user"
