package imagecheck

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// releaseScript runs a script of .github/release in dir with env added to
// the git fixture's environment, and returns its stdout, stderr and error.
func releaseScript(tb testing.TB, dir string, env []string, name string, args ...string) (string, string, error) {
	tb.Helper()
	p, err := filepath.Abs(filepath.Join(repoRoot, ".github", "release", name))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{p}, args...)...)
	cmd.Dir, cmd.Env = dir, append(gitCmd(dir).Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.String(), stderr.String(), err
}

// checkSharedAssetCommands checks that the release workflow and .ci/run
// build the CLI with the one script, build-cli.sh, so that CI runs what a
// release runs; and that .ci/run runs it twice, the second time from
// another directory, each with its own GOCACHE, and fails unless the two
// checksums.txt are byte-identical (cmp).
func checkSharedAssetCommands(workflow, ciRun string) []string {
	var problems []string
	var wf releaseWorkflow
	if err := yaml.Unmarshal([]byte(workflow), &wf); err != nil {
		return []string{"parse release.yml: " + err.Error()}
	}
	built := false
	for name, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "bash "+buildScript+" ") {
				built = true
			}
			if regexp.MustCompile(`\bgo (build|install|run)\b|goreleaser`).MatchString(s.Run) {
				problems = append(problems, "release.yml job "+name+" builds with its own commands ("+strings.TrimSpace(s.Run)+"); use "+buildScript)
			}
		}
	}
	if !built {
		problems = append(problems, "release.yml does not run bash "+buildScript)
	}

	var builds []string // .ci/run's lines that run the script
	for _, l := range strings.Split(ciRun, "\n") {
		if strings.Contains(l, "bash "+buildScript+" ") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			builds = append(builds, l)
		}
	}
	caches := map[string]bool{}
	for _, l := range builds {
		if m := regexp.MustCompile(`GOCACHE=(\S+)`).FindStringSubmatch(l); m != nil {
			caches[m[1]] = true
		}
	}
	switch {
	case len(builds) < 2:
		problems = append(problems, fmt.Sprintf(".ci/run runs bash %s %d times, want 2 (the second to compare)", buildScript, len(builds)))
	case len(caches) < 2:
		problems = append(problems, ".ci/run does not give each build its own GOCACHE=...")
	case !slices.ContainsFunc(builds, func(l string) bool { return strings.Contains(l, "cd ") }):
		problems = append(problems, ".ci/run builds both times in one directory; build the second from a copy elsewhere (cd ...)")
	}
	if !regexp.MustCompile(`(?m)^[^#\n]*\bcmp \S+/checksums\.txt"? \S+/checksums\.txt`).MatchString(ciRun) {
		problems = append(problems, ".ci/run does not compare the two checksums.txt byte for byte (cmp A/checksums.txt B/checksums.txt)")
	}
	return problems
}

func TestSharedAssetCommands(t *testing.T) {
	t.Parallel()
	wf, ci := repoFile(t, ".github/workflows/release.yml"), repoFile(t, ".ci/run")
	for _, p := range checkSharedAssetCommands(wf, ci) {
		t.Error(p)
	}
	for _, tt := range []struct{ name, file, old, new, want string }{
		{"workflow builds by hand", "release.yml", `run: bash .github/release/build-cli.sh "$VERSION" assets`, `run: go build -o assets/app-token .`, "release.yml job cli builds with its own commands"},
		{"workflow without the script", "release.yml", `run: bash .github/release/build-cli.sh "$VERSION" assets`, `run: mkdir assets`, "release.yml does not run bash"},
		{"CI builds once", ".ci/run", `(cd "$rel/src" && GOCACHE="$rel/cache-b" bash .github/release/build-cli.sh`, `(cd "$rel/src" && GOCACHE="$rel/cache-b" true`, "times, want 2"},
		{"CI shares a cache", ".ci/run", `GOCACHE="$rel/cache-b"`, `GOCACHE="$rel/cache-a"`, "its own GOCACHE"},
		{"CI builds in one directory", ".ci/run", `(cd "$rel/src" && GOCACHE`, `(GOCACHE`, "one directory"},
		{"CI does not compare", ".ci/run", `if ! cmp "$rel/a/checksums.txt" "$rel/b/checksums.txt"; then`, `if false; then`, "byte for byte"},
	} {
		w, c := wf, ci
		if tt.file == "release.yml" {
			w = mutate(t, tt.file, w, tt.old, tt.new)
		} else {
			c = mutate(t, tt.file, c, tt.old, tt.new)
		}
		if p := checkSharedAssetCommands(w, c); !hasProblem(p, tt.want) {
			t.Errorf("%s: checkSharedAssetCommands() = %q, want one containing %q", tt.name, p, tt.want)
		}
	}
}

