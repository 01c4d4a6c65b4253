#!/usr/bin/env bash
# The one list of Debian packages skiff needs, used by ./quickstart.sh, .ci/run and
# `npm test` as root (scripts/run-tests.mjs), so that the README's two commands are enough on a
# fresh machine.
#
#   scripts/install-deps.sh runtime   what `skiff daemon` and its containers use
#   scripts/install-deps.sh test      runtime + what the test suites drive (registry, busybox,
#                                     compose, docker-py, openssl, iperf3, ...)
#
# Run as root. Idempotent: apt-get runs only when something is missing.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root" >&2; exit 1; }

runtime=(uidmap rootlesskit slirp4netns passt crun runc conmon netavark aardvark-dns fuse-overlayfs
         tini catatonit golang-github-containers-common util-linux iproute2 iptables libcap2-bin gcc
         libc6-dev zlib1g-dev libssl-dev zstd procps bzip2 xz-utils)
test=(docker-registry busybox-static iperf3 socat apache2-utils openssl curl jq docker-compose
      python3-docker)

case "${1:-}" in
  runtime) pkgs=("${runtime[@]}") ;;
  test) pkgs=("${runtime[@]}" "${test[@]}") ;;
  *) echo "usage: install-deps.sh runtime|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps.sh: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: docker-compose would pull in Debian's docker.io daemon, which skiff replaces.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
