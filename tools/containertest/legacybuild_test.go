package containertest

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// builderFrom matches the Dockerfile's build stage FROM line: its
// --platform flag, and its image reference.
var builderFrom = regexp.MustCompile(`(?m)^FROM (--platform=\S+) (\S+) AS build$`)

// legacyBuild runs docker build with Docker's legacy builder
// (DOCKER_BUILDKIT=0), as nektos/act and engines before 23.0 build a
// container action of a source commit, and returns its combined output
// and error.
func legacyBuild(ctx context.Context, e *Engine, args ...string) (string, error) {
	cmd := e.Command(ctx, []string{"DOCKER_BUILDKIT=0"}, append([]string{"build"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDockerfileLegacyBuilder builds the repository's Dockerfile with
// Docker's legacy builder, which sets no BUILDPLATFORM. The Dockerfile as
// it is gets past its FROM line to the pull of the builder image (which
// cannot be pulled here), where a BuildKit-only FROM --platform=$BUILDPLATFORM
// fails to parse, as issue 23 reported. Then the whole Dockerfile builds,
// every instruction of it unchanged but the builder image's name, with a
// local stand-in for golang:*-alpine (a digest cannot be forged, and
// nothing can be pulled): the host's Go toolchain, a static busybox for
// RUN's shell, the host's CA bundle and a file proxy of the module cache.
// The image it builds mints a token in the main step.
func TestDockerfileLegacyBuilder(t *testing.T) {
	e := engine(t)
	src, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := builderFrom.FindStringSubmatch(string(src))
	if m == nil {
		t.Fatal("Dockerfile has no `FROM --platform=… IMAGE AS build` line")
	}
	platformFlag, builderImage := m[1], m[2]

	t.Run("FROM line", func(t *testing.T) {
		for _, tt := range []struct {
			name, dockerfile string
			parses           bool
		}{
			{"repository's", string(src), true},
			{"BuildKit only", strings.Replace(string(src), platformFlag, "--platform=$BUILDPLATFORM", 1), false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(tt.dockerfile), 0o644); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
				defer cancel()
				out, err := legacyBuild(ctx, e, dir)
				if err == nil {
					t.Fatalf("docker build succeeded, want it to stop at the builder image, which cannot be pulled here:\n%s", out)
				}
				parseErr := strings.Contains(out, "failed to parse platform")
				if tt.parses && (parseErr || !strings.Contains(out, "Step 1/") || strings.Contains(out, "Step 2/")) {
					t.Errorf("docker build output:\n%s\nwant the FROM line parsed and the build stopped at its pull", out)
				}
				if !tt.parses && !strings.Contains(out, `"" is an invalid component`) {
					t.Errorf("docker build output:\n%s\nwant the legacy builder's parse error of an empty platform", out)
				}
			})
		}
	})

	t.Run("whole build", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
		defer cancel()
		standIn := buildStandIn(ctx, t, e)
		dockerfile := filepath.Join(t.TempDir(), "Dockerfile")
		if err := os.WriteFile(dockerfile, []byte(strings.Replace(string(src), builderImage, standIn, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		tag := "containertest/legacy-built:" + randomHex(4)
		out, err := legacyBuild(ctx, e, "--build-arg", "VERSION=legacy", "-t", tag, "-f", dockerfile, repoRoot)
		if err != nil {
			t.Fatalf("docker build with the legacy builder: %v\n%s", err, out)
		}
		t.Cleanup(func() { e.Output(context.Background(), "rmi", "-f", tag) })
		if !strings.Contains(out, "Step 1/") || !strings.Contains(out, platformFlag) {
			t.Errorf("docker build output:\n%s\nwant the Dockerfile's own FROM %s line built", out, platformFlag)
		}

		srv := emulator(t)
		j := newJob(t, srv, srv.URL())
		main := run(t, e, j.Main(Image{ID: tag}))
		if main.ExitCode != 0 {
			t.Fatalf("main step of the legacy-built image: exit code %d, want 0; log:\n%s", main.ExitCode, redact(srv, main.Log))
		}
		if out, err := j.Runner.Outputs(); err != nil || len(srv.Tokens()) != 1 || out["token"] != srv.Tokens()[0].Value {
			t.Errorf("main step of the legacy-built image: outputs error %v, %d tokens issued; want the one token as output", err, len(srv.Tokens()))
		}
		version, err := e.Output(ctx, "run", "--rm", tag, "version")
		if err != nil || !strings.Contains(version, "legacy") {
			t.Errorf("app-token version in the legacy-built image = %q, %v; want the VERSION build arg, legacy", version, err)
		}
	})
}

// buildStandIn builds, FROM scratch, a local stand-in for the Dockerfile's
// builder image and returns its tag: the host's Go toolchain at
// /usr/local/go (GOTOOLCHAIN=local, as the golang image sets), busybox as
// /bin/sh and ln, the host's CA bundle, a /tmp, and the host's module
// download cache served as a file GOPROXY, since the build cannot reach
// proxy.golang.org here.
func buildStandIn(ctx context.Context, tb testing.TB, e *Engine) string {
	tb.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		tb.Fatalf("the stand-in builder image needs a static busybox (Debian's busybox-static; %s installs it): %v", RunCommand, err)
	}
	goEnv := func(name string) string {
		out, err := exec.CommandContext(ctx, "go", "env", name).Output()
		if err != nil {
			tb.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	dir := tb.TempDir()
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "tmp", "root", "etc/ssl/certs", "usr/local"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		tb.Fatal(err)
	}
	if err := copyFile(busybox, filepath.Join(root, "bin", "busybox")); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "bin", "busybox"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"sh", "ln"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", name)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := copyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		tb.Fatalf("copy the host's CA bundle (install ca-certificates): %v", err)
	}
	goroot := goEnv("GOROOT")
	tool := "pkg/tool/" + goEnv("GOHOSTOS") + "_" + goEnv("GOHOSTARCH")
	// What go build needs of the toolchain, not its tests (a whole GOROOT
	// is 270 MB, and the engine copies the stand-in's files for every
	// instruction of the build stage).
	linkTree(tb, goroot, filepath.Join(root, "usr/local/go"), func(rel string, dir bool) bool {
		switch {
		case strings.HasPrefix(rel, "src/") || strings.HasPrefix(rel, "pkg/include/"):
			return !(dir && path.Base(rel) == "testdata") && !strings.HasSuffix(rel, "_test.go")
		case dir:
			return slices.Contains([]string{".", "bin", "src", "pkg", "pkg/tool", tool, "pkg/include"}, rel)
		case path.Dir(rel) == tool:
			return slices.Contains([]string{"compile", "link", "asm", "buildid", "pack"}, path.Base(rel))
		}
		return slices.Contains([]string{"bin/go", "go.env", "VERSION"}, rel)
	})
	linkTree(tb, filepath.Join(goEnv("GOMODCACHE"), "cache", "download"), filepath.Join(root, "goproxy"), func(string, bool) bool { return true })
	const dockerfile = `FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/go/bin:/bin HOME=/root GOTOOLCHAIN=local GOPROXY=file:///goproxy GOSUMDB=off
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		tb.Fatal(err)
	}
	tag := "containertest/golang-standin:" + randomHex(4)
	if out, err := legacyBuild(ctx, e, "-t", tag, dir); err != nil {
		tb.Fatalf("build the stand-in builder image: %v\n%s", err, out)
	}
	tb.Cleanup(func() { e.Output(context.Background(), "rmi", "-f", tag) })
	return tag
}

// linkTree makes dst a copy of the tree at src with what keep keeps (rel
// is the slash-separated path under src, "." for src; a directory it drops
// is not entered): hard links where the file system allows, copies elsewhere,
// with the files' modes.
func linkTree(tb testing.TB, src, dst string, keep func(rel string, dir bool) bool) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if !keep(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if os.Link(p, to) == nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := copyFile(p, to); err != nil {
			return err
		}
		return os.Chmod(to, fi.Mode().Perm())
	})
	if err != nil {
		tb.Fatalf("copy %s: %v", src, err)
	}
}
