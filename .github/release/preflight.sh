#!/usr/bin/env bash
# preflight.sh VERSION IMAGE
#
# The release workflow's first check: VERSION is vX.Y.Z[-PRERELEASE], the
# run is on main, and nothing of VERSION exists yet: no tag, no GitHub
# Release (draft or published) and no image IMAGE:X.Y.Z. A second run for a
# version stops here, before anything is built.
#
# Only an answer that says "not found" counts as absent. Any other failure
# (a 401 or 403, a rate limit, a network error) stops the release: a check
# that cannot run must not pass; the first release's image is the one
# exception (FIRST_RELEASE, below). It needs gh (GH_TOKEN set), docker with
# buildx (logged in to the registry), GITHUB_REPOSITORY and GITHUB_REF.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: preflight.sh vX.Y.Z IMAGE" >&2
  exit 2
fi
version="$1"
image="$2"

fail() {
  echo "::error::preflight: $*"
  exit 1
}

[[ "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
  fail "version $version is not vX.Y.Z or vX.Y.Z-PRERELEASE"
[ "${GITHUB_REF:-}" = refs/heads/main ] ||
  fail "releases start from main; this run is on ${GITHUB_REF:-no ref}"

# The tag. matching-refs answers 200 with a list, empty when nothing
# matches (https://docs.github.com/en/rest/git/refs#list-matching-references),
# so any failure of gh here is a real error. It matches by prefix: v1.2.3
# also finds v1.2.30, hence the exact comparison.
refs="$(gh api "repos/$GITHUB_REPOSITORY/git/matching-refs/tags/$version" --jq '.[].ref')" ||
  fail "could not list the tags matching $version (see gh's error above); stopping"
if grep -qxF "refs/tags/$version" <<<"$refs"; then
  fail "tag $version already exists; a tag is never moved, so release a new version"
fi

# The release, drafts included. GET /releases/tags/TAG never returns a
# draft, and the list returns drafts only to a token with push access
# (https://docs.github.com/en/rest/releases/releases#list-releases), which
# is why the job's token has contents: write; a draft left by an earlier
# run shows here as draft=true.
releases="$(gh api --paginate "repos/$GITHUB_REPOSITORY/releases" --jq '.[] | "\(.tag_name) \(.draft)"')" ||
  fail "could not list the releases (see gh's error above); stopping"
while read -r tag draft; do
  if [ "$tag" = "$version" ]; then
    if [ "$draft" = true ]; then
      fail "a draft GitHub Release for $version exists (left by an earlier run?); publish or delete it, or release a new version"
    fi
    fail "a GitHub Release for $version already exists"
  fi
done <<<"$releases"

# The image tag. buildx answers a missing tag with "ERROR: REF: not found"
# (seen in https://github.com/uzh-bf/klicker-uzh/pull/5782); "denied",
# "unauthorized" or a network error stop the release instead. One
# exception, the first release: while the package does not exist, ghcr.io
# may answer "denied" (it does to anonymous clients, as for a package one
# may not read), and nothing would ever create it. With FIRST_RELEASE=true
# (the workflow's first-release input) "denied" counts as absent, but only
# in a repository with no v* tag and no release at all; RELEASING.md,
# "The first release".
ref="$image:${version#v}"
if out="$(docker buildx imagetools inspect "$ref" 2>&1)"; then
  fail "the image $ref already exists"
fi
case "$out" in
  *"$ref: not found"*) ;;
  *denied*)
    [ "${FIRST_RELEASE:-false}" = true ] ||
      fail "could not tell whether $ref exists: $(tail -n 1 <<<"$out"). If this is the first release, the package may not exist yet: start the workflow with first-release: true (RELEASING.md, \"The first release\")"
    tags="$(gh api "repos/$GITHUB_REPOSITORY/git/matching-refs/tags/v" --jq '.[].ref')" ||
      fail "could not list the v* tags (see gh's error above); stopping"
    [ -z "$tags$releases" ] ||
      fail "first-release is set, but this repository has released before (a v* tag or a release exists); ghcr.io's \"denied\" for $ref is not absence here"
    echo "::notice title=First release::ghcr.io answered \"denied\" for $ref; the repository has no v* tag and no release, so the package does not exist yet"
    ;;
  *) fail "could not tell whether $ref exists: $(tail -n 1 <<<"$out")" ;;
esac

echo "::notice title=Releasing $version::from ${GITHUB_SHA:-HEAD}; no tag, release (draft or published) or image $ref exists yet"
