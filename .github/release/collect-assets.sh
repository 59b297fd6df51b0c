#!/usr/bin/env bash
# collect-assets.sh DIST ASSETS VERSION
#
# Collects the CLI release assets from GoReleaser's output directory DIST
# into the new directory ASSETS, and checks them. The release workflow's
# cli job and .ci/run both run it on the output of the same .goreleaser.yaml,
# so CI runs the commands a release runs (tools/imagecheck checks that both
# call this script).
#
# The files to publish are the ones DIST/checksums.txt names, plus
# checksums.txt itself. GoReleaser leaves a bare binary ("formats: [binary]")
# at DIST/<build>_<os>_<arch>[_v1]/app-token, not under the name that
# checksums.txt gives it, so each file's path comes from DIST/artifacts.json
# (GoReleaser's list of what it made: name, path, type). Then:
#
#   - the asset names must be exactly those of .github/release/assets.txt,
#     the public contract (the README's downloads, cli/action.yml);
#   - sha256sum --check --strict must pass on the collected copies;
#   - the binary for this machine (linux/amd64 on the release runner) must
#     print VERSION from `app-token version`.
#
# It needs bash, jq and coreutils, as ubuntu-latest runners have.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: collect-assets.sh DIST ASSETS VERSION" >&2
  exit 2
fi
dist="$1"
assets="$2"
version="$3"
here="$(cd "$(dirname "$0")" && pwd)"

fail() {
  echo "::error::collect-assets: $*" >&2
  exit 1
}

[ -f "$dist/artifacts.json" ] || fail "$dist/artifacts.json is missing; run GoReleaser first"
mkdir "$assets" || fail "$assets exists already; it must be new, so that no stale file ships"

# path NAME [TYPE] prints the path artifacts.json gives the one artifact
# called NAME (of GoReleaser type TYPE, if given), relative to the working
# directory, as GoReleaser wrote it.
path() {
  local paths
  paths="$(jq -r --arg name "$1" --arg type "${2:-}" \
    '.[] | select(.name == $name and ($type == "" or .type == $type)) | .path' "$dist/artifacts.json")"
  case "$(grep -c . <<<"$paths")" in
    1) printf '%s\n' "$paths" ;;
    0) fail "artifacts.json names no artifact $1" ;;
    *) fail "artifacts.json names more than one artifact $1: $(tr '\n' ' ' <<<"$paths")" ;;
  esac
}

sums="$(path checksums.txt Checksum)"
[ -s "$sums" ] || fail "the checksums file $sums is empty or missing"
while read -r sum name; do
  [[ "$sum" =~ ^[0-9a-f]{64}$ && "$name" =~ ^[A-Za-z0-9._-]+$ ]] ||
    fail "checksums.txt has a line that is not SHA256 NAME: $sum $name"
  src="$(path "$name")"
  cp "$src" "$assets/$name"
done <"$sums"
cp "$sums" "$assets/checksums.txt"

# The names are a contract: exactly those of assets.txt, no more, no less.
want="$(grep -v '^#' "$here/assets.txt" | sort)"
got="$(find "$assets" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)"
if [ "$got" != "$want" ]; then
  fail "the assets differ from .github/release/assets.txt (< want, > got):
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") || true)"
fi

(cd "$assets" && sha256sum --check --strict checksums.txt) || fail "sha256sum --check failed"

host="app-token_$(uname -s | tr '[:upper:]' '[:lower:]')_$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
if [ -f "$assets/$host" ]; then
  chmod +x "$assets/$host"
  got="$("$assets/$host" version)" || fail "$host version failed: $got"
  # `app-token version` prints "app-token VERSION": one word must be
  # VERSION exactly (v1.2.3 is not v1.2.3-rc.1).
  grep -qxF -- "$version" < <(tr -s '[:space:]' '\n' <<<"$got") ||
    fail "$host version printed \"$got\", want $version"
  echo "collect-assets: $host version: $got"
else
  fail "no asset $host to run on this machine; run it on linux/amd64 or linux/arm64"
fi
ls -l "$assets"