// contractAssets returns the asset names of .github/release/assets.txt.
func contractAssets(tb testing.TB) []string {
	tb.Helper()
	var names []string
	for _, l := range strings.Split(repoFile(tb, ".github/release/assets.txt"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	return names
}

// fakeAssets writes an assets directory as build-cli.sh leaves it, for
// names: each binary a shell script that prints "app-token VERSION", and
// checksums.txt. It returns the directory.
func fakeAssets(tb testing.TB, version string, names []string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "assets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	var sums strings.Builder
	for _, name := range names {
		if name == "checksums.txt" {
			continue
		}
		body := fmt.Sprintf("#!/bin/sh\necho 'app-token %s'\n", version)
		writeFile(tb, filepath.Join(dir, name), body)
		sum := sha256.Sum256([]byte(body))
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	writeFile(tb, filepath.Join(dir, "checksums.txt"), sums.String())
	return dir
}

// TestCheckAssets runs check-assets.sh, the last step of build-cli.sh, on
// assets directories with one defect each: it refuses a missing or extra
// asset, a binary that checksums.txt does not name, a wrong checksum, a
// malformed line and a binary that prints another version.
// TestBuildCLI runs it on the real build.
func TestCheckAssets(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("check-assets.sh runs the linux binary of this machine")
	}
	t.Parallel()
	const version = "v1.2.3"
	names := contractAssets(t)
	host := "app-token_linux_" + runtime.GOARCH
	drop := func(name string) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
	}
	tests := []struct {
		name  string
		names []string
		edit  func(dir string)
		want  string // in stderr; "" for success
	}{
		{"as build-cli.sh leaves it", names, nil, ""},
		{"a platform missing", drop("app-token_darwin_arm64"), nil, "differ from .github/release/assets.txt"},
		{"an extra platform", append(slices.Clone(names), "app-token_linux_riscv64"), nil, "differ from .github/release/assets.txt"},
		{"a binary without a checksum", names, func(dir string) {
			sums, _ := os.ReadFile(filepath.Join(dir, "checksums.txt"))
			var kept []string
			for _, l := range strings.SplitAfter(string(sums), "\n") {
				if !strings.HasSuffix(l, "  app-token_windows_arm64.exe\n") {
					kept = append(kept, l)
				}
			}
			writeFile(t, filepath.Join(dir, "checksums.txt"), strings.Join(kept, ""))
		}, "checksums.txt does not name exactly"},
		{"a binary changed after the checksums", names, func(dir string) {
			appendFile(t, filepath.Join(dir, "app-token_windows_amd64.exe"), "tampered\n")
		}, "sha256sum --check failed"},
		{"a line that is not SHA256 NAME", names, func(dir string) {
			appendFile(t, filepath.Join(dir, "checksums.txt"), "md5:0  app-token_plan9_amd64\n")
		}, "not SHA256 NAME"},
		{"another version", names, func(dir string) {
			p := filepath.Join(dir, host)
			b, _ := os.ReadFile(p)
			writeFile(t, p, strings.Replace(string(b), version, version+"-rc.1", 1))
			rewriteSum(t, dir, host, p)
		}, "want " + version},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := fakeAssets(t, version, tt.names)
			if tt.edit != nil {
				tt.edit(dir)
			}
			_, stderr, err := releaseScript(t, filepath.Dir(dir), nil, "check-assets.sh", "assets", version)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("check-assets.sh: %v\n%s", err, stderr)
			case tt.want != "" && err == nil:
				t.Fatalf("check-assets.sh succeeded, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(stderr, tt.want):
				t.Fatalf("check-assets.sh stderr = %s, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func writeFile(tb testing.TB, p, s string) {
	tb.Helper()
	if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
		tb.Fatal(err)
	}
}

func appendFile(tb testing.TB, p, s string) {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, p, string(b)+s)
}

// rewriteSum sets name's line of dir/checksums.txt to the SHA-256 of p.
func rewriteSum(tb testing.TB, dir, name, p string) {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	sums, err := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(sums), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "  "+name) {
			lines[i] = hex.EncodeToString(sum[:]) + "  " + name
		}
	}
	writeFile(tb, filepath.Join(dir, "checksums.txt"), strings.Join(lines, "\n"))
}

