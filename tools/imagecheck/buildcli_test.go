package imagecheck

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// buildScript is the release's one CLI build, run by release.yml's cli job
// and by .ci/run.
const buildScript = ".github/release/build-cli.sh"

// scriptMatrix returns the asset names that build-cli.sh's loops make:
// app-token_GOOS_GOARCH for each `for goos in ...` and `for goarch in ...`
// word, .exe on windows, and checksums.txt.
func scriptMatrix(src string) ([]string, []string) {
	var problems []string
	words := func(v string) []string {
		m := regexp.MustCompile(`(?m)^\s*for ` + v + ` in ([^;]+); do$`).FindStringSubmatch(src)
		if m == nil {
			problems = append(problems, "no loop `for "+v+" in ...; do`")
			return nil
		}
		return strings.Fields(m[1])
	}
	goos, goarch := words("goos"), words("goarch")
	if !strings.Contains(src, `name="app-token_${goos}_${goarch}${ext}"`) {
		problems = append(problems, `no name="app-token_${goos}_${goarch}${ext}"`)
	}
	if !strings.Contains(src, `[ "$goos" = windows ] && ext=.exe`) {
		problems = append(problems, "no .exe for windows")
	}
	names := []string{"checksums.txt"}
	for _, o := range goos {
		for _, a := range goarch {
			n := "app-token_" + o + "_" + a
			if o == "windows" {
				n += ".exe"
			}
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, problems
}

// TestAssetContract checks that build-cli.sh's matrix makes exactly the
// names of .github/release/assets.txt, the names cli/install.sh and the
// README download: linux, darwin and windows on amd64 and arm64.
func TestAssetContract(t *testing.T) {
	t.Parallel()
	src := repoFile(t, buildScript)
	got, problems := scriptMatrix(src)
	for _, p := range problems {
		t.Errorf("%s: %s", buildScript, p)
	}
	want := slices.Sorted(slices.Values(contractAssets(t)))
	if !slices.Equal(got, want) {
		t.Errorf("%s makes %q, want the names of .github/release/assets.txt, %q", buildScript, got, want)
	}
	for _, tt := range []struct{ name, old, new string }{
		{"no windows", "for goos in linux darwin windows; do", "for goos in linux darwin; do"},
		{"no arm64", "for goarch in amd64 arm64; do", "for goarch in amd64; do"},
		{"other names", `name="app-token_${goos}_${goarch}${ext}"`, `name="app-token-${goos}-${goarch}${ext}"`},
		{"no .exe", `[ "$goos" = windows ] && ext=.exe`, `[ "$goos" = windows ] && ext=`},
	} {
		names, problems := scriptMatrix(mutate(t, buildScript, src, tt.old, tt.new))
		if slices.Equal(names, want) && len(problems) == 0 {
			t.Errorf("%s: scriptMatrix() = %q and no problem, want a difference from assets.txt", tt.name, names)
		}
	}
}

// runBuildScript runs build-cli.sh VERSION OUT from the repository root
// with env added, and returns its combined output and error.
func runBuildScript(tb testing.TB, env []string, version, out string) (string, error) {
	tb.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, buildScript), version, out)
	cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// TestBuildCLI runs build-cli.sh as the release does, with a caller's
// environment that would change the binaries if it reached the build
// (GOFLAGS=-race, GOAMD64=v3, CGO_ENABLED=1), and checks what it leaves:
// exactly the names of assets.txt, each binary static (CGO_ENABLED=0 in
// its build info; on linux no ELF interpreter or shared library), built
// with -trimpath for its own GOOS/GOARCH with no VCS stamp, no symbol
// table and no directory of this machine, stamped with the version, which
// the binary for this machine prints (check-assets.sh runs it). .ci/run
// runs the script twice, from two directories with two build caches, and
// compares checksums.txt byte for byte.
func TestBuildCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds six binaries")
	}
	if runtime.GOOS != "linux" {
		t.Skip("check-assets.sh runs the linux binary of this machine")
	}
	t.Parallel()
	const version = "v9.8.7-test"
	out := filepath.Join(t.TempDir(), "assets")
	log, err := runBuildScript(t, []string{"GOFLAGS=-race", "GOAMD64=v3", "CGO_ENABLED=1"}, version, out)
	if err != nil {
		t.Fatalf("build-cli.sh: %v\n%s", err, log)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := slices.Sorted(slices.Values(contractAssets(t))); !slices.Equal(names, want) {
		t.Fatalf("build-cli.sh made %q, want %q", names, want)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name == "checksums.txt" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(out, name)
			info, err := buildinfo.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			goos, goarch, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(name, "app-token_"), ".exe"), "_")
			for key, want := range map[string]string{
				"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": goos, "GOARCH": goarch,
				"-race": "", "GOAMD64": map[bool]string{true: "v1"}[goarch == "amd64"], "vcs": "",
			} {
				if settings[key] != want {
					t.Errorf("build info %s = %q, want %q", key, settings[key], want)
				}
			}
			if info.GoVersion != "go"+goModGo(t) {
				t.Errorf("built with %s, want go%s (go.mod)", info.GoVersion, goModGo(t))
			}
			bin, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(bin, []byte(version)) {
				t.Errorf("%s does not contain its version %s", name, version)
			}
			if bytes.Contains(bin, []byte(root)) {
				t.Errorf("%s contains the build directory %s; -trimpath is missing", name, root)
			}
			if goos == "linux" {
				checkStatic(t, p)
			}
		})
	}
}

// goModGo returns the Go version of the root go.mod: its toolchain line
// without "go", else its go line.
func goModGo(tb testing.TB) string {
	tb.Helper()
	src := repoFile(tb, "go.mod")
	if m := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindStringSubmatch(src); m != nil {
		return m[1]
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(src)
	if m == nil {
		tb.Fatal("go.mod has no go line")
	}
	return m[1]
}

// TestBuildCLIRefuses checks what build-cli.sh refuses before it builds:
// an output directory that exists (a stale file could ship) and a version
// that is not vX.Y.Z.
func TestBuildCLIRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, version string
		out           func(t *testing.T) string
		want          string
	}{
		{"output exists", "v1.2.3", func(t *testing.T) string { return t.TempDir() }, "exists already"},
		{"not a version", "1.2.3", func(t *testing.T) string { return filepath.Join(t.TempDir(), "a") }, "is not vX.Y.Z"},
		{"a space in the version", "v1.2.3 -X main.x=y", func(t *testing.T) string { return filepath.Join(t.TempDir(), "a") }, "is not vX.Y.Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log, err := runBuildScript(t, nil, tt.version, tt.out(t))
			if err == nil || !strings.Contains(log, tt.want) {
				t.Errorf("build-cli.sh %s = %v\n%s\nwant an error containing %q", tt.version, err, log, tt.want)
			}
		})
	}
}

// checkStatic fails t unless the ELF file at p is statically linked: no
// program interpreter and no shared libraries.
func checkStatic(t *testing.T, p string) {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s has an ELF interpreter; it is not static", filepath.Base(p))
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q (%v); it is not static", filepath.Base(p), libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s has a symbol table; -s is missing", filepath.Base(p))
	}
}
