package action

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// The benchmarks run whole steps in-process against the emulator: inputs,
// key parsing, JWT signing, the requests over loopback, and the runner's
// files. The emulator shares the process, so its work (JWT verification,
// JSON) counts in ns/op and allocs/op too. requests/op is what the step
// sent. For fork-to-exit figures of the real binary, run
// `cd tools && go run ./bench`.

// bigOrg has benchRepos repositories and every permission.
const (
	bigOrg        = "big-org"
	bigOrgInstall = 15
	benchRepos    = 501
)

// benchCases are the ways a workflow uses the action that the benchmarks
// and `cd tools && go run ./bench` measure; perms are every permission input
// with its highest level.
func benchCases(perms map[string]string) []struct {
	name   string
	inputs map[string]string
} {
	many := map[string]string{
		"INPUT_OWNER":        bigOrg,
		"INPUT_REPOSITORIES": strings.Join(benchRepoNames()[:500], "\n"),
	}
	for name, level := range perms {
		many["INPUT_PERMISSION-"+strings.ToUpper(name)] = level
	}
	return []struct {
		name   string
		inputs map[string]string
	}{
		{"current-repo", nil},
		{"owner-3-repos", map[string]string{
			"INPUT_OWNER":                    "octo-org",
			"INPUT_REPOSITORIES":             "app,infra,docs",
			"INPUT_PERMISSION-CONTENTS":      "write",
			"INPUT_PERMISSION-ISSUES":        "write",
			"INPUT_PERMISSION-PULL-REQUESTS": "write",
		}},
		{"500-repos", many},
		{"installation-id", map[string]string{"INPUT_INSTALLATION-ID": "12"}},
	}
}

func benchRepoNames() []string {
	names := make([]string, benchRepos)
	for i := range names {
		names[i] = fmt.Sprintf("repo-%04d", i+1)
	}
	return names
}

// benchWorld is testWorld plus bigOrg's installation, which grants perms.
func benchWorld(tb testing.TB, perms map[string]string) githubapitest.Config {
	tb.Helper()
	w := testWorld(tb)
	repos := make([]githubapitest.Repository, 0, benchRepos)
	for i, name := range benchRepoNames() {
		repos = append(repos, githubapitest.Repository{ID: int64(500_001 + i), Name: name})
	}
	grants := map[string]string{}
	for name, level := range perms {
		grants[strings.ReplaceAll(name, "-", "_")] = level
	}
	w.Installations = append(w.Installations, githubapitest.Installation{
		ID:                  bigOrgInstall,
		Account:             githubapitest.Account{Login: bigOrg, ID: 9005, Type: "Organization"},
		RepositorySelection: "selected",
		Repositories:        repos,
		Permissions:         grants,
	})
	return w
}

// permissionInputs returns every permission-* input of action.yml, without
// the prefix ("pull-requests"), with the highest level its description
// allows.
func permissionInputs(tb testing.TB) map[string]string {
	tb.Helper()
	perms, err := mustAction(tb).PermissionLevels()
	if err != nil {
		tb.Fatal(err)
	}
	return perms
}

// newBenchHarness returns a harness on benchWorld with inputs set.
func newBenchHarness(tb testing.TB, perms, inputs map[string]string) *harness {
	tb.Helper()
	h := newHarness(tb, benchWorld(tb, perms))
	maps.Copy(h.env, inputs)
	return h
}

// mint runs the main step on fresh runner files and fails tb unless it
// made a token.
func (h *harness) mint(tb testing.TB) {
	tb.Helper()
	for _, name := range []string{"output", "state", "summary"} {
		if err := os.Remove(filepath.Join(h.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			tb.Fatal(err)
		}
	}
	r := h.run(false)
	if r.err != nil || r.outputs["token"] == "" || r.state["token"] != r.outputs["token"] {
		tb.Fatalf("main step: err = %v, token output set = %t; log:\n%s", r.err, r.outputs["token"] != "", redactSecrets(h, r.log))
	}
}

// TestBenchCases runs each benchmark case once, so that the benchmarks'
// world and inputs keep up with the action.
func TestBenchCases(t *testing.T) {
	t.Parallel()
	perms := permissionInputs(t)
	if len(perms) < 50 {
		t.Fatalf("action.yml has %d permission inputs, want every permission", len(perms))
	}
	for _, bc := range benchCases(perms) {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			h := newBenchHarness(t, perms, bc.inputs)
			h.mint(t)
			if got := len(h.srv.Requests()); got != 2 {
				t.Errorf("main step sent %d requests, want 2 (lookup and token)", got)
			}
			h.loadState()
			if r := h.run(true); r.err != nil || !strings.Contains(r.log, "Token revoked") {
				t.Errorf("post step: err = %v; log:\n%s", r.err, redactSecrets(h, r.log))
			}
		})
	}
}

// BenchmarkMainStep runs the whole main step: inputs, key, installation
// lookup, token, outputs, state and summary.
func BenchmarkMainStep(b *testing.B) {
	perms := permissionInputs(b)
	for _, bc := range benchCases(perms) {
		b.Run(bc.name, func(b *testing.B) {
			h := newBenchHarness(b, perms, bc.inputs)
			before := len(h.srv.Requests())
			b.ReportAllocs()
			for b.Loop() {
				h.mint(b)
			}
			b.ReportMetric(float64(len(h.srv.Requests())-before)/float64(b.N), "requests/op")
		})
	}
}

// BenchmarkPostStep runs the whole post step, which revokes a token; the
// main step that makes each token runs with the timer stopped.
func BenchmarkPostStep(b *testing.B) {
	h := newBenchHarness(b, permissionInputs(b), nil)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h.mint(b)
		h.loadState()
		b.StartTimer()

		r := h.run(true)

		b.StopTimer()
		if r.err != nil || !strings.Contains(r.log, "Token revoked") {
			b.Fatalf("post step: err = %v; log:\n%s", r.err, redactSecrets(h, r.log))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(h.srv.Count("DELETE", revokePath))/float64(b.N), "requests/op")
	for _, t := range h.srv.Tokens() {
		if !t.Revoked {
			b.Errorf("a token of installation %d was not revoked", t.InstallationID)
			break
		}
	}
}