// TestLatest runs latest.sh against a local origin: only the highest
// version is Latest; a backport to an older major or minor, and a
// pre-release, are not.
func TestLatest(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	work := gitFixture(t)
	for _, v := range []string{"v1.4.1", "v2.0.0", "v2.1.0-rc.1"} {
		git(t, work, "tag", "-a", v, "-m", v)
		git(t, work, "push", "--quiet", "origin", "refs/tags/"+v)
	}
	tests := []struct {
		version, want string
	}{
		{"v1.4.2", "false"},      // a backport after v2.0.0
		{"v2.0.0", "true"},       // its own tag is on origin: still the highest
		{"v2.0.1", "true"},       // a new patch of the highest
		{"v3.0.0-rc.1", "false"}, // a pre-release, even the highest
		{"v1.10.0", "false"},     // sorted as versions, not as text
		{"v10.0.0", "true"},
	}
	for _, tt := range tests {
		out, stderr, err := releaseScript(t, work, nil, "latest.sh", tt.version)
		if err != nil {
			t.Fatalf("latest.sh %s: %v\n%s", tt.version, err, stderr)
		}
		if got := strings.TrimSpace(out); got != tt.want {
			t.Errorf("latest.sh %s = %q, want %q (%s)", tt.version, got, tt.want, strings.TrimSpace(stderr))
		}
	}
	t.Run("origin unreachable", func(t *testing.T) {
		git(t, work, "remote", "set-url", "origin", filepath.Join(t.TempDir(), "gone.git"))
		if out, _, err := releaseScript(t, work, nil, "latest.sh", "v9.0.0"); err == nil {
			t.Errorf("latest.sh with origin unreachable = %q, nil; want an error, not a guess", out)
		}
	})
}

// fakeTools writes gh and docker stand-ins into a new directory and
// returns it, for PATH. Each answers as the scenario's environment says:
// FAKE_REFS, FAKE_RELEASES (lines gh's --jq would print), FAKE_GH_FAIL (a
// gh error message, exit 1), FAKE_DOCKER_OUT and FAKE_DOCKER_EXIT.
func fakeTools(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	// The fake gh answers by the endpoint in its arguments; it ignores --jq
	// and prints what the real gh would print after it.
	writeFile(tb, filepath.Join(dir, "gh"), `#!/usr/bin/env bash
if [ -n "${FAKE_GH_FAIL:-}" ]; then echo "$FAKE_GH_FAIL" >&2; exit 1; fi
case "$*" in
  *git/matching-refs/tags/*) printf '%s' "${FAKE_REFS:-}" ;;
  *"/releases"*) printf '%s' "${FAKE_RELEASES:-}" ;;
  *) echo "fake gh: unexpected $*" >&2; exit 1 ;;
esac
`)
	writeFile(tb, filepath.Join(dir, "docker"), `#!/usr/bin/env bash
[ "$1 $2 $3" = "buildx imagetools inspect" ] || { echo "fake docker: unexpected $*" >&2; exit 1; }
printf '%s\n' "${FAKE_DOCKER_OUT//REF/$4}"
exit "${FAKE_DOCKER_EXIT:-0}"
`)
	return dir
}

