#!/usr/bin/env bash
# latest.sh VERSION
#
# Prints true when the GitHub Release of VERSION should be marked "Latest",
# false otherwise; the release job passes it to `gh release edit --latest=`.
# Left to itself, GitHub marks the newest release by date as Latest, so a
# backport (v1.4.2 after v2.0.0) would become the repository's Latest and
# the download link of every `releases/latest` user. Only the highest
# version is Latest:
#
#   - a pre-release (v2.0.0-rc.1) is never Latest;
#   - otherwise VERSION is Latest when no vX.Y.Z tag on origin, of any
#     major, is higher (its own tag, pushed before, counts as equal).
#
# Run it in a clone whose origin is the repository; it only reads origin.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: latest.sh vX.Y.Z" >&2
  exit 2
fi
version="$1"
if [[ ! "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::latest: $version is not vX.Y.Z or vX.Y.Z-PRERELEASE" >&2
  exit 1
fi
if [[ "$version" == *-* ]]; then
  echo "latest: $version is a pre-release, never Latest" >&2
  echo false
  exit 0
fi

# ls-remote fails on an auth or network error, and then so does this
# script: no guess is better than a wrong Latest.
tags="$(git ls-remote --tags --refs origin)"
highest="$( (sed -n 's#^.*[[:space:]]refs/tags/##p' <<<"$tags"; echo "$version") |
  grep -E '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$' |
  sort -V | tail -n 1)"
if [ "$highest" = "$version" ]; then
  echo "latest: $version is the highest release, Latest" >&2
  echo true
else
  echo "latest: origin has $highest, higher than $version: not Latest" >&2
  echo false
fi
