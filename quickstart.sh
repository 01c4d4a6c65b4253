#!/usr/bin/env bash
# skiff's quickstart: from a fresh Debian/Ubuntu machine to a rootless daemon that the docker CLI
# talks to, and a first container.
#
#   ./quickstart.sh
#
# As root: installs the Debian prerequisites with apt-get, builds skiff, creates an unprivileged
#   user (SKIFF_USER, default "skiff") with subordinate ids — rootless means not root — and runs
#   the daemon as that user.
# As a normal user: checks the prerequisites and says what an admin must install, builds skiff,
#   and runs the daemon as you.
# Either way it ends with `docker run --rm hello-world` against skiff and prints the DOCKER_HOST
# line to use. Re-running it is safe: a running daemon is reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[quickstart] %s\n' "$*" >&2; }


build() { # dir
  if [ ! -d "$1/node_modules" ]; then (cd "$1" && npm ci --no-audit --no-fund >/dev/null); fi
  (cd "$1" && npm run --silent build)
}

start_daemon() { # as the current user: start in the background unless running; wait for the socket
  local sock="$XDG_RUNTIME_DIR/docker.sock" logf="$XDG_RUNTIME_DIR/skiff-daemon.log"
  if DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1; then
    log "skiff already answers on $sock"
    return 0
  fi
  log "starting skiff daemon (log: $logf)"
  setsid nohup node "$SKIFF_DIR/dist/cli/main.js" daemon >"$logf" 2>&1 </dev/null &
  for _ in $(seq 1 300); do
    [ -S "$sock" ] && DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$logf" >&2
  return 1
}

hello() {
  local sock="$XDG_RUNTIME_DIR/docker.sock"
  DOCKER_HOST="unix://$sock" docker run --rm hello-world
  echo
  echo "skiff is running. Use it with:"
  echo "  export DOCKER_HOST=unix://$sock"
}

if [ "${1:-}" = "--as-user" ]; then
  # Second stage, as the unprivileged user.
  export SKIFF_DIR="$2"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"
  start_daemon
  hello
  exit 0
fi

need_node='Node.js >= 20.6 is required (Debian 12'"'"'s own nodejs is 18: use NodeSource'"'"'s node_20.x or nvm; see the README)'
command -v node >/dev/null || { log "$need_node"; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=6)?0:1)' ||
  { log "found Node.js $(node --version): $need_node"; exit 1; }
command -v docker >/dev/null || log "note: no docker CLI found; install one to talk to skiff (the API is Docker's)"

if [ "$(id -u)" = 0 ]; then
  # Runtime and test packages: after this, `npm test` (the README's second command) runs too.
  bash "$here/scripts/install-deps.sh" test
  user="${SKIFF_USER:-skiff}"
  SKIFF_TEST_USER="$user" bash "$here/scripts/ensure-rootless-user.sh" >/dev/null
  dir="$here"
  if ! runuser -u "$user" -- test -r "$here/package.json"; then
    dir=/opt/skiff
    log "$user cannot read $here: installing a copy in $dir"
    mkdir -p "$dir" && cp -a "$here/." "$dir/"
  fi
  build "$dir"
  chmod -R a+rX "$dir"
  uid=$(id -u "$user")
  log "running skiff as the unprivileged user $user (uid $uid)"
  exec runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin XDG_RUNTIME_DIR="/run/user/$uid" \
    bash "$dir/quickstart.sh" --as-user "$dir"
fi

# A normal user: check, tell what is missing, build, run.
build "$here"
if ! node "$here/dist/cli/main.js" setup check; then
  log "an admin must fix the items marked FAIL above (each line says how), then run ./quickstart.sh again"
  exit 1
fi
exec bash "$here/quickstart.sh" --as-user "$here"
