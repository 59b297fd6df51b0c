package imagecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// forcePush matches a git push or git tag that replaces or deletes a ref:
// --force, -f, --force-with-lease, --delete, a +refspec or a :refspec.
var forcePush = regexp.MustCompile(`git (push|tag)\b[^\n]*?(\s--force\S*|\s-[a-zA-Z]*[fd]\b|\s--delete\b|\s"?[+:][^\s]*)`)

// checkForcePush checks a script for pushes that move or delete a tag: only
// the major tag ($major) may move.
func checkForcePush(name, script string) []string {
	var problems []string
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || !forcePush.MatchString(line) {
			continue
		}
		if !strings.Contains(line, "refs/tags/$major") && !strings.Contains(line, "refs/tags/${major}") {
			problems = append(problems, name+": "+strings.TrimSpace(line)+" replaces a tag other than the major tag")
		}
	}
	return problems
}

// releaseScripts returns the scripts that touch tags: the release
// workflow's run steps and .github/scripts/*.sh, by name.
func releaseScripts(tb testing.TB) map[string]string {
	tb.Helper()
	scripts := map[string]string{}
	m, _ := filepath.Glob(filepath.Join(repoRoot, ".github", "scripts", "*.sh"))
	for _, p := range m {
		scripts[".github/scripts/"+filepath.Base(p)] = repoFile(tb, ".github/scripts/"+filepath.Base(p))
	}
	scripts[".github/workflows/release.yml"] = repoFile(tb, ".github/workflows/release.yml")
	return scripts
}

func TestNoForcePushOfVersionTags(t *testing.T) {
	t.Parallel()
	scripts := releaseScripts(t)
	for name, src := range scripts {
		for _, p := range checkForcePush(name, src) {
			t.Error(p)
		}
	}
	tag := scripts[".github/scripts/tag-release.sh"]
	major := scripts[".github/scripts/move-major-tag.sh"]
	for _, tt := range []struct{ name, src, old, new string }{
		{"push --force", tag, `git push --quiet origin "refs/tags/$version"`, `git push --quiet --force origin "refs/tags/$version"`},
		{"push -f", tag, `git push --quiet origin "refs/tags/$version"`, `git push -f origin "refs/tags/$version"`},
		{"+refspec", tag, `git push --quiet origin "refs/tags/$version"`, `git push --quiet origin "+refs/tags/$version"`},
		{"tag --force", tag, `git tag --annotate "$version"`, `git tag --force --annotate "$version"`},
		{"delete", tag, `git push --quiet origin "refs/tags/$version"`, `git push origin --delete "refs/tags/$version"`},
		{"major script moves the version", major, `"$commit:refs/tags/$major"`, `"$commit:refs/tags/$version"`},
	} {
		if p := checkForcePush(tt.name, mutate(t, tt.name, tt.src, tt.old, tt.new)); len(p) == 0 {
			t.Errorf("%s: checkForcePush() found nothing", tt.name)
		}
	}
}