// TestPreflight runs preflight.sh with gh and docker stand-ins: it passes
// only when each check answers "not found", sees a draft release, and
// stops on any other failure (an auth or network error is not absence).
// The first release (FIRST_RELEASE=true) may take ghcr.io's "denied" as
// absence, only in a repository with no v* tag and no release.
func TestPreflight(t *testing.T) {
	t.Parallel()
	const image = "ghcr.io/octo-org/app-token"
	absent := []string{
		"GITHUB_REPOSITORY=octo-org/app-token", "GITHUB_REF=refs/heads/main",
		"FAKE_REFS=refs/tags/v1.2.30\n", "FAKE_RELEASES=v1.2.2 false\nv1.3.0-rc.1 true\n",
		"FAKE_DOCKER_OUT=ERROR: REF: not found", "FAKE_DOCKER_EXIT=1",
	}
	// The first release: no tag, no release, and the workflow's input.
	firstRelease := []string{"FIRST_RELEASE=true", "FAKE_REFS=", "FAKE_RELEASES="}
	tests := []struct {
		name    string
		version string
		env     []string // added after absent, so they win
		want    string   // in stdout; "" for success
	}{
		{"nothing exists", "v1.2.3", nil, ""},
		{"not vX.Y.Z", "1.2.3", nil, "is not vX.Y.Z"},
		{"not main", "v1.2.3", []string{"GITHUB_REF=refs/heads/feature"}, "releases start from main"},
		{"tag exists", "v1.2.3", []string{"FAKE_REFS=refs/tags/v1.2.3\n"}, "tag v1.2.3 already exists"},
		{"release exists", "v1.2.3", []string{"FAKE_RELEASES=v1.2.3 false\n"}, "a GitHub Release for v1.2.3 already exists"},
		{"draft exists", "v1.2.3", []string{"FAKE_RELEASES=v1.2.3 true\n"}, "a draft GitHub Release for v1.2.3 exists"},
		{"GitHub API refuses", "v1.2.3", []string{"FAKE_GH_FAIL=HTTP 401: Bad credentials"}, "could not list the tags"},
		{"image exists", "v1.2.3", []string{"FAKE_DOCKER_OUT=Name: REF", "FAKE_DOCKER_EXIT=0"}, "the image " + image + ":1.2.3 already exists"},
		{"registry refuses", "v1.2.3", []string{"FAKE_DOCKER_OUT=ERROR: failed to authorize: denied", "FAKE_DOCKER_EXIT=1"}, "could not tell whether"},
		{"registry unreachable", "v1.2.3", []string{"FAKE_DOCKER_OUT=ERROR: dial tcp: lookup ghcr.io: no such host", "FAKE_DOCKER_EXIT=1"}, "could not tell whether"},
		{"registry denies: maybe the first release", "v1.2.3", []string{"FAKE_DOCKER_OUT=ERROR: failed to authorize: denied", "FAKE_DOCKER_EXIT=1"}, "start the workflow with first-release: true"},
		{"first release, package not there", "v1.0.0", append(slices.Clone(firstRelease), "FAKE_DOCKER_OUT=ERROR: failed to authorize: denied", "FAKE_DOCKER_EXIT=1"), ""},
		{"first release, image not found", "v1.0.0", firstRelease, ""},
		{"first release, but a tag exists", "v1.0.0", append(slices.Clone(firstRelease), "FAKE_REFS=refs/tags/v0.9.0\n", "FAKE_DOCKER_OUT=ERROR: failed to authorize: denied", "FAKE_DOCKER_EXIT=1"), "has released before"},
		{"first release, but a release exists", "v1.0.0", append(slices.Clone(firstRelease), "FAKE_RELEASES=v0.9.0 true\n", "FAKE_DOCKER_OUT=ERROR: failed to authorize: denied", "FAKE_DOCKER_EXIT=1"), "has released before"},
		{"first release, registry unreachable", "v1.0.0", append(slices.Clone(firstRelease), "FAKE_DOCKER_OUT=ERROR: dial tcp: lookup ghcr.io: no such host", "FAKE_DOCKER_EXIT=1"), "could not tell whether"},
		{"first release, image exists", "v1.0.0", append(slices.Clone(firstRelease), "FAKE_DOCKER_OUT=Name: REF", "FAKE_DOCKER_EXIT=0"), "already exists"},
	}
	tools := fakeTools(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"PATH=" + tools + string(os.PathListSeparator) + os.Getenv("PATH")}, absent...)
			out, stderr, err := releaseScript(t, t.TempDir(), append(env, tt.env...), "preflight.sh", tt.version, image)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("preflight.sh: %v\n%s%s", err, out, stderr)
			case tt.want != "" && err == nil:
				t.Errorf("preflight.sh succeeded:\n%s\nwant an error containing %q", out, tt.want)
			case tt.want != "" && !strings.Contains(out, tt.want):
				t.Errorf("preflight.sh output = %s%s, want it to contain %q", out, stderr, tt.want)
			}
		})
	}
}

// fakeDocker is a docker stand-in for smoke-image.sh: `docker run` runs the
// image's entrypoint (a binary of $FAKE_IMAGE_BIN, by its base name) with
// only the -e variables, as a container would, and with the one -v mount's
// container path rewritten to the host directory in their values. With
// FAKE_LEAK set, the "image" also prints the token it wrote to its output
// file; with FAKE_DROP set, it drops that output from the file.
const fakeDocker = `#!/usr/bin/env bash
[ "$1" = run ] || { echo "fake docker: unexpected $*" >&2; exit 1; }
shift
envs=() src= dst= ep=/usr/local/bin/app-token
while [ "$#" -gt 0 ]; do
  case "$1" in
    --rm) shift ;;
    --network) shift 2 ;;
    -v) src="${2%%:*}" dst="${2#*:}"; shift 2 ;;
    -e) if [[ "$2" == *=* ]]; then envs+=("$2"); else envs+=("$2=$(printenv "$2")"); fi; shift 2 ;;
    --entrypoint) ep="$2"; shift 2 ;;
    *) shift; break ;; # the image
  esac
done
if [ -n "$dst" ]; then
  for i in "${!envs[@]}"; do envs[i]="${envs[i]//"$dst"/"$src"}"; done
fi
env -i "${envs[@]}" "$FAKE_IMAGE_BIN/$(basename "$ep")" "$@"
code=$?
if [ -n "$src" ] && [ -f "$src/output" ]; then
  if [ -n "${FAKE_LEAK:-}" ]; then
    grep -A1 '^token<<' "$src/output" | tail -n 1 | sed 's/^/debug: using /'
  fi
  if [ -n "${FAKE_DROP:-}" ]; then
    awk -v name="$FAKE_DROP" 'index($0, name "<<") == 1 { getline; getline; next } { print }' "$src/output" > "$src/output.new"
    mv "$src/output.new" "$src/output"
  fi
fi
exit "$code"
`

