package imagecheck

import (
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// pinnedImage is runs.image on a release tag: an image by digest.
var pinnedImage = regexp.MustCompile(`^docker://[a-z0-9][a-z0-9._:/-]*@sha256:[0-9a-f]{64}$`)

// checkRuns checks action.yml's runs section against the image the
// Dockerfile builds. actionlint cannot check the entrypoints (it looks for
// them in the repository), so this does: they must be absolute paths that
// the image has, the main one the binary and the post one its symlink.
func checkRuns(r runnertest.Runs, img Image) []string {
	var problems []string
	if r.Using != "docker" {
		problems = append(problems, "runs.using is "+quote(r.Using)+", want docker")
	}
	if r.Image != "Dockerfile" && !pinnedImage.MatchString(r.Image) {
		problems = append(problems, "runs.image is "+quote(r.Image)+", want Dockerfile (main) or docker://IMAGE@sha256:DIGEST (release tags)")
	}
	if r.PreEntrypoint != "" {
		problems = append(problems, "runs.pre-entrypoint is set; the image has no pre step")
	}
	switch {
	case !path.IsAbs(r.Entrypoint):
		problems = append(problems, "runs.entrypoint "+quote(r.Entrypoint)+" is not an absolute path in the image")
	case len(img.entrypoint) != 1 || r.Entrypoint != img.entrypoint[0]:
		problems = append(problems, "runs.entrypoint "+quote(r.Entrypoint)+" is not the Dockerfile's ENTRYPOINT "+quote(strings.Join(img.entrypoint, " ")))
	case !img.files[r.Entrypoint].binary:
		problems = append(problems, "runs.entrypoint "+quote(r.Entrypoint)+" is not the binary in the image")
	}
	switch post := img.files[r.PostEntrypoint]; {
	case !path.IsAbs(r.PostEntrypoint):
		problems = append(problems, "runs.post-entrypoint "+quote(r.PostEntrypoint)+" is not an absolute path in the image")
	case path.Base(r.PostEntrypoint) != postName:
		problems = append(problems, "runs.post-entrypoint "+quote(r.PostEntrypoint)+" must be named "+postName+": the binary picks the post step by that name")
	case post.link == "" || resolve(r.PostEntrypoint, post.link) != r.Entrypoint:
		problems = append(problems, "runs.post-entrypoint "+quote(r.PostEntrypoint)+" is not a symlink to runs.entrypoint that the Dockerfile makes")
	}
	return problems
}

func quote(s string) string { return `"` + s + `"` }

// readRuns returns the runs section of the repository's action.yml.
func readRuns(tb testing.TB) runnertest.Runs {
	tb.Helper()
	a, err := runnertest.ReadAction(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	return a.Runs
}

// inspectRepo returns what the repository's Dockerfile builds, and fails
// the test if it breaks a rule (TestDockerfile says which).
func inspectRepo(tb testing.TB) Image {
	tb.Helper()
	img, problems := inspect(repoFile(tb, "Dockerfile"))
	if len(problems) > 0 {
		tb.Fatalf("Dockerfile breaks %d rules (see TestDockerfile): %s", len(problems), problems[0])
	}
	return img
}

func TestActionRuns(t *testing.T) {
	t.Parallel()
	r := readRuns(t)
	for _, p := range checkRuns(r, inspectRepo(t)) {
		t.Errorf("action.yml: %s", p)
	}
}

// TestActionRunsDefects feeds checkRuns the repository's runs section with
// one defect each, and wants it reported.
func TestActionRunsDefects(t *testing.T) {
	t.Parallel()
	img := inspectRepo(t)
	good := runnertest.Runs{
		Using:          "docker",
		Image:          "Dockerfile",
		Entrypoint:     "/usr/local/bin/app-token",
		PostEntrypoint: "/usr/local/bin/app-token-post",
	}
	if p := checkRuns(good, img); len(p) > 0 {
		t.Fatalf("checkRuns(good) = %q, want none", p)
	}
	pinned := "docker://ghcr.io/ghapptoken/app-token-action@sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name   string
		mutate func(*runnertest.Runs)
		want   string
	}{
		{"not docker", func(r *runnertest.Runs) { r.Using = "node24" }, "runs.using"},
		{"image by mutable tag", func(r *runnertest.Runs) { r.Image = "docker://ghcr.io/ghapptoken/app-token-action:1" }, "runs.image"},
		{"image by digest", func(r *runnertest.Runs) { r.Image = pinned }, ""},
		{"relative entrypoint", func(r *runnertest.Runs) { r.Entrypoint = "app-token" }, "not an absolute path"},
		{"entrypoint not made", func(r *runnertest.Runs) { r.Entrypoint = "/app-token" }, "not the Dockerfile's ENTRYPOINT"},
		{"entrypoint unset", func(r *runnertest.Runs) { r.Entrypoint = "" }, "runs.entrypoint"},
		{"relative post-entrypoint", func(r *runnertest.Runs) { r.PostEntrypoint = "app-token-post" }, "not an absolute path"},
		{"post-entrypoint not made", func(r *runnertest.Runs) { r.PostEntrypoint = "/usr/bin/app-token-post" }, "not a symlink"},
		{"post-entrypoint misnamed", func(r *runnertest.Runs) { r.PostEntrypoint = "/usr/local/bin/app-token" }, "must be named app-token-post"},
		{"post-entrypoint unset", func(r *runnertest.Runs) { r.PostEntrypoint = "" }, "runs.post-entrypoint"},
		{"pre-entrypoint", func(r *runnertest.Runs) { r.PreEntrypoint = "/usr/local/bin/app-token" }, "pre-entrypoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := good
			tt.mutate(&r)
			problems := checkRuns(r, img)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("checkRuns(%+v) = %q, want none", r, problems)
			case tt.want != "" && !hasProblem(problems, tt.want):
				t.Errorf("checkRuns(%+v) = %q, want one containing %q", r, problems, tt.want)
			}
		})
	}
}

