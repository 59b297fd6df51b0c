package imagecheck

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// testVersion is the VERSION build arg of the test build.
const testVersion = "v0.0.0-imagecheck"

// checkBinary checks the ELF executable at p: static (no interpreter, no
// dynamic section, no shared libraries: scratch has no libc), stripped (-s
// -w: no symbol table, no DWARF), and free of the directories it was built
// in (-trimpath).
func checkBinary(p string, buildDirs []string) ([]string, error) {
	f, err := elf.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open executable: %w", err)
	}
	defer f.Close()
	var problems []string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			problems = append(problems, "has a PT_INTERP program header: it is dynamically linked")
		}
	}
	if f.Section(".dynamic") != nil {
		problems = append(problems, "has a .dynamic section")
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("needs shared libraries (DT_NEEDED) %q", libs))
	}
	if f.Section(".symtab") != nil {
		problems = append(problems, "has a .symtab symbol table: link with -s")
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			problems = append(problems, "has DWARF section "+s.Name+": link with -w")
			break
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read executable: %w", err)
	}
	for _, d := range buildDirs {
		if bytes.Contains(b, []byte(d)) {
			problems = append(problems, "contains the build directory "+d+": build with -trimpath")
		}
	}
	return problems, nil
}

// readDockerignore returns the patterns of the repository's .dockerignore.
func readDockerignore(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		tb.Fatalf("open .dockerignore: %v", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		tb.Fatalf("read .dockerignore: %v", err)
	}
	return patterns
}

// contextFiles returns the files under root, slash-separated and relative
// to it, that .dockerignore patterns let into a Docker build context.
func contextFiles(root string, patterns []string) ([]string, error) {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("parse .dockerignore: %w", err)
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, err := pm.MatchesOrParentMatches(rel)
		if !excluded {
			files = append(files, rel)
		}
		return err
	})
	return files, err
}

// checkContext checks the files of a build context: what go build needs
// (the module files and the non-test sources) and nothing else.
func checkContext(files []string) []string {
	var problems []string
	for _, want := range []string{"go.mod", "go.sum", "main.go"} {
		if !slices.Contains(files, want) {
			problems = append(problems, "lacks "+want)
		}
	}
	for _, f := range files {
		needed := f == "go.mod" || f == "go.sum" || (strings.HasSuffix(f, ".go") && !strings.Contains(f, "/")) || strings.HasPrefix(f, "internal/")
		test := strings.HasSuffix(f, "_test.go") || strings.Contains("/"+f, "/testdata/")
		support := strings.HasPrefix(f, "internal/githubapi/githubapitest/") || strings.HasPrefix(f, "internal/runnertest/")
		switch {
		case !needed || test:
			problems = append(problems, "has "+f+", which go build does not need")
		case support:
			problems = append(problems, "has "+f+", test support that the binary must not import")
		}
	}
	return problems
}

