#!/usr/bin/env bash
# check-assets.sh ASSETS VERSION
#
# Checks the CLI release assets in the directory ASSETS, as build-cli.sh
# leaves them, before anything attests or publishes them:
#
#   - the file names must be exactly those of .github/release/assets.txt,
#     the public contract (the README's downloads, cli/install.sh);
#   - every line of checksums.txt must be "SHA256  NAME", and
#     sha256sum --check --strict must pass;
#   - the binary for this machine (linux/amd64 on the release runner) must
#     print VERSION from `app-token version`.
#
# build-cli.sh runs it last, in the release workflow's cli job and in
# .ci/run alike. It needs bash and coreutils, as ubuntu-latest runners have.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: check-assets.sh ASSETS VERSION" >&2
  exit 2
fi
assets="$1"
version="$2"
here="$(cd "$(dirname "$0")" && pwd)"

fail() {
  echo "::error::check-assets: $*" >&2
  exit 1
}

[ -s "$assets/checksums.txt" ] || fail "$assets/checksums.txt is empty or missing"
while read -r sum name; do
  [[ "$sum" =~ ^[0-9a-f]{64}$ && "$name" =~ ^[A-Za-z0-9._-]+$ ]] ||
    fail "checksums.txt has a line that is not SHA256 NAME: $sum $name"
done <"$assets/checksums.txt"

# The names are a contract: exactly those of assets.txt, no more, no less;
# and checksums.txt names every binary.
want="$(grep -v '^#' "$here/assets.txt" | sort)"
got="$(find "$assets" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)"
if [ "$got" != "$want" ]; then
  fail "the assets differ from .github/release/assets.txt (< want, > got):
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") || true)"
fi
summed="$( (awk '{ print $2 }' "$assets/checksums.txt"; echo checksums.txt) | sort)"
if [ "$summed" != "$want" ]; then
  fail "checksums.txt does not name exactly the binaries of .github/release/assets.txt (< want, > named):
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$summed") || true)"
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
  echo "check-assets: $host version: $got"
else
  fail "no asset $host to run on this machine; run it on linux/amd64 or linux/arm64"
fi
ls -l "$assets"
