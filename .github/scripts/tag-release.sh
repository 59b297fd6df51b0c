#!/usr/bin/env bash
# tag-release.sh VERSION REF
#
# Makes the release commit and tags it, once. Run it in a clean checkout of
# the source commit (HEAD), with origin the repository to release. The
# release commit is HEAD plus action.yml with runs.image set to REF, a
# docker://IMAGE@sha256:DIGEST reference (pin-action-image.sh does the edit);
# go.mod, go.sum and every other file stay as they are, so `go install
# MODULE@VERSION` builds what the image runs. The annotated tag VERSION goes
# to origin with a plain push: git refuses to replace an existing tag.
#
# It is safe to run again. If origin has VERSION already on a release commit
# of HEAD that names REF (a re-run after a later step failed), it does
# nothing; on any other commit it fails and changes nothing.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: tag-release.sh vX.Y.Z docker://IMAGE@sha256:DIGEST" >&2
  exit 2
fi
version="$1"
ref="$2"
here="$(cd "$(dirname "$0")" && pwd)"

fail() {
  echo "::error::tag-release: $*" >&2
  exit 1
}

[[ "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
  fail "$version is not vX.Y.Z or vX.Y.Z-PRERELEASE"
git diff --quiet HEAD -- || fail "the working tree has changes; run it in a clean checkout of the source commit"
src="$(git rev-parse HEAD)"

# release_commit COMMIT reports whether COMMIT is HEAD's release commit for REF.
release_commit() {
  [ "$(git rev-parse "$1^")" = "$src" ] &&
    [ "$(git diff --name-only "$src" "$1")" = action.yml ] &&
    git show "$1:action.yml" | grep -qF "image: \"$ref\""
}

if [ -n "$(git ls-remote --tags origin "refs/tags/$version")" ]; then
  git fetch --quiet --no-tags origin "refs/tags/$version"
  commit="$(git rev-parse 'FETCH_HEAD^{commit}')"
  release_commit "$commit" ||
    fail "origin has $version on $commit, which is not the release commit of $src for $ref; a tag is never moved, so release a new version"
  echo "tag-release: origin has $version on the release commit $commit already; nothing to do"
  exit 0
fi

bash "$here/pin-action-image.sh" action.yml "$ref"
git commit --quiet -m "Release $version" -m "action.yml runs $ref, built from $src." -- action.yml
commit="$(git rev-parse HEAD)"
release_commit "$commit" || fail "the release commit $commit changes more than action.yml"
git tag --annotate "$version" -m "$version" -m "Runs $ref"
git push --quiet origin "refs/tags/$version"
echo "tag-release: tagged $version on $commit (source $src, image $ref)"