// TestSmokeScriptRuns runs smoke-image.sh, which the release runs on the pushed
// image, on the binary the image holds, with a docker stand-in: it must
// pass on the real binary, and fail when the version is not the release's,
// when the token shows in the log outside its mask, and when an output is
// missing.
func TestSmokeScriptRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and the emulator")
	}
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux binary")
	}
	t.Parallel()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	const version = "v9.8.7-smoke"
	bin := t.TempDir()
	build := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", filepath.Join(bin, "app-token"), ".")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mustSymlink(t, "app-token", filepath.Join(bin, "app-token-post"))
	tools := t.TempDir()
	writeFile(t, filepath.Join(tools, "docker"), fakeDocker)

	// The cases run one after another: the script serves the emulator on
	// a fixed port.
	for _, tt := range []struct {
		name string
		env  []string
		want string // in the output; "" for success
	}{
		{"the real binary", []string{"WANT_VERSION=" + version}, ""},
		{"another version", []string{"WANT_VERSION=v9.8.8"}, `want "app-token v9.8.8"`},
		{"the token in the log", []string{"FAKE_LEAK=1"}, "the token appears in the log outside its ::add-mask:: line"},
		{"no git-user-email", []string{"FAKE_DROP=git-user-email"}, "did not set output git-user-email"},
		{"no permissions", []string{"FAKE_DROP=permissions"}, "did not set output permissions"},
	} {
		cmd := exec.CommandContext(t.Context(), "bash", filepath.Join(root, smokeScript), "app-token:test")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), append(tt.env, "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_IMAGE_BIN="+bin)...)
		out, err := cmd.CombinedOutput()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: smoke-image.sh: %v\n%s", tt.name, err, out)
		case tt.want != "" && err == nil:
			t.Errorf("%s: smoke-image.sh passed, want a failure containing %q\n%s", tt.name, tt.want, out)
		case tt.want != "" && !strings.Contains(string(out), tt.want):
			t.Errorf("%s: smoke-image.sh output = %s, want it to contain %q", tt.name, out, tt.want)
		}
	}
}

// TestReleaseCredentialHelper runs the credential helper that the release
// job stores in .git/config through git itself: git must get the App's
// token from the step's APP_TOKEN, as x-access-token, and the stored line
// must not hold the token.
func TestReleaseCredentialHelper(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	var helper string
	for _, line := range strings.Split(repoFile(t, ".github/workflows/release.yml"), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "git config credential.helper '"); ok {
			helper = strings.TrimSuffix(h, "'")
		}
	}
	if helper == "" {
		t.Fatal("release.yml has no git config credential.helper '...' line")
	}
	const token = "installation-token-for-the-test"
	work := gitFixture(t)
	git(t, work, "config", "credential.helper", helper)
	cmd := gitCmd(work, "credential", "fill")
	cmd.Env = append(cmd.Env, "APP_TOKEN="+token, "GIT_TERMINAL_PROMPT=0")
	cmd.Stdin = strings.NewReader("protocol=https\nhost=github.com\npath=octo-org/app-token.git\n\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git credential fill: %v", err)
	}
	for _, want := range []string{"username=x-access-token\n", "password=" + token + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("git credential fill gave no %q line", strings.TrimSpace(strings.SplitN(want, "=", 2)[0]))
		}
	}
	if cfg, err := os.ReadFile(filepath.Join(work, ".git", "config")); err != nil || strings.Contains(string(cfg), token) {
		t.Errorf(".git/config holds the token (%v)", err)
	}
	// git also calls the helper to store and erase; it must not fail then.
	for _, op := range []string{"approve", "reject"} {
		cmd := gitCmd(work, "credential", op)
		cmd.Env = append(cmd.Env, "APP_TOKEN="+token)
		cmd.Stdin = strings.NewReader("protocol=https\nhost=github.com\nusername=x-access-token\npassword=" + token + "\n\n")
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("git credential %s = %v, %d bytes of output; want silence", op, err, len(out))
		}
	}
}
