#!/usr/bin/env bash
# install.sh installs the app-token command line of a GitHub Release for
# this runner's OS and architecture, after checking it against the
# release's checksums.txt. It runs in bash on Linux, macOS and Windows
# (Git Bash) runners.
#
# Environment:
#   APP_TOKEN_VERSION      release tag (v1.2.3); "" or "latest" for the latest release
#   APP_TOKEN_ACTION_REF   the ref the action was used at; a release tag is the default version
#   APP_TOKEN_RELEASE_URL  https://github.com/OWNER/REPO/releases
#   APP_TOKEN_INSTALL_DIR  where to install; added to GITHUB_PATH
#   RUNNER_OS, RUNNER_ARCH the runner's (Linux|macOS|Windows, X64|ARM64); uname otherwise
set -euo pipefail

fail() {
  echo "::error::app-token install: $*" >&2
  exit 1
}

version=${APP_TOKEN_VERSION:-}
if [[ -z $version && ${APP_TOKEN_ACTION_REF:-} =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  version=$APP_TOKEN_ACTION_REF
fi
version=${version:-latest}
[[ $version == latest || $version =~ ^v?[0-9A-Za-z._+-]+$ ]] || fail "version \"$version\" is not a release tag such as v1.2.3"
release_url=${APP_TOKEN_RELEASE_URL:?APP_TOKEN_RELEASE_URL is not set}
release_url=${release_url%/}
dir=${APP_TOKEN_INSTALL_DIR:?APP_TOKEN_INSTALL_DIR is not set}

os=${RUNNER_OS:-$(uname -s)}
case $os in
  Linux | linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "no release binary for the OS \"$os\"" ;;
esac
arch=${RUNNER_ARCH:-$(uname -m)}
case $arch in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | arm64 | aarch64) arch=arm64 ;;
  *) fail "no release binary for the architecture \"$arch\" (there are amd64 and arm64)" ;;
esac
ext=
[[ $os == windows ]] && ext=.exe
# The release's asset names (.github/release/assets.txt; build-cli.sh makes them).
asset=app-token_${os}_${arch}${ext}

if [[ $version == latest ]]; then
  base=$release_url/latest/download
else
  base=$release_url/download/$version
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() {
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ||
    fail "download $1 failed"
}
fetch "$base/checksums.txt" "$tmp/checksums.txt"
fetch "$base/$asset" "$tmp/$asset"

# checksums.txt has lines "SHA256  NAME" (sha256sum's format).
want=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$tmp/checksums.txt")
[[ -n $want ]] || fail "checksums.txt of $version lists no $asset"
if command -v sha256sum >/dev/null 2>&1; then
  got=$(sha256sum "$tmp/$asset" | awk '{ print $1 }')
elif command -v shasum >/dev/null 2>&1; then
  got=$(shasum -a 256 "$tmp/$asset" | awk '{ print $1 }')
else
  fail "neither sha256sum nor shasum is installed to check the download"
fi
want=$(printf '%s' "$want" | tr 'A-F' 'a-f')
[[ $got == "$want" ]] || fail "$asset of $version does not match checksums.txt (sha256 $got, want $want); nothing was installed"

mkdir -p "$dir"
bin=$dir/app-token$ext
mv "$tmp/$asset" "$bin.new"
chmod 0755 "$bin.new"
mv -f "$bin.new" "$bin"

path_dir=$dir
if [[ $os == windows ]] && command -v cygpath >/dev/null 2>&1; then
  # The runner reads GITHUB_PATH as Windows paths.
  path_dir=$(cygpath -w "$dir")
  bin=$(cygpath -w "$bin")
fi
if [[ -n ${GITHUB_PATH:-} ]]; then
  printf '%s\n' "$path_dir" >>"$GITHUB_PATH"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  printf 'path=%s\n' "$bin" >>"$GITHUB_OUTPUT"
fi
echo "app-token install: installed $asset of $version as $bin (sha256 $got)"
