#!/usr/bin/env bash
# smoke-image.sh IMAGE
#
# Smoke test of the action's image IMAGE: runs its main step and then its
# post step as the runner does (INPUT_* and GITHUB_* variables, the
# runner's output and state files in a mounted directory, the post
# entrypoint), against the GitHub API emulator's demo world served on the
# host (go run ./cmd/demo -serve), and checks the outputs, the logs and,
# in the emulator's request log, that the token was revoked. Run it from
# the repository root; it needs Go and Docker, and no network but loopback.
# Tokens are shown as <token>. With WANT_VERSION set (the release does), the
# image's `version` must print exactly "app-token $WANT_VERSION".
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: smoke-image.sh IMAGE" >&2
  exit 2
fi
image="$1"
# The emulator listens on a port the kernel chooses (127.0.0.1:0), so
# that two smoke tests on one machine never fight over a port; its first
# line names the address.
api=
# The client ID of the emulator's demo world (githubapitest.DefaultConfig);
# cmd/demo's tests check that this line names it.
client_id=Iv23liDemo0000000000

dir="$(mktemp -d)"
mkdir "$dir/runner"
emulator=
cleanup() {
  if [ -n "$emulator" ]; then
    kill "$emulator" 2>/dev/null || true
    wait "$emulator" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "::error::smoke test of $image: $*"
  exit 1
}

# Built first, then started, so that the process to stop is the emulator
# itself and the wait below does not include the compilation.
go build -o "$dir/demo" ./cmd/demo
"$dir/demo" -serve 127.0.0.1:0 -key "$dir/key.pem" >"$dir/emulator.out" 2>"$dir/emulator.log" &
emulator=$!
# Wait for the ready line as long as the emulator lives: on a loaded
# machine its start can take any time, and a dead emulator ends the wait.
until api="$(sed -n 's|^emulator ready at \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$dir/emulator.out")" && [ -n "$api" ]; do
  kill -0 "$emulator" 2>/dev/null || { cat "$dir/emulator.log" >&2; fail "the emulator did not start"; }
  sleep 0.1
done

# entry FILE NAME prints the single-line value of NAME in a runner file,
# written as NAME=value or as NAME<<DELIMITER, value, DELIMITER.
entry() {
  awk -v name="$2" '
    index($0, name "<<") == 1 { getline; print; exit }
    index($0, name "=") == 1 { print substr($0, length(name) + 2); exit }
  ' "$1"
}

# step ENTRYPOINT [NAME=VALUE...] runs the image's ENTRYPOINT with the
# runner's variables and the inputs, and the extra variables; through env,
# since input names have hyphens, which shell variables cannot.
step() {
  local entrypoint="$1"
  shift
  local args=() kv
  for kv in "$@"; do
    args+=(-e "${kv%%=*}")
  done
  env "INPUT_PRIVATE-KEY=$(cat "$dir/key.pem")" "$@" \
    docker run --rm --network host \
    -v "$dir/runner:/github/file_commands" \
    -e GITHUB_ACTIONS=true \
    -e GITHUB_REPOSITORY=octo-org/app \
    -e GITHUB_API_URL="$api" \
    -e GITHUB_OUTPUT=/github/file_commands/output \
    -e GITHUB_STATE=/github/file_commands/state \
    -e INPUT_CLIENT-ID="$client_id" \
    -e INPUT_PRIVATE-KEY \
    -e INPUT_OWNER=octo-org \
    -e INPUT_GITHUB-API-URL="$api" \
    -e INPUT_GIT-USER=true \
    "${args[@]}" \
    --entrypoint "$entrypoint" "$image"
}

if [ -n "${WANT_VERSION:-}" ]; then
  echo "== version"
  got="$(docker run --rm "$image" version)" || fail "version failed"
  [ "$got" = "app-token $WANT_VERSION" ] || fail "version printed \"$got\", want \"app-token $WANT_VERSION\""
  echo "$got"
fi

echo "== main step"
main_log="$(step /usr/local/bin/app-token)" || {
  printf '%s\n' "$main_log" | sed -E 's/::add-mask::.*/::add-mask::<token>/'
  fail "the main step failed"
}
token="$(entry "$dir/runner/output" token)"
[ -n "$token" ] || fail "the main step set no token output"
printf '%s\n' "${main_log//"$token"/<token>}"
if grep -qE '^::(error|warning)' <<<"$main_log"; then
  fail "the main step reported a problem"
fi
# The token is masked before anything else is written, and appears in the
# log nowhere but in that mask command.
[ "$(head -n 1 <<<"$main_log")" = "::add-mask::$token" ] || fail "the main step's first line does not mask the token"
[ "$(grep -cF -- "$token" <<<"$main_log")" = 1 ] || fail "the token appears in the log outside its ::add-mask:: line"
# All seven outputs of action.yml (git-user: true sets the last two).
for want in installation-id=42000001 app-slug=demo-app git-user-name='demo-app[bot]'; do
  [ "$(entry "$dir/runner/output" "${want%%=*}")" = "${want#*=}" ] || fail "the main step did not set output $want"
done
[[ "$(entry "$dir/runner/output" expires-at)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
  fail "the main step did not set output expires-at to an RFC 3339 time"
[[ "$(entry "$dir/runner/output" permissions)" =~ ^\{\".+\}$ ]] || fail "the main step did not set output permissions to a JSON object"
[[ "$(entry "$dir/runner/output" git-user-email)" =~ ^[0-9]+\+demo-app\[bot\]@users\.noreply\.github\.com$ ]] ||
  fail "the main step did not set output git-user-email to <id>+demo-app[bot]@users.noreply.github.com"
[ "$(entry "$dir/runner/state" token)" = "$token" ] || fail "the state does not hold the token of the output"
expires="$(entry "$dir/runner/state" expires-at)"

echo "== post step"
post_log="$(step /usr/local/bin/app-token-post "STATE_token=$token" "STATE_expires-at=$expires")"
printf '%s\n' "${post_log//"$token"/<token>}"
grep -qx 'Token revoked' <<<"$post_log" || fail "the post step did not revoke the token"

echo "== the emulator's requests"
kill -TERM "$emulator"
wait "$emulator" || fail "the emulator did not stop cleanly"
emulator=
cat "$dir/emulator.log"
grep -qxF 'DELETE /installation/token -> 204' "$dir/emulator.log" || fail "the emulator saw no revocation"
grep -qxF 'tokens: 1 issued, 1 revoked' "$dir/emulator.log" || fail "the emulator's token is not revoked"
echo "smoke test of $image passed"