// copyContext copies the repository's Docker build context to dir.
func copyContext(tb testing.TB, dir string) {
	tb.Helper()
	files, err := contextFiles(repoRoot, readDockerignore(tb))
	if err != nil {
		tb.Fatalf("list the build context: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(f)))
		if err != nil {
			tb.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestDockerignore(t *testing.T) {
	t.Parallel()
	files, err := contextFiles(repoRoot, readDockerignore(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkContext(files) {
		t.Errorf("build context %s", p)
	}
}

// TestDockerignoreDefects lists a made-up repository's build context with
// broken .dockerignore patterns, and wants checkContext to object.
func TestDockerignoreDefects(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, f := range []string{
		"go.mod", "go.sum", "main.go", "main_test.go", "README.md", ".git/config",
		".github/workflows/ci.yml", "testdata/script/happy.txtar",
		"internal/config/config.go", "internal/config/config_test.go", "internal/config/testdata/x.json",
		"internal/runnertest/runnertest.go", "internal/githubapi/githubapitest/server.go", "cmd/demo/main.go",
	} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := readDockerignore(t)
	without := func(drop string) []string {
		return slices.DeleteFunc(slices.Clone(good), func(p string) bool { return p == drop })
	}
	tests := []struct {
		name     string
		patterns []string
		want     string // in a problem; "" for none
	}{
		{"repository's", good, ""},
		{"nothing ignored", nil, "has .git/config"},
		{"deny-list", []string{".git", "*.md"}, "has .github/workflows/ci.yml"},
		{"tests let in", without("**/*_test.go"), "has internal/config/config_test.go"},
		{"testdata let in", without("**/testdata"), "has internal/config/testdata/x.json"},
		{"go.sum left out", without("!go.sum"), "lacks go.sum"},
		{"sources left out", without("!*.go"), "lacks main.go"},
		{"runner stand-in let in", without("internal/runnertest"), "has internal/runnertest/runnertest.go, test support"},
		{"emulator let in", without("internal/githubapi/githubapitest"), "has internal/githubapi/githubapitest/server.go, test support"},
		{"commands let in", append(slices.Clone(good), "!cmd"), "has cmd/demo/main.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files, err := contextFiles(root, tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			problems := checkContext(files)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("checkContext(%q) = %q, want none", files, problems)
			case tt.want != "" && !hasProblem(problems, tt.want):
				t.Errorf("checkContext(%q) = %q, want one containing %q", files, problems, tt.want)
			}
		})
	}
}

// TestBinary builds the action's binary as the Dockerfile does: from the
// build context, with the Dockerfile's own go build line. It lays the files
// out as the image has them, checks the binary, and runs the entrypoints
// that action.yml names with the image's environment.
func TestBinary(t *testing.T) {
	t.Parallel()
	img := inspectRepo(t)
	runs := readRuns(t)
	if problems := checkRuns(runs, img); len(problems) > 0 {
		t.Fatalf("action.yml does not match the image (see TestActionRuns): %s", problems[0])
	}

	tmp := t.TempDir()
	ctxDir := filepath.Join(tmp, "context")  // the builder's WORKDIR
	builder := filepath.Join(tmp, "builder") // the builder's root
	root := filepath.Join(tmp, "image")      // the final image's root
	copyContext(t, ctxDir)

	gb, links, err := img.build.expand(map[string]string{
		"TARGETOS":   "linux",
		"TARGETARCH": runtime.GOARCH,
		"VERSION":    testVersion,
	})
	if err != nil {
		t.Fatalf("expand the go build line: %v", err)
	}
	out := filepath.Join(builder, filepath.FromSlash(gb.out))
	args := setFlag(gb.args, "-o", out)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = ctxDir
	cmd.Env = append(os.Environ(), gb.env...)
	t.Logf("%s go %s", strings.Join(gb.env, " "), strings.Join(args, " "))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the repository's main package (needs main.go and its packages to compile): %v\n%s", err, b)
	}
	for _, l := range links {
		mustSymlink(t, l.target, filepath.Join(builder, filepath.FromSlash(l.path)))
	}

	absRoot, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := checkBinary(out, []string{ctxDir, absRoot})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("binary %s", p)
	}

	// The image's files, from the builder's, as the final stage copies them.
	for p, f := range img.files {
		dst := filepath.Join(root, filepath.FromSlash(p))
		switch {
		case f.link != "":
			mustSymlink(t, f.link, dst)
		case f.binary:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(out, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	if runtime.GOOS != "linux" {
		t.Skipf("built for linux; cannot run it on %s", runtime.GOOS)
	}

	t.Run("version", func(t *testing.T) {
		t.Parallel()
		stdout := runImage(t, root, runs.Entrypoint, img.env, "version")
		if !strings.Contains(stdout, testVersion) {
			t.Errorf("%s version = %q, want it to contain %q (-X main.version)", runs.Entrypoint, stdout, testVersion)
		}
	})
	t.Run("post step with no token", func(t *testing.T) {
		t.Parallel()
		// The state of a main step that created no token: the mark it
		// saves first, and nothing else.
		stdout := runImage(t, root, runs.PostEntrypoint, append(slices.Clone(img.env), "STATE_main=started"))
		if strings.TrimSpace(stdout) == "" || strings.Contains(stdout, "::error") || strings.Contains(stdout, "::warning") {
			t.Errorf("%s with no token printed %q, want an info line and no warning or error", runs.PostEntrypoint, stdout)
		}
	})
	t.Run("post step with no state", func(t *testing.T) {
		t.Parallel()
		// As nektos/act runs it: ci.yml greps the image's output for
		// this warning, so the two must agree.
		stdout := runImage(t, root, runs.PostEntrypoint, img.env)
		if !strings.HasPrefix(stdout, noStateWarning) {
			t.Errorf("%s with no state printed %q, want it to start with %q", runs.PostEntrypoint, stdout, noStateWarning)
		}
		if ci := repoFile(t, ".github/workflows/ci.yml"); !strings.Contains(ci, "grep -q '^"+noStateWarning+"'") {
			t.Errorf("ci.yml does not check the image's post step with no state for %q", noStateWarning)
		}
	})
	t.Run("main and post step against the emulator", func(t *testing.T) {
		t.Parallel()
		cfg := githubapitest.DefaultConfig()
		srv, err := githubapitest.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		act, err := runnertest.ReadAction(filepath.Join(repoRoot, "action.yml"))
		if err != nil {
			t.Fatal(err)
		}
		r := runnertest.New(runnertest.Job{Action: act, APIURL: srv.URL(), Repository: "octo-org/app", Dir: t.TempDir()})
		r.Set("client-id", cfg.App.ClientID)
		r.Set("private-key", srv.PrivateKeyPEM())
		// The image's ENV, then the runner's variables, as docker run -e adds them.
		runImage(t, root, runs.Entrypoint, append(slices.Clone(img.env), r.Environ()...))
		outputs, err := r.Outputs()
		if err != nil || outputs["token"] == "" {
			t.Fatalf("%s: token output set %t, outputs error %v; want a token", runs.Entrypoint, outputs["token"] != "", err)
		}
		if err := r.LoadState(); err != nil {
			t.Fatal(err)
		}
		runImage(t, root, runs.PostEntrypoint, append(slices.Clone(img.env), r.Environ()...))
		if tokens := srv.Tokens(); len(tokens) != 1 || !tokens[0].Revoked {
			t.Errorf("%s: the emulator issued %d tokens, first revoked: %t; want 1, revoked", runs.PostEntrypoint, len(tokens), len(tokens) > 0 && tokens[0].Revoked)
		}
	})
}

// runImage runs the executable at path p of the image laid out at root,
// with only env (the image's ENV, and more) as its environment, and returns its standard output. It
// fails the test unless the executable exits 0.
func runImage(tb testing.TB, root, p string, env []string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, filepath.FromSlash(p)), args...)
	cmd.Env = append([]string{}, env...) // never nil: nil would pass on this process's environment
	cmd.Dir = tb.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			tb.Fatalf("run %s: %v", p, err)
		}
		tb.Errorf("%s %s exited with %d, want 0\nstdout:\n%s\nstderr:\n%s", p, strings.Join(args, " "), exit.ExitCode(), &stdout, &stderr)
	}
	return stdout.String()
}

func mustSymlink(tb testing.TB, target, p string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		tb.Fatal(err)
	}
}

