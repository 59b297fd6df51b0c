#!/usr/bin/env bash
# build-cli.sh VERSION OUT
#
# Builds the CLI release assets with the Go toolchain alone, into the new
# directory OUT: one static binary per platform, named as
# .github/release/assets.txt lists them (app-token_OS_ARCH, .exe on
# Windows), and checksums.txt (sha256sum's format, sorted by name). Then it
# runs check-assets.sh on OUT: the names, the checksums and the version.
#
# The release workflow's cli job and .ci/run both run it, so CI builds what
# a release builds; .ci/run builds twice, from two directories with two
# build caches, and compares the checksums (RELEASING.md, "Rebuilding a
# release"). Anyone can rebuild a release the same way from its tag.
#
# The outputs depend only on the source, VERSION and the Go version:
#   - the Go toolchain is the one go.mod names (its toolchain line, else
#     its go line), through GOTOOLCHAIN, which downloads it if the local go
#     is another version;
#   - CGO_ENABLED=0: static binaries, no C toolchain;
#   - -trimpath: no directory of the build machine in the binary;
#   - -buildvcs=false: no VCS stamp (a dirty flag or a commit time would
#     differ between a clone and a tarball of the same source);
#   - -ldflags "-s -w -buildid= -X main.version=VERSION": no symbol table
#     or DWARF, no build ID, and the version `app-token version` prints;
#   - GOFLAGS, GOAMD64, GOARM64 and GOEXPERIMENT are set here, so that no
#     setting of the caller's environment reaches the build.
set -euo pipefail
export LC_ALL=C

if [ "$#" -ne 2 ]; then
  echo "usage: build-cli.sh VERSION OUT" >&2
  exit 2
fi
version="$1"
out="$2"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() {
  echo "::error::build-cli: $*" >&2
  exit 1
}

[[ "$version" =~ ^v[0-9A-Za-z.+-]+$ ]] || fail "version $version is not vX.Y.Z[-PRERELEASE]"
mkdir "$out" || fail "$out exists already; it must be new, so that no stale file ships"
out="$(cd "$out" && pwd)"

# The Go version of go.mod: its toolchain line (go1.26.8), else its go line.
gover="$(awk '$1 == "toolchain" { print $2; exit }' "$root/go.mod")"
[ -n "$gover" ] || gover="go$(awk '$1 == "go" { print $2; exit }' "$root/go.mod")"
[[ "$gover" =~ ^go[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "go.mod names no exact Go version (got $gover)"
export GOTOOLCHAIN="$gover"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOAMD64=v1 GOARM64=v8.0 GOEXPERIMENT=
got="$(cd "$root" && go env GOVERSION)"
[ "$got" = "$gover" ] || fail "go env GOVERSION = $got, want $gover (go.mod)"

ldflags="-s -w -buildid= -X main.version=$version"
for goos in linux darwin windows; do
  for goarch in amd64 arm64; do
    ext=
    [ "$goos" = windows ] && ext=.exe
    name="app-token_${goos}_${goarch}${ext}"
    (cd "$root" && GOOS="$goos" GOARCH="$goarch" go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/$name" .) ||
      fail "go build $goos/$goarch failed"
  done
done
(cd "$out" && sha256sum app-token_* >checksums.txt)
echo "build-cli: $gover, -ldflags \"$ldflags\""

bash "$here/check-assets.sh" "$out" "$version"
