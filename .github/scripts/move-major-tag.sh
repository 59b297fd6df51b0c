#!/usr/bin/env bash
# move-major-tag.sh VERSION
#
# Moves the major tag (v1 for v1.2.3) on origin to VERSION's commit: the
# one tag that moves, as actions/checkout's v5 does. It leaves the major tag
# alone for a pre-release (v2.0.0-rc.1) and for a version below the highest
# vMAJOR.Y.Z on origin (a patch to an older minor), and never touches
# VERSION itself. Running it again does nothing new.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: move-major-tag.sh vX.Y.Z" >&2
  exit 2
fi
version="$1"
if [[ ! "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::move-major-tag: $version is not vX.Y.Z" >&2
  exit 1
fi
major="${version%%.*}"
if [[ "$version" == *-* ]]; then
  echo "move-major-tag: $version is a pre-release; $major stays where it is"
  exit 0
fi

highest="$(git ls-remote --tags --refs origin |
  sed -n 's#^.*[[:space:]]refs/tags/##p' |
  grep -E "^${major}\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$" |
  sort -V | tail -n 1 || true)"
if [ "$highest" != "$version" ]; then
  echo "move-major-tag: origin's highest $major release is ${highest:-none}, not $version; $major stays where it is"
  exit 0
fi

git fetch --quiet --no-tags origin "refs/tags/$version"
commit="$(git rev-parse 'FETCH_HEAD^{commit}')"
# The major tag is the only tag that is ever force-pushed.
git push --quiet --force origin "$commit:refs/tags/$major"
echo "move-major-tag: $major -> $commit ($version)"