// TestCheckBinaryDefects feeds checkBinary executables with the defects it
// guards against: a Go binary built without the Dockerfile's flags, and a
// dynamically linked system binary.
func TestCheckBinaryDefects(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("needs ELF executables")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	for name, text := range map[string]string{
		"go.mod":  "module example.com/plain\n",
		"main.go": "package main\n\nfunc main() { println(\"plain\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", plain, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build a plain binary: %v\n%s", err, b)
	}

	tests := []struct {
		name string
		path string   // an executable with the defect
		dirs []string // build directories to look for
		want string
	}{
		{"symbols kept", plain, nil, ".symtab"},
		{"DWARF kept", plain, nil, "DWARF"},
		{"build directory kept", plain, []string{dir}, "build directory"},
		{"dynamically linked", "/bin/ls", nil, "PT_INTERP"},
		{"dynamic section", "/bin/ls", nil, ".dynamic"},
		{"shared libraries", "/bin/ls", nil, "DT_NEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("no %s here", tt.path)
			}
			problems, err := checkBinary(tt.path, tt.dirs)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(problems, tt.want) {
				t.Errorf("checkBinary(%s) = %q, want one containing %q", tt.path, problems, tt.want)
			}
		})
	}
}

// noStateWarning is how the post step begins when the runner passed it no
// state (nektos/act), as the binary prints it and ci.yml checks it.
const noStateWarning = "::warning::Cannot revoke the token: the runner passed this post step no state"