// TestPinActionImage runs the release's pinning script on a copy of
// action.yml: runs.image must become the digest reference, and nothing
// else may change.
func TestPinActionImage(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run .github/scripts/pin-action-image.sh")
	}
	script, err := filepath.Abs(filepath.Join(repoRoot, ".github", "scripts", "pin-action-image.sh"))
	if err != nil {
		t.Fatal(err)
	}
	orig := repoFile(t, "action.yml")
	ref := "docker://ghcr.io/ghapptoken/app-token-action@sha256:" + strings.Repeat("0123456789abcdef", 4)

	tests := []struct {
		name    string
		input   string // action.yml contents
		ref     string
		wantErr bool
	}{
		{"action.yml", orig, ref, false},
		{"unquoted", "runs:\n  using: docker\n  image: Dockerfile\n", ref, false},
		{"single-quoted", "runs:\n  using: docker\n  image: 'Dockerfile'\n", ref, false},
		{"mutable tag", orig, "docker://ghcr.io/ghapptoken/app-token-action:1.2.3", true},
		{"already pinned", "runs:\n  using: docker\n  image: \"" + ref + "\"\n", ref, true},
		{"two images", "runs:\n  image: Dockerfile\nother:\n  image: Dockerfile\n", ref, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "action.yml")
			if err := os.WriteFile(file, []byte(tt.input), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.CommandContext(t.Context(), bash, script, file, tt.ref).CombinedOutput()
			if tt.wantErr {
				if err == nil {
					t.Errorf("pin-action-image.sh %s = success, want an error", tt.ref)
				}
				return
			}
			if err != nil {
				t.Fatalf("pin-action-image.sh: %v\n%s", err, out)
			}
			pinned, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var before, after map[string]any
			if err := yaml.Unmarshal([]byte(tt.input), &before); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(pinned, &after); err != nil {
				t.Fatalf("pinned action.yml is not YAML: %v", err)
			}
			runs, _ := before["runs"].(map[string]any)
			want := maps.Clone(before)
			want["runs"] = maps.Clone(runs)
			want["runs"].(map[string]any)["image"] = tt.ref
			if !reflect.DeepEqual(after, want) {
				t.Errorf("pinned action.yml = %v, want %v", after, want)
			}
		})
	}
}
