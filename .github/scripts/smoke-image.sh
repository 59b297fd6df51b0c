#!/usr/bin/env bash
# smoke-image.sh IMAGE
#
# Runs the action's image IMAGE (a reference docker can run, such as
# ghcr.io/OWNER/REPO@sha256:DIGEST) the way the runner does, against the
# GitHub API emulator on this host: the main step with the inputs in INPUT_*
# variables and the runner's file commands mounted, then the post step with
# the state the main step saved. It fails unless the main step writes every
# output and masks the token, and the post step revokes that token without a
# warning. With WANT_VERSION set, `IMAGE version` must print it.
#
# Run it from the repository root, with Go and Docker; the emulator is
# `go run ./cmd/demo -serve ADDR -key FILE`. The release workflow runs this
# on the pushed image before anything is tagged; CI may run it on its own.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: smoke-image.sh IMAGE" >&2
  exit 2
fi
image="$1"
addr="127.0.0.1:${SMOKE_PORT:-39421}"

fail() {
  echo "::error::smoke-image: $*" >&2
  exit 1
}

work="$(mktemp -d)"
emulator=""
cleanup() {
  if [ -n "$emulator" ]; then
    kill "$emulator" 2>/dev/null || true
    wait "$emulator" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${WANT_VERSION:-}" ]; then
  got="$(docker run --rm "$image" version)"
  case "$got" in
    *"$WANT_VERSION"*) echo "smoke-image: $image version: $got" ;;
    *) fail "$image version printed \"$got\", want $WANT_VERSION" ;;
  esac
fi

# Built first and run directly, not with `go run`, so that killing $emulator
# stops the server itself rather than the go command in front of it.
go build -o "$work/demo" ./cmd/demo
"$work/demo" -serve "$addr" -key "$work/key.pem" >"$work/emulator.log" 2>&1 &
emulator=$!
url=""
for _ in $(seq 100); do
  if line="$(grep -m1 '^emulator ready at ' "$work/emulator.log")"; then
    url="${line#emulator ready at }"
    break
  fi
  kill -0 "$emulator" 2>/dev/null || { cat "$work/emulator.log" >&2; fail "the emulator exited"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/emulator.log" >&2; fail "the emulator did not start on $addr in 10 s"; }
echo "smoke-image: emulator at $url"

# The runner's file commands live in a directory it mounts into the container.
files="$work/files"
mkdir "$files"
touch "$files/output" "$files/state" "$files/summary"
runner=(
  docker run --rm --network host
  -v "$files:/github/file_commands"
  -e GITHUB_ACTIONS=true
  -e GITHUB_REPOSITORY=octo-org/app
  -e GITHUB_REPOSITORY_OWNER=octo-org
  -e GITHUB_OUTPUT=/github/file_commands/output
  -e GITHUB_STATE=/github/file_commands/state
  -e GITHUB_STEP_SUMMARY=/github/file_commands/summary
  -e "INPUT_GITHUB-API-URL=$url"
)

# value FILE NAME prints the value that a file command FILE sets for NAME,
# in either form the runner reads: NAME=VALUE or NAME<<DELIMITER.
value() {
  awk -v name="$2" '
    d != "" { if ($0 == d) { d = ""; if (hit) exit; next } if (hit) print; next }
    index($0, name "<<") == 1 { d = substr($0, length(name) + 3); hit = 1; next }
    index($0, "<<") > 0 { d = substr($0, index($0, "<<") + 2); next }
    index($0, name "=") == 1 { print substr($0, length(name) + 2); exit }
  ' "$1"
}

# The key goes through the environment, not the command line: `env` can set
# a name with a dash, and docker -e NAME passes it on.
main_log="$work/main.log"
if ! env "INPUT_PRIVATE-KEY=$(cat "$work/key.pem")" "${runner[@]}" \
  -e INPUT_CLIENT-ID=Iv23liDemoClient0001 \
  -e INPUT_PRIVATE-KEY \
  -e INPUT_OWNER=octo-org \
  -e INPUT_SKIP-TOKEN-REVOKE=false \
  -e INPUT_SUMMARY=true \
  -e INPUT_GIT-USER=false \
  "$image" >"$main_log" 2>&1; then
  cat "$main_log" >&2
  fail "the main step failed"
fi
cat "$main_log"

token="$(value "$files/output" token)"
[ -n "$token" ] || fail "the main step set no token output"
echo "::add-mask::$token"
for name in installation-id app-slug expires-at permissions; do
  [ -n "$(value "$files/output" "$name")" ] || fail "the main step set no $name output"
done
grep -qxF "::add-mask::$token" "$main_log" || fail "the main step did not mask the token"
if grep -F "$token" "$main_log" | grep -qvxF "::add-mask::$token"; then
  fail "the main step printed the token outside its mask command"
fi
grep -qE '^::(error|warning)' "$main_log" && fail "the main step printed an error or a warning"
[ "$(value "$files/state" token)" = "$token" ] || fail "the main step saved a state token other than its output"

post_log="$work/post.log"
if ! env "STATE_token=$token" "STATE_expires-at=$(value "$files/state" expires-at)" "${runner[@]}" \
  -e STATE_token -e STATE_expires-at \
  --entrypoint /usr/local/bin/app-token-post \
  "$image" >"$post_log" 2>&1; then
  cat "$post_log" >&2
  fail "the post step failed"
fi
cat "$post_log"
grep -qE '^::(error|warning)' "$post_log" && fail "the post step printed an error or a warning"
grep -q 'Token revoked' "$post_log" || fail "the post step did not revoke the token"
echo "smoke-image: $image minted and revoked a token"
