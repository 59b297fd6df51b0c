#!/usr/bin/env bash
# Runs the container tests (tools/containertest) against a private Docker
# engine: installs Debian's docker.io when dockerd is missing (as root),
# starts dockerd with its own socket and directories under a temporary
# directory, waits for it, runs the tests, and stops it. Arguments go to
# go test, for example: tools/containertest/run.sh -v -run Cancel
# With "cost" first it prints the image's size and the docker run times of
# the steps instead (tools/containertest/cmd/containercost), for example:
# tools/containertest/run.sh cost -n 10
#
# The engine needs no network: it pulls nothing (the image is FROM scratch)
# and the containers run with --network host against the emulator on
# loopback. If it cannot start, its log is printed and the run fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
took() { local d=$(( $(ms) - $1 )); printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100)); }

if ! command -v dockerd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "dockerd is not installed; as root this script installs Debian's docker.io" >&2
    exit 1
  fi
  start=$(ms)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  echo "engine: installed docker.io in $(took "$start")"
fi
if ! command -v busybox >/dev/null; then
  # TestDockerfileLegacyBuilder's stand-in builder image runs RUN with it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
  # The image copies the host's CA bundle, as the builder copies its own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null
fi

# A short path: the engine's unix sockets live under it (108-byte limit).
dir=$(mktemp -d /tmp/ct.XXXXXX)
start=$(ms)
dockerd --host "unix://$dir/docker.sock" --data-root "$dir/data" --exec-root "$dir/exec" \
  --pidfile "$dir/docker.pid" --storage-driver=vfs --iptables=false --ip6tables=false \
  --bridge=none >"$dir/dockerd.log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  # dockerd leaves its network namespace mounted under the exec root.
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount || true
  rm -rf "$dir" || true
}
trap stop EXIT
export DOCKER_HOST="unix://$dir/docker.sock"

for _ in $(seq 1 300); do
  if docker version >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if ! docker version >/dev/null 2>&1; then
  echo "engine: dockerd did not start (waited up to 30 s); its log:" >&2
  cat "$dir/dockerd.log" >&2
  exit 1
fi
echo "engine: dockerd $(docker version -f '{{.Server.Version}}') ready in $(took "$start")"

start=$(ms)
rc=0
if [ "${1:-}" = cost ]; then
  shift
  (cd "$root/tools" && go run ./containertest/cmd/containercost "$@") || rc=$?
else
  go -C "$root/tools" test -count=1 "$@" ./containertest/... || rc=$?
fi
echo "engine: used for $(took "$start")"
if [ "$rc" != 0 ]; then
  echo "engine: the end of its log, for the failure above:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
fi
exit "$rc"