// gitFixture makes a bare origin and a clone of it whose one commit has
// the repository's action.yml and go.mod, and returns the clone.
func gitFixture(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	origin, work := filepath.Join(dir, "origin.git"), filepath.Join(dir, "work")
	git(tb, dir, "init", "--quiet", "--bare", origin)
	git(tb, dir, "clone", "--quiet", origin, work)
	for _, f := range []string{"action.yml", "go.mod"} {
		if err := os.WriteFile(filepath.Join(work, f), []byte(repoFile(tb, f)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	git(tb, work, "add", ".")
	git(tb, work, "commit", "--quiet", "-m", "source")
	git(tb, work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
	return work
}

// git runs git in dir with a fixed identity and returns its trimmed output.
func git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := gitCmd(dir, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}

// script runs a script of .github/scripts in dir and returns its output
// and error.
func script(tb testing.TB, dir, name string, args ...string) (string, error) {
	tb.Helper()
	p, err := filepath.Abs(filepath.Join(repoRoot, ".github", "scripts", name))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{p}, args...)...)
	cmd.Dir, cmd.Env = dir, gitCmd(dir).Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTagRelease runs tag-release.sh against a local origin: the tag is
// made once, on a commit that changes only action.yml's image, and a
// re-run resumes for the same image and fails for another.
func TestTagRelease(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	work := gitFixture(t)
	origin := filepath.Join(filepath.Dir(work), "origin.git")
	src := git(t, work, "rev-parse", "HEAD")
	ref := "docker://ghcr.io/ghapptoken/app-token-action@sha256:" + strings.Repeat("ab", 32)
	other := "docker://ghcr.io/ghapptoken/app-token-action@sha256:" + strings.Repeat("cd", 32)

	if out, err := script(t, work, "tag-release.sh", "v1.2.3", ref); err != nil {
		t.Fatalf("tag-release.sh: %v\n%s", err, out)
	}
	if typ := git(t, origin, "cat-file", "-t", "refs/tags/v1.2.3"); typ != "tag" {
		t.Errorf("origin's v1.2.3 is a %s, want an annotated tag", typ)
	}
	commit := git(t, origin, "rev-parse", "v1.2.3^{commit}")
	if parent := git(t, origin, "rev-parse", commit+"^"); parent != src {
		t.Errorf("release commit's parent = %s, want the source commit %s", parent, src)
	}
	if files := git(t, origin, "diff", "--name-only", src, commit); files != "action.yml" {
		t.Errorf("release commit changes %q, want action.yml only", files)
	}
	if diff := git(t, origin, "diff", "-U0", src, commit); !strings.Contains(diff, `+  image: "`+ref+`"`) || strings.Count(diff, "\n+") != 2 {
		t.Errorf("release commit's diff = %s, want one line setting image to %s", diff, ref)
	}

	t.Run("re-run", func(t *testing.T) {
		clone := filepath.Join(t.TempDir(), "again")
		git(t, work, "clone", "--quiet", origin, clone)
		git(t, clone, "checkout", "--quiet", src)
		if out, err := script(t, clone, "tag-release.sh", "v1.2.3", ref); err != nil || !strings.Contains(out, "nothing to do") {
			t.Errorf("tag-release.sh again = %v\n%s; want success with nothing to do", err, out)
		}
		if out, err := script(t, clone, "tag-release.sh", "v1.2.3", other); err == nil {
			t.Errorf("tag-release.sh with another image = success\n%s; want an error", out)
		}
		if got := git(t, origin, "rev-parse", "v1.2.3^{commit}"); got != commit {
			t.Errorf("origin's v1.2.3 moved to %s, want %s", got, commit)
		}
	})
}

// TestMoveMajorTag runs move-major-tag.sh against a local origin: the major
// tag follows the highest release of its major version, never a
// pre-release or a patch to an older minor.
func TestMoveMajorTag(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	t.Parallel()
	work := gitFixture(t)
	origin := filepath.Join(filepath.Dir(work), "origin.git")
	for _, v := range []string{"v1.2.0", "v1.10.0", "v2.0.0-rc.1"} {
		git(t, work, "commit", "--quiet", "--allow-empty", "-m", v)
		git(t, work, "tag", "-a", v, "-m", v)
		git(t, work, "push", "--quiet", "origin", "refs/tags/"+v)
	}
	tests := []struct {
		version, want string // want: the commit of this tag on v-major afterwards, "" for none
		major         string
	}{
		{"v1.2.0", "", "v1"},
		{"v1.10.0", "v1.10.0", "v1"},
		{"v1.2.0", "v1.10.0", "v1"},  // a lower version leaves it
		{"v1.10.0", "v1.10.0", "v1"}, // again: no change
		{"v2.0.0-rc.1", "", "v2"},
	}
	for _, tt := range tests {
		if out, err := script(t, work, "move-major-tag.sh", tt.version); err != nil {
			t.Fatalf("move-major-tag.sh %s: %v\n%s", tt.version, err, out)
		}
		got, _ := gitCmd(origin, "rev-parse", "--verify", "--quiet", "refs/tags/"+tt.major).Output()
		want := ""
		if tt.want != "" {
			want = git(t, origin, "rev-parse", tt.want+"^{commit}")
		}
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("after move-major-tag.sh %s, %s = %q, want %q (%s)", tt.version, tt.major, got, want, tt.want)
		}
	}
}
